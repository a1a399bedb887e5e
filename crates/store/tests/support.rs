//! Victim support storage on both backends: an episode stream appended with its vault records,
//! read models and audit entry in one transaction; optimistic versions; the append-only log;
//! lists by scope; the concerns queue; accommodation, placements and inspections; a provider's
//! postings; and no note's words anywhere in the database files.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, VaultContent};
use nrm_domain::support::accommodation::{
    Accommodation, AccommodationType, Finding, Inspection, InspectionArea, Rating, RequiredAction,
};
use nrm_domain::support::command::SupportCommand as C;
use nrm_domain::support::event::{ConcernKind, EntryRoute, Provision, Severity};
use nrm_domain::support::{
    AccommodationId, ConcernId, EpisodeId, EpisodeState, InspectionId, PlacementId, SupportRules,
    decide,
};
use nrm_domain::{Actor, Rulebook};
use nrm_store::audit::AuditRecord;
use nrm_store::identity::OrganisationRow;
use nrm_store::support::{
    EpisodeFilter, EpisodeListScope, NewEpisode, SupportAppend, SupportProviderRow,
};
use nrm_store::testing::{self, TestStore};
use nrm_store::{Store, StoreError, VaultWrite};
use uuid::Uuid;

const CANARY: &str = "SUPPORT-CANARY-51c0e2";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 2).unwrap_or_default()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 11, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = TestStore>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let store = test(store).await;
        store.cleanup().await;
    }
}

fn audit(actor: Actor, action: &str) -> AuditRecord {
    AuditRecord {
        actor,
        action: action.to_owned(),
        case_id: None,
        outcome: "ok".to_owned(),
        subject: None,
    }
}

struct Providers {
    prime: Actor,
    sub: Actor,
}

async fn providers(store: &Store) -> Providers {
    let prime = OrganisationId(Uuid::new_v4());
    let sub = OrganisationId(Uuid::new_v4());
    for (id, name) in [(prime, "Prime"), (sub, "Sub")] {
        store
            .create_organisation(
                &OrganisationRow {
                    id,
                    name: name.to_owned(),
                    kind: "support_provider".to_owned(),
                    designated_from: None,
                    designated_to: None,
                },
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("organisation: {e}"));
    }
    let admin = Actor {
        user: UserId(Uuid::new_v4()),
        organisation: OrganisationId(Uuid::new_v4()),
    };
    for (org, parent) in [(prime, None), (sub, Some(prime))] {
        store
            .add_support_provider(
                &SupportProviderRow {
                    organisation: org,
                    name: String::new(),
                    parent,
                    regions: vec!["london".to_owned()],
                    services: vec!["accommodation".to_owned()],
                },
                &audit(admin, "support.add_provider"),
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("provider: {e}"));
    }
    Providers {
        prime: Actor {
            user: UserId(Uuid::new_v4()),
            organisation: prime,
        },
        sub: Actor {
            user: UserId(Uuid::new_v4()),
            organisation: sub,
        },
    }
}

/// Decides `cmd` on `state` and appends it; returns the new version.
#[allow(clippy::too_many_arguments)]
async fn act(
    store: &Store,
    episode: EpisodeId,
    state: &mut EpisodeState,
    version: u64,
    cmd: C,
    actor: Actor,
    at: DateTime<Utc>,
    new: Option<NewEpisode<'_>>,
    writes: &[VaultWrite],
) -> Result<u64, StoreError> {
    let events = decide(
        state,
        cmd,
        &Rulebook::current(),
        &SupportRules::current(),
        at,
    )
    .unwrap_or_else(|e| panic!("decide: {e}"));
    let mut after = state.clone();
    for e in &events {
        after.evolve(e);
    }
    let subjects: Vec<SubjectId> = new.iter().map(|n| n.subject).collect();
    let result = store
        .append_support(SupportAppend {
            episode_id: episode,
            expected_version: version,
            new,
            events: &events,
            state_after: &after,
            actor,
            recorded_at: at,
            new_subjects: &subjects,
            vault_writes: writes,
            audit: &audit(actor, "support.test"),
        })
        .await;
    if result.is_ok() {
        *state = after;
    }
    result
}

struct Episode {
    id: EpisodeId,
    subject: SubjectId,
    state: EpisodeState,
    version: u64,
}

async fn referred_and_allocated(store: &Store, p: &Providers, reference: &str) -> Episode {
    let id = EpisodeId(Uuid::new_v4());
    let subject = SubjectId(Uuid::new_v4());
    let mut state = EpisodeState::default();
    let v = act(
        store,
        id,
        &mut state,
        0,
        C::Refer {
            case_id: None,
            nation: UkNation::England,
            route: EntryRoute::EmergencyBeforeReasonableGrounds,
            prime: p.prime.organisation,
            adult: true,
            consent_to_support: true,
        },
        p.prime,
        now(),
        Some(NewEpisode { reference, subject }),
        &[],
    )
    .await
    .unwrap_or_else(|e| panic!("refer: {e}"));
    assert_eq!(v, 1);
    let v = act(
        store,
        id,
        &mut state,
        v,
        C::Allocate {
            provider: p.sub.organisation,
            worker: Some(p.sub.user),
            provision: Provision::EmergencyAccommodation,
        },
        p.prime,
        now(),
        None,
        &[],
    )
    .await
    .unwrap_or_else(|e| panic!("allocate: {e}"));
    Episode {
        id,
        subject,
        state,
        version: v,
    }
}

