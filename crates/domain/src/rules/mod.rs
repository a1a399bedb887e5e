//! The rulebook: every NRM rule that changed over time, as dated data.
//!
//! The rules ship as `crates/domain/rulebook/rulebook.json`, compiled into the binary and parsed
//! once. Each rule is a list of entries in force from a date until the next entry; each entry
//! cites its source and says whether it is verified or still uncertain. Which date picks the
//! entry is a deliberate choice per rule, documented on each method below and tested in the
//! caseworker scenarios. Every decision records the rulebook [`Rulebook::version`] it was made
//! under.

mod data;
mod pilot_panel;
mod referrers;

use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

pub use data::{
    AuthoritiesInForce, Certainty, Dated, FirstResponderOrganisation, FormerName, MoveOnSupport,
    PilotPhase, PilotSite, Reconsideration, Requester, ReviewKind, RulebookData, SupportPeriod,
};
pub use pilot_panel::{PanelAgency, PilotPanel, PilotPanelMember};
pub use referrers::{ByNation, SubmittingOrganisation, SupportPeriodEnd};

use crate::calendar::{CalendarDays, Jurisdiction, WorkingDays};
use crate::event::{CompetentAuthority, InformationSource, ReviewedDecision};
use crate::geography::UkNation;

/// The rules in force, with their history. Cheap to clone (shares the parsed data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rulebook {
    #[serde(flatten)]
    data: &'static RulebookData,
    /// The calendar competent-authority deadlines are counted in. The SCA and IECA are Home
    /// Office bodies in England (domain brief section 4: which nation's calendar applies is not
    /// stated in guidance, so this is a named rule, not an assumption buried in code).
    pub competent_authority_calendar: Jurisdiction,
}

static SHIPPED: LazyLock<Result<RulebookData, String>> =
    LazyLock::new(|| RulebookData::parse(include_str!("../../rulebook/rulebook.json")));

