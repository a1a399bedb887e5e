//! Victim support through the service on SQLite and PostgreSQL: a referral with consent to
//! support referred to the prime contractor, allocated to a subcontractor, the case's RG
//! reaching the episode, a high concern escalated and acknowledged, what a decision maker sees,
//! accommodation and a placement, a week paid and the provider's statement, and the audit
//! entries each step wrote.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::support::{
    SupportOperation, SupportServiceOperation, authorise_support, authorise_support_service,
};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::fixtures;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::support::EpisodeId;
use nrm_domain::support::accommodation::AccommodationType;
use nrm_domain::support::event::{ConcernKind, EntryRoute, Provision, Severity};
use nrm_domain::{Actor, Rulebook};
use nrm_service::support::{ReferInput, SupportAction};
use nrm_service::{Cases, DecisionInput, DecisionKind, ServiceError, Support};
use nrm_store::identity::OrganisationRow;
use nrm_store::support::{EpisodeFilter, SupportProviderRow};
use nrm_store::testing;
use uuid::Uuid;

const CANARY: &str = "SUPPORT-SERVICE-CANARY-4471";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn principal(
    user: u128,
    organisation: OrganisationId,
    kind: OrganisationKind,
    role: Role,
) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation,
        },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

struct People {
    prime_manager: Principal,
    sub_manager: Principal,
    worker: Principal,
    other_worker: Principal,
    contract_manager: Principal,
    decision_maker: Principal,
    responder: Principal,
}

async fn cap(
    support: &Support,
    who: &Principal,
    episode: EpisodeId,
    op: SupportOperation,
    on: NaiveDate,
) -> Result<nrm_access::support::SupportCapability, ServiceError> {
    let facts = support
        .facts(episode, on)
        .await?
        .ok_or(ServiceError::NotFound)?;
    authorise_support(who, op, &facts).map_err(|_| ServiceError::NotFound)
}

async fn act(
    support: &Support,
    who: &Principal,
    episode: EpisodeId,
    action: SupportAction,
    on: NaiveDate,
) -> Result<u64, ServiceError> {
    let c = cap(support, who, episode, action.operation(), on).await?;
    support.act(&c, None, action, noon(on)).await
}