#[tokio::test]
async fn an_episode_is_appended_loaded_listed_and_versioned() {
    each_backend(|t| async move {
        let store = &t.store;
        let p = providers(store).await;
        let mut ep = referred_and_allocated(store, &p, "SUP-AAAA1111").await;
        let summary = store
            .episode_summary(ep.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("summary"));
        assert_eq!(summary.version, 2);
        assert_eq!(summary.status, "before_reasonable_grounds");
        assert_eq!(summary.provider, Some(p.sub.organisation));
        assert_eq!(summary.worker, Some(p.sub.user));
        assert_eq!(summary.prime, p.prime.organisation);
        let loaded = store
            .load_episode(ep.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("loaded"));
        let folded = EpisodeState::from_events(loaded.events.iter().map(|e| &e.event));
        assert_eq!(folded, ep.state);
        // A stale version is refused and nothing is written.
        let stale = act(
            store,
            ep.id,
            &mut ep.state.clone(),
            1,
            C::AssignWorker {
                worker: UserId(Uuid::new_v4()),
            },
            p.sub,
            now(),
            None,
            &[],
        )
        .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::VersionConflict {
                    expected: 1,
                    actual: 2
                })
            ),
            "{stale:?}"
        );
        assert_eq!(store.support_version(ep.id).await.ok().flatten(), Some(2));
        // The same reference cannot be used twice, and the refused episode's new vault subject
        // (written before its gate) is not kept.
        let subjects_before = t.query_i64("SELECT COUNT(*) FROM vault_subjects").await;
        let mut fresh = EpisodeState::default();
        let dup = act(
            store,
            EpisodeId(Uuid::new_v4()),
            &mut fresh,
            0,
            C::Refer {
                case_id: None,
                nation: UkNation::Wales,
                route: EntryRoute::EmergencyBeforeReasonableGrounds,
                prime: p.prime.organisation,
                adult: true,
                consent_to_support: true,
            },
            p.prime,
            now(),
            Some(NewEpisode {
                reference: "SUP-AAAA1111",
                subject: SubjectId(Uuid::new_v4()),
            }),
            &[],
        )
        .await;
        assert!(
            matches!(dup, Err(StoreError::DuplicateReference)),
            "{dup:?}"
        );
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM vault_subjects").await,
            subjects_before
        );
        // Lists by scope.
        let other = referred_and_allocated(store, &p, "SUP-BBBB2222").await;
        let by_worker = store
            .list_episodes(EpisodeListScope::Worker(p.sub.user), EpisodeFilter::Open)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(by_worker.len(), 2);
        let nobody = store
            .list_episodes(
                EpisodeListScope::Worker(UserId(Uuid::new_v4())),
                EpisodeFilter::Open,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(nobody.is_empty());
        let by_prime = store
            .list_episodes(
                EpisodeListScope::Organisation(p.prime.organisation),
                EpisodeFilter::Open,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(by_prime.len(), 2);
        let elsewhere = store
            .list_episodes(
                EpisodeListScope::Organisation(OrganisationId(Uuid::new_v4())),
                EpisodeFilter::Open,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(elsewhere.is_empty());
        let review_due = other.state.next_review_due_on.unwrap_or(day());
        let due = store
            .list_episodes(
                EpisodeListScope::Everything,
                EpisodeFilter::DueBy(review_due),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(due.len(), 2);
        let not_yet = store
            .list_episodes(EpisodeListScope::Everything, EpisodeFilter::DueBy(day()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(not_yet.is_empty(), "{not_yet:?}");

        // A high concern: its words in the vault, the queue has it, the log is append-only.
        let details = VaultRecordId(Uuid::new_v4());
        let concern = ConcernId(Uuid::new_v4());
        ep.version = act(
            store,
            ep.id,
            &mut ep.state,
            ep.version,
            C::RaiseConcern {
                concern,
                kind: ConcernKind::ReTrafficking,
                severity: Severity::High,
                details,
                police_reference: None,
            },
            p.sub,
            now(),
            None,
            &[VaultWrite {
                record: details,
                subject: ep.subject,
                content: VaultContent::SupportNote {
                    text: DecisionReasons(format!("{CANARY} seen with the exploiter")),
                },
            }],
        )
        .await
        .unwrap_or_else(|e| panic!("concern: {e}"));
        let queue = store
            .concerns_awaiting_acknowledgement()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].concern_id, concern);
        assert_eq!(queue[0].episode_reference, "SUP-AAAA1111");
        assert_eq!(queue[0].severity, "high");
        let with_concerns = store
            .list_episodes(EpisodeListScope::Everything, EpisodeFilter::ConcernsOpen)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(with_concerns.len(), 1);
        match store.read_vault(ep.subject, details).await {
            Ok(VaultContent::SupportNote { text }) => assert!(text.0.contains(CANARY)),
            other => panic!("{other:?}"),
        }
        assert!(
            !t.dump_text().await.contains(CANARY),
            "a note's words are stored in the clear"
        );
        for sql in [
            "UPDATE support_events SET kind = 'x'",
            "DELETE FROM support_events",
        ] {
            assert!(
                t.try_execute_raw(sql).await.is_err(),
                "support_events accepted {sql}"
            );
        }
        t
    })
    .await;
}

#[tokio::test]
async fn accommodation_placements_inspections_and_postings() {
    each_backend(|t| async move {
        let store = &t.store;
        let p = providers(store).await;
        let subject = SubjectId(Uuid::new_v4());
        let house = Accommodation {
            id: AccommodationId(Uuid::new_v4()),
            provider: p.sub.organisation,
            kind: AccommodationType::SelfCatered,
            capacity: 2,
            region: "london".to_owned(),
            address: VaultRecordId(Uuid::new_v4()),
        };
        store
            .add_accommodation(
                &house,
                subject,
                &VaultWrite {
                    record: house.address,
                    subject,
                    content: VaultContent::SupportNote {
                        text: DecisionReasons(format!("{CANARY} 1 Safe Street")),
                    },
                },
                &audit(p.sub, "support.add_accommodation"),
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("accommodation: {e}"));
        let listed = store
            .accommodation_list(Some(p.sub.organisation))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed, vec![(house.clone(), subject)]);
        assert!(
            store
                .accommodation_list(Some(p.prime.organisation))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );

        // A placement made through the episode shows in the accommodation's placements.
        let mut ep = referred_and_allocated(store, &p, "SUP-CCCC3333").await;
        ep.version = act(
            store,
            ep.id,
            &mut ep.state,
            ep.version,
            C::StartPlacement {
                episode: ep.id,
                placement: PlacementId(Uuid::new_v4()),
                accommodation: house.clone(),
                start: day(),
                occupancy: vec![],
            },
            p.sub,
            now(),
            None,
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("placement: {e}"));
        let placements = store
            .placements_in(house.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(placements, ep.state.placements);
        assert_eq!(
            nrm_domain::support::accommodation::occupancy_at(&placements, house.id, day()),
            1
        );

        // A week due and paid: the provider's postings.
        let later = now() + Duration::days(8);
        ep.version = act(
            store,
            ep.id,
            &mut ep.state,
            ep.version,
            C::PostWeekDue { week_start: day() },
            p.sub,
            later,
            None,
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("due: {e}"));
        let owed = u64::try_from(ep.state.ledger.balance.owed).unwrap_or(0);
        assert!(owed > 0);
        ep.version = act(
            store,
            ep.id,
            &mut ep.state,
            ep.version,
            C::RecordPayment {
                on: day() + Duration::days(8),
                amount_pence: owed,
            },
            p.sub,
            later,
            None,
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("paid: {e}"));
        let postings = store
            .provider_postings(p.sub.organisation, day(), day() + Duration::days(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(postings.len(), 2);
        assert_eq!(postings[0].kind, "due");
        assert_eq!(postings[1].kind, "paid");
        assert_eq!(postings.iter().map(|p| p.amount_pence).sum::<i64>(), 0);
        assert!(
            store
                .provider_postings(p.prime.organisation, day(), day() + Duration::days(30))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );

        // An inspection with an action; completing it once only.
        let inspection = Inspection {
            id: InspectionId(Uuid::new_v4()),
            accommodation: house.id,
            inspected_on: day(),
            follow_up_of: None,
            findings: InspectionArea::ALL
                .into_iter()
                .map(|area| Finding {
                    area,
                    rating: if area == InspectionArea::Staffing {
                        Rating::RequiresImprovement
                    } else {
                        Rating::Good
                    },
                })
                .collect(),
            actions: vec![RequiredAction {
                number: 1,
                area: InspectionArea::Staffing,
                due_on: day() + Duration::days(14),
                completed_on: None,
            }],
            notes: None,
        };
        inspection.check(None).unwrap_or_else(|e| panic!("{e}"));
        store
            .record_inspection(
                &inspection,
                None,
                p.prime,
                &audit(p.prime, "support.record_inspection"),
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("inspection: {e}"));
        let read = store
            .inspections(Some(house.id), None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, vec![inspection.clone()]);
        assert_eq!(read[0].overall(), Rating::RequiresImprovement);
        let done = store
            .complete_inspection_action(
                inspection.id,
                1,
                day() + Duration::days(3),
                &audit(p.sub, "support.complete_action"),
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(done);
        let again = store
            .complete_inspection_action(
                inspection.id,
                1,
                day() + Duration::days(4),
                &audit(p.sub, "support.complete_action"),
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!again);
        let read = store
            .inspections(None, Some(p.sub.organisation))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            read[0].actions[0].completed_on,
            Some(day() + Duration::days(3))
        );
        let providers = store
            .support_providers()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(providers.len(), 2);
        assert_eq!(providers[0].parent, None);
        assert_eq!(providers[1].parent, Some(p.prime.organisation));
        assert!(!t.dump_text().await.contains(CANARY));
        t
    })
    .await;
}
