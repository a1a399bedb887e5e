//! The decision lifecycle under dated rules, as caseworkers would describe it, through the
//! service on SQLite and PostgreSQL. Each rulebook change has at least one scenario here.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseCapability, CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::case::CaseStatus;
use nrm_domain::command::ReviewPanel;
use nrm_domain::event::{
    ClosureReason, CompetentAuthority, DecisionRef, DisqualificationGround, InformationSource,
    NegativeReason, Outcome, RerouteReason, ReviewOutcome, ReviewedDecision, Reviewer,
    SuspensionReason, WithdrawalReason,
};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::rules::Requester;
use nrm_domain::submission::{ImmigrationEnforcementCohort, Submission};
use nrm_domain::{Actor, DomainError, Rulebook};
use nrm_service::{Action, Cases, DecisionInput, DecisionKind, ServiceError};
use nrm_store::testing;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn person(n: u128) -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(n)),
        organisation: OrganisationId(Uuid::from_u128(1000)),
    }
}

/// The principal the policy sees for person `n`: the responder at a First Responder
/// Organisation; panel members (10+) on an assurance panel; everyone else an SCA manager and
/// decision maker.
fn principal(n: u128, authority: CompetentAuthority) -> Principal {
    let (organisation_kind, roles) = match n {
        RESPONDER => (
            OrganisationKind::FirstResponderOrganisation,
            vec![Role::FirstResponder],
        ),
        10..=19 => (OrganisationKind::AssurancePanel, vec![Role::PanelMember]),
        _ => (
            OrganisationKind::CompetentAuthority { authority },
            vec![Role::CaManager, Role::DecisionMaker],
        ),
    };
    Principal {
        actor: person(n),
        organisation_kind,
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn list_cap(who: u128, authority: CompetentAuthority) -> nrm_access::Capability {
    nrm_access::authorise(&principal(who, authority), Operation::ListCases)
        .unwrap_or_else(|_| panic!("may list"))
}

/// Asks the access policy for `who` to do `operation` to `case`, as a handler would.
async fn capability(
    cases: &Cases,
    who: u128,
    case: CaseId,
    operation: CaseOperation,
    on: NaiveDate,
) -> Result<CaseCapability, ServiceError> {
    let facts = cases
        .case_facts(case, on)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let authority = facts.competent_authority.unwrap_or(CompetentAuthority::Sca);
    nrm_access::authorise_case(&principal(who, authority), operation, &facts)
        .map_err(|_| ServiceError::NotFound)
}

const RESPONDER: u128 = 1;
const DECISION_MAKER: u128 = 2;
const SECOND_CASEWORKER: u128 = 3;

/// A different person for every referral a test makes (the same one referred again would
/// bring NABA 2022 s62 into tests that are not about it).
fn next_person() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn adult_on(on: NaiveDate) -> Submission {
    let mut r = fixtures::adult_referral();
    fixtures::someone_else(&mut r.victim, next_person());
    r.consent.referral_consent_given_on = on;
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    Submission::Adult(r)
}

fn child_on(on: NaiveDate, area: Option<&str>) -> Submission {
    let mut r = fixtures::child_referral();
    fixtures::someone_else(&mut r.victim, next_person());
    r.victim.date_of_birth = Some(on - Duration::days(14 * 365));
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    r.local_authority_area = area.map(str::to_owned);
    Submission::Child(r)
}

fn decision(outcome: Outcome, on: NaiveDate) -> DecisionInput {
    DecisionInput {
        outcome,
        decided_on: on,
        reasons: "Reasons given in full.".to_owned(),
        negative_reason: (outcome == Outcome::Negative)
            .then_some(NegativeReason::InsufficientEvidence),
    }
}

struct Scenario {
    cases: Cases,
    case: CaseId,
}

impl Scenario {
    async fn rg(&self, outcome: Outcome, on: NaiveDate) -> Result<u64, ServiceError> {
        let cap = capability(
            &self.cases,
            DECISION_MAKER,
            self.case,
            CaseOperation::Decide,
            on,
        )
        .await?;
        self.cases
            .decide(
                &cap,
                None,
                DecisionKind::ReasonableGrounds,
                decision(outcome, on),
                noon(on),
            )
            .await
    }

    async fn cg(&self, outcome: Outcome, on: NaiveDate) -> Result<u64, ServiceError> {
        let cap = capability(
            &self.cases,
            DECISION_MAKER,
            self.case,
            CaseOperation::Decide,
            on,
        )
        .await?;
        self.cases
            .decide(
                &cap,
                None,
                DecisionKind::ConclusiveGrounds,
                decision(outcome, on),
                noon(on),
            )
            .await
    }

    async fn act(&self, who: u128, action: Action, on: NaiveDate) -> Result<u64, ServiceError> {
        let cap = capability(&self.cases, who, self.case, action.operation(), on).await?;
        self.cases.act(&cap, None, action, noon(on)).await
    }

    async fn serve(&self, which: DecisionRef, on: NaiveDate) -> Result<u64, ServiceError> {
        self.act(
            DECISION_MAKER,
            Action::Serve {
                decision: which,
                served_on: on,
                legal_representative: false,
            },
            on,
        )
        .await
    }

    async fn summary(&self, on: NaiveDate) -> nrm_store::CaseSummary {
        self.view(on).await.summary
    }

    /// The case as a decision maker reads it on `on` (through the service, audited).
    async fn view(&self, on: NaiveDate) -> nrm_service::CaseView {
        let read = capability(
            &self.cases,
            DECISION_MAKER,
            self.case,
            CaseOperation::Read,
            on,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        self.cases
            .view(&read, None, None, noon(on))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

async fn start(cases: &Cases, submission: Submission, on: NaiveDate) -> Scenario {
    let operation = match submission {
        Submission::DutyToNotify(_) => Operation::SubmitDutyToNotify,
        _ => Operation::SubmitReferral,
    };
    let cap = nrm_access::authorise(&principal(RESPONDER, CompetentAuthority::Sca), operation)
        .unwrap_or_else(|_| panic!("the responder may submit"));
    let submitted = cases
        .submit(&cap, submission, noon(on))
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"));
    Scenario {
        cases: cases.clone(),
        case: submitted.case_id,
    }
}

fn refused_code(result: Result<u64, ServiceError>) -> String {
    match result {
        Err(ServiceError::Domain(DomainError::Refused { code, .. })) => code.to_owned(),
        Err(ServiceError::Domain(e)) => e.code().to_owned(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn refusal_message(result: Result<u64, ServiceError>) -> String {
    match result {
        Err(ServiceError::Domain(e)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Runs `scenario` on a fresh store on each backend.
async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Cases) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        scenario(Cases::new(store.store.clone(), Rulebook::current())).await;
        store.cleanup().await;
    }
}

// Intake writes a page of every index keyed by a case id; with time-ordered ids it is the
// last page of each, not a random one (issue 16: intake against the commit ceiling).
#[tokio::test]
async fn a_new_case_gets_a_time_ordered_id_after_the_cases_before_it() {
    on_each_backend(|cases| async move {
        let first = start(&cases, adult_on(date(2026, 3, 2)), date(2026, 3, 2)).await;
        let second = start(&cases, adult_on(date(2026, 3, 2)), date(2026, 3, 2)).await;
        assert_eq!(first.case.0.get_version_num(), 7);
        assert_eq!(second.case.0.get_version_num(), 7);
        assert!(first.case < second.case);
    })
    .await;
}

#[tokio::test]
async fn recovery_period_45_days_for_an_rg_before_30_january_2023_and_30_after() {
    on_each_backend(|cases| async move {
        // Adult referred 10 January 2023, positive RG on 20 January: the 45-day rule applies.
        let s = start(&cases, adult_on(date(2023, 1, 10)), date(2023, 1, 10)).await;
        s.rg(Outcome::Positive, date(2023, 1, 20))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.summary(date(2023, 1, 20))
                .await
                .conclusive_grounds_earliest_on,
            Some(date(2023, 3, 6))
        );
        let early = s.cg(Outcome::Positive, date(2023, 3, 5)).await;
        assert!(refusal_message(early).contains("45 days"));
        s.cg(Outcome::Positive, date(2023, 3, 6))
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // An RG on 30 January 2023 gets the 30-day minimum: CG from 1 March.
        let s = start(&cases, adult_on(date(2023, 1, 25)), date(2023, 1, 25)).await;
        s.rg(Outcome::Positive, date(2023, 1, 30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            refused_code(s.cg(Outcome::Positive, date(2023, 2, 28)).await),
            "conclusive-grounds-inside-recovery-period"
        );
        s.cg(Outcome::Positive, date(2023, 3, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    })
    .await;
}

#[tokio::test]
async fn each_rg_records_the_threshold_worded_as_on_its_date() {
    on_each_backend(|cases| async move {
        for (rg_on, words) in [
            (date(2022, 6, 1), "may be a victim"),
            (date(2023, 3, 1), "based on objective factors"),
            (
                date(2023, 7, 24),
                "all available general and specific evidence",
            ),
        ] {
            let s = start(
                &cases,
                adult_on(rg_on - Duration::days(2)),
                rg_on - Duration::days(2),
            )
            .await;
            s.rg(Outcome::Positive, rg_on)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let loaded = s.view(rg_on).await;
            let threshold = loaded.events.iter().find_map(|e| match &e.event {
                nrm_domain::CaseEvent::ReasonableGroundsDecided(d) => d.threshold.clone(),
                _ => None,
            });
            assert!(
                threshold.as_deref().is_some_and(|t| t.contains(words)),
                "{rg_on}: {threshold:?}"
            );
        }
    })
    .await;
}

fn panel(chair: u128, members: &[(u128, &str)]) -> ReviewPanel {
    ReviewPanel {
        chair: Reviewer {
            user: UserId(Uuid::from_u128(chair)),
            agency: "independent chair".to_owned(),
        },
        members: members
            .iter()
            .map(|(u, a)| Reviewer {
                user: UserId(Uuid::from_u128(*u)),
                agency: (*a).to_owned(),
            })
            .collect(),
    }
}

fn review(outcome: ReviewOutcome, panel: Option<ReviewPanel>, on: NaiveDate) -> Action {
    Action::ReviewNegativeConclusiveGrounds {
        outcome,
        panel,
        reviewer_agency: "Single Competent Authority".to_owned(),
        reviewed_on: on,
        reasons: "Reviewed the decision and the evidence.".to_owned(),
    }
}

/// A second caseworker's review of a negative RG or a disqualification.
fn review_of(decision: ReviewedDecision, outcome: ReviewOutcome, on: NaiveDate) -> Action {
    Action::ReviewNegativeDecision {
        decision,
        outcome,
        panel: None,
        reviewer_agency: "Single Competent Authority".to_owned(),
        reviewed_on: on,
        reasons: "Reviewed the decision and the evidence.".to_owned(),
    }
}

#[tokio::test]
async fn a_negative_cg_in_november_2022_goes_to_an_assurance_panel_before_it_is_served() {
    on_each_backend(|cases| async move {
        let s = start(&cases, adult_on(date(2022, 6, 1)), date(2022, 6, 1)).await;
        s.rg(Outcome::Positive, date(2022, 6, 8))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.cg(Outcome::Negative, date(2022, 11, 15))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2022, 11, 15)).await.review_pending);
        // It cannot be served yet, and a second-caseworker review is not the rule of that date.
        assert_eq!(
            refused_code(
                s.serve(DecisionRef::ConclusiveGrounds, date(2022, 11, 16))
                    .await
            ),
            "review-before-service"
        );
        assert_eq!(
            refused_code(
                s.act(
                    SECOND_CASEWORKER,
                    review(ReviewOutcome::Agree, None, date(2022, 11, 20)),
                    date(2022, 11, 20)
                )
                .await
            ),
            "panel-required"
        );
        // A panel with the decision maker on it, or with members from one agency, is refused.
        let with_decider = panel(10, &[(DECISION_MAKER, "police"), (12, "local authority")]);
        assert_eq!(
            refused_code(
                s.act(
                    10,
                    review(ReviewOutcome::Agree, Some(with_decider), date(2022, 11, 20)),
                    date(2022, 11, 20)
                )
                .await
            ),
            "reviewer-is-decision-maker"
        );
        let one_agency = panel(10, &[(11, "police"), (12, "police")]);
        assert_eq!(
            refused_code(
                s.act(
                    10,
                    review(ReviewOutcome::Agree, Some(one_agency), date(2022, 11, 20)),
                    date(2022, 11, 20)
                )
                .await
            ),
            "invalid-input"
        );
        // A chair and two members from different agencies agree; then it can be served.
        let good = panel(10, &[(11, "police"), (12, "local authority")]);
        s.act(
            10,
            review(ReviewOutcome::Agree, Some(good), date(2022, 11, 20)),
            date(2022, 11, 20),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ConclusiveGrounds, date(2022, 11, 21))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let summary = s.summary(date(2022, 11, 21)).await;
        assert!(!summary.review_pending);
        assert_eq!(
            summary.conclusive_grounds_served_on,
            Some(date(2022, 11, 21))
        );
    })
    .await;
}

// Security target #7
#[tokio::test]
async fn from_december_2022_a_second_caseworker_reviews_and_never_the_decision_maker() {
    on_each_backend(|cases| async move {
        let s = start(&cases, adult_on(date(2022, 11, 1)), date(2022, 11, 1)).await;
        s.rg(Outcome::Positive, date(2022, 11, 7))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.cg(Outcome::Negative, date(2023, 1, 10))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let by_panel = panel(10, &[(11, "police"), (12, "local authority")]);
        assert_eq!(
            refused_code(
                s.act(
                    10,
                    review(ReviewOutcome::Agree, Some(by_panel), date(2023, 1, 11)),
                    date(2023, 1, 11)
                )
                .await
            ),
            "second-caseworker-required"
        );
        let own = s
            .act(
                DECISION_MAKER,
                review(ReviewOutcome::Agree, None, date(2023, 1, 11)),
                date(2023, 1, 11),
            )
            .await;
        assert_eq!(refused_code(own), "reviewer-is-decision-maker");
        // Referred back: the case awaits a fresh CG decision.
        s.act(
            SECOND_CASEWORKER,
            review(ReviewOutcome::ReferBack, None, date(2023, 1, 12)),
            date(2023, 1, 12),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.summary(date(2023, 1, 12)).await.status,
            CaseStatus::AwaitingConclusiveGrounds
        );
        s.cg(Outcome::Negative, date(2023, 2, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.act(
            SECOND_CASEWORKER,
            review(ReviewOutcome::Agree, None, date(2023, 2, 2)),
            date(2023, 2, 2),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ConclusiveGrounds, date(2023, 2, 3))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    })
    .await;
}

#[tokio::test]
async fn reconsideration_within_30_days_of_service_from_february_2024() {
    on_each_backend(|cases| async move {
        let request =
            |on: NaiveDate, by: Requester, facing_removal: bool| Action::RequestReconsideration {
                decision: DecisionRef::ReasonableGrounds,
                requested_on: on,
                requested_by: by,
                facing_removal,
            };
        // A negative RG served on 1 March 2024: a request on 1 April (31 days) is too late.
        let s = start(&cases, adult_on(date(2024, 2, 26)), date(2024, 2, 26)).await;
        s.rg(Outcome::Negative, date(2024, 2, 29))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            refused_code(
                s.act(
                    RESPONDER,
                    request(date(2024, 3, 1), Requester::FirstResponder, false),
                    date(2024, 3, 1)
                )
                .await
            ),
            "reconsider-after-service"
        );
        s.act(
            SECOND_CASEWORKER,
            review_of(
                ReviewedDecision::ReasonableGrounds,
                ReviewOutcome::Agree,
                date(2024, 2, 29),
            ),
            date(2024, 2, 29),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ReasonableGrounds, date(2024, 3, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let late = s
            .act(
                RESPONDER,
                request(date(2024, 4, 1), Requester::FirstResponder, false),
                date(2024, 4, 1),
            )
            .await;
        let message = refusal_message(late);
        assert!(
            message.contains("2024-03-31") && message.contains("30 calendar days"),
            "{message}"
        );
        // On 31 March it is in time; accepted, the case awaits a new RG, due afresh.
        s.act(
            RESPONDER,
            request(date(2024, 3, 31), Requester::PotentialVictim, false),
            date(2024, 3, 31),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2024, 3, 31)).await.reconsideration_pending);
        s.act(
            DECISION_MAKER,
            Action::DecideReconsideration {
                accepted: true,
                decided_on: date(2024, 4, 8),
                reasons: "New evidence.".to_owned(),
            },
            date(2024, 4, 8),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let summary = s.summary(date(2024, 4, 8)).await;
        assert_eq!(summary.status, CaseStatus::AwaitingReasonableGrounds);
        assert_eq!(summary.reasonable_grounds_due_on, Some(date(2024, 4, 15)));
        s.rg(Outcome::Positive, date(2024, 4, 10))
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // Before February 2024 a potential victim could not ask directly (only through the FR).
        let s = start(&cases, adult_on(date(2023, 9, 1)), date(2023, 9, 1)).await;
        s.rg(Outcome::Negative, date(2023, 9, 4))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.act(
            SECOND_CASEWORKER,
            review_of(
                ReviewedDecision::ReasonableGrounds,
                ReviewOutcome::Agree,
                date(2023, 9, 4),
            ),
            date(2023, 9, 4),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ReasonableGrounds, date(2023, 9, 5))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            refused_code(
                s.act(
                    RESPONDER,
                    request(date(2023, 9, 20), Requester::PotentialVictim, false),
                    date(2023, 9, 20)
                )
                .await
            ),
            "requester-not-allowed"
        );
        // ...and there was no 30-day window: a request months later is accepted.
        s.act(
            RESPONDER,
            request(date(2024, 1, 15), Requester::FirstResponder, false),
            date(2024, 1, 15),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

        // From 17 September 2025 a person facing removal cannot ask.
        let s = start(&cases, adult_on(date(2025, 9, 15)), date(2025, 9, 15)).await;
        s.rg(Outcome::Negative, date(2025, 9, 16))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.act(
            SECOND_CASEWORKER,
            review_of(
                ReviewedDecision::ReasonableGrounds,
                ReviewOutcome::Agree,
                date(2025, 9, 16),
            ),
            date(2025, 9, 16),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ReasonableGrounds, date(2025, 9, 16))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            refused_code(
                s.act(
                    RESPONDER,
                    request(date(2025, 9, 18), Requester::FirstResponder, true),
                    date(2025, 9, 18)
                )
                .await
            ),
            "reconsideration-excluded"
        );
        s.act(
            RESPONDER,
            request(date(2025, 9, 18), Requester::FirstResponder, false),
            date(2025, 9, 18),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    })
    .await;
}

// Issue #10 item 2, through the service and the read model on each backend.
#[tokio::test]
async fn from_december_2022_a_negative_rg_and_a_disqualification_are_reviewed_before_service() {
    on_each_backend(|cases| async move {
        // 30 November 2022: no review; served at once.
        let s = start(&cases, adult_on(date(2022, 11, 28)), date(2022, 11, 28)).await;
        s.rg(Outcome::Negative, date(2022, 11, 30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.summary(date(2022, 11, 30)).await.review_pending);
        s.serve(DecisionRef::ReasonableGrounds, date(2022, 11, 30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // 1 December 2022: pending review; not served before it; never by its maker.
        let s = start(&cases, adult_on(date(2022, 11, 28)), date(2022, 11, 28)).await;
        s.rg(Outcome::Negative, date(2022, 12, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2022, 12, 1)).await.review_pending);
        assert_eq!(
            refused_code(
                s.serve(DecisionRef::ReasonableGrounds, date(2022, 12, 1))
                    .await
            ),
            "review-before-service"
        );
        let rg_review = |outcome| {
            review_of(
                ReviewedDecision::ReasonableGrounds,
                outcome,
                date(2022, 12, 2),
            )
        };
        assert_eq!(
            refused_code(
                s.act(
                    DECISION_MAKER,
                    rg_review(ReviewOutcome::Agree),
                    date(2022, 12, 2)
                )
                .await
            ),
            "reviewer-is-decision-maker"
        );
        // Referred back: the case awaits its RG again, its deadline open again.
        s.act(
            SECOND_CASEWORKER,
            rg_review(ReviewOutcome::ReferBack),
            date(2022, 12, 2),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let summary = s.summary(date(2022, 12, 2)).await;
        assert_eq!(summary.status, CaseStatus::AwaitingReasonableGrounds);
        assert!(!summary.review_pending);
        s.rg(Outcome::Negative, date(2022, 12, 5))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2022, 12, 5)).await.review_pending);
        s.act(
            SECOND_CASEWORKER,
            review_of(
                ReviewedDecision::ReasonableGrounds,
                ReviewOutcome::Agree,
                date(2022, 12, 5),
            ),
            date(2022, 12, 5),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.summary(date(2022, 12, 5)).await.review_pending);
        s.serve(DecisionRef::ReasonableGrounds, date(2022, 12, 6))
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // A disqualification awaits its review; referred back, it is set aside.
        let s = start(&cases, adult_on(date(2023, 2, 1)), date(2023, 2, 1)).await;
        s.rg(Outcome::Positive, date(2023, 2, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.act(
            DECISION_MAKER,
            Action::Disqualify {
                ground: DisqualificationGround::PublicOrder,
                decided_on: date(2023, 2, 3),
                reasons: "Conviction for a Schedule 4 offence.".to_owned(),
            },
            date(2023, 2, 3),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let summary = s.summary(date(2023, 2, 3)).await;
        assert!(summary.disqualified && summary.review_pending);
        s.act(
            SECOND_CASEWORKER,
            review_of(
                ReviewedDecision::Disqualification,
                ReviewOutcome::ReferBack,
                date(2023, 2, 4),
            ),
            date(2023, 2, 4),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let summary = s.summary(date(2023, 2, 4)).await;
        assert!(!summary.disqualified && !summary.review_pending);
    })
    .await;
}

#[tokio::test]
async fn disqualification_only_after_a_positive_rg_and_from_30_january_2023() {
    on_each_backend(|cases| async move {
        let disqualify = |on: NaiveDate| Action::Disqualify {
            ground: DisqualificationGround::PublicOrder,
            decided_on: on,
            reasons: "Conviction for a Schedule 4 offence.".to_owned(),
        };
        let s = start(&cases, adult_on(date(2023, 1, 3)), date(2023, 1, 3)).await;
        assert_eq!(
            refused_code(
                s.act(
                    DECISION_MAKER,
                    disqualify(date(2023, 1, 4)),
                    date(2023, 1, 4)
                )
                .await
            ),
            "disqualification-needs-positive-rg"
        );
        s.rg(Outcome::Positive, date(2023, 1, 9))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let early = s
            .act(
                DECISION_MAKER,
                disqualify(date(2023, 1, 20)),
                date(2023, 1, 20),
            )
            .await;
        assert!(refusal_message(early).contains("Nationality and Borders Act 2022"));
        s.act(
            DECISION_MAKER,
            disqualify(date(2023, 2, 1)),
            date(2023, 2, 1),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2023, 2, 1)).await.disqualified);
        assert_eq!(
            refused_code(
                s.act(
                    DECISION_MAKER,
                    disqualify(date(2023, 2, 2)),
                    date(2023, 2, 2)
                )
                .await
            ),
            "already-disqualified"
        );
    })
    .await;
}

#[tokio::test]
async fn notices_for_a_child_go_to_the_local_authority_never_the_child() {
    on_each_backend(|cases| async move {
        let s = start(&cases, child_on(date(2025, 5, 1), None), date(2025, 5, 1)).await;
        s.rg(Outcome::Positive, date(2025, 5, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ReasonableGrounds, date(2025, 5, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = s.view(date(2025, 5, 2)).await;
        let served = loaded.events.iter().find_map(|e| match &e.event {
            nrm_domain::CaseEvent::DecisionServed { recipients, .. } => Some(recipients.clone()),
            _ => None,
        });
        use nrm_domain::event::Recipient;
        assert_eq!(
            served,
            Some(vec![Recipient::LocalAuthority, Recipient::FirstResponder])
        );
        // An adult who consented to support: the person, the First Responder and the provider.
        let s = start(&cases, adult_on(date(2025, 5, 1)), date(2025, 5, 1)).await;
        s.rg(Outcome::Positive, date(2025, 5, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.serve(DecisionRef::ReasonableGrounds, date(2025, 5, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = s.view(date(2025, 5, 2)).await;
        let served = loaded.events.iter().find_map(|e| match &e.event {
            nrm_domain::CaseEvent::DecisionServed { recipients, .. } => Some(recipients.clone()),
            _ => None,
        });
        assert_eq!(
            served,
            Some(vec![
                Recipient::PotentialVictim,
                Recipient::FirstResponder,
                Recipient::SupportProvider
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn withdrawn_suspended_and_closed_cases_refuse_decisions_and_record_nothing() {
    on_each_backend(|cases| async move {
        let s = start(&cases, adult_on(date(2025, 3, 3)), date(2025, 3, 3)).await;
        s.act(
            DECISION_MAKER,
            Action::Suspend {
                on: date(2025, 3, 4),
                reason: SuspensionReason::MissingPerson,
            },
            date(2025, 3, 4),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.summary(date(2025, 3, 4)).await.suspended);
        let before = s.view(date(2025, 3, 4)).await.version;
        let message = refusal_message(s.rg(Outcome::Positive, date(2025, 3, 5)).await);
        assert!(
            message.contains("suspended since 2025-03-04") && message.contains("missing"),
            "{message}"
        );
        assert_eq!(s.view(date(2025, 3, 5)).await.version, before);
        s.act(
            DECISION_MAKER,
            Action::Resume {
                on: date(2025, 3, 10),
            },
            date(2025, 3, 10),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        s.act(
            DECISION_MAKER,
            Action::Withdraw {
                on: date(2025, 3, 11),
                reason: WithdrawalReason::ConsentWithdrawn,
            },
            date(2025, 3, 11),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let message = refusal_message(s.rg(Outcome::Positive, date(2025, 3, 12)).await);
        assert!(message.contains("withdrawn on 2025-03-11"), "{message}");
        assert_eq!(
            refused_code(
                s.act(
                    DECISION_MAKER,
                    Action::Close {
                        on: date(2025, 3, 12),
                        reason: ClosureReason::ProcessComplete
                    },
                    date(2025, 3, 12)
                )
                .await
            ),
            "cannot-close"
        );
        s.act(
            DECISION_MAKER,
            Action::Close {
                on: date(2025, 3, 12),
                reason: ClosureReason::Withdrawn,
            },
            date(2025, 3, 12),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.summary(date(2025, 3, 12)).await.status,
            CaseStatus::Closed
        );
        assert!(s.view(date(2025, 3, 12)).await.deadlines.is_empty());
    })
    .await;
}

#[tokio::test]
async fn routing_sends_pilot_children_and_ieca_cohorts_to_their_authority_and_can_change() {
    on_each_backend(|cases| async move {
        let on = date(2024, 5, 1);
        let child = start(&cases, child_on(on, Some("hull")), on).await;
        let summary = child.summary(on).await;
        assert_eq!(
            summary.competent_authority,
            Some(CompetentAuthority::LocalAuthorityPanel)
        );
        assert_eq!(summary.pilot_site.as_deref(), Some("hull"));

        let mut detained = match adult_on(on) {
            Submission::Adult(r) => r,
            _ => unreachable!("adult_on makes an adult referral"),
        };
        detained.immigration_cohort = Some(ImmigrationEnforcementCohort::ImmigrationDetention);
        let s = start(&cases, Submission::Adult(detained), on).await;
        assert_eq!(
            s.summary(on).await.competent_authority,
            Some(CompetentAuthority::Ieca)
        );

        // Detention starts for someone with the SCA: a manager moves the case.
        let s = start(&cases, adult_on(on), on).await;
        s.act(
            DECISION_MAKER,
            Action::Reroute {
                to: CompetentAuthority::Ieca,
                pilot_site: None,
                reason: RerouteReason::DetentionStarted,
            },
            on,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.summary(on).await.competent_authority,
            Some(CompetentAuthority::Ieca)
        );
        assert_eq!(
            refused_code(
                s.act(
                    DECISION_MAKER,
                    Action::Reroute {
                        to: CompetentAuthority::LocalAuthorityPanel,
                        pilot_site: Some("hull".to_owned()),
                        reason: RerouteReason::Correction
                    },
                    on
                )
                .await
            ),
            "pilot-is-for-children"
        );
        // Allocation, and the queue by decision maker.
        s.act(
            DECISION_MAKER,
            Action::Allocate {
                to: UserId(Uuid::from_u128(77)),
            },
            on,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let mut q = nrm_store::QueueQuery::new(on);
        q.allocated_to = Some(UserId(Uuid::from_u128(77)));
        assert_eq!(
            s.cases
                .queue(
                    &list_cap(DECISION_MAKER, CompetentAuthority::Ieca),
                    &principal(DECISION_MAKER, CompetentAuthority::Ieca),
                    &q,
                    noon(on)
                )
                .await
                .map(|p| p.total)
                .ok(),
            Some(1)
        );
    })
    .await;
}

#[tokio::test]
async fn the_sweep_raises_due_soon_and_overdue_once_and_keeps_deadlines_across_restarts() {
    on_each_backend(|cases| async move {
        // Referred Monday 3 Nov 2025: RG due Monday 10 Nov.
        let s = start(&cases, adult_on(date(2025, 11, 3)), date(2025, 11, 3)).await;
        s.act(
            DECISION_MAKER,
            Action::RequestInformation {
                from: InformationSource::Police,
            },
            date(2025, 11, 3),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let report = cases
            .sweep(noon(date(2025, 11, 4)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.changes, 0);
        // Thursday 6 Nov: the RG is two working days away.
        let report = cases
            .sweep(noon(date(2025, 11, 6)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.changes, 1);
        let again = cases
            .sweep(noon(date(2025, 11, 6)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.changes, 0, "the sweep is idempotent");
        // A sweep missed for days (a restart, a lost job) catches up in one go.
        let late = cases
            .sweep(noon(date(2025, 11, 20)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            late.changes, 2,
            "RG overdue and the information request overdue"
        );
        let mut q = nrm_store::QueueQuery::new(date(2025, 11, 20));
        q.deadline = Some(nrm_domain::event::DeadlineStatus::Overdue);
        assert_eq!(
            cases
                .queue(
                    &list_cap(DECISION_MAKER, CompetentAuthority::Sca),
                    &principal(DECISION_MAKER, CompetentAuthority::Sca),
                    &q,
                    noon(date(2025, 11, 20))
                )
                .await
                .map(|p| p.total)
                .ok(),
            Some(1)
        );
        // Making the decision closes its deadline; the sweep has nothing more to say about it.
        s.rg(Outcome::Positive, date(2025, 11, 20))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let deadlines = s.view(date(2025, 11, 20)).await.deadlines;
        assert_eq!(deadlines.len(), 1);
        assert!(deadlines[0].key.starts_with("information:"));
        assert_eq!(
            cases
                .sweep(noon(date(2025, 11, 21)))
                .await
                .map(|r| r.changes)
                .ok(),
            Some(0)
        );
    })
    .await;
}
