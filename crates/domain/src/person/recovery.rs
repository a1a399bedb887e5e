//! Additional recovery periods for a person referred again (Nationality and Borders Act 2022
//! s62; issue 14 item 2), applied to the case rather than only shown.
//!
//! A positive Reasonable Grounds decision normally starts a recovery period. When the person
//! already had one on an earlier referral, and the rule in force on the new decision's date is
//! s62's ([`super::rules::AdditionalRecoveryRule::CompetentAuthorityDiscretion`]), another is
//! not an entitlement: the positive RG opens the question instead
//! ([`AdditionalRecoveryPeriodQuestioned`]), and the competent authority decides whether one is
//! appropriate ([`AdditionalRecoveryPeriodDecided`], with written reasons). Until it has, no
//! Conclusive Grounds decision can be made. If it is appropriate, the recovery period starts on
//! that day with the minimum of the RG's date; if not, there is no minimum to wait out.
//!
//! The case knows nothing of persons: the service finds the person's earlier positive RGs and
//! passes them in ([`AdditionalRecoveryCommand::DecideReasonableGrounds`]); this module applies
//! the dated rule to them, so the rule stays here and in `rulebook/persons.json`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::calendar::CalendarDays;
use crate::case::{Referral, Stage};
use crate::command::{Decision, reasonable_grounds_events};
use crate::error::DomainError;
use crate::event::{CaseEvent, Outcome, RecoveryPeriodStarted};
use crate::ids::VaultRecordId;
use crate::rules::Rulebook;

use super::rules::{AdditionalRecoveryPeriod, EarlierPositiveRg, PersonRules};

/// What a user (or the service, for the person's history) can ask about an additional recovery
/// period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdditionalRecoveryCommand {
    /// A Reasonable Grounds decision on the referral of a person with earlier referrals:
    /// `earlier` are the positive RGs of the person's other referrals, found by the service.
    DecideReasonableGrounds {
        decision: Decision,
        earlier: Vec<EarlierPositiveRg>,
    },
    /// The competent authority's decision whether another recovery period is appropriate.
    Decide {
        appropriate: bool,
        decided_on: NaiveDate,
        reasons: VaultRecordId,
    },
}

/// A positive RG for a person who had a recovery period before: whether another is
/// appropriate is for the competent authority to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalRecoveryPeriodQuestioned {
    /// The person's earlier positive RGs that started a recovery period.
    pub earlier: Vec<EarlierPositiveRg>,
    /// Where the rule comes from.
    pub rule: String,
    /// Whether the rulebook marks the rule's reading uncertain.
    pub uncertain: bool,
}

/// The competent authority decided whether another recovery period is appropriate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalRecoveryPeriodDecided {
    pub appropriate: bool,
    pub decided_on: NaiveDate,
    pub decided_by: Actor,
    /// The vault record holding the written reasons.
    pub reasons: VaultRecordId,
    pub rule: String,
}

/// What the case remembers of the question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalRecovery {
    /// The references of the earlier referrals whose recovery periods raised the question.
    pub earlier: Vec<String>,
    /// The decision, once made: appropriate or not, and its date.
    pub decided: Option<(bool, NaiveDate)>,
}

impl AdditionalRecovery {
    /// The question is open: no Conclusive Grounds decision until it is answered.
    pub fn undecided(&self) -> bool {
        self.decided.is_none()
    }
}

/// Checks `command` against the referral.
pub fn decide(
    referral: &Referral,
    command: &AdditionalRecoveryCommand,
    actor: Actor,
    rules: &Rulebook,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    match command {
        AdditionalRecoveryCommand::DecideReasonableGrounds { decision, earlier } => {
            let mut events =
                reasonable_grounds_events(referral, decision, actor, rules, now, today, None)?;
            if decision.outcome != Outcome::Positive {
                return Ok(events);
            }
            let AdditionalRecoveryPeriod::CompetentAuthorityDecides {
                earlier,
                source,
                uncertain,
            } = super::rules::additional_recovery_period(
                &PersonRules::current(),
                earlier,
                decision.decided_on,
            )
            else {
                return Ok(events);
            };
            // The recovery period is not started by the decision: it waits for the competent
            // authority's decision on whether another is appropriate.
            events.retain(|e| !matches!(e, CaseEvent::RecoveryPeriodStarted(_)));
            events.push(CaseEvent::AdditionalRecoveryPeriodQuestioned(
                AdditionalRecoveryPeriodQuestioned {
                    earlier,
                    rule: source.to_owned(),
                    uncertain,
                },
            ));
            Ok(events)
        }
        AdditionalRecoveryCommand::Decide {
            appropriate,
            decided_on,
            reasons,
        } => decide_additional(
            referral,
            *appropriate,
            *decided_on,
            *reasons,
            actor,
            rules,
            today,
        ),
    }
}

