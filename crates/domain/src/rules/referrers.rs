//! Who may make a referral or a Duty to Notify report on a date, and the statutory support
//! periods of Scotland and Northern Ireland: dated rulebook data, read here.
//!
//! - A referral may be made only by an organisation that is on the dated First Responder
//!   Organisation list **for its own nation** on the referral date (the list entry's kind, its
//!   nations and its dates), or that is individually designated on that date.
//! - A Duty to Notify report may be made only by an organisation the duty falls on in its
//!   nation on the report's date: the specified public authorities of the Modern Slavery Act
//!   2015 s52 in England and Wales from 1 November 2015 (and the Home Office bodies that comply
//!   as a matter of policy). Scotland's duty (HTE(S)A 2015 s38) runs through Police Scotland and
//!   its regulations are not confirmed in force; Northern Ireland has no duty to notify: there,
//!   an adult who does not consent is not reported this way.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Dated, Rulebook, in_force};
use crate::error::DomainError;
use crate::geography::UkNation;
use crate::support::rules::{NationSupport, SupportRules};

/// A value for each UK nation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByNation<T> {
    pub england: T,
    pub wales: T,
    pub scotland: T,
    pub northern_ireland: T,
}

impl<T> ByNation<T> {
    pub fn get(&self, nation: UkNation) -> &T {
        match nation {
            UkNation::England => &self.england,
            UkNation::Wales => &self.wales,
            UkNation::Scotland => &self.scotland,
            UkNation::NorthernIreland => &self.northern_ireland,
        }
    }
}

/// What the rules need to know about the organisation making a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmittingOrganisation<'a> {
    /// The nation the organisation works in, when recorded: without it the organisation is on
    /// no nation's list (it may refer only under an individual designation, and may not make a
    /// Duty to Notify report).
    pub nation: Option<UkNation>,
    /// Its entry on the First Responder Organisation list (`police`, `salvation-army`…), if
    /// it is one of the listed kinds.
    pub list_code: Option<&'a str>,
    /// An individual designation: from, and until (inclusive) if it has ended.
    pub designated: Option<(NaiveDate, Option<NaiveDate>)>,
}

/// A statutory support period's end, with its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportPeriodEnd {
    /// The last day of support under the period (inclusive).
    pub last_day: NaiveDate,
    /// Whether the CG decision ended it before the period ran out.
    pub ended_by_conclusive_grounds: bool,
    /// The nation's entry in the support rulebook (`rulebook/support.json`), the one source
    /// of the period: the support episodes count on the same entry.
    pub rule: &'static Dated<NationSupport>,
}

fn nation_name(nation: UkNation) -> &'static str {
    match nation {
        UkNation::England => "England",
        UkNation::Wales => "Wales",
        UkNation::Scotland => "Scotland",
        UkNation::NorthernIreland => "Northern Ireland",
    }
}

impl Rulebook {
    /// The kinds of organisation (First Responder list codes) that the duty to notify falls on
    /// in `nation` on `on`, with the entry that says so.
    pub fn duty_to_notify_reporters(
        &self,
        nation: UkNation,
        on: NaiveDate,
    ) -> (&[String], &Dated<ByNation<Vec<String>>>) {
        let entry = in_force(&self.data.duty_to_notify_reporters, on);
        (entry.value.get(nation), entry)
    }

    /// Whether `org` is on the First Responder Organisation list for its nation on `on`,
    /// or individually designated on that day.
    pub fn may_refer(&self, org: &SubmittingOrganisation<'_>, on: NaiveDate) -> bool {
        let designated = org
            .designated
            .is_some_and(|(from, to)| from <= on && to.is_none_or(|to| on <= to));
        let listed = org.list_code.zip(org.nation).is_some_and(|(code, nation)| {
            self.first_responder_organisations(nation, on)
                .any(|o| o.code == code)
        });
        designated || listed
    }

    /// Refuses a referral by an organisation that may not make one on `on`
    /// (`not-a-first-responder-organisation`), naming why.
    pub fn check_referrer(
        &self,
        org: &SubmittingOrganisation<'_>,
        on: NaiveDate,
    ) -> Result<(), DomainError> {
        if self.may_refer(org, on) {
            return Ok(());
        }
        let designation = match org.designated {
            None => "the organisation has no individual designation".to_owned(),
            Some((from, _)) if on < from => {
                format!("its individual designation starts on {from}")
            }
            Some((_, Some(to))) if to < on => format!("its individual designation ended on {to}"),
            Some(_) => "it has no individual designation in force".to_owned(),
        };
        let Some(nation_code) = org.nation else {
            return Err(DomainError::refused(
                "not-a-first-responder-organisation",
                format!(
                    "Only a designated First Responder Organisation can make a referral: on {on} {designation}, and the nation it works in is not recorded, so it is on no nation's First Responder Organisation list (an administrator records it)"
                ),
            ));
        };
        let nation = nation_name(nation_code);
        let why = match org.list_code {
            Some(code) => match self
                .data
                .first_responder_organisations
                .iter()
                .find(|o| o.code == code)
            {
                None => format!("'{code}' is not on the First Responder Organisation list"),
                Some(o) if !o.nations.contains(&nation_code) => {
                    format!("{} are not First Responders in {nation}", o.name)
                }
                Some(o) => match o.to {
                    Some(to) if to < on => {
                        format!("{} stopped being First Responders on {to}", o.name)
                    }
                    _ => format!("{} became First Responders on {}", o.name, o.from),
                },
            },
            None => "the organisation is not of a kind on the list".to_owned(),
        };
        Err(DomainError::refused(
            "not-a-first-responder-organisation",
            format!(
                "Only a designated First Responder Organisation can make a referral: on {on} {why}, and {designation} (the First Responder Organisation list for {nation}, dated in the rulebook)"
            ),
        ))
    }

