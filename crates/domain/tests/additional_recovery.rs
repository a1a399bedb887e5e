//! NABA 2022 s62 applied to the case (issue 14 item 2): a positive RG for a person who had a
//! recovery period on an earlier referral opens the question of another, which the competent
//! authority decides; until it has, no CG. Each table row is checked either side of the rule's
//! commencement (30 January 2023, `rulebook/persons.json`).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::command::{Command, Decision, LifecycleCommand, Submit, decide};
use nrm_domain::error::DomainError;
use nrm_domain::event::{CaseEvent, DecisionRef, NegativeReason, Outcome};
use nrm_domain::exploitation::ExploitationPeriod;
use nrm_domain::fixtures::adult_referral;
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::person::recovery::AdditionalRecoveryCommand;
use nrm_domain::person::rules::EarlierPositiveRg;
use nrm_domain::rules::{Requester, Rulebook};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseState};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn caseworker() -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(100)),
        organisation: OrganisationId(Uuid::from_u128(200)),
    }
}

const REASONS: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(5));

struct Case(CaseState);

impl Case {
    fn referred(on: NaiveDate) -> Self {
        let mut r = adult_referral();
        r.consent.referral_consent_given_on = on;
        r.exploitation.period = ExploitationPeriod {
            started_on: Some(on - Duration::days(30)),
            ended_on: None,
            ongoing: true,
        };
        let mut case = Self(CaseState::Empty);
        case.must(
            &Command::Submit(Box::new(Submit {
                submission: Submission::Adult(r),
                reference_random: 0x0bad_cafe,
                subject: SubjectId::from_uuid(Uuid::from_u128(3)),
                personal_details: VaultRecordId::from_uuid(Uuid::from_u128(4)),
                nations: Default::default(),
            })),
            on,
        );
        case
    }

    fn attempt(
        &mut self,
        command: &Command,
        today: NaiveDate,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        self.attempt_as(caseworker(), command, today)
    }

    fn attempt_as(
        &mut self,
        who: Actor,
        command: &Command,
        today: NaiveDate,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let events = decide(&self.0, command, who, &Rulebook::current(), noon(today))?;
        for e in &events {
            self.0 = self.0.clone().evolve(e);
        }
        Ok(events)
    }

    fn must(&mut self, command: &Command, today: NaiveDate) -> Vec<CaseEvent> {
        self.attempt(command, today)
            .unwrap_or_else(|e| panic!("expected {command:?} on {today} to be accepted: {e}"))
    }

    fn refused(&mut self, command: &Command, today: NaiveDate) -> String {
        match self.attempt(command, today) {
            Ok(events) => panic!("expected {command:?} to be refused, got {events:?}"),
            Err(e) => e.code().to_owned(),
        }
    }
}

fn decision(outcome: Outcome, on: NaiveDate) -> Decision {
    Decision {
        outcome,
        decided_on: on,
        reasons: REASONS,
        negative_reason: (outcome == Outcome::Negative)
            .then_some(NegativeReason::InsufficientEvidence),
    }
}

/// An RG as the service asks for it for a person with earlier positive RGs.
fn rg_again(outcome: Outcome, on: NaiveDate, earlier: &[(&str, NaiveDate)]) -> Command {
    Command::AdditionalRecovery(AdditionalRecoveryCommand::DecideReasonableGrounds {
        decision: decision(outcome, on),
        earlier: earlier
            .iter()
            .map(|(reference, decided_on)| EarlierPositiveRg {
                reference: (*reference).to_owned(),
                decided_on: *decided_on,
            })
            .collect(),
    })
}

fn additional(appropriate: bool, on: NaiveDate) -> Command {
    Command::AdditionalRecovery(AdditionalRecoveryCommand::Decide {
        appropriate,
        decided_on: on,
        reasons: REASONS,
    })
}

fn cg(on: NaiveDate) -> Command {
    Command::DecideConclusiveGrounds(decision(Outcome::Positive, on))
}

