//! The rule corrections of issue #10, one table per rule: each row names its source and is
//! checked on dates either side of the change (or of the boundary day it is about). Every table
//! failed on the code before the correction.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::case::CaseStatus;
use nrm_domain::command::{Command, Decision, LifecycleCommand, ReviewPanel, Submit, decide};
use nrm_domain::error::DomainError;
use nrm_domain::event::{
    CaseEvent, CompetentAuthority, DecisionRef, DisqualificationGround, NegativeReason, Outcome,
    ReviewOutcome, ReviewedDecision, Reviewer, WithdrawalReason,
};
use nrm_domain::exploitation::ExploitationPeriod;
use nrm_domain::fixtures::{adult_referral, child_referral};
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::rules::{ReviewKind, Rulebook};
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
    person_at(i, 0)
}

/// Person `i` of organisation `org` (0: the competent authority or the pilot local authority
/// that decides; 1: the Single Competent Authority's quality assurance team).
fn person_at(i: u128, org: u128) -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(100 + i)),
        organisation: OrganisationId(Uuid::from_u128(200 + org)),
    }
}

/// Caseworker A makes the decisions; B is a second caseworker; Q assures pilot decisions for
/// the SCA.
fn a() -> Actor {
    person(0)
}

fn b() -> Actor {
    person(1)
}

fn q() -> Actor {
    person_at(2, 1)
}

const REASONS: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(5));

#[derive(Clone)]
struct Case {
    state: CaseState,
}

impl Case {
    fn submitted(child: bool, on: NaiveDate) -> Self {
        Self::submitted_in(child, None, on)
    }