    /// Refuses a Duty to Notify report by an organisation the duty does not fall on in its
    /// nation on `on` (`duty-to-notify-not-for-this-organisation`).
    pub fn check_duty_to_notify_reporter(
        &self,
        org: &SubmittingOrganisation<'_>,
        on: NaiveDate,
    ) -> Result<(), DomainError> {
        let Some(nation_code) = org.nation else {
            return Err(DomainError::refused(
                "duty-to-notify-not-for-this-organisation",
                "This organisation cannot make a Duty to Notify report: the nation it works in is not recorded, and the duty falls only on specified public authorities of England and Wales (an administrator records the organisation's nation and its kind on the First Responder Organisation list)",
            ));
        };
        let (codes, entry) = self.duty_to_notify_reporters(nation_code, on);
        if org
            .list_code
            .is_some_and(|code| codes.iter().any(|c| c == code))
        {
            return Ok(());
        }
        let nation = nation_name(nation_code);
        let why = if codes.is_empty() {
            format!("no organisation in {nation} may make a Duty to Notify report on {on}")
        } else {
            format!(
                "on {on} the duty falls in {nation} only on: {}",
                codes.join(", ")
            )
        };
        Err(DomainError::refused(
            "duty-to-notify-not-for-this-organisation",
            format!(
                "This organisation cannot make a Duty to Notify report: {why}. Make an NRM referral with the person's consent instead, or for a child ({})",
                entry.source
            ),
        ))
    }

    /// Who may and may not make a Duty to Notify report on `on`, in a sentence per nation, for
    /// the page that offers the report.
    pub fn duty_to_notify_who_may(&self, on: NaiveDate) -> Vec<(UkNation, String)> {
        [
            UkNation::England,
            UkNation::Wales,
            UkNation::Scotland,
            UkNation::NorthernIreland,
        ]
        .into_iter()
        .map(|nation| {
            let (codes, _) = self.duty_to_notify_reporters(nation, on);
            let names: Vec<&str> = codes
                .iter()
                .map(|code| {
                    self.data
                        .first_responder_organisations
                        .iter()
                        .find(|o| &o.code == code)
                        .map_or(code.as_str(), |o| o.name.as_str())
                })
                .collect();
            let text = if names.is_empty() {
                format!(
                    "In {}, no organisation can make a Duty to Notify report: refer the person to the NRM with their consent.",
                    nation_name(nation)
                )
            } else {
                format!(
                    "In {}, only these public authorities can make a Duty to Notify report: {}. Other First Responder Organisations cannot.",
                    nation_name(nation),
                    names.join(", ")
                )
            };
            (nation, text)
        })
        .collect()
    }

    /// The statutory adult support period where the person is, after a positive RG on
    /// `rg_on`: Scotland's 90 days (HTE(S)A 2015 s9, from 1 April 2018) and Northern
    /// Ireland's 45 days, each ending at the CG decision if that comes first. England and
    /// Wales have no fixed statutory period (support runs to the CG and then move-on
    /// support), nor had Scotland before April 2018: `None`.
    ///
    /// Read from the support rulebook's per-nation entry in force on the RG date (the one
    /// the support episode counts on), never from a second copy.
    pub fn statutory_support_period(
        &self,
        nation: UkNation,
        rg_on: NaiveDate,
        cg_on: Option<NaiveDate>,
    ) -> Option<SupportPeriodEnd> {
        let rule = SupportRules::current().nation(nation, rg_on);
        let days = rule.value.days_from_positive_reasonable_grounds?;
        // "For 90 days from" the RG: the RG day is day 1, as for the recovery period.
        let full = rg_on + Duration::days(i64::from(days) - 1);
        Some(match cg_on {
            Some(cg) if cg < full && rule.value.ends_at_conclusive_grounds => SupportPeriodEnd {
                last_day: cg,
                ended_by_conclusive_grounds: true,
                rule,
            },
            _ => SupportPeriodEnd {
                last_day: full,
                ended_by_conclusive_grounds: false,
                rule,
            },
        })
    }
}