fn decide_additional(
    referral: &Referral,
    appropriate: bool,
    decided_on: NaiveDate,
    reasons: VaultRecordId,
    actor: Actor,
    rules: &Rulebook,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    crate::command::guard_open(referral)?;
    let question = referral.additional_recovery.as_ref().ok_or_else(|| {
        DomainError::refused(
            "no-additional-recovery-question",
            "There is no decision to make on an additional recovery period: the person had no recovery period on an earlier referral when this case's positive Reasonable Grounds decision was made (Nationality and Borders Act 2022 s62)",
        )
    })?;
    if let Some((_, on)) = question.decided {
        return Err(DomainError::refused(
            "additional-recovery-already-decided",
            format!(
                "Whether an additional recovery period is appropriate was already decided on {on}"
            ),
        ));
    }
    let Stage::RecoveryPeriod {
        reasonable_grounds_on,
        ..
    } = referral.stage
    else {
        return Err(DomainError::refused(
            "additional-recovery-not-in-recovery-stage",
            "An additional recovery period can only be decided between a positive Reasonable Grounds decision and the Conclusive Grounds decision",
        ));
    };
    let not_before = referral.last_dated_on.max(reasonable_grounds_on);
    if decided_on < not_before {
        return Err(DomainError::refused(
            "additional-recovery-before-last-step",
            format!(
                "The decision cannot be dated before {not_before}, the last dated step on the case file"
            ),
        ));
    }
    if decided_on > today {
        return Err(DomainError::refused(
            "additional-recovery-in-future",
            format!("The decision cannot be dated after today, {today}"),
        ));
    }
    let rule = PersonRules::current().additional_recovery_rule(reasonable_grounds_on);
    let mut events = vec![CaseEvent::AdditionalRecoveryPeriodDecided(
        AdditionalRecoveryPeriodDecided {
            appropriate,
            decided_on,
            decided_by: actor,
            reasons,
            rule: rule.source.clone(),
        },
    )];
    if appropriate {
        // The minimum is that of the RG's date; it runs from the day it is granted.
        let minimum = rules.recovery_period_minimum(reasonable_grounds_on);
        events.push(CaseEvent::RecoveryPeriodStarted(RecoveryPeriodStarted {
            starts_on: decided_on,
            minimum: CalendarDays(minimum.value),
            minimum_ends_on: decided_on + Duration::days(i64::from(minimum.value)),
            rule: minimum.source.clone(),
        }));
    }
    Ok(events)
}

/// Folds the two events into the referral.
pub(crate) fn evolve(referral: &mut Referral, event: &CaseEvent) {
    match event {
        CaseEvent::AdditionalRecoveryPeriodQuestioned(q) => {
            referral.additional_recovery = Some(AdditionalRecovery {
                earlier: q.earlier.iter().map(|e| e.reference.clone()).collect(),
                decided: None,
            });
        }
        CaseEvent::AdditionalRecoveryPeriodDecided(d) => {
            if let Some(question) = &mut referral.additional_recovery {
                question.decided = Some((d.appropriate, d.decided_on));
            }
            referral.last_dated_on = referral.last_dated_on.max(d.decided_on);
            // Not appropriate: no recovery period, so no minimum to wait out before the CG.
            if !d.appropriate
                && let Stage::RecoveryPeriod {
                    reasonable_grounds_on,
                    minimum_ends_on,
                } = &mut referral.stage
            {
                *minimum_ends_on = Some(*reasonable_grounds_on);
            }
        }
        _ => {}
    }
}
