//! The guardian episode's rules: `decide(state, command, rules, now)` returns the events a
//! command makes or the rule it breaks (naming the rulebook entry's source where one applies).

use chrono::{DateTime, Days, NaiveDate, Utc};
use uuid::Uuid;

use crate::clock::uk_date;
use crate::error::{DomainError, FieldProblem};
use crate::event::DecisionRef;
use crate::geography::PoliceForceArea;
use crate::ids::{CaseId, SubjectId, UserId, VaultRecordId};

use super::event::{
    AdvocacyKind, AdvocacyOutcome, ClosureReason, ContactKind, GuardianEvent, GuardianRole,
    ProfessionalRole,
};
use super::rules::ChildrenRules;
use super::state::{GuardianState, GuardianStatus};

/// Something asked of a guardian episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardianCommand {
    /// A child referral was accepted: refer the child to the ICTG service if the referral's
    /// area is covered on its date (refused `not-in-ictg-area` otherwise).
    Refer {
        case_id: CaseId,
        case_reference: String,
        subject: SubjectId,
        personal_details: VaultRecordId,
        referred_on: NaiveDate,
        local_authority: Option<String>,
        police_force_areas: Vec<PoliceForceArea>,
    },
    Allocate {
        worker: UserId,
        role: GuardianRole,
        parental_responsibility_in_uk: bool,
        exceptional_need: bool,
        on: NaiveDate,
    },
    RecordContact {
        contact: Uuid,
        kind: ContactKind,
        on: NaiveDate,
        notes: VaultRecordId,
    },
    AddProfessional {
        professional: Uuid,
        role: ProfessionalRole,
        details: VaultRecordId,
        on: NaiveDate,
    },
    RemoveProfessional {
        professional: Uuid,
        on: NaiveDate,
    },
    StartAdvocacy {
        action: Uuid,
        kind: AdvocacyKind,
        on: NaiveDate,
        details: VaultRecordId,
        review_on: NaiveDate,
    },
    ConcludeAdvocacy {
        action: Uuid,
        outcome: AdvocacyOutcome,
        on: NaiveDate,
        details: VaultRecordId,
    },
    /// Records that the guardian asked for the case's negative decision to be reconsidered on
    /// the child's behalf (after the case accepted the request), as an advocacy action.
    RecordReconsiderationRequest {
        decision: DecisionRef,
        action: Uuid,
        on: NaiveDate,
        details: VaultRecordId,
        review_on: NaiveDate,
    },
    /// The daily look at the child's age: flags the 18th birthday ahead, and on it moves to
    /// post-18 support or towards closure and offers the consent-to-support question; closes
    /// the episode when its post-18 support has ended.
    /// `turns_18_on` comes from the child's date of birth in the vault; it is not recorded.
    ReviewAge {
        turns_18_on: NaiveDate,
    },
    AnswerConsentToSupport {
        on: NaiveDate,
        consents: bool,
    },
    Close {
        on: NaiveDate,
        reason: ClosureReason,
        missing_person_reference: Option<VaultRecordId>,
        details: Option<VaultRecordId>,
    },
}

fn refused(code: &'static str, message: impl Into<String>) -> DomainError {
    DomainError::refused(code, message)
}

fn check_on(
    field: &str,
    on: NaiveDate,
    state: &GuardianState,
    today: NaiveDate,
) -> Result<(), DomainError> {
    if on > today {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            field,
            "The date must be today or in the past",
        )]));
    }
    if let Some(earliest) = state.last_dated_on.or(state.referred_on)
        && on < earliest
    {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            field,
            format!("The date must be on or after {earliest}, the last thing recorded"),
        )]));
    }
    Ok(())
}

fn add_days(on: NaiveDate, days: u32) -> NaiveDate {
    on.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(on)
}

fn guard_open(state: &GuardianState) -> Result<GuardianStatus, DomainError> {
    match state.status {
        None => Err(DomainError::NoSuchCase),
        Some(GuardianStatus::Closed) => Err(refused(
            "guardian-episode-closed",
            "The guardian's work with this child has closed",
        )),
        Some(s) => Ok(s),
    }
}