    /// A referral made on `on`; a child's in `area` (a pilot site's code routes it there).
    fn submitted_in(child: bool, area: Option<&str>, on: NaiveDate) -> Self {
        let period = ExploitationPeriod {
            started_on: Some(on - days(30)),
            ended_on: None,
            ongoing: true,
        };
        let submission = if child {
            let mut r = child_referral();
            r.victim.date_of_birth = Some(on - days(15 * 365));
            r.local_authority_area = area.map(str::to_owned);
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
                nations: Default::default(),
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

    fn referral(&self) -> &nrm_domain::case::Referral {
        match &self.state {
            CaseState::Referral(r) => r,
            other => panic!("not a referral: {other:?}"),
        }
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

// ---------------------------------------------------------------------------------------------
// Items 2 and 3: every negative decision reviewed before service, never by its maker; a pilot
// panel's by SCA quality assurance, never by an assurance panel
// ---------------------------------------------------------------------------------------------

fn review(decision: ReviewedDecision, outcome: ReviewOutcome, on: NaiveDate) -> Command {
    life(LifecycleCommand::ReviewNegativeDecision {
        decision,
        outcome,
        panel: None,
        reviewer_agency: "Single Competent Authority".to_owned(),
        reviewed_on: on,
        reasons: REASONS,
    })
}

fn panel_review(decision: ReviewedDecision, on: NaiveDate) -> Command {
    let member = |i: u128, agency: &str| Reviewer {
        user: person(i).user,
        agency: agency.to_owned(),
    };
    life(LifecycleCommand::ReviewNegativeDecision {
        decision,
        outcome: ReviewOutcome::Agree,
        panel: Some(ReviewPanel {
            chair: member(3, "police"),
            members: vec![member(4, "local authority"), member(5, "ngo")],
        }),
        reviewer_agency: String::new(),
        reviewed_on: on,
        reasons: REASONS,
    })
}

fn serve(decision: DecisionRef, on: NaiveDate) -> Command {
    life(LifecycleCommand::ServeDecision {
        decision,
        served_on: on,
        legal_representative: false,
    })
}

/// The review recorded on the case's decision of this kind.
fn recorded(case: &Case, which: ReviewedDecision) -> Option<ReviewKind> {
    let r = case.referral();
    match which {
        ReviewedDecision::ReasonableGrounds => r.reasonable_grounds.and_then(|d| d.review_required),
        ReviewedDecision::ConclusiveGrounds => r.conclusive_grounds.and_then(|d| d.review_required),
        ReviewedDecision::Disqualification => r.disqualification.and_then(|d| d.review_required),
    }
}

/// A case with a negative decision of `which` made by A on `on`: a child's in the Hull pilot
/// area when `pilot`, else an adult's decided by the SCA.
fn negative(which: ReviewedDecision, pilot: bool, on: NaiveDate) -> Case {
    let area = pilot.then_some("hull");
    let rules = Rulebook::current();
    match which {
        ReviewedDecision::ReasonableGrounds => {
            let referred = on - days(2);
            let mut case = Case::submitted_in(pilot, area, referred);
            case.must(a(), &rg(Outcome::Negative, on), on);
            case
        }
        ReviewedDecision::ConclusiveGrounds => {
            // The RG far enough back for the minimum recovery period, whichever applies.
            let rg_on = on - days(50);
            let mut case = Case::submitted_in(pilot, area, rg_on - days(2));
            case.must(a(), &rg(Outcome::Positive, rg_on), rg_on);
            assert!(rules.conclusive_grounds_earliest(rg_on) <= on);
            case.must(a(), &cg(Outcome::Negative, on), on);
            case
        }
        ReviewedDecision::Disqualification => {
            let rg_on = on - days(3);
            let mut case = Case::submitted_in(pilot, area, rg_on - days(2));
            case.must(a(), &rg(Outcome::Positive, rg_on), rg_on);
            case.must(
                a(),
                &life(LifecycleCommand::Disqualify {
                    ground: DisqualificationGround::PublicOrder,
                    decided_on: on,
                    reasons: REASONS,
                }),
                on,
            );
            case
        }
    }
}

struct ReviewRow {
    source: &'static str,
    which: ReviewedDecision,
    pilot: bool,
    decided_on: NaiveDate,
    /// The review the rulebook requires for it.
    required: ReviewKind,
}

fn review_rows() -> Vec<ReviewRow> {
    use ReviewKind::{MultiAgencyAssurancePanel, ScaQualityAssurance, SecondCaseworker};
    use ReviewedDecision::{ConclusiveGrounds, Disqualification, ReasonableGrounds};
    let last_panel_day = date(2022, 11, 30);
    let second_caseworker_from = date(2022, 12, 1);
    vec![
        ReviewRow {
            source: "before the second-caseworker model (December 2022) no negative RG was reviewed before service",
            which: ReasonableGrounds,
            pilot: false,
            decided_on: last_panel_day,
            required: ReviewKind::None,
        },
        ReviewRow {
            source: "second-caseworker model from December 2022: every negative RG is reviewed",
            which: ReasonableGrounds,
            pilot: false,
            decided_on: second_caseworker_from,
            required: SecondCaseworker,
        },
        ReviewRow {
            source: "MAAP process guidance 2019: the SCA's negative CGs go to an assurance panel until December 2022",
            which: ConclusiveGrounds,
            pilot: false,
            decided_on: last_panel_day,
            required: MultiAgencyAssurancePanel,
        },
        ReviewRow {
            source: "second-caseworker model from December 2022: every negative CG is reviewed",
            which: ConclusiveGrounds,
            pilot: false,
            decided_on: second_caseworker_from,
            required: SecondCaseworker,
        },
        ReviewRow {
            source: "s63 NABA 2022 in force 30 January 2023: every disqualification is reviewed by a second caseworker",
            which: Disqualification,
            pilot: false,
            decided_on: date(2023, 1, 30),
            required: SecondCaseworker,
        },
        ReviewRow {
            source: "pilot guidance: a pilot panel's negative CG is quality-assured by the SCA, never an assurance panel, even while MAAPs sat",
            which: ConclusiveGrounds,
            pilot: true,
            decided_on: last_panel_day,
            required: ScaQualityAssurance,
        },
        ReviewRow {
            source: "pilot guidance: a pilot panel's negative CG after December 2022 is still assured by the SCA",
            which: ConclusiveGrounds,
            pilot: true,
            decided_on: second_caseworker_from,
            required: ScaQualityAssurance,
        },
        ReviewRow {
            source: "pilot guidance: a pilot panel's negative RG is quality-assured by the SCA before December 2022",
            which: ReasonableGrounds,
            pilot: true,
            decided_on: last_panel_day,
            required: ScaQualityAssurance,
        },
        ReviewRow {
            source: "pilot guidance: a pilot panel's negative RG is quality-assured by the SCA after December 2022",
            which: ReasonableGrounds,
            pilot: true,
            decided_on: second_caseworker_from,
            required: ScaQualityAssurance,
        },
    ]
}

#[test]
fn each_negative_decision_records_the_review_its_date_and_maker_require() {
    for row in review_rows() {
        let case = negative(row.which, row.pilot, row.decided_on);
        assert_eq!(
            case.referral().competent_authority == CompetentAuthority::LocalAuthorityPanel,
            row.pilot,
            "{}: routed as expected",
            row.source
        );
        assert_eq!(
            recorded(&case, row.which),
            Some(row.required),
            "{} ({:?} on {})",
            row.source,
            row.which,
            row.decided_on
        );
        let rules = Rulebook::current();
        let authority = case.referral().competent_authority;
        let entry = rules.negative_decision_review(row.which, authority, row.decided_on);
        assert_eq!(entry.value, row.required, "{}", row.source);
        assert!(!entry.source.is_empty());
    }
}

#[test]
fn a_decision_awaiting_its_review_is_not_served_and_its_maker_cannot_review_it() {
    for row in review_rows() {
        let on = row.decided_on;
        let decision = match row.which {
            ReviewedDecision::ReasonableGrounds => Some(DecisionRef::ReasonableGrounds),
            ReviewedDecision::ConclusiveGrounds => Some(DecisionRef::ConclusiveGrounds),
            // A disqualification has no service step of its own here: its review is recorded.
            ReviewedDecision::Disqualification => None,
        };
        let mut case = negative(row.which, row.pilot, on);
        let reviewer = if row.pilot { q() } else { b() };
        match row.required {
            ReviewKind::None => {
                let got = outcome_of(&case.attempt(
                    b(),
                    &review(row.which, ReviewOutcome::Agree, on),
                    on,
                ));
                assert_eq!(got, Expect::Refused("no-review-required"), "{}", row.source);
                if let Some(d) = decision {
                    case.must(a(), &serve(d, on), on);
                }
                continue;
            }
            ReviewKind::MultiAgencyAssurancePanel => {
                let d = decision.unwrap_or(DecisionRef::ConclusiveGrounds);
                let got = outcome_of(&case.attempt(a(), &serve(d, on), on));
                assert_eq!(
                    got,
                    Expect::Refused("review-before-service"),
                    "{}",
                    row.source
                );
                case.must(a(), &panel_review(row.which, on), on);
                case.must(a(), &serve(d, on), on);
                continue;
            }
            ReviewKind::SecondCaseworker | ReviewKind::ScaQualityAssurance => {}
        }
        if let Some(d) = decision {
            let result = case.attempt(a(), &serve(d, on), on);
            assert_eq!(
                outcome_of(&result),
                Expect::Refused("review-before-service"),
                "{}",
                row.source
            );
        }
        // Never by its maker.
        let got = outcome_of(&case.attempt(a(), &review(row.which, ReviewOutcome::Agree, on), on));
        assert_eq!(
            got,
            Expect::Refused("reviewer-is-decision-maker"),
            "{}",
            row.source
        );
        // Never by a panel.
        let got = outcome_of(&case.attempt(a(), &panel_review(row.which, on), on));
        let code = if row.pilot {
            "sca-quality-assurance-required"
        } else {
            "second-caseworker-required"
        };
        assert_eq!(got, Expect::Refused(code), "{}", row.source);
        if row.pilot {
            // Not by the local authority that decided, even someone else there.
            let colleague = person(7);
            let got = outcome_of(&case.attempt(
                colleague,
                &review(row.which, ReviewOutcome::Agree, on),
                on,
            ));
            assert_eq!(
                got,
                Expect::Refused("reviewer-from-deciding-authority"),
                "{}",
                row.source
            );
        }
        let events = case.must(reviewer, &review(row.which, ReviewOutcome::Agree, on), on);
        let kind = match events.as_slice() {
            [CaseEvent::NegativeReasonableGroundsReviewed { kind, .. }]
            | [CaseEvent::NegativeConclusiveGroundsReviewed { kind, .. }]
            | [CaseEvent::DisqualificationReviewed { kind, .. }] => *kind,
            other => panic!("{}: review recorded as {other:?}", row.source),
        };
        assert_eq!(kind, row.required, "{}", row.source);
        assert_eq!(case.referral().awaiting_review(), None, "{}", row.source);
        if let Some(d) = decision {
            case.must(a(), &serve(d, on + days(1)), on + days(1));
        }
    }
}

#[test]
fn a_negative_rg_or_a_disqualification_referred_back_by_its_review_is_set_aside() {
    let on = date(2024, 3, 1);
    let mut case = negative(ReviewedDecision::ReasonableGrounds, false, on);
    assert_eq!(
        case.referral().awaiting_review(),
        Some(ReviewedDecision::ReasonableGrounds)
    );
    case.must(
        b(),
        &review(
            ReviewedDecision::ReasonableGrounds,
            ReviewOutcome::ReferBack,
            on,
        ),
        on,
    );
    assert_eq!(
        case.state.status(),
        Some(CaseStatus::AwaitingReasonableGrounds)
    );
    // A fresh RG can be made.
    case.must(a(), &rg(Outcome::Positive, on + days(1)), on + days(1));

    let mut case = negative(ReviewedDecision::Disqualification, false, on);
    assert!(case.referral().disqualified.is_some());
    case.must(
        b(),
        &review(
            ReviewedDecision::Disqualification,
            ReviewOutcome::ReferBack,
            on,
        ),
        on,
    );
    assert!(case.referral().disqualified.is_none());
    assert_eq!(case.referral().awaiting_review(), None);
    // The protection of the recovery period stands again: it can be extended.
    let rg_on = on - days(3);
    case.must(a(), &extend(rg_on + days(40)), on + days(1));
}

#[test]
fn new_events_round_trip_through_json_and_old_ones_still_read() {
    let on = date(2024, 3, 1);
    let mut case = negative(ReviewedDecision::ReasonableGrounds, false, on);
    let events = case.must(
        b(),
        &review(
            ReviewedDecision::ReasonableGrounds,
            ReviewOutcome::Agree,
            on,
        ),
        on,
    );
    for event in &events {
        let json = serde_json::to_string(event).unwrap_or_default();
        let back: CaseEvent = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(&back, event);
        assert!(json.contains(event.kind()), "{json}");
    }
    // A disqualification stored before the review rule has no `review`: it needs none.
    let old = serde_json::json!({
        "type": "disqualified",
        "data": {
            "ground": "public_order",
            "decided_on": "2023-02-01",
            "decided_by": { "user": Uuid::nil(), "organisation": Uuid::nil() },
            "reasons": Uuid::nil(),
            "rule": "s63"
        }
    });
    let event: CaseEvent = serde_json::from_value(old).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        event,
        CaseEvent::Disqualified { review: None, .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Item 10: rulebook entries corrected
// ---------------------------------------------------------------------------------------------

#[test]
fn move_on_support_follows_the_2019_changes() {
    use nrm_domain::rules::SupportPeriod;
    let rules = Rulebook::current();
    // (source, date, days after a positive CG, a minimum?, after a negative decision, RNA?)
    let rows = [
        (
            "before 2019: 14 days after a positive CG, 48 hours after a negative decision",
            date(2019, 4, 28),
            14,
            false,
            SupportPeriod::Hours(48),
            false,
        ),
        (
            "from 2019: 45 days after a positive CG, 9 working days after a negative one",
            date(2019, 4, 29),
            45,
            false,
            SupportPeriod::WorkingDays(9),
            false,
        ),
        (
            "still no Recovery Needs Assessment at the end of August 2019",
            date(2019, 8, 31),
            45,
            false,
            SupportPeriod::WorkingDays(9),
            false,
        ),
        (
            "from September 2019: at least 45 days, and a Recovery Needs Assessment",
            date(2019, 9, 1),
            45,
            true,
            SupportPeriod::WorkingDays(9),
            true,
        ),
    ];
    for (source, on, days, minimum, negative, assessment) in rows {
        let entry = rules.move_on_support(on);
        let v = entry.value;
        assert_eq!(
            (
                v.after_positive_conclusive_grounds_days,
                v.after_positive_is_minimum,
                v.after_negative_decision,
                v.recovery_needs_assessment
            ),
            (days, minimum, negative, assessment),
            "{source} ({on})"
        );
        // The day of each change is not published.
        assert_eq!(
            entry.certainty,
            nrm_domain::rules::Certainty::Uncertain,
            "{source}"
        );
    }
}

#[test]
fn a_positive_cg_notice_states_the_move_on_support_of_its_date() {
    // (source, CG date, words the notice must use, words it must not)
    let rows = [
        (
            "before 2019: a fixed 14 days",
            date(2018, 6, 1),
            "for 14 days.",
            "at least",
        ),
        (
            "from September 2019: at least 45 days and a Recovery Needs Assessment",
            date(2020, 6, 1),
            "for at least 45 days. A Recovery Needs Assessment",
            "14 days",
        ),
    ];
    for (source, cg_on, says, never) in rows {
        let rg_on = cg_on - days(60);
        let mut case = Case::submitted(false, rg_on - days(2));
        case.must(a(), &rg(Outcome::Positive, rg_on), rg_on);
        case.must(a(), &cg(Outcome::Positive, cg_on), cg_on);
        case.must(a(), &serve(DecisionRef::ConclusiveGrounds, cg_on), cg_on);
        let recipients = case
            .referral()
            .notified
            .get(&DecisionRef::ConclusiveGrounds)
            .cloned()
            .unwrap_or_default();
        let notices = nrm_domain::notice::notices(
            case.referral(),
            DecisionRef::ConclusiveGrounds,
            Outcome::Positive,
            cg_on,
            cg_on,
            &recipients,
            &Rulebook::current(),
        );
        assert!(!notices.is_empty(), "{source}");
        for n in notices {
            assert!(n.body.contains(says), "{source}: {}", n.body);
            assert!(!n.body.contains(never), "{source}: {}", n.body);
        }
    }
}

#[test]
fn the_uk_border_agency_was_a_first_responder_until_ukvi_replaced_it_in_april_2013() {
    use nrm_domain::geography::UkNation;
    let rules = Rulebook::current();
    let designated = |code: &str, on| {
        rules
            .first_responder_organisations(UkNation::England, on)
            .any(|o| o.code == code)
    };
    // (source, code, date, designated?)
    let rows = [
        (
            "UK Border Agency until 31 March 2013",
            "uk-border-agency",
            date(2013, 3, 31),
            true,
        ),
        (
            "UK Border Agency abolished 1 April 2013",
            "uk-border-agency",
            date(2013, 4, 1),
            false,
        ),
        (
            "UK Visas and Immigration from 1 April 2013",
            "ukvi",
            date(2013, 4, 1),
            true,
        ),
        (
            "no UK Visas and Immigration before April 2013",
            "ukvi",
            date(2013, 3, 31),
            false,
        ),
    ];
    for (source, code, on, expected) in rows {
        assert_eq!(designated(code, on), expected, "{source}");
    }
    let before_sca = rules.authorities(date(2012, 1, 1));
    assert!(
        before_sca.source.contains("UK Border Agency"),
        "{}",
        before_sca.source
    );
}

#[test]
fn the_nrm_covered_trafficking_only_until_31_july_2015() {
    let rules = Rulebook::current();
    // (source, RG date, the wording covers modern slavery?)
    let rows = [
        ("ECAT, 2009: trafficking only", date(2015, 7, 30), false),
        (
            "Modern Slavery Act 2015 from 31 July 2015",
            date(2015, 7, 31),
            true,
        ),
    ];
    for (source, on, modern_slavery) in rows {
        let wording = &rules.reasonable_grounds_threshold(on).value;
        assert!(wording.contains("human trafficking"), "{source}: {wording}");
        assert_eq!(
            wording.contains("modern slavery"),
            modern_slavery,
            "{source}: {wording}"
        );
    }
    // An RG records the wording of its own date.
    let mut case = Case::submitted(false, date(2014, 3, 1));
    let events = case.must(
        a(),
        &rg(Outcome::Positive, date(2014, 3, 3)),
        date(2014, 3, 3),
    );
    let threshold = events.iter().find_map(|e| match e {
        CaseEvent::ReasonableGroundsDecided(g) => g.threshold.clone(),
        _ => None,
    });
    assert!(
        threshold.is_some_and(|t| t.contains("human trafficking") && !t.contains("modern slavery"))
    );
}

#[test]
fn changes_whose_day_is_not_published_are_marked_uncertain() {
    use nrm_domain::rules::Certainty::{Uncertain, Verified};
    let rules = Rulebook::current();
    let data = rules.data();
    let entry_on = |list: &[nrm_domain::rules::Dated<ReviewKind>], on| {
        list.iter().find(|e| e.from == on).map(|e| e.certainty)
    };
    // (source, certainty found, expected)
    let rows = [
        (
            "MAAP start, April/May 2019",
            entry_on(&data.negative_conclusive_grounds_review, date(2019, 4, 29)),
            Some(Uncertain),
        ),
        (
            "MAAP end, December 2022",
            entry_on(&data.negative_conclusive_grounds_review, date(2022, 12, 1)),
            Some(Uncertain),
        ),
        (
            "pilot start, June 2021",
            data.competent_authorities
                .iter()
                .find(|e| e.from == date(2021, 6, 1))
                .map(|e| e.certainty),
            Some(Uncertain),
        ),
        (
            "pilot sites from June 2021",
            rules
                .pilot_site("hull", date(2021, 6, 1))
                .map(|s| s.certainty),
            Some(Uncertain),
        ),
        (
            "threshold revised July 2023",
            Some(
                rules
                    .reasonable_grounds_threshold(date(2023, 8, 1))
                    .certainty,
            ),
            Some(Uncertain),
        ),
        (
            "threshold of 30 January 2023 (NABA commencement, day published)",
            Some(
                rules
                    .reasonable_grounds_threshold(date(2023, 3, 1))
                    .certainty,
            ),
            Some(Verified),
        ),
        (
            "SCA launch, 29 April 2019 (day published)",
            data.competent_authorities
                .iter()
                .find(|e| e.from == date(2019, 4, 29))
                .map(|e| e.certainty),
            Some(Verified),
        ),
    ];
    for (source, found, expected) in rows {
        assert_eq!(found, expected, "{source}");
    }
}
