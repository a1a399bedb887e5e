//! The children's part of the sweep turn on SQLite and PostgreSQL (issue 13): a pilot
//! panel's case whose child turns 18 before its decisions moves to the SCA and the adult
//! route on the birthday (not the day before, and once); a child case committed without its
//! ICTG referral (the intake's second transaction failed) gets it from the turn, once; the
//! guardian episode closes by itself when its post-18 support ends; an imported child's case
//! in a covered area gets its ICTG referral, one outside is recorded as checked.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::case::CaseState;
use nrm_domain::children::guardian::GuardianStatus;
use nrm_domain::children::guardian::event::ClosureReason;
use nrm_domain::command::{Command, Nations, Submit, decide};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::geography::PoliceForceArea;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::VaultContent;
use nrm_domain::submission::{AgeGroup, Submission};
use nrm_domain::{Actor, CaseEvent, Rulebook, fixtures};
use nrm_service::Cases;
use nrm_store::{Append, Store, VaultWrite, testing};
use serde_json::json;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn responder() -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(1)),
            organisation: OrganisationId(Uuid::from_u128(1000)),
        },
        organisation_kind: OrganisationKind::FirstResponderOrganisation,
        roles: vec![Role::FirstResponder],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn manager() -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(50)),
            organisation: OrganisationId(Uuid::from_u128(500)),
        },
        organisation_kind: OrganisationKind::GuardianService,
        roles: vec![Role::GuardianManager],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn child(
    on: NaiveDate,
    area: Option<&str>,
    born: NaiveDate,
) -> nrm_domain::submission::ChildReferral {
    let mut r = fixtures::child_referral();
    r.victim.date_of_birth = Some(born);
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    r.local_authority_area = area.map(str::to_owned);
    r
}

/// A child referral committed as `Cases::submit` commits it, but without the ICTG referral
/// that follows in its own transaction (as when that transaction fails).
async fn committed_without_guardian(store: &Store, on: NaiveDate, born: NaiveDate) -> CaseId {
    committed_without_guardian_numbered(store, on, born, 4242).await
}