/// Decides `command` against `state`.
pub fn decide(
    state: &GuardianState,
    command: GuardianCommand,
    rules: &ChildrenRules,
    now: DateTime<Utc>,
) -> Result<Vec<GuardianEvent>, DomainError> {
    let today = uk_date(now);
    use GuardianCommand as C;
    use GuardianEvent as E;
    if let C::Refer {
        case_id,
        case_reference,
        subject,
        personal_details,
        referred_on,
        local_authority,
        police_force_areas,
    } = command
    {
        if state.exists() {
            return Err(refused(
                "guardian-already-referred",
                "This child has already been referred to the guardian service",
            ));
        }
        let Some(area) =
            rules.covering_area(local_authority.as_deref(), &police_force_areas, referred_on)
        else {
            return Err(refused(
                "not-in-ictg-area",
                format!(
                    "No Independent Child Trafficking Guardian service covered the child's area on {referred_on}"
                ),
            ));
        };
        let days = rules.allocation_days(referred_on);
        return Ok(vec![E::Referred {
            case_id,
            case_reference,
            subject,
            personal_details,
            area: area.code.clone(),
            referred_on,
            referred_at: now,
            allocation_due_on: add_days(referred_on, days.value),
            rules_version: rules.version().to_owned(),
        }]);
    }
    let status = guard_open(state)?;
    match command {
        C::Refer { .. } => unreachable!("handled above"),
        C::Allocate {
            worker,
            role,
            parental_responsibility_in_uk,
            exceptional_need,
            on,
        } => {
            check_on("/on", on, state, today)?;
            if status == GuardianStatus::Turned18 {
                return Err(refused(
                    "no-post-18-support",
                    "The young adult has turned 18 and the area gave no post-18 support on that day: nobody can be allocated",
                ));
            }
            if status == GuardianStatus::Post18 {
                if role != GuardianRole::Post18Worker {
                    return Err(refused(
                        "post-18-worker-only",
                        "After the 18th birthday only a Post-18 worker can be allocated",
                    ));
                }
            } else {
                let roles = rules.roles(on);
                match role {
                    GuardianRole::Post18Worker => {
                        return Err(refused(
                            "post-18-worker-after-18",
                            "A Post-18 worker is allocated only after the 18th birthday",
                        ));
                    }
                    GuardianRole::DirectWorker if parental_responsibility_in_uk => {
                        return Err(refused(
                            "direct-worker-without-pr",
                            "A Direct Worker supports a child with no one holding parental responsibility in the UK; this child has someone, so allocate a Regional Practice Coordinator (or a Regional Practitioner for exceptional need)",
                        ));
                    }
                    GuardianRole::RegionalPracticeCoordinator
                    | GuardianRole::RegionalPractitioner
                        if !parental_responsibility_in_uk =>
                    {
                        return Err(refused(
                            "direct-worker-needed",
                            "No one holds parental responsibility for this child in the UK: allocate a Direct Worker",
                        ));
                    }
                    GuardianRole::RegionalPractitioner => {
                        let available = roles.is_some_and(|r| r.value.regional_practitioner);
                        if !available {
                            return Err(refused(
                                "no-regional-practitioner",
                                format!(
                                    "There were no Regional Practitioners on {on}: {}",
                                    roles.map_or("no ICTG roles then", |r| r.source.as_str())
                                ),
                            ));
                        }
                        if !exceptional_need {
                            return Err(refused(
                                "regional-practitioner-exceptional",
                                "A Regional Practitioner works one to one only where there is exceptional need; otherwise allocate a Regional Practice Coordinator",
                            ));
                        }
                    }
                    GuardianRole::DirectWorker | GuardianRole::RegionalPracticeCoordinator => {}
                }
            }
            let interval = rules.contact_intervals(on).value.for_role(role);
            Ok(vec![E::Allocated {
                worker,
                role,
                parental_responsibility_in_uk,
                exceptional_need,
                on,
                next_contact_due_on: add_days(on, interval),
            }])
        }
        C::RecordContact {
            contact,
            kind,
            on,
            notes,
        } => {
            check_on("/on", on, state, today)?;
            let Some(role) = state.role.filter(|_| state.worker.is_some()) else {
                return Err(refused(
                    "not-allocated",
                    "Allocate a worker before recording contacts",
                ));
            };
            if state.contacts.iter().any(|c| c.id == contact) {
                return Err(refused("duplicate-contact", "That contact is recorded"));
            }
            // An attempt that did not reach anyone does not reset the clock.
            let next_contact_due_on = if kind == ContactKind::Attempted {
                state.next_contact_due_on.unwrap_or(on)
            } else {
                add_days(on, rules.contact_intervals(on).value.for_role(role))
            };
            Ok(vec![E::ContactRecorded {
                contact,
                kind,
                on,
                notes,
                next_contact_due_on,
            }])
        }
        C::AddProfessional {
            professional,
            role,
            details,
            on,
        } => {
            check_on("/on", on, state, today)?;
            if state.professionals.iter().any(|p| p.id == professional) {
                return Err(refused(
                    "duplicate-professional",
                    "That professional is recorded",
                ));
            }
            Ok(vec![E::ProfessionalAdded {
                professional,
                role,
                details,
                on,
            }])
        }
        C::RemoveProfessional { professional, on } => {
            check_on("/on", on, state, today)?;
            if !state.current_professionals().any(|p| p.id == professional) {
                return Err(refused(
                    "no-such-professional",
                    "That professional is not around the child",
                ));
            }
            Ok(vec![E::ProfessionalRemoved { professional, on }])
        }
        C::StartAdvocacy {
            action,
            kind,
            on,
            details,
            review_on,
        } => {
            check_on("/on", on, state, today)?;
            start_advocacy(state, action, kind, on, details, review_on)
        }
        C::ConcludeAdvocacy {
            action,
            outcome,
            on,
            details,
        } => {
            check_on("/on", on, state, today)?;
            let Some(a) = state.advocacy.iter().find(|a| a.id == action) else {
                return Err(refused(
                    "no-such-action",
                    "That advocacy action is not recorded",
                ));
            };
            if a.outcome.is_some() {
                return Err(refused(
                    "action-concluded",
                    "That advocacy action already has its outcome",
                ));
            }
            Ok(vec![E::AdvocacyConcluded {
                action,
                outcome,
                on,
                details,
            }])
        }
        C::RecordReconsiderationRequest {
            decision,
            action,
            on,
            details,
            review_on,
        } => {
            check_on("/on", on, state, today)?;
            if state.worker.is_none() {
                return Err(refused(
                    "not-allocated",
                    "Only the child's allocated guardian asks for a reconsideration on their behalf",
                ));
            }
            let mut events = start_advocacy(
                state,
                action,
                AdvocacyKind::NrmDecision,
                on,
                details,
                review_on,
            )?;
            events.push(E::ReconsiderationRequested {
                decision,
                on,
                action,
            });
            Ok(events)
        }
        C::ReviewAge { turns_18_on } => {
            if state.turned_18_on.is_some() {
                // Post-18 support has run its course: the episode closes on its own (once:
                // a closed episode is refused above, and the sweep skips closed episodes).
                if status == GuardianStatus::Post18
                    && let Some(until) = state.post_18_until
                    && today >= until
                {
                    let on = state.last_dated_on.map_or(until, |last| last.max(until));
                    return Ok(vec![E::Closed {
                        on: on.min(today),
                        reason: ClosureReason::Post18SupportEnded,
                        missing_person_reference: None,
                        details: None,
                    }]);
                }
                return Ok(Vec::new());
            }
            if today >= turns_18_on {
                let area = state.area.as_deref().and_then(|a| rules.area(a));
                let post_18 = area
                    .filter(|a| a.post_18_worker(today))
                    .and(rules.post_18_support_days(today));
                let mut events = Vec::new();
                if state.turning_18_flagged_on.is_none() {
                    events.push(E::TurningEighteenFlagged {
                        on: today,
                        notice_days: rules.turning_18_notice_days(today).value,
                    });
                }
                events.push(E::TurnedEighteen {
                    on: today,
                    post_18_until: post_18.map(|d| add_days(today, d.value)),
                });
                events.push(E::ConsentToSupportOffered { on: today });
                return Ok(events);
            }
            let notice = rules.turning_18_notice_days(today).value;
            let flag_from = turns_18_on
                .checked_sub_days(Days::new(u64::from(notice)))
                .unwrap_or(turns_18_on);
            if today >= flag_from && state.turning_18_flagged_on.is_none() {
                return Ok(vec![E::TurningEighteenFlagged {
                    on: today,
                    notice_days: notice,
                }]);
            }
            Ok(Vec::new())
        }
        C::AnswerConsentToSupport { on, consents } => {
            check_on("/on", on, state, today)?;
            if state.consent_offered_on.is_none() {
                return Err(refused(
                    "consent-not-offered",
                    "The consent-to-support question is asked once the young person turns 18",
                ));
            }
            if state.consents_to_support.is_some() {
                return Err(refused(
                    "consent-answered",
                    "The consent-to-support question has been answered",
                ));
            }
            let mut events = vec![E::ConsentToSupportAnswered { on, consents }];
            if status == GuardianStatus::Turned18 {
                events.push(E::Closed {
                    on,
                    reason: ClosureReason::TurnedEighteen,
                    missing_person_reference: None,
                    details: None,
                });
            }
            Ok(events)
        }
        C::Close {
            on,
            reason,
            missing_person_reference,
            details,
        } => {
            check_on("/on", on, state, today)?;
            match reason {
                ClosureReason::LostContact if missing_person_reference.is_none() => {
                    return Err(DomainError::Invalid(vec![FieldProblem::new(
                        "/missing_person_reference",
                        "Enter the missing-person reference the police gave",
                    )]));
                }
                ClosureReason::TurnedEighteen if state.turned_18_on.is_none() => {
                    return Err(refused("not-yet-18", "The child has not turned 18"));
                }
                ClosureReason::Post18SupportEnded if status != GuardianStatus::Post18 => {
                    return Err(refused(
                        "no-post-18-support",
                        "There is no post-18 support to end",
                    ));
                }
                _ => {}
            }
            Ok(vec![E::Closed {
                on,
                reason,
                missing_person_reference: if reason == ClosureReason::LostContact {
                    missing_person_reference
                } else {
                    None
                },
                details,
            }])
        }
    }
}

fn start_advocacy(
    state: &GuardianState,
    action: Uuid,
    kind: AdvocacyKind,
    on: NaiveDate,
    details: VaultRecordId,
    review_on: NaiveDate,
) -> Result<Vec<GuardianEvent>, DomainError> {
    if state.advocacy.iter().any(|a| a.id == action) {
        return Err(refused(
            "duplicate-action",
            "That advocacy action is recorded",
        ));
    }
    if review_on < on {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            "/review_on",
            "The follow-up date must be on or after the day the action started",
        )]));
    }
    Ok(vec![GuardianEvent::AdvocacyStarted {
        action,
        kind,
        on,
        details,
        review_on,
    }])
}
