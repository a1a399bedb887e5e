//! The rule corrections of issue #10, one table per rule: each row names its source and is
//! checked on dates either side of the change (or of the boundary day it is about). Every table
//! failed on the code before the correction.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::command::{Command, Decision, LifecycleCommand, Submit, decide};
use nrm_domain::error::DomainError;
use nrm_domain::event::{
    CaseEvent, CompetentAuthority, DecisionRef, NegativeReason, Outcome, RerouteReason,
    WithdrawalReason,
};
use nrm_domain::exploitation::ExploitationPeriod;
use nrm_domain::fixtures::{adult_referral, child_referral};
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::rules::Rulebook;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseState};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn person(i: u128) -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(100 + i)),
        organisation: OrganisationId(Uuid::from_u128(200)),
    }
}

/// Caseworker A makes the decisions; B is a second caseworker.
fn a() -> Actor {
    person(0)
}

fn b() -> Actor {
    person(1)
}

const REASONS: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(5));

#[derive(Clone)]
struct Case {
    state: CaseState,
}

impl Case {
    fn submitted(child: bool, on: NaiveDate) -> Self {
        let period = ExploitationPeriod {
            started_on: Some(on - days(30)),
            ended_on: None,
            ongoing: true,
        };
        let submission = if child {
            let mut r = child_referral();
            r.victim.date_of_birth = Some(on - days(15 * 365));
            r.exploitation.period = period;
            Submission::Child(r)
        } else {
            let mut r = adult_referral();
            r.consent.referral_consent_given_on = on;
            r.exploitation.period = period;
            Submission::Adult(r)
        };
        let mut case = Self {
            state: CaseState::Empty,
        };
        case.must(
            a(),
            &Command::Submit(Box::new(Submit {
                submission,
                reference_random: 0x0bad_cafe,
                subject: SubjectId::from_uuid(Uuid::from_u128(3)),
                personal_details: VaultRecordId::from_uuid(Uuid::from_u128(4)),
            })),
            on,
        );
        case
    }

    fn try_as(
        &mut self,
        who: Actor,
        command: &Command,
        today: NaiveDate,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let events = decide(&self.state, command, who, &Rulebook::current(), noon(today))?;
        for e in &events {
            self.state = self.state.clone().evolve(e);
        }
        Ok(events)
    }

    fn must(&mut self, who: Actor, command: &Command, today: NaiveDate) -> Vec<CaseEvent> {
        self.try_as(who, command, today)
            .unwrap_or_else(|e| panic!("expected {command:?} on {today} to be accepted: {e}"))
    }

    /// Runs `command` on a copy: the case itself is unchanged.
    fn attempt(&self, who: Actor, command: &Command, today: NaiveDate) -> Result<(), DomainError> {
        self.clone().try_as(who, command, today).map(|_| ())
    }
}

fn grounds(outcome: Outcome, on: NaiveDate) -> Decision {
    Decision {
        outcome,
        decided_on: on,
        reasons: REASONS,
        negative_reason: (outcome == Outcome::Negative)
            .then_some(NegativeReason::InsufficientEvidence),
    }
}

fn rg(outcome: Outcome, on: NaiveDate) -> Command {
    Command::DecideReasonableGrounds(grounds(outcome, on))
}

fn cg(outcome: Outcome, on: NaiveDate) -> Command {
    Command::DecideConclusiveGrounds(grounds(outcome, on))
}

fn life(c: LifecycleCommand) -> Command {
    Command::Lifecycle(c)
}

fn extend(until: NaiveDate) -> Command {
    life(LifecycleCommand::ExtendRecoveryPeriod { until })
}

fn withdraw(on: NaiveDate, reason: WithdrawalReason) -> Command {
    life(LifecycleCommand::Withdraw { on, reason })
}

/// Accepted, or refused with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accepted,
    Refused(&'static str),
}

fn outcome_of(result: &Result<(), DomainError>) -> Expect {
    match result {
        Ok(()) => Expect::Accepted,
        Err(e) => Expect::Refused(e.code()),
    }
}

// ---------------------------------------------------------------------------------------------
// Item 4: the recovery period, its day count and its extensions
// ---------------------------------------------------------------------------------------------

struct RecoveryRow {
    source: &'static str,
    rg_on: NaiveDate,
    /// An extension granted the day after the RG, to this day.
    extended_to: Option<NaiveDate>,
    cg_on: NaiveDate,
    expect: Expect,
}