/// As [`committed_without_guardian`], with `reference_random` making its reference.
async fn committed_without_guardian_numbered(
    store: &Store,
    on: NaiveDate,
    born: NaiveDate,
    reference_random: u64,
) -> CaseId {
    let case_id = CaseId(Uuid::new_v4());
    let subject = SubjectId(Uuid::new_v4());
    let record = VaultRecordId(Uuid::new_v4());
    let submission = child(on, Some("birmingham"), born);
    let details = submission.victim.clone();
    let events = decide(
        &CaseState::Empty,
        &Command::Submit(Box::new(Submit {
            submission: Submission::Child(submission),
            reference_random,
            subject,
            personal_details: record,
            nations: Nations::default(),
        })),
        responder().actor,
        &Rulebook::current(),
        noon(on),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let Some(CaseEvent::ReferralSubmitted(submitted)) = events.first() else {
        panic!("no referral");
    };
    store
        .append(Append {
            case_id,
            expected_version: 0,
            reference: Some(&submitted.reference),
            events: &events,
            actor: responder().actor,
            recorded_at: noon(on),
            new_subjects: &[subject],
            vault_writes: &[VaultWrite {
                record,
                subject,
                content: VaultContent::PersonalDetails(details),
            }],
            audit: None,
            draft: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    case_id
}

async fn referral(store: &Store, case_id: CaseId) -> nrm_domain::case::Referral {
    let loaded = store
        .load(case_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case"));
    match CaseState::from_events(loaded.events.iter().map(|e| &e.event)) {
        CaseState::Referral(r) => r,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_sweep_turn_moves_a_case_on_at_18_makes_missing_ictg_referrals_and_ends_post_18_support()
 {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let cases = Cases::new(store.clone(), Rulebook::current());
        let guardians = cases.guardians();
        let submit = nrm_access::authorise(&responder(), Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("responder"));
        let day0 = date(2024, 1, 10);
        // Both turn 18 on 1 June 2024, more than 100 days after the referral.
        let born = date(2006, 6, 1);
        let hull = cases
            .submit(
                &submit,
                Submission::Child(child(day0, Some("hull"), born)),
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("submit: {e}"));
        assert_eq!(
            referral(&store, hull.case_id).await.competent_authority,
            CompetentAuthority::LocalAuthorityPanel
        );
        let missed = committed_without_guardian(&store, day0, born).await;
        assert_eq!(
            guardians
                .episode_for_case(missed)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            None
        );

        // The next turn makes the missing referral (West Midlands, covered since 2018), and
        // only once; Hull is not an ICTG area, and is checked once.
        let r = cases
            .review_guardian_ages(noon(date(2024, 1, 11)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.ictg_referred, r.cases_turned_18), (1, 0));
        let episode = guardians
            .episode_for_case(missed)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the turn referred the child to the ICTG service"));
        assert_eq!(
            t.query_i64(
                "SELECT COUNT(*) FROM guardian_referral_checks WHERE outcome = 'not_covered'"
            )
            .await,
            1
        );
        let r = cases
            .review_guardian_ages(noon(date(2024, 1, 12)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.ictg_referred, 0);
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM guardian_episodes").await,
            1
        );

        // The day before the birthday: nothing moves.
        let r = cases
            .review_guardian_ages(noon(date(2024, 5, 31)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.cases_turned_18, 0);
        assert_eq!(
            referral(&store, hull.case_id).await.age_group,
            AgeGroup::Child
        );

        // On it: both cases move to the adult route; the pilot case to the SCA.
        let r = cases
            .review_guardian_ages(noon(date(2024, 6, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.cases_turned_18, r.turned_18), (2, 1));
        let moved = referral(&store, hull.case_id).await;
        assert_eq!(moved.age_group, AgeGroup::Adult);
        assert_eq!(moved.competent_authority, CompetentAuthority::Sca);
        assert_eq!(moved.pilot_site, None);
        assert_eq!(moved.consent_to_support_offered_on, Some(date(2024, 6, 1)));
        let facts = cases
            .case_facts(hull.case_id, date(2024, 6, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("facts"));
        assert_eq!(facts.competent_authority, Some(CompetentAuthority::Sca));
        assert_eq!(
            referral(&store, missed).await.competent_authority,
            CompetentAuthority::Sca
        );
        let version = store
            .version(hull.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Once.
        let r = cases
            .review_guardian_ages(noon(date(2024, 6, 2)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.cases_turned_18, 0);
        assert_eq!(
            store
                .version(hull.case_id)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            version
        );

        // The guardian episode is in post-18 support (West Midlands has a Post-18 worker)
        // for 183 days: it closes by itself when that ends, and once.
        let summary = |s: Option<nrm_store::guardians::GuardianEpisodeSummary>| {
            s.unwrap_or_else(|| panic!("episode")).status
        };
        assert_eq!(
            summary(
                store
                    .guardian_summary(episode)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            ),
            GuardianStatus::Post18.code()
        );
        let r = cases
            .review_guardian_ages(noon(date(2024, 11, 30)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.post_18_ended, 0);
        let r = cases
            .review_guardian_ages(noon(date(2024, 12, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.post_18_ended, 1);
        assert_eq!(
            summary(
                store
                    .guardian_summary(episode)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            ),
            GuardianStatus::Closed.code()
        );
        let r = cases
            .review_guardian_ages(noon(date(2024, 12, 2)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.post_18_ended, r.checked), (0, 0));
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM guardian_events WHERE kind = 'guardian_closed'")
                .await,
            1
        );
        let closed = guardians
            .view(
                &nrm_access::children::authorise_guardian(
                    &manager(),
                    nrm_access::children::GuardianOperation::Read,
                    &guardians
                        .facts(episode)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"))
                        .unwrap_or_else(|| panic!("facts")),
                )
                .unwrap_or_else(|_| panic!("the manager reads")),
                noon(date(2024, 12, 2)),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            closed.state.closure,
            Some(ClosureReason::Post18SupportEnded)
        );
        assert_eq!(closed.state.closed_on, Some(date(2024, 12, 1)));

        for (action, at_least) in [
            ("case.turned_18", 2),
            ("case.review_ages", 6),
            ("guardian.refer_missing", 6),
            ("guardian.refer", 1),
        ] {
            let n = t
                .query_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await;
            assert!(n >= at_least, "{action}: {n} audit entries");
        }
        t.cleanup().await;
    }
}

fn system() -> Principal {
    Principal {
        actor: Actor::SYSTEM,
        organisation_kind: OrganisationKind::Administrators,
        roles: vec![Role::Administrator],
        allocated_cases_only: false,
        token_scopes: Some(vec![Operation::ImportLegacyCases]),
        authenticated_at: None,
    }
}

fn legacy_child(id: &str, on: NaiveDate, police: &str) -> String {
    legacy_child_born(id, on, police, on - Duration::days(14 * 365))
}

fn legacy_child_born(id: &str, on: NaiveDate, police: &str, born: NaiveDate) -> String {
    let mut c = child(on, None, born);
    c.exploitation.location.police_force_areas =
        PoliceForceArea::parse(police).into_iter().collect();
    let at = Utc
        .from_utc_datetime(&on.and_hms_opt(10, 0, 0).unwrap_or_default())
        .to_rfc3339();
    json!({
        "legacy_id": id,
        "submitted_at": at,
        "submitted_by": {"user": "pc-101", "organisation": "legacy-police"},
        "submission": {"kind": "child", "details": c},
        "steps": [],
    })
    .to_string()
}

#[tokio::test]
async fn an_imported_childs_case_in_a_covered_area_gets_its_ictg_referral() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        let capability = nrm_access::authorise(&system(), Operation::ImportLegacyCases)
            .unwrap_or_else(|_| panic!("the system client may import"));
        let on = date(2026, 6, 1);
        // The third was 17 when referred and is 18 by the import: no guardian to refer to.
        let file = [
            legacy_child("child-wm", on, "west-midlands"),
            legacy_child("child-kent", on, "kent"),
            legacy_child_born("child-grown", on, "west-midlands", date(2008, 9, 1)),
        ]
        .join("\n");
        let now = noon(date(2026, 12, 1));
        let report = cases
            .import_legacy(
                &capability,
                std::io::Cursor::new(file.into_bytes()),
                now,
                |_| {},
                |r| panic!("refused: {r:?}"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.imported, report.guardian_referrals), (3, 1));
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM guardian_episodes").await,
            1
        );
        assert_eq!(
            t.query_strings("SELECT area FROM guardian_episodes").await,
            vec!["west-midlands".to_owned()]
        );
        assert_eq!(
            t.query_strings("SELECT outcome FROM guardian_referral_checks ORDER BY outcome")
                .await,
            vec!["adult".to_owned(), "not_covered".to_owned()]
        );
        // The sweep turn after it finds nothing more to refer.
        let r = cases
            .review_guardian_ages(now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.ictg_referred, 0);
        t.cleanup().await;
    }
}

/// The catch-up after a bulk load or import: a page's ICTG referrals and moves at 18 are
/// made concurrently, so the group commit writes them together (fewer durable commits than
/// appends), and each case is still referred, and moved, exactly once.
#[tokio::test]
async fn the_turn_writes_a_pages_referrals_and_moves_together_each_once() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let cases = Cases::new(store.clone(), Rulebook::current());
        let guardians = cases.guardians();
        let day0 = date(2024, 1, 10);
        let mut turning = Vec::new();
        let mut younger = Vec::new();
        for n in 0..30u64 {
            // Ten turn 18 on 1 February 2024; twenty in 2026.
            let born = if n < 10 {
                date(2006, 2, 1)
            } else {
                date(2008, 6, 1)
            };
            let case_id = committed_without_guardian_numbered(&store, day0, born, 5000 + n).await;
            if n < 10 {
                turning.push(case_id);
            } else {
                younger.push(case_id);
            }
        }

        let before = store.group_commit_stats();
        let r = cases
            .review_guardian_ages(noon(date(2024, 1, 11)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = store.group_commit_stats();
        assert_eq!((r.ictg_referred, r.cases_turned_18), (30, 0));
        let (appends, batches) = (
            after.appends - before.appends,
            after.batches - before.batches,
        );
        assert!(appends >= 30, "{appends} appends");
        assert!(
            batches < appends,
            "the referrals were committed one at a time: {batches} commits for {appends} appends"
        );
        for case_id in turning.iter().chain(&younger) {
            assert!(
                guardians
                    .episode_for_case(*case_id)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .is_some()
            );
        }
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM guardian_episodes").await,
            30
        );

        // The birthday: the ten move to the adult route, together, once.
        let before = store.group_commit_stats();
        let r = cases
            .review_guardian_ages(noon(date(2024, 2, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = store.group_commit_stats();
        assert_eq!((r.ictg_referred, r.cases_turned_18), (0, 10));
        assert!(after.batches - before.batches < after.appends - before.appends);
        for case_id in &turning {
            assert_eq!(referral(&store, *case_id).await.age_group, AgeGroup::Adult);
        }
        for case_id in &younger {
            assert_eq!(referral(&store, *case_id).await.age_group, AgeGroup::Child);
        }
        let r = cases
            .review_guardian_ages(noon(date(2024, 2, 2)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.ictg_referred, r.cases_turned_18), (0, 0));
        t.cleanup().await;
    }
}

fn sca_manager() -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(60)),
            organisation: OrganisationId(Uuid::from_u128(600)),
        },
        organisation_kind: OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        roles: vec![Role::CaManager],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// Issue 13 item 5: the young adult's answer to the consent-to-support question offered at
/// 18. A "yes" refers them to the prime contractor at once, as an adult referral with
/// consent is; a "no" records the answer and nothing else; a second answer, or one before the
/// question is offered, is refused in words; the first responder may not record it.
#[tokio::test]
async fn the_young_adults_yes_to_support_refers_them_and_a_no_records_only_the_answer() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let rules = Rulebook::current();
        let cases = Cases::new(store.clone(), rules.clone());
        let support = nrm_service::Support::new(store.clone(), rules.clone());
        let submit = nrm_access::authorise(&responder(), Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("responder"));
        let day0 = date(2024, 1, 10);
        let born = date(2006, 6, 1);
        let mut ids = Vec::new();
        for _ in 0..2 {
            ids.push(
                cases
                    .submit(
                        &submit,
                        Submission::Child(child(day0, None, born)),
                        noon(day0),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("submit: {e}"))
                    .case_id,
            );
        }
        let (yes, no) = (ids[0], ids[1]);
        let prime = OrganisationId(Uuid::new_v4());
        store
            .create_organisation(
                &nrm_store::identity::OrganisationRow {
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
        let admin = Principal {
            actor: Actor {
                user: UserId(Uuid::from_u128(70)),
                organisation: OrganisationId(Uuid::from_u128(700)),
            },
            organisation_kind: OrganisationKind::Administrators,
            roles: vec![Role::Administrator],
            allocated_cases_only: false,
            token_scopes: None,
            authenticated_at: None,
        };
        support
            .add_provider(
                &nrm_access::authorise(&admin, Operation::ManageOrganisations)
                    .unwrap_or_else(|_| panic!("admin")),
                nrm_store::support::SupportProviderRow {
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

        let answer = |case_id: CaseId, who: Principal, on: NaiveDate, consents: bool| {
            let cases = cases.clone();
            async move {
                let today = date(2024, 6, 5);
                let facts = cases
                    .case_facts(case_id, today)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("facts"));
                let capability =
                    nrm_access::authorise_case(&who, nrm_access::CaseOperation::Manage, &facts)
                        .map_err(|_| nrm_service::ServiceError::NotFound)?;
                cases
                    .act(
                        &capability,
                        None,
                        nrm_service::Action::AnswerConsentToSupport { on, consents },
                        noon(today),
                    )
                    .await
            }
        };

        // Still a child: the question is not open.
        assert!(matches!(
            answer(yes, sca_manager(), date(2024, 5, 1), true).await,
            Err(nrm_service::ServiceError::Domain(
                nrm_domain::DomainError::Refused {
                    code: "consent-not-offered",
                    ..
                }
            ))
        ));
        let r = cases
            .review_guardian_ages(noon(date(2024, 6, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.cases_turned_18, 2);

        // The first responder may not record it (not found, as for anyone without the right).
        assert!(matches!(
            answer(yes, responder(), date(2024, 6, 2), true).await,
            Err(nrm_service::ServiceError::NotFound)
        ));

        // Yes: recorded, and the young adult is referred to the prime contractor at once.
        answer(yes, sca_manager(), date(2024, 6, 2), true)
            .await
            .unwrap_or_else(|e| panic!("answer: {e}"));
        let after = referral(&store, yes).await;
        assert!(after.support_consent);
        assert_eq!(after.consent_to_support_answered_on, Some(date(2024, 6, 2)));
        let episodes = store
            .episodes_for_case(yes)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(episodes.len(), 1);
        assert_eq!(episodes[0].prime, prime);

        // Answered: a second answer is refused, and nothing more is referred.
        assert!(matches!(
            answer(yes, sca_manager(), date(2024, 6, 3), false).await,
            Err(nrm_service::ServiceError::Domain(
                nrm_domain::DomainError::Refused {
                    code: "consent-answered",
                    ..
                }
            ))
        ));

        // No: the answer is recorded and nothing else.
        answer(no, sca_manager(), date(2024, 6, 4), false)
            .await
            .unwrap_or_else(|e| panic!("answer: {e}"));
        let after = referral(&store, no).await;
        assert!(!after.support_consent);
        assert_eq!(after.consent_to_support_answered_on, Some(date(2024, 6, 4)));
        assert!(
            store
                .episodes_for_case(no)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        assert_eq!(
            t.query_i64(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'case.consent_to_support' AND outcome = 'ok'"
            )
            .await,
            2
        );
        assert!(
            t.query_i64(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'case.consent_to_support' AND outcome <> 'ok'"
            )
            .await
                >= 2
        );
        t.cleanup().await;
    }
}