fn started(events: &[CaseEvent]) -> Option<(NaiveDate, NaiveDate)> {
    events.iter().find_map(|e| match e {
        CaseEvent::RecoveryPeriodStarted(p) => Some((p.starts_on, p.minimum_ends_on)),
        _ => None,
    })
}

fn questioned(events: &[CaseEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, CaseEvent::AdditionalRecoveryPeriodQuestioned(_)))
}

#[test]
fn a_positive_rg_opens_the_question_only_under_s62_and_only_after_an_earlier_recovery_period() {
    struct Row {
        why: &'static str,
        rg_on: NaiveDate,
        earlier: Vec<(&'static str, NaiveDate)>,
        outcome: Outcome,
        questioned: bool,
    }
    let before = date(2022, 5, 1);
    let rows = [
        Row {
            why: "s62 in force on the RG's date, earlier positive RG",
            rg_on: date(2023, 1, 30),
            earlier: vec![("NRM-EARLIER", before)],
            outcome: Outcome::Positive,
            questioned: true,
        },
        Row {
            why: "the day before s62: every positive RG started a recovery period",
            rg_on: date(2023, 1, 29),
            earlier: vec![("NRM-EARLIER", before)],
            outcome: Outcome::Positive,
            questioned: false,
        },
        Row {
            why: "no earlier positive RG",
            rg_on: date(2024, 3, 1),
            earlier: vec![],
            outcome: Outcome::Positive,
            questioned: false,
        },
        Row {
            why: "the other referral's positive RG came after this one's date",
            rg_on: date(2024, 3, 1),
            earlier: vec![("NRM-LATER", date(2024, 3, 2))],
            outcome: Outcome::Positive,
            questioned: false,
        },
        Row {
            why: "a negative RG opens nothing",
            rg_on: date(2024, 3, 1),
            earlier: vec![("NRM-EARLIER", before)],
            outcome: Outcome::Negative,
            questioned: false,
        },
    ];
    for row in rows {
        let mut case = Case::referred(row.rg_on - Duration::days(3));
        let events = case.must(&rg_again(row.outcome, row.rg_on, &row.earlier), row.rg_on);
        assert_eq!(questioned(&events), row.questioned, "{}", row.why);
        let recovery = started(&events);
        assert_eq!(
            recovery.is_some(),
            row.outcome == Outcome::Positive && !row.questioned,
            "{}: a recovery period starts exactly when the RG is positive and s62 does not hold it",
            row.why
        );
    }
}

#[test]
fn the_cg_waits_for_the_decision_then_for_a_granted_recovery_period() {
    let rg_on = date(2024, 3, 1);
    let mut case = Case::referred(rg_on - Duration::days(2));
    case.must(
        &rg_again(
            Outcome::Positive,
            rg_on,
            &[("NRM-EARLIER", date(2021, 6, 1))],
        ),
        rg_on,
    );
    // No CG while the question is open, however long after the RG.
    assert_eq!(
        case.refused(&cg(rg_on + Duration::days(90)), rg_on + Duration::days(90)),
        "conclusive-grounds-before-additional-recovery-decision"
    );
    // Appropriate, decided ten days after the RG: the 30-day minimum runs from that day.
    let granted_on = rg_on + Duration::days(10);
    let events = case.must(&additional(true, granted_on), granted_on);
    assert_eq!(
        started(&events),
        Some((granted_on, granted_on + Duration::days(30)))
    );
    let inside = granted_on + Duration::days(29);
    assert_eq!(
        case.refused(&cg(inside), inside),
        "conclusive-grounds-inside-recovery-period"
    );
    let after = granted_on + Duration::days(30);
    case.must(&cg(after), after);
    // Decided once only.
    assert_eq!(
        case.refused(&additional(false, after), after),
        "additional-recovery-already-decided"
    );
}

#[test]
fn not_appropriate_means_no_recovery_period_and_no_wait() {
    let rg_on = date(2024, 3, 1);
    let mut case = Case::referred(rg_on - Duration::days(2));
    case.must(
        &rg_again(
            Outcome::Positive,
            rg_on,
            &[("NRM-EARLIER", date(2021, 6, 1))],
        ),
        rg_on,
    );
    let on = rg_on + Duration::days(2);
    let events = case.must(&additional(false, on), on);
    assert_eq!(started(&events), None);
    assert_eq!(
        case.refused(&additional(true, on), on),
        "additional-recovery-already-decided"
    );
    // A CG the same day: nothing to wait out.
    case.must(&cg(on), on);
}

#[test]
fn the_decision_is_refused_without_the_question_in_the_future_or_before_the_last_step() {
    let rg_on = date(2024, 3, 1);
    // A person with no earlier recovery period: there is nothing to decide.
    let mut plain = Case::referred(rg_on - Duration::days(2));
    plain.must(
        &Command::DecideReasonableGrounds(decision(Outcome::Positive, rg_on)),
        rg_on,
    );
    assert_eq!(
        plain.refused(&additional(true, rg_on), rg_on),
        "no-additional-recovery-question"
    );

    let mut case = Case::referred(rg_on - Duration::days(2));
    case.must(
        &rg_again(
            Outcome::Positive,
            rg_on,
            &[("NRM-EARLIER", date(2021, 6, 1))],
        ),
        rg_on,
    );
    assert_eq!(
        case.refused(&additional(true, rg_on + Duration::days(1)), rg_on),
        "additional-recovery-in-future"
    );
    assert_eq!(
        case.refused(&additional(true, rg_on - Duration::days(1)), rg_on),
        "additional-recovery-before-last-step"
    );
}

#[test]
fn a_set_aside_rg_takes_the_question_with_it() {
    let rg_on = date(2024, 3, 1);
    let mut case = Case::referred(rg_on - Duration::days(2));
    case.must(
        &rg_again(
            Outcome::Negative,
            rg_on,
            &[("NRM-EARLIER", date(2021, 6, 1))],
        ),
        rg_on,
    );
    // The negative RG is reviewed, served, and reconsideration accepted: the case is back
    // before its RG, and a new positive RG opens the question afresh.
    let reviewed = rg_on + Duration::days(1);
    let second = Actor {
        user: UserId(Uuid::from_u128(101)),
        organisation: caseworker().organisation,
    };
    case.attempt_as(
        second,
        &Command::Lifecycle(LifecycleCommand::ReviewNegativeDecision {
            decision: nrm_domain::event::ReviewedDecision::ReasonableGrounds,
            outcome: nrm_domain::event::ReviewOutcome::Agree,
            panel: None,
            reviewer_agency: String::new(),
            reviewed_on: reviewed,
            reasons: REASONS,
        }),
        reviewed,
    )
    .unwrap_or_else(|e| panic!("the second caseworker's review: {e}"));
    case.must(
        &Command::Lifecycle(LifecycleCommand::ServeDecision {
            decision: DecisionRef::ReasonableGrounds,
            served_on: reviewed,
            legal_representative: false,
        }),
        reviewed,
    );
    let asked = reviewed + Duration::days(3);
    case.must(
        &Command::Lifecycle(LifecycleCommand::RequestReconsideration {
            decision: DecisionRef::ReasonableGrounds,
            requested_on: asked,
            requested_by: Requester::FirstResponder,
            facing_removal: false,
        }),
        asked,
    );
    case.must(
        &Command::Lifecycle(LifecycleCommand::DecideReconsideration {
            accepted: true,
            decided_on: asked,
            reasons: REASONS,
        }),
        asked,
    );
    let again = asked + Duration::days(1);
    let events = case.must(
        &rg_again(
            Outcome::Positive,
            again,
            &[("NRM-EARLIER", date(2021, 6, 1))],
        ),
        again,
    );
    assert!(questioned(&events));
}