#[test]
fn a_conclusive_grounds_decision_waits_for_the_minimum_and_for_any_extension() {
    use Expect::{Accepted, Refused};
    let minimum = "conclusive-grounds-inside-recovery-period";
    let extension = "conclusive-grounds-inside-extended-recovery-period";
    let post_naba = date(2023, 3, 1);
    let pre_naba = date(2023, 1, 20);
    let rows = [
        RecoveryRow {
            source: "s61 NABA 2022: 30 days beginning with the RG day end on RG + 29",
            rg_on: post_naba,
            extended_to: None,
            cg_on: post_naba + days(29),
            expect: Refused(minimum),
        },
        RecoveryRow {
            source: "s61 NABA 2022: the first day after the 30 days is RG + 30",
            rg_on: post_naba,
            extended_to: None,
            cg_on: post_naba + days(30),
            expect: Accepted,
        },
        RecoveryRow {
            source: "45-day policy before 30 January 2023: RG + 44 is inside",
            rg_on: pre_naba,
            extended_to: None,
            cg_on: pre_naba + days(44),
            expect: Refused(minimum),
        },
        RecoveryRow {
            source: "45-day policy before 30 January 2023: RG + 45 is the first day",
            rg_on: pre_naba,
            extended_to: None,
            cg_on: pre_naba + days(45),
            expect: Accepted,
        },
        RecoveryRow {
            source: "extension to 15 April 2023: its last day is inside the recovery period",
            rg_on: post_naba,
            extended_to: Some(date(2023, 4, 15)),
            cg_on: date(2023, 4, 15),
            expect: Refused(extension),
        },
        RecoveryRow {
            source: "extension to 15 April 2023: past the minimum but inside the extension",
            rg_on: post_naba,
            extended_to: Some(date(2023, 4, 15)),
            cg_on: post_naba + days(30),
            expect: Refused(extension),
        },
        RecoveryRow {
            source: "extension to 15 April 2023: the CG may be made the day after it",
            rg_on: post_naba,
            extended_to: Some(date(2023, 4, 15)),
            cg_on: date(2023, 4, 16),
            expect: Accepted,
        },
        RecoveryRow {
            source: "a one-day extension to RG + 30 moves the first CG day to RG + 31",
            rg_on: post_naba,
            extended_to: Some(post_naba + days(30)),
            cg_on: post_naba + days(30),
            expect: Refused(extension),
        },
        RecoveryRow {
            source: "a one-day extension to RG + 30: the CG on RG + 31",
            rg_on: post_naba,
            extended_to: Some(post_naba + days(30)),
            cg_on: post_naba + days(31),
            expect: Accepted,
        },
        RecoveryRow {
            source: "45-day policy, extension to RG + 60: RG + 50 is inside it",
            rg_on: pre_naba,
            extended_to: Some(pre_naba + days(60)),
            cg_on: pre_naba + days(50),
            expect: Refused(extension),
        },
    ];
    for row in rows {
        let mut case = Case::submitted(false, row.rg_on - days(2));
        case.must(a(), &rg(Outcome::Positive, row.rg_on), row.rg_on);
        if let Some(until) = row.extended_to {
            case.must(a(), &extend(until), row.rg_on + days(1));
        }
        let got = outcome_of(&case.attempt(a(), &cg(Outcome::Negative, row.cg_on), row.cg_on));
        assert_eq!(got, row.expect, "{} (CG on {})", row.source, row.cg_on);
    }
}

#[test]
fn an_extension_must_end_after_the_last_day_of_the_recovery_period() {
    use Expect::{Accepted, Refused};
    let rg_on = date(2023, 3, 1);
    // (source, until, expected)
    let rows = [
        (
            "s61: the minimum's last day is RG + 29, so extending to it extends nothing",
            rg_on + days(29),
            Refused("invalid-input"),
        ),
        (
            "s61: extending to RG + 30 adds one day",
            rg_on + days(30),
            Accepted,
        ),
    ];
    for (source, until, expect) in rows {
        let mut case = Case::submitted(false, rg_on - days(2));
        case.must(a(), &rg(Outcome::Positive, rg_on), rg_on);
        let got = outcome_of(&case.attempt(a(), &extend(until), rg_on + days(1)));
        assert_eq!(got, expect, "{source} (until {until})");
    }
    let rules = Rulebook::current();
    assert_eq!(
        rules.recovery_period_minimum_last_day(rg_on),
        rg_on + days(29)
    );
    assert_eq!(rules.conclusive_grounds_earliest(rg_on), rg_on + days(30));
}

#[test]
fn the_rulebook_says_which_day_count_it_took_for_the_minimum_recovery_period() {
    let rules = Rulebook::current();
    let entry = rules.recovery_period_minimum(date(2023, 3, 1));
    assert_eq!(entry.value, 30);
    assert!(entry.source.contains("RG + 30"), "{}", entry.source);
    assert!(entry.source.contains("beginning with"), "{}", entry.source);
}

// ---------------------------------------------------------------------------------------------
// Item 5: children do not consent to the NRM, so cannot withdraw consent
// ---------------------------------------------------------------------------------------------

#[test]
fn a_childs_case_is_never_withdrawn_for_consent_withdrawn() {
    use Expect::{Accepted, Refused};
    let on = date(2024, 5, 1);
    // (source, child?, reason, expected)
    let rows = [
        (
            "children are referred without consent (statutory guidance; domain brief 2.1)",
            true,
            WithdrawalReason::ConsentWithdrawn,
            Refused("child-consent-not-required"),
        ),
        (
            "a child's case referred in error can still be withdrawn",
            true,
            WithdrawalReason::ReferredInError,
            Accepted,
        ),
        (
            "a child's case can be withdrawn for another reason",
            true,
            WithdrawalReason::Other,
            Accepted,
        ),
        (
            "an adult consents to the referral and may withdraw that consent",
            false,
            WithdrawalReason::ConsentWithdrawn,
            Accepted,
        ),
    ];
    for (source, child, reason, expect) in rows {
        let case = Case::submitted(child, on);
        let result = case.attempt(a(), &withdraw(on + days(3), reason), on + days(3));
        assert_eq!(outcome_of(&result), expect, "{source}");
        if let Err(e) = result {
            let message = e.to_string();
            assert!(
                message.contains("child") && message.contains("consent"),
                "{message}"
            );
        }
    }
}
