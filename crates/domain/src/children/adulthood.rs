//! Turning 18 during the case (issue 13 item 5; domain brief 1.4, 1.6, 2.12).
//!
//! A child's case runs on the child route: no consent is asked, notices go to the local
//! authority, and a devolved pilot panel may decide it. When the person turns 18 before the
//! case is closed, the case itself moves to the adult route's rules by the dated rule of the
//! birthday (`rulebook/panels.json`, `case_on_turning_18`):
//!
//! - the case's age group becomes adult, so from then on notices go to the young adult (and the
//!   local authority that looked after them is told they turned 18);
//! - the consent-to-support question is offered to the young adult, as for any adult (support
//!   for adults needs consent separately from the referral, brief 1.6), and their answer is
//!   recorded on the case;
//! - a case with a devolved pilot panel whose decisions are not all made leaves the panel for
//!   the Single Competent Authority where the rule of the date says so: the pilot decides only
//!   for children (brief 1.4), and who decides after the 18th birthday was not retrieved, so
//!   the rule is marked uncertain.
//!
//! The sweep turn reviews each open child case daily: idempotent, as a case that turned 18
//! is no longer a child's. The 18th birthday comes from the date of birth in the vault and is
//! not recorded in the event (the event holds the day it was seen, the birthday or later).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::case::Referral;
use crate::error::{DomainError, FieldProblem};
use crate::event::{CaseEvent, CompetentAuthority, Recipient, RerouteReason};
use crate::submission::AgeGroup;

/// What the case does when its child turns 18, by the rule of the birthday's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurningEighteenRule {
    /// A pilot panel's case whose decisions are not all made moves to the SCA.
    pub pilot_case_to_sca: bool,
    /// The consent-to-support question is offered to the young adult.
    pub offer_consent_to_support: bool,
}

/// The person turned 18 during the case (the event); a route change may follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnedEighteen {
    /// The day the sweep saw it: the 18th birthday or, if the sweep did not run that day,
    /// the first day after it that it did.
    pub on: NaiveDate,
    pub consent_to_support_offered: bool,
    /// Who is told.
    pub notified: Vec<Recipient>,
    /// The rule applied (its source).
    pub rule: String,
}

/// The young adult's answer to the consent-to-support question (the event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentToSupportAnswered {
    pub on: NaiveDate,
    pub consents: bool,
    pub recorded_by: Actor,
}

/// What may be asked of a case about the person turning 18.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdulthoodCommand {
    /// The daily look (the sweep): `turns_18_on` comes from the date of birth in the vault.
    ReviewAge { turns_18_on: NaiveDate },
    /// The young adult's answer, recorded by the deciding authority.
    AnswerConsentToSupport { on: NaiveDate, consents: bool },
}

pub(crate) fn evolve(r: &mut Referral, event: &CaseEvent) {
    match event {
        CaseEvent::TurnedEighteen(e) => {
            r.age_group = AgeGroup::Adult;
            r.age_disputed = false;
            r.turned_18_on = Some(e.on);
            r.consent_to_support_offered_on = e.consent_to_support_offered.then_some(e.on);
        }
        CaseEvent::ConsentToSupportAnswered(e) => {
            r.support_consent = e.consents;
            r.consent_to_support_answered_on = Some(e.on);
        }
        _ => {}
    }
}

/// Whether the consent-to-support question is open on the case: offered when the person
/// turned 18, not yet answered, and the case still open. The pages and the API offer the
/// answer only then.
pub fn consent_question_open(r: &Referral) -> bool {
    r.is_open()
        && r.consent_to_support_offered_on.is_some()
        && r.consent_to_support_answered_on.is_none()
}

/// The rule in force on `on`.
pub fn rule_on(on: NaiveDate) -> Option<&'static crate::rules::Dated<TurningEighteenRule>> {
    crate::children::panel::PanelRules::current().case_on_turning_18(on)
}

pub(crate) fn decide(
    r: &Referral,
    command: &AdulthoodCommand,
    actor: Actor,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    match command {
        AdulthoodCommand::ReviewAge { turns_18_on } => {
            // Nothing to do (and nothing refused: the sweep asks every day).
            if !r.is_open()
                || r.age_group != AgeGroup::Child
                || r.turned_18_on.is_some()
                || today < *turns_18_on
            {
                return Ok(Vec::new());
            }
            let Some(rule) = rule_on(*turns_18_on) else {
                return Ok(Vec::new());
            };
            let mut events = vec![CaseEvent::TurnedEighteen(TurnedEighteen {
                on: today,
                consent_to_support_offered: rule.value.offer_consent_to_support,
                notified: vec![
                    Recipient::PotentialVictim,
                    Recipient::LocalAuthority,
                    Recipient::FirstResponder,
                ],
                rule: rule.source.clone(),
            })];
            let decisions_to_make = r.conclusive_grounds.is_none();
            if rule.value.pilot_case_to_sca
                && decisions_to_make
                && r.competent_authority == CompetentAuthority::LocalAuthorityPanel
            {
                events.push(CaseEvent::RouteChanged {
                    from: r.competent_authority,
                    to: CompetentAuthority::Sca,
                    pilot_site: None,
                    reason: RerouteReason::TurnedEighteen,
                    changed_on: today,
                });
            }
            Ok(events)
        }
        AdulthoodCommand::AnswerConsentToSupport { on, consents } => {
            crate::command::guard_open(r)?;
            if r.consent_to_support_offered_on.is_none() {
                return Err(DomainError::refused(
                    "consent-not-offered",
                    "The consent-to-support question is offered once the person turns 18",
                ));
            }
            if r.consent_to_support_answered_on.is_some() {
                return Err(DomainError::refused(
                    "consent-answered",
                    "The consent-to-support question has been answered",
                ));
            }
            let offered = r.consent_to_support_offered_on.unwrap_or(*on);
            if *on > today || *on < offered {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/on",
                    format!("The date must be between {offered} and today"),
                )]));
            }
            Ok(vec![CaseEvent::ConsentToSupportAnswered(
                ConsentToSupportAnswered {
                    on: *on,
                    consents: *consents,
                    recorded_by: actor,
                },
            )])
        }
    }
}