#[tokio::test]
async fn a_person_is_supported_from_referral_to_payment() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = Support::new(store.clone(), rules.clone());
        let prime = OrganisationId(Uuid::new_v4());
        let sub = OrganisationId(Uuid::new_v4());
        let other = OrganisationId(Uuid::new_v4());
        for (id, name) in [(prime, "Prime"), (sub, "Sub"), (other, "Other")] {
            store
                .create_organisation(
                    &OrganisationRow {
                        id,
                        name: name.to_owned(),
                        kind: "support_provider".to_owned(),
                        designated_from: None,
                        designated_to: None,
                    },
                    noon(date(2025, 1, 1)),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let admin = principal(
            1,
            OrganisationId(Uuid::from_u128(2)),
            OrganisationKind::Administrators,
            Role::Administrator,
        );
        let admin_cap = nrm_access::authorise(&admin, Operation::ManageOrganisations)
            .unwrap_or_else(|_| panic!("admin"));
        for (org, parent) in [(prime, None), (sub, Some(prime)), (other, Some(prime))] {
            support
                .add_provider(
                    &admin_cap,
                    SupportProviderRow {
                        organisation: org,
                        name: String::new(),
                        parent,
                        regions: vec!["london".to_owned()],
                        services: vec!["accommodation".to_owned()],
                    },
                    noon(date(2025, 1, 1)),
                )
                .await
                .unwrap_or_else(|e| panic!("provider: {e}"));
        }
        let p = People {
            prime_manager: principal(
                10,
                prime,
                OrganisationKind::SupportProvider,
                Role::SupportManager,
            ),
            sub_manager: principal(
                11,
                sub,
                OrganisationKind::SupportProvider,
                Role::SupportManager,
            ),
            worker: principal(
                12,
                sub,
                OrganisationKind::SupportProvider,
                Role::SupportProviderWorker,
            ),
            other_worker: principal(
                13,
                other,
                OrganisationKind::SupportProvider,
                Role::SupportProviderWorker,
            ),
            contract_manager: principal(
                14,
                OrganisationId(Uuid::from_u128(3)),
                OrganisationKind::ContractManagement,
                Role::ContractManager,
            ),
            decision_maker: principal(
                15,
                OrganisationId(Uuid::from_u128(4)),
                OrganisationKind::CompetentAuthority {
                    authority: CompetentAuthority::Sca,
                },
                Role::DecisionMaker,
            ),
            responder: principal(
                16,
                OrganisationId(Uuid::from_u128(1000)),
                OrganisationKind::FirstResponderOrganisation,
                Role::FirstResponder,
            ),
        };

        // The referral, with consent to support.
        let day0 = date(2025, 3, 3);
        let submit = nrm_access::authorise(&p.responder, Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("responder"));
        let case = cases
            .submit(
                &submit,
                Submission::Adult(fixtures::adult_referral()),
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("submit: {e}"))
            .case_id;

        // An adult referral with consent to support reaches the prime contractor at intake
        // (the responder's submission, audited as `support.refer`): no one refers by hand.
        let found = store
            .episodes_for_case(case)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.len(), 1, "one episode at intake");
        let referred = found[0].clone();
        assert!(referred.reference.starts_with("SUP-"));
        assert_eq!(referred.prime, prime);
        assert_eq!(referred.status, "awaiting_allocation");
        let ep = referred.episode_id;
        // A decision maker cannot refer into support; the prime's manager may, but only once
        // per person.
        assert!(
            authorise_support_service(&p.decision_maker, SupportServiceOperation::Refer).is_err()
        );
        let refer = authorise_support_service(&p.prime_manager, SupportServiceOperation::Refer)
            .unwrap_or_else(|_| panic!("refer"));
        let again = support
            .refer(
                &refer,
                ReferInput {
                    case_id: Some(case),
                    nation: UkNation::England,
                    route: EntryRoute::ConsentToSupport,
                    adult: true,
                    consent_to_support: true,
                },
                noon(day0),
            )
            .await;
        assert!(matches!(again, Err(ServiceError::Domain(_))), "{again:?}");
        // Running the intake again changes nothing (idempotent).
        assert_eq!(
            support
                .refer_on_intake(p.responder.actor, case, noon(day0))
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            None
        );
        assert_eq!(
            store
                .episodes_for_case(case)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .len(),
            1
        );

        // Only the prime's manager allocates, and only within the prime's subcontractors.
        let allocate = SupportAction::Allocate {
            provider: sub,
            worker: Some(p.worker.actor.user),
            provision: Provision::Accommodation,
        };
        assert!(matches!(
            act(&support, &p.sub_manager, ep, allocate.clone(), day0).await,
            Err(ServiceError::NotFound)
        ));
        act(&support, &p.prime_manager, ep, allocate, day0)
            .await
            .unwrap_or_else(|e| panic!("allocate: {e}"));

        // The RG reaches the episode.
        let dm_case = cases
            .case_facts(case, day0)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("facts"));
        let decide = nrm_access::authorise_case(&p.decision_maker, CaseOperation::Decide, &dm_case)
            .unwrap_or_else(|_| panic!("decide"));
        let rg_day = date(2025, 3, 7);
        cases
            .decide(
                &decide,
                None,
                DecisionKind::ReasonableGrounds,
                DecisionInput {
                    outcome: Outcome::Positive,
                    decided_on: rg_day,
                    reasons: "Reasons given in full.".to_owned(),
                    negative_reason: None,
                },
                noon(rg_day),
            )
            .await
            .unwrap_or_else(|e| panic!("rg: {e}"));
        // ... in the decision's own call: the worker has nothing left to bring across.
        let after_rg = store
            .episode_summary(ep)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("episode"));
        assert_eq!(after_rg.status, "recovery_period", "{after_rg:?}");
        let nothing_new = act(
            &support,
            &p.worker,
            ep,
            SupportAction::SyncDecisions,
            rg_day,
        )
        .await;
        assert!(matches!(nothing_new, Err(ServiceError::Domain(_))));

        // A high concern reaches the Home Office at once; a low one stays with the provider.
        act(
            &support,
            &p.worker,
            ep,
            SupportAction::RaiseConcern {
                kind: ConcernKind::ReTrafficking,
                severity: Severity::High,
                details: format!("{CANARY} high"),
                police_reference: None,
            },
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("concern: {e}"));
        act(
            &support,
            &p.worker,
            ep,
            SupportAction::RaiseConcern {
                kind: ConcernKind::SelfHarm,
                severity: Severity::Low,
                details: format!("{CANARY} low"),
                police_reference: None,
            },
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("concern: {e}"));
        let cm_list =
            authorise_support_service(&p.contract_manager, SupportServiceOperation::ListEpisodes)
                .unwrap_or_else(|_| panic!("list"));
        let queue = support
            .escalations(&cm_list, noon(rg_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].severity, "high");
        act(
            &support,
            &p.contract_manager,
            ep,
            SupportAction::AcknowledgeConcern {
                concern: queue[0].concern_id,
            },
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("ack: {e}"));
        assert!(
            support
                .escalations(&cm_list, noon(rg_day))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );

        // The decision maker sees that support exists, its status and the escalated concern
        // only; the worker sees both concerns and the record.
        let dm_status = cap(
            &support,
            &p.decision_maker,
            ep,
            SupportOperation::ReadStatus,
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            cap(
                &support,
                &p.decision_maker,
                ep,
                SupportOperation::ReadSupport,
                rg_day
            )
            .await
            .is_err()
        );
        assert!(
            cap(
                &support,
                &p.decision_maker,
                ep,
                SupportOperation::ReadSafeguarding,
                rg_day
            )
            .await
            .is_err()
        );
        let dm_escalated = cap(
            &support,
            &p.decision_maker,
            ep,
            SupportOperation::ReadEscalatedConcerns,
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let dm_view = support
            .view(&dm_status, Some(&dm_escalated), noon(rg_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dm_view.summary.status, "recovery_period");
        assert!(dm_view.state.is_none());
        assert_eq!(dm_view.concerns.len(), 1);
        assert!(
            dm_view.concerns[0]
                .details
                .as_ref()
                .is_some_and(|d| d.0.ends_with("high"))
        );
        let w_read = cap(
            &support,
            &p.worker,
            ep,
            SupportOperation::ReadSupport,
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let w_safe = cap(
            &support,
            &p.worker,
            ep,
            SupportOperation::ReadSafeguarding,
            rg_day,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let w_view = support
            .view(&w_read, Some(&w_safe), noon(rg_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w_view.concerns.len(), 2);
        assert!(w_view.state.is_some());
        // Another subcontractor's worker sees nothing.
        assert!(
            cap(
                &support,
                &p.other_worker,
                ep,
                SupportOperation::ReadStatus,
                rg_day
            )
            .await
            .is_err()
        );
        let other_list =
            authorise_support_service(&p.other_worker, SupportServiceOperation::ListEpisodes)
                .unwrap_or_else(|_| panic!("list"));
        assert!(
            support
                .list(&other_list, EpisodeFilter::Open, noon(rg_day))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        let w_list = authorise_support_service(&p.worker, SupportServiceOperation::ListEpisodes)
            .unwrap_or_else(|_| panic!("list"));
        let caseload = support
            .list(&w_list, EpisodeFilter::ConcernsOpen, noon(rg_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(caseload.len(), 1);
        assert_eq!(caseload[0].0.open_concerns, 2);

        // Accommodation, a placement, a week due and paid, the statement.
        let manage =
            authorise_support_service(&p.sub_manager, SupportServiceOperation::ManageAccommodation)
                .unwrap_or_else(|_| panic!("manage"));
        let house = support
            .add_accommodation(
                &manage,
                AccommodationType::SelfCatered,
                4,
                "london".to_owned(),
                format!("{CANARY} 2 Safe Road"),
                noon(rg_day),
            )
            .await
            .unwrap_or_else(|e| panic!("house: {e}"));
        let monday = date(2025, 3, 10);
        act(
            &support,
            &p.worker,
            ep,
            SupportAction::StartPlacement {
                accommodation: house,
                start: monday,
            },
            monday,
        )
        .await
        .unwrap_or_else(|e| panic!("placement: {e}"));
        let later = monday + Duration::days(7);
        act(
            &support,
            &p.sub_manager,
            ep,
            SupportAction::PostWeekDue { week_start: monday },
            later,
        )
        .await
        .unwrap_or_else(|e| panic!("due: {e}"));
        // A worker does not handle money.
        assert!(matches!(
            act(
                &support,
                &p.worker,
                ep,
                SupportAction::RecordPayment {
                    on: later,
                    amount_pence: 100
                },
                later
            )
            .await,
            Err(ServiceError::NotFound)
        ));
        let rate = support.rules().subsistence(monday).value.self_catered;
        act(
            &support,
            &p.sub_manager,
            ep,
            SupportAction::RecordPayment {
                on: later,
                amount_pence: u64::from(rate),
            },
            later,
        )
        .await
        .unwrap_or_else(|e| panic!("paid: {e}"));
        let statement =
            authorise_support_service(&p.sub_manager, SupportServiceOperation::ReadStatement)
                .unwrap_or_else(|_| panic!("statement"));
        let csv = support
            .statement_csv(&statement, sub, monday, later, noon(later))
            .await
            .unwrap_or_else(|e| panic!("csv: {e}"));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(lines[1].starts_with(&format!("{},2025-03-10,due,", referred.reference)));
        assert_eq!(lines[3], "total,,,0.00,");
        // Not another provider's statement.
        assert!(matches!(
            support
                .statement_csv(&statement, other, monday, later, noon(later))
                .await,
            Err(ServiceError::NotFound)
        ));

        // Every step audited; the notes' words in no event, row or audit entry.
        let entries = store
            .audit_entries(0, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for action in [
            "support.add_provider",
            "support.refer",
            "support.allocate",
            "support.sync_decisions",
            "support.raise_concern",
            "support.acknowledge_concern",
            "support.list_escalations",
            "support.read_status",
            "support.read_safeguarding",
            "support.add_accommodation",
            "support.start_placement",
            "support.post_week_due",
            "support.record_payment",
            "support.read_statement",
        ] {
            assert!(
                entries
                    .iter()
                    .any(|e| e.action == action && e.outcome == "ok"),
                "no {action} entry"
            );
        }
        assert!(!t.dump_text().await.contains(CANARY));
        t.cleanup().await;
    }
}

/// Issue 12 item 3: the episode follows the case on its own. No episode for a child, for an
/// adult without consent to support, or while no prime contractor covers the person's nation;
/// once one is registered, the next decision on the case refers the person and brings the
/// decision across in the same call (the reliable follow-up when intake could not refer); a
/// CG reaches the episode the same way; running it again changes nothing.
#[tokio::test]
async fn an_episode_follows_intake_and_decisions_on_its_own() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = Support::new(store.clone(), rules.clone());
        let responder = principal(
            16,
            OrganisationId(Uuid::from_u128(1000)),
            OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        );
        let decision_maker = principal(
            15,
            OrganisationId(Uuid::from_u128(4)),
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            Role::DecisionMaker,
        );
        let submit = nrm_access::authorise(&responder, Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("responder"));
        let day0 = date(2025, 3, 3);
        let episodes = |case| {
            let store = store.clone();
            async move {
                store
                    .episodes_for_case(case)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let submit_one = |s: Submission| {
            let cases = cases.clone();
            let submit = submit.clone();
            async move {
                cases
                    .submit(&submit, s, noon(day0))
                    .await
                    .unwrap_or_else(|e| panic!("submit: {e}"))
                    .case_id
            }
        };

        // No prime contractor registered yet: nothing to refer to.
        let early = submit_one(Submission::Adult(fixtures::adult_referral())).await;
        assert!(episodes(early).await.is_empty());

        let prime = OrganisationId(Uuid::new_v4());
        store
            .create_organisation(
                &OrganisationRow {
                    id: prime,
                    name: "Prime".to_owned(),
                    kind: "support_provider".to_owned(),
                    designated_from: None,
                    designated_to: None,
                },
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let admin = principal(
            1,
            OrganisationId(Uuid::from_u128(2)),
            OrganisationKind::Administrators,
            Role::Administrator,
        );
        support
            .add_provider(
                &nrm_access::authorise(&admin, Operation::ManageOrganisations)
                    .unwrap_or_else(|_| panic!("admin")),
                SupportProviderRow {
                    organisation: prime,
                    name: String::new(),
                    parent: None,
                    regions: vec!["london".to_owned()],
                    services: vec!["accommodation".to_owned()],
                },
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("provider: {e}"));

        // A child, and an adult without consent to support: no episode.
        let child = submit_one(Submission::Child(fixtures::child_referral())).await;
        assert!(episodes(child).await.is_empty());
        let mut no_consent = fixtures::adult_referral();
        no_consent.consent.support_consent = false;
        let no_consent = submit_one(Submission::Adult(no_consent)).await;
        assert!(episodes(no_consent).await.is_empty());

        // The early case's RG refers the person and brings the decision across at once.
        let rg_day = date(2025, 3, 7);
        let decide = |case, kind, on| {
            let cases = cases.clone();
            let decision_maker = decision_maker.clone();
            async move {
                let facts = cases
                    .case_facts(case, on)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| panic!("facts"));
                let cap =
                    nrm_access::authorise_case(&decision_maker, CaseOperation::Decide, &facts)
                        .unwrap_or_else(|_| panic!("decide"));
                cases
                    .decide(
                        &cap,
                        None,
                        kind,
                        DecisionInput {
                            outcome: Outcome::Positive,
                            decided_on: on,
                            reasons: "Reasons given in full.".to_owned(),
                            negative_reason: None,
                        },
                        noon(on),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("decide: {e}"));
            }
        };
        decide(early, DecisionKind::ReasonableGrounds, rg_day).await;
        let found = episodes(early).await;
        assert_eq!(found.len(), 1, "referred by the decision's follow-up");
        let ep = found[0].episode_id;
        let state = |ep| {
            let store = store.clone();
            async move {
                let loaded = store
                    .load_episode(ep)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("episode"));
                nrm_domain::support::EpisodeState::from_events(
                    loaded.events.iter().map(|e| &e.event),
                )
            }
        };
        assert_eq!(
            state(ep).await.reasonable_grounds,
            Some((Outcome::Positive, rg_day))
        );

        // The CG reaches it in its own call too; a second run has nothing to do.
        let cg_day = rg_day + Duration::days(31);
        decide(early, DecisionKind::ConclusiveGrounds, cg_day).await;
        assert_eq!(
            state(ep).await.conclusive_grounds,
            Some((Outcome::Positive, cg_day))
        );
        assert_eq!(
            support
                .sync_case(decision_maker.actor, early, noon(cg_day))
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            0
        );
        assert_eq!(episodes(early).await.len(), 1);

        // Every automatic step is audited under the person who made the change.
        let entries = store
            .audit_entries(0, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let dm_user = decision_maker.actor.user.0.to_string();
        assert!(
            entries.iter().any(|e| e.action == "support.refer"
                && e.outcome == "ok"
                && e.actor_user == dm_user)
        );
        assert!(
            entries
                .iter()
                .filter(|e| e.action == "support.sync_decisions" && e.outcome == "ok")
                .count()
                >= 1
        );
        t.cleanup().await;
    }
}

/// Registers a prime contractor covering `region` (its nation by the region's code).
async fn register_prime(
    store: &nrm_store::Store,
    support: &Support,
    region: &str,
    on: NaiveDate,
) -> OrganisationId {
    let prime = OrganisationId(Uuid::new_v4());
    store
        .create_organisation(
            &OrganisationRow {
                id: prime,
                name: format!("Prime {region}"),
                kind: "support_provider".to_owned(),
                designated_from: None,
                designated_to: None,
            },
            noon(on),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = principal(
        1,
        OrganisationId(Uuid::from_u128(2)),
        OrganisationKind::Administrators,
        Role::Administrator,
    );
    support
        .add_provider(
            &nrm_access::authorise(&admin, Operation::ManageOrganisations)
                .unwrap_or_else(|_| panic!("admin")),
            SupportProviderRow {
                organisation: prime,
                name: String::new(),
                parent: None,
                regions: vec![region.to_owned()],
                services: vec!["accommodation".to_owned()],
            },
            noon(on),
        )
        .await
        .unwrap_or_else(|e| panic!("provider: {e}"));
    prime
}

/// After a bulk load or import many cases are due a referral at once: the reconciliation
/// looks at a page's cases concurrently, so the group commit writes their new episodes
/// together (fewer durable commits than episodes), each case referred exactly once, and the
/// page's checks recorded so the next turn reads nothing.
#[tokio::test]
async fn the_reconciliation_writes_a_pages_referrals_together_each_once() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = Support::new(store.clone(), rules.clone());
        let day0 = date(2025, 3, 3);
        // No prime contractor yet: the intake refers no one.
        let mut waiting = Vec::new();
        for _ in 0..24 {
            waiting.push(
                submit_one(&cases, Submission::Adult(fixtures::adult_referral()), day0).await,
            );
        }
        register_prime(&store, &support, "london", day0).await;

        let before = store.group_commit_stats();
        let report = cases
            .reconcile_support(noon(date(2025, 3, 4)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = store.group_commit_stats();
        assert_eq!((report.checked, report.referred), (24, 24), "{report:?}");
        let (appends, batches) = (
            after.appends - before.appends,
            after.batches - before.batches,
        );
        assert!(appends >= 24, "{appends} appends");
        assert!(
            batches < appends,
            "the referrals were committed one at a time: {batches} commits for {appends} appends"
        );
        for case in &waiting {
            let episodes = store
                .episodes_for_case(*case)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(episodes.len(), 1);
            assert_eq!(episodes[0].status, "awaiting_allocation");
        }
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM support_case_checks WHERE outcome = 'referred'")
                .await,
            24
        );
        let again = cases
            .reconcile_support(noon(date(2025, 3, 4)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again,
            nrm_service::support::SupportReconcileReport::default()
        );
        t.cleanup().await;
    }
}

fn responder() -> Principal {
    principal(
        16,
        OrganisationId(Uuid::from_u128(1000)),
        OrganisationKind::FirstResponderOrganisation,
        Role::FirstResponder,
    )
}

async fn submit_one(cases: &Cases, s: Submission, on: NaiveDate) -> nrm_domain::ids::CaseId {
    let submit = nrm_access::authorise(&responder(), Operation::SubmitReferral)
        .unwrap_or_else(|_| panic!("responder"));
    cases
        .submit(&submit, s, noon(on))
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"))
        .case_id
}

/// Issue 10 item 1 and issue 12: the referral made at intake goes to the prime contractor of
/// the nation the person is in now (the referral's `current_nation`), not of where the
/// exploitation happened; a referral that does not say falls back to the referring
/// organisation's nation, then England. Written with the case in one batch (issue 16).
#[tokio::test]
async fn the_intake_referral_goes_to_the_nation_the_person_is_in_now() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = Support::new(store.clone(), rules.clone());
        let day0 = date(2025, 3, 3);
        let england = register_prime(&store, &support, "london", day0).await;
        let scotland = register_prime(&store, &support, "scotland", day0).await;
        // Wales has no prime of its own here: the England and Wales contract's prime serves it.
        for (nation, prime, code) in [
            (Some(UkNation::Scotland), scotland, "scotland"),
            (Some(UkNation::England), england, "england"),
            (Some(UkNation::Wales), england, "wales"),
            (None, england, "england"),
        ] {
            let mut r = fixtures::adult_referral();
            r.current_nation = nation;
            let before = store.group_commit_stats();
            let case = submit_one(&cases, Submission::Adult(r), day0).await;
            // Issue 16: the case, its person linkage and its episode in one durable commit.
            let after = store.group_commit_stats();
            assert_eq!(
                (
                    after.batches - before.batches,
                    after.appends - before.appends
                ),
                (1, 3),
                "{nation:?}"
            );
            let found = store
                .episodes_for_case(case)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(found.len(), 1, "{nation:?}");
            assert_eq!(found[0].prime, prime, "{nation:?}");
            assert_eq!(found[0].nation, code, "{nation:?}");
        }
        t.cleanup().await;
    }
}

/// Issue 12: the sweep turn reconciles support episodes with their cases. Cases made while no
/// prime contractor covered the person (as a bulk load or an import makes them) get their
/// episode, with a decision already made brought across; a case withdrawn without its
/// follow-up reaching support closes its episode with the withdrawal's reason; an adult
/// without consent and a child get none; a turn with nothing changed reads nothing; each step
/// and the run are audited.
#[tokio::test]
async fn the_sweep_turn_reconciles_episodes_with_their_cases() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = Support::new(store.clone(), rules.clone());
        let day0 = date(2025, 3, 3);
        let episodes = |case| {
            let store = store.clone();
            async move {
                store
                    .episodes_for_case(case)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let state = |ep| {
            let store = store.clone();
            async move {
                let loaded = store
                    .load_episode(ep)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("episode"));
                nrm_domain::support::EpisodeState::from_events(
                    loaded.events.iter().map(|e| &e.event),
                )
            }
        };

        // No prime contractor yet: the intake refers no one.
        let waiting = submit_one(&cases, Submission::Adult(fixtures::adult_referral()), day0).await;
        let decided = submit_one(&cases, Submission::Adult(fixtures::adult_referral()), day0).await;
        let mut no_consent = fixtures::adult_referral();
        no_consent.consent.support_consent = false;
        let no_consent = submit_one(&cases, Submission::Adult(no_consent), day0).await;
        let child = submit_one(&cases, Submission::Child(fixtures::child_referral()), day0).await;
        let rg_day = date(2025, 3, 7);
        let decision_maker = principal(
            15,
            OrganisationId(Uuid::from_u128(4)),
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            Role::DecisionMaker,
        );
        let facts = cases
            .case_facts(decided, rg_day)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("facts"));
        cases
            .decide(
                &nrm_access::authorise_case(&decision_maker, CaseOperation::Decide, &facts)
                    .unwrap_or_else(|_| panic!("decide")),
                None,
                DecisionKind::ReasonableGrounds,
                DecisionInput {
                    outcome: Outcome::Positive,
                    decided_on: rg_day,
                    reasons: "Reasons given in full.".to_owned(),
                    negative_reason: None,
                },
                noon(rg_day),
            )
            .await
            .unwrap_or_else(|e| panic!("decide: {e}"));
        for case in [waiting, decided, no_consent, child] {
            assert!(episodes(case).await.is_empty());
        }

        register_prime(&store, &support, "london", rg_day).await;
        let turn_day = date(2025, 3, 10);
        let report = cases
            .reconcile_support(noon(turn_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            report.checked, 3,
            "the three open adult cases, not the child"
        );
        assert_eq!(report.referred, 2, "{report:?}");
        assert_eq!(report.updated, 0);
        assert!(episodes(no_consent).await.is_empty());
        assert!(episodes(child).await.is_empty());
        let waiting_ep = episodes(waiting).await;
        assert_eq!(waiting_ep.len(), 1);
        assert_eq!(waiting_ep[0].status, "awaiting_allocation");
        let decided_ep = episodes(decided).await;
        assert_eq!(decided_ep.len(), 1);
        assert_eq!(
            state(decided_ep[0].episode_id).await.reasonable_grounds,
            Some((Outcome::Positive, rg_day)),
            "the decision made before the episode is brought across"
        );

        // Nothing changed: the next turn reads no case, and makes nothing twice.
        let again = cases
            .reconcile_support(noon(turn_day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again,
            nrm_service::support::SupportReconcileReport::default()
        );

        // The case is withdrawn by a path whose follow-up did not reach support (written to
        // the store directly): the next turn closes the episode with the reason.
        let version = store
            .version(waiting)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or(0);
        let withdrawn_on = date(2025, 3, 11);
        store
            .append(nrm_store::Append {
                case_id: waiting,
                expected_version: version,
                reference: None,
                events: &[nrm_domain::event::CaseEvent::Withdrawn {
                    on: withdrawn_on,
                    reason: nrm_domain::event::WithdrawalReason::ConsentWithdrawn,
                }],
                actor: Actor::SYSTEM,
                recorded_at: noon(withdrawn_on),
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(episodes(waiting).await[0].status, "awaiting_allocation");
        let report = cases
            .reconcile_support(noon(withdrawn_on))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.checked, report.updated), (1, 1), "{report:?}");
        let closed = state(waiting_ep[0].episode_id).await;
        assert_eq!(
            closed.exited,
            Some((
                withdrawn_on,
                nrm_domain::support::event::ExitReason::ConsentWithdrawn
            ))
        );
        assert_eq!(episodes(waiting).await[0].status, "exited");
        let again = cases
            .reconcile_support(noon(withdrawn_on))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.checked, 0);

        // Audited: the runs, and each change under the service itself.
        let entries = store
            .audit_entries(0, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "support.reconcile" && e.outcome == "ok")
                .count(),
            4
        );
        let system = Actor::SYSTEM.user.0.to_string();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "support.refer" && e.actor_user == system)
                .count(),
            2
        );
        assert!(
            entries
                .iter()
                .any(|e| e.action == "support.sync_decisions" && e.actor_user == system)
        );
        t.cleanup().await;
    }
}
