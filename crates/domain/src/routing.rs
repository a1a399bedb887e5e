//! Which competent authority decides a new referral (domain brief 1.2 and 1.4).
//!
//! - A child (or a person whose age is disputed, who is presumed a child) referred in a local
//!   authority running the devolved decision pilot on the referral date goes to that
//!   authority's multi-agency panel, when they are more than the pilot margin (100 days) from
//!   their 18th birthday. An unknown date of birth counts as inside the pilot: a presumed child
//!   should get the local panel.
//! - Otherwise, someone in one of the IECA's four cohorts goes to the IECA, once it exists
//!   (8 November 2021).
//! - Everyone else goes to the SCA.

use chrono::{Datelike, Duration, NaiveDate};

use crate::event::CompetentAuthority;
use crate::rules::Rulebook;
use crate::submission::{AgeGroup, ImmigrationEnforcementCohort};

/// The routing decision for a new referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub authority: CompetentAuthority,
    pub pilot_site: Option<String>,
    pub reason: &'static str,
}

/// The 18th birthday of someone born on `born` (29 February births turn 18 on 1 March).
pub fn eighteenth_birthday(born: NaiveDate) -> NaiveDate {
    born.with_year(born.year() + 18)
        .or_else(|| NaiveDate::from_ymd_opt(born.year() + 18, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

/// Routes a referral made on `referred_on`.
pub fn route(
    age_group: AgeGroup,
    date_of_birth: Option<NaiveDate>,
    local_authority_area: Option<&str>,
    cohort: Option<ImmigrationEnforcementCohort>,
    referred_on: NaiveDate,
    rules: &Rulebook,
) -> Route {
    let authorities = rules.authorities(referred_on).value;
    if age_group == AgeGroup::Child
        && authorities.child_decision_pilot
        && let Some(site) =
            local_authority_area.and_then(|code| rules.pilot_site(code, referred_on))
        && let Some(margin) = rules.child_pilot_margin(referred_on)
    {
        let far_enough = date_of_birth.is_none_or(|born| {
            referred_on + Duration::days(i64::from(margin.0)) < eighteenth_birthday(born)
        });
        if far_enough {
            return Route {
                authority: CompetentAuthority::LocalAuthorityPanel,
                pilot_site: Some(site.code.clone()),
                reason: "child referred in a devolved decision-making pilot area, more than 100 days from their 18th birthday",
            };
        }
    }
    if cohort.is_some() && authorities.immigration_enforcement {
        return Route {
            authority: CompetentAuthority::Ieca,
            pilot_site: None,
            reason: "in an Immigration Enforcement Competent Authority cohort",
        };
    }
    Route {
        authority: CompetentAuthority::Sca,
        pilot_site: None,
        reason: "Single Competent Authority: all referrals not routed elsewhere",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn children_in_pilot_areas_go_to_the_local_panel_unless_close_to_18() {
        let rules = Rulebook::current();
        let on = date(2024, 5, 1);
        let r = route(
            AgeGroup::Child,
            Some(date(2010, 1, 1)),
            Some("hull"),
            None,
            on,
            &rules,
        );
        assert_eq!(r.authority, CompetentAuthority::LocalAuthorityPanel);
        assert_eq!(r.pilot_site.as_deref(), Some("hull"));
        // 18 on 1 Aug 2024: 92 days away, so the SCA decides.
        let close = route(
            AgeGroup::Child,
            Some(date(2006, 8, 1)),
            Some("hull"),
            None,
            on,
            &rules,
        );
        assert_eq!(close.authority, CompetentAuthority::Sca);
        // Exactly 100 days is not "more than 100 days".
        let born = date(2006, 8, 9) - Duration::days(0);
        assert_eq!(eighteenth_birthday(born) - on, Duration::days(100));
        assert_eq!(
            route(AgeGroup::Child, Some(born), Some("hull"), None, on, &rules).authority,
            CompetentAuthority::Sca
        );
        // An unknown date of birth: presumed a child, local panel.
        assert_eq!(
            route(AgeGroup::Child, None, Some("hull"), None, on, &rules).authority,
            CompetentAuthority::LocalAuthorityPanel
        );
        // Before the pilot began.
        assert_eq!(
            route(
                AgeGroup::Child,
                None,
                Some("hull"),
                None,
                date(2021, 5, 31),
                &rules
            )
            .authority,
            CompetentAuthority::Sca
        );
        // Not a pilot area.
        assert_eq!(
            route(AgeGroup::Child, None, Some("leeds"), None, on, &rules).authority,
            CompetentAuthority::Sca
        );
    }

    #[test]
    fn ieca_cohorts_go_to_the_ieca_once_it_exists() {
        let rules = Rulebook::current();
        let cohort = Some(ImmigrationEnforcementCohort::ImmigrationDetention);
        assert_eq!(
            route(
                AgeGroup::Adult,
                None,
                None,
                cohort,
                date(2021, 11, 8),
                &rules
            )
            .authority,
            CompetentAuthority::Ieca
        );
        assert_eq!(
            route(
                AgeGroup::Adult,
                None,
                None,
                cohort,
                date(2021, 11, 7),
                &rules
            )
            .authority,
            CompetentAuthority::Sca
        );
        assert_eq!(
            route(AgeGroup::Adult, None, None, None, date(2024, 1, 1), &rules).authority,
            CompetentAuthority::Sca
        );
    }

    #[test]
    fn leap_day_births_turn_18_on_1_march() {
        assert_eq!(eighteenth_birthday(date(2008, 2, 29)), date(2026, 3, 1));
    }
}