impl Rulebook {
    /// The rulebook this build ships. The JSON is checked by a unit test, so a build whose
    /// rulebook does not parse never passes CI; should it happen anyway, this panics at start-up
    /// rather than deciding cases under unknown rules.
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self {
                data,
                competent_authority_calendar: Jurisdiction::EnglandAndWales,
            },
            Err(e) => panic!("the shipped rulebook is invalid: {e}"),
        }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    pub fn data(&self) -> &RulebookData {
        self.data
    }

    /// The minimum recovery period for a positive RG decided on `rg_decided_on`. Chosen by the
    /// RG date, because the recovery period is granted by that decision: an adult referred on
    /// 10 Jan 2023 with a positive RG on 20 Jan 2023 keeps the 45-day minimum.
    pub fn recovery_period_minimum(&self, rg_decided_on: NaiveDate) -> &Dated<u32> {
        in_force(&self.data.recovery_period_minimum_days, rg_decided_on)
    }

    /// The first day a CG decision may be made after a positive RG on `rg_decided_on`, when
    /// the recovery period has not been extended: RG + N. The minimum period is the N days
    /// beginning with the day of the RG decision (its last day is RG + N - 1); see the source of
    /// the `recovery_period_minimum_days` entries for why this reading was taken.
    pub fn conclusive_grounds_earliest(&self, rg_decided_on: NaiveDate) -> NaiveDate {
        rg_decided_on + Duration::days(i64::from(self.recovery_period_minimum(rg_decided_on).value))
    }

    /// The last day of the minimum recovery period after a positive RG on `rg_decided_on`.
    pub fn recovery_period_minimum_last_day(&self, rg_decided_on: NaiveDate) -> NaiveDate {
        self.conclusive_grounds_earliest(rg_decided_on) - Duration::days(1)
    }

    /// The RG threshold wording in force on the decision date.
    pub fn reasonable_grounds_threshold(&self, decided_on: NaiveDate) -> &Dated<String> {
        in_force(&self.data.reasonable_grounds_threshold, decided_on)
    }

    /// The RG target for a referral made on `referred_on`.
    pub fn reasonable_grounds_target(&self, referred_on: NaiveDate) -> WorkingDays {
        WorkingDays(
            in_force(
                &self.data.reasonable_grounds_target_working_days,
                referred_on,
            )
            .value,
        )
    }

    /// The date an RG decision is due for a referral made on `referred_on`, counted on the
    /// SCA's and IECA's calendar ([`Rulebook::competent_authority_calendar`]).
    pub fn reasonable_grounds_due_on(&self, referred_on: NaiveDate) -> NaiveDate {
        self.reasonable_grounds_due_on_in(referred_on, self.competent_authority_calendar)
    }

    /// The date an RG decision is due for a referral made on `referred_on`, counted on
    /// `calendar` (the deciding authority's: [`Rulebook::deciding_calendar`]).
    pub fn reasonable_grounds_due_on_in(
        &self,
        referred_on: NaiveDate,
        calendar: Jurisdiction,
    ) -> NaiveDate {
        calendar.add_working_days(referred_on, self.reasonable_grounds_target(referred_on))
    }

    /// The calendar a deciding authority counts its deadlines on: a devolved pilot panel's is
    /// its local authority's nation's (England and Wales, or Scotland); the SCA's and the
    /// IECA's is configured ([`Rulebook::competent_authority_calendar`], England and Wales by
    /// default: both are Home Office bodies in England).
    pub fn deciding_calendar(
        &self,
        authority: CompetentAuthority,
        pilot_site: Option<&str>,
        on: NaiveDate,
    ) -> Jurisdiction {
        match (authority, pilot_site) {
            (CompetentAuthority::LocalAuthorityPanel, Some(code)) => self
                .data
                .child_decision_pilot_sites
                .iter()
                .find(|s| s.code == code && s.from <= on)
                .or_else(|| {
                    self.data
                        .child_decision_pilot_sites
                        .iter()
                        .find(|s| s.code == code)
                })
                .map_or(self.competent_authority_calendar, |s| {
                    s.nation.jurisdiction()
                }),
            _ => self.competent_authority_calendar,
        }
    }

    /// The calendar a reply to a request for further information is counted on: that of
    /// whoever must reply. The First Responder Organisation's nation for a First Responder
    /// (when recorded); the person's current nation for a support provider; the pilot local
    /// authority's nation for a local authority deciding as a pilot panel, else the person's
    /// current nation; `deciding` (the deciding authority's calendar) where none is known, and
    /// for the police (the force is not recorded on the case).
    pub fn replying_calendar(
        &self,
        from: InformationSource,
        referring_organisation: Option<UkNation>,
        person: Option<UkNation>,
        pilot: Option<Jurisdiction>,
        deciding: Jurisdiction,
    ) -> Jurisdiction {
        let of = |n: Option<UkNation>| n.map(UkNation::jurisdiction);
        match from {
            InformationSource::FirstResponder => of(referring_organisation),
            InformationSource::SupportProvider => of(person),
            InformationSource::LocalAuthority => pilot.or(of(person)),
            InformationSource::Police => None,
        }
        .unwrap_or(deciding)
    }

    /// Which review a negative CG needs before it is served. Chosen by the date of the CG
    /// decision: a negative CG decided in November 2022 goes to an assurance panel even if it is
    /// served in 2023.
    pub fn negative_conclusive_grounds_review(
        &self,
        cg_decided_on: NaiveDate,
    ) -> &Dated<ReviewKind> {
        in_force(&self.data.negative_conclusive_grounds_review, cg_decided_on)
    }

    /// Which review a negative decision or a disqualification needs before it is served,
    /// chosen by the date the decision was made and the competent authority that made it: a
    /// devolved pilot panel's negative RG or CG goes to SCA quality assurance, never to an
    /// assurance panel; the SCA's and IECA's follow the rules for their kind of decision.
    pub fn negative_decision_review(
        &self,
        decision: ReviewedDecision,
        authority: CompetentAuthority,
        decided_on: NaiveDate,
    ) -> &Dated<ReviewKind> {
        let list = match (decision, authority) {
            (ReviewedDecision::Disqualification, _) => &self.data.disqualification_review,
            (_, CompetentAuthority::LocalAuthorityPanel) => {
                &self.data.pilot_negative_decision_review
            }
            (ReviewedDecision::ReasonableGrounds, _) => {
                &self.data.negative_reasonable_grounds_review
            }
            (ReviewedDecision::ConclusiveGrounds, _) => {
                &self.data.negative_conclusive_grounds_review
            }
        };
        in_force(list, decided_on)
    }

    /// Whether a public order or bad faith disqualification can be made on `on`.
    pub fn disqualification_available(&self, on: NaiveDate) -> &Dated<bool> {
        in_force(&self.data.public_order_disqualification_available, on)
    }

    /// The reconsideration rules for a request made on `requested_on`. Chosen by the request
    /// date: the window and who may ask are procedural rules applied when the request arrives.
    pub fn reconsideration(&self, requested_on: NaiveDate) -> &Dated<Reconsideration> {
        in_force(&self.data.reconsideration, requested_on)
    }

    /// The move-on support periods in force on the decision date.
    pub fn move_on_support(&self, decided_on: NaiveDate) -> &Dated<MoveOnSupport> {
        in_force(&self.data.move_on_support, decided_on)
    }

    /// The date a reply to a request for further information made on `requested_on` is due,
    /// on the competent authorities' calendar.
    pub fn information_due_on(&self, requested_on: NaiveDate) -> NaiveDate {
        self.information_due_on_in(requested_on, self.competent_authority_calendar)
    }

    /// The date a reply to a request made on `requested_on` is due, counted on `calendar`
    /// (the replier's: [`Rulebook::replying_calendar`]).
    pub fn information_due_on_in(
        &self,
        requested_on: NaiveDate,
        calendar: Jurisdiction,
    ) -> NaiveDate {
        let days = in_force(&self.data.information_request_working_days, requested_on).value;
        calendar.add_working_days(requested_on, WorkingDays(days))
    }

    /// A deadline this many working days away or fewer is "due soon".
    pub fn due_soon(&self, on: NaiveDate) -> WorkingDays {
        WorkingDays(in_force(&self.data.due_soon_working_days, on).value)
    }

    /// Which competent authorities exist on `on`.
    pub fn authorities(&self, on: NaiveDate) -> &Dated<AuthoritiesInForce> {
        in_force(&self.data.competent_authorities, on)
    }

    /// The pilot minimum distance from the 18th birthday, when the pilot runs on `on`.
    pub fn child_pilot_margin(&self, on: NaiveDate) -> Option<CalendarDays> {
        self.data
            .child_pilot_minimum_days_before_eighteenth_birthday
            .iter()
            .rev()
            .find(|e| e.from <= on)
            .map(|e| CalendarDays(e.value))
    }

    /// The phase of the devolved child decision-making pilot in force on `on`; `None` before
    /// the pilot began (June 2021).
    pub fn pilot_phase(&self, on: NaiveDate) -> Option<&Dated<PilotPhase>> {
        self.data
            .child_decision_pilot_phases
            .iter()
            .rev()
            .find(|e| e.from <= on)
    }

    /// The pilot local authority with this code, if it runs the pilot on `on`.
    pub fn pilot_site(&self, code: &str, on: NaiveDate) -> Option<&PilotSite> {
        self.data
            .child_decision_pilot_sites
            .iter()
            .find(|s| s.code == code && s.from <= on && s.to.is_none_or(|to| on <= to))
    }

    /// The First Responder Organisations designated in `nation` on `on`.
    pub fn first_responder_organisations(
        &self,
        nation: UkNation,
        on: NaiveDate,
    ) -> impl Iterator<Item = &FirstResponderOrganisation> {
        self.data
            .first_responder_organisations
            .iter()
            .filter(move |o| {
                o.nations.contains(&nation) && o.from <= on && o.to.is_none_or(|to| on <= to)
            })
    }
}

/// The entry in force on `on`: the last whose `from` is on or before it, or the first entry
/// for dates before the rulebook begins (the NRM itself began on 1 April 2009). Lists are
/// checked non-empty and ordered when the rulebook is parsed.
fn in_force<T>(entries: &[Dated<T>], on: NaiveDate) -> &Dated<T> {
    entries
        .iter()
        .rev()
        .find(|e| e.from <= on)
        .or(entries.first())
        .unwrap_or_else(|| panic!("rulebook lists are checked non-empty at parse time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn the_shipped_rulebook_parses() {
        assert!(SHIPPED.is_ok(), "{:?}", SHIPPED.as_ref().err());
        assert_eq!(Rulebook::current().version(), "2026.6");
    }

    #[test]
    fn recovery_minimum_follows_the_rg_date() {
        let rules = Rulebook::current();
        assert_eq!(rules.recovery_period_minimum(date(2023, 1, 20)).value, 45);
        assert_eq!(rules.recovery_period_minimum(date(2023, 1, 29)).value, 45);
        assert_eq!(rules.recovery_period_minimum(date(2023, 1, 30)).value, 30);
        assert_eq!(
            rules.conclusive_grounds_earliest(date(2023, 1, 20)),
            date(2023, 3, 6)
        );
    }

    #[test]
    fn rg_due_date_skips_weekends_and_bank_holidays() {
        let rules = Rulebook::current();
        // Friday 19 Dec 2025: 5 working days skips the weekend, Christmas and Boxing Day.
        assert_eq!(
            rules.reasonable_grounds_due_on(date(2025, 12, 19)),
            date(2025, 12, 30)
        );
        assert_eq!(
            rules.reasonable_grounds_due_on(date(2025, 11, 3)),
            date(2025, 11, 10)
        );
    }

    #[test]
    fn threshold_wording_has_three_versions() {
        let rules = Rulebook::current();
        assert!(
            rules
                .reasonable_grounds_threshold(date(2022, 6, 1))
                .value
                .contains("may be a victim")
        );
        assert!(
            rules
                .reasonable_grounds_threshold(date(2023, 3, 1))
                .value
                .contains("objective factors")
        );
        assert!(
            rules
                .reasonable_grounds_threshold(date(2023, 8, 1))
                .value
                .contains("general and specific evidence")
        );
    }

    #[test]
    fn review_of_negative_cg_follows_the_cg_date() {
        let rules = Rulebook::current();
        assert_eq!(
            rules
                .negative_conclusive_grounds_review(date(2019, 1, 1))
                .value,
            ReviewKind::None
        );
        assert_eq!(
            rules
                .negative_conclusive_grounds_review(date(2020, 1, 1))
                .value,
            ReviewKind::MultiAgencyAssurancePanel
        );
        assert_eq!(
            rules
                .negative_conclusive_grounds_review(date(2023, 1, 1))
                .value,
            ReviewKind::SecondCaseworker
        );
    }

    #[test]
    fn designations_and_pilot_sites_are_dated() {
        let rules = Rulebook::current();
        let ni = |on| {
            rules
                .first_responder_organisations(UkNation::NorthernIreland, on)
                .any(|o| o.code == "youth-work-alliance")
        };
        assert!(!ni(date(2023, 6, 30)));
        assert!(ni(date(2023, 7, 1)));
        assert!(rules.pilot_site("hull", date(2021, 6, 1)).is_some());
        assert!(rules.pilot_site("hull", date(2021, 5, 31)).is_none());
        assert!(rules.pilot_site("nowhere", date(2024, 1, 1)).is_none());
    }
}
