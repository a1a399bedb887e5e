//! The legacy import on SQLite and PostgreSQL: each line's steps judged by the rules of their
//! own dates, refused lines reported by number and rule while the rest go in, and the same
//! file imported twice making each case once.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::Rulebook;
use nrm_domain::fixtures::{self, CANARY};
use nrm_service::{Cases, ImportMode, ImportReport, Refusal, ServiceError};
use nrm_store::testing;
use serde_json::{Value, json};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn at(d: NaiveDate) -> String {
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap_or_default())
        .to_rfc3339()
}

fn import_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn by(user: &str) -> Value {
    json!({"user": user, "organisation": "legacy-sca"})
}

/// An adult referred on `on` (consent and exploitation dated before it).
fn adult(on: NaiveDate) -> Value {
    let mut a = fixtures::adult_referral();
    a.consent.referral_consent_given_on = on;
    a.exploitation.period.started_on = Some(on - chrono::Duration::days(300));
    a.exploitation.period.ended_on = Some(on - chrono::Duration::days(30));
    a.victim.date_of_birth = Some(date(1980, 1, 1));
    json!({"kind": "adult", "details": a})
}

fn child(on: NaiveDate) -> Value {
    let mut c = fixtures::child_referral();
    c.exploitation.period.started_on = Some(on - chrono::Duration::days(300));
    c.exploitation.period.ended_on = Some(on - chrono::Duration::days(30));
    c.victim.date_of_birth = Some(on - chrono::Duration::days(14 * 365));
    json!({"kind": "child", "details": c})
}

fn case(id: &str, referred: NaiveDate, submission: Value, steps: Vec<Value>) -> String {
    json!({
        "legacy_id": id,
        "submitted_at": at(referred),
        "submitted_by": {"user": "pc-101", "organisation": "legacy-police"},
        "submission": submission,
        "steps": steps,
    })
    .to_string()
}

/// One line of a file: an adult referred on 1 March 2024 with no steps after.
fn adult_line(id: &str) -> String {
    let on = date(2024, 3, 1);
    case(id, on, adult(on), vec![]) + "\n"
}

fn step(on: NaiveDate, who: &str, what: Value) -> Value {
    json!({"at": at(on), "by": by(who), "do": what})
}

fn grounds(kind: &str, on: NaiveDate, positive: bool) -> Value {
    if positive {
        json!({"type": kind, "outcome": "positive", "decided_on": on, "reasons": format!("Reasons {CANARY}")})
    } else {
        json!({"type": kind, "outcome": "negative", "decided_on": on, "reasons": format!("Reasons {CANARY}"), "negative_reason": "insufficient_evidence"})
    }
}

/// The file: lines 1, 3 and 6 are good; 2, 4, 7 and 8 each break one rule of their date;
/// line 5 is blank; line 9 repeats line 1's legacy id.
fn mixed_file() -> String {
    let rg16 = date(2016, 3, 10);
    let rg23 = date(2023, 2, 1);
    let lines = [
        // 1. 2016: positive RG, CG 45 days later (the 45-day minimum of the time): imported.
        case(
            "OLD/2016/1",
            date(2016, 3, 1),
            adult(date(2016, 3, 1)),
            vec![
                step(rg16, "cw-1", grounds("reasonable_grounds", rg16, true)),
                step(
                    rg16 + chrono::Duration::days(45),
                    "cw-1",
                    grounds(
                        "conclusive_grounds",
                        rg16 + chrono::Duration::days(45),
                        true,
                    ),
                ),
            ],
        ),
        // 2. 2016: the CG 31 days after the RG would be allowed under the 30-day rule of 2023,
        // but not under the 45 days of 2016: refused at step 1.
        case(
            "OLD/2016/2",
            date(2016, 3, 1),
            adult(date(2016, 3, 1)),
            vec![
                step(rg16, "cw-1", grounds("reasonable_grounds", rg16, true)),
                step(
                    rg16 + chrono::Duration::days(31),
                    "cw-1",
                    grounds(
                        "conclusive_grounds",
                        rg16 + chrono::Duration::days(31),
                        true,
                    ),
                ),
            ],
        ),
        // 3. 2023: positive RG on 1 February, CG 30 days later: imported.
        case(
            "OLD/2023/3",
            date(2023, 1, 20),
            adult(date(2023, 1, 20)),
            vec![
                step(rg23, "cw-2", grounds("reasonable_grounds", rg23, true)),
                step(
                    rg23 + chrono::Duration::days(30),
                    "cw-2",
                    grounds(
                        "conclusive_grounds",
                        rg23 + chrono::Duration::days(30),
                        true,
                    ),
                ),
            ],
        ),
        // 4. Not JSON, with personal data in it.
        format!("{{\"legacy_id\": \"OLD/4\", \"submission\": \"{CANARY}"),
        // 5. Blank.
        String::new(),
        // 6. 2021: a negative RG needed no review before service then: imported.
        case(
            "OLD/2021/6",
            date(2021, 5, 1),
            adult(date(2021, 5, 1)),
            vec![
                step(
                    date(2021, 5, 6),
                    "cw-3",
                    grounds("reasonable_grounds", date(2021, 5, 6), false),
                ),
                step(
                    date(2021, 5, 7),
                    "cw-3",
                    json!({"type": "served", "decision": "reasonable_grounds", "served_on": date(2021, 5, 7)}),
                ),
            ],
        ),
        // 7. The same in 2023: a second caseworker must review it first: refused.
        case(
            "OLD/2023/7",
            date(2023, 5, 1),
            adult(date(2023, 5, 1)),
            vec![
                step(
                    date(2023, 5, 6),
                    "cw-3",
                    grounds("reasonable_grounds", date(2023, 5, 6), false),
                ),
                step(
                    date(2023, 5, 7),
                    "cw-3",
                    json!({"type": "served", "decision": "reasonable_grounds", "served_on": date(2023, 5, 7)}),
                ),
            ],
        ),
        // 8. A child's case withdrawn for "consent withdrawn": refused.
        case(
            "OLD/2019/8",
            date(2019, 6, 3),
            child(date(2019, 6, 3)),
            vec![step(
                date(2019, 6, 10),
                "cw-4",
                json!({"type": "withdrawn", "on": date(2019, 6, 10), "reason": "consent_withdrawn"}),
            )],
        ),
        // 9. Line 1 again.
        case(
            "OLD/2016/1",
            date(2016, 3, 1),
            adult(date(2016, 3, 1)),
            vec![],
        ),
    ];
    lines.join("\n") + "\n"
}

fn system() -> Principal {
    Principal {
        actor: nrm_domain::Actor::SYSTEM,
        organisation_kind: OrganisationKind::Administrators,
        roles: vec![Role::Administrator],
        allocated_cases_only: false,
        token_scopes: Some(vec![Operation::ImportLegacyCases]),
        authenticated_at: None,
    }
}

async fn import(cases: &Cases, file: &str) -> (ImportReport, Vec<Refusal>) {
    let capability = nrm_access::authorise(&system(), Operation::ImportLegacyCases)
        .unwrap_or_else(|_| panic!("the system client may import"));
    let mut refusals = Vec::new();
    let mut batches = 0;
    let report = cases
        .import_legacy(
            &capability,
            std::io::Cursor::new(file.as_bytes().to_vec()),
            import_now(),
            |_| batches += 1,
            |r| refusals.push(r.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(batches >= 1);
    (report, refusals)
}

fn refused(refusals: &[Refusal]) -> Vec<(u64, Option<usize>, &str)> {
    refusals
        .iter()
        .map(|r| (r.line, r.step, r.rule.as_str()))
        .collect()
}

#[tokio::test]
async fn a_file_of_good_and_bad_lines_imports_the_good_and_names_the_bad_twice_over() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let file = mixed_file();

        let (first, refusals) = import(&cases, &file).await;
        assert_eq!(
            refused(&refusals),
            vec![
                (2, Some(1), "conclusive-grounds-inside-recovery-period"),
                (4, None, "invalid-json"),
                (7, Some(1), "review-before-service"),
                (8, Some(0), "child-consent-not-required"),
            ],
            "{refusals:#?}"
        );
        for r in &refusals {
            assert!(!r.message.contains(CANARY), "{r:?}");
        }
        assert_eq!(
            (
                first.lines,
                first.imported,
                first.already_present,
                first.refused
            ),
            (8, 3, 1, 4),
            "{first:?}"
        );
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 3);
        let events = store.query_i64("SELECT COUNT(*) FROM case_events").await;
        // Each decision recorded the date it was made on and its own day's rules.
        assert_eq!(
            store
                .query_i64(
                    "SELECT COUNT(*) FROM case_summaries WHERE cg_outcome = 'positive' AND cg_decided_on IN ('2016-04-24', '2023-03-03')"
                )
                .await,
            2
        );
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM case_summaries WHERE rg_served_on = '2021-05-07'")
                .await,
            1
        );
        let audited = store
            .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import'")
            .await;
        // One entry per written batch, one per refused line, one for the run.
        assert_eq!(audited, 1 + 4 + 1);
        assert!(!store.dump_text().await.contains(CANARY));

        // The same file again: nothing new, the same refusals, each case still once.
        let (second, again) = import(&cases, &file).await;
        assert_eq!(refused(&again), refused(&refusals));
        assert_eq!(
            (
                second.lines,
                second.imported,
                second.already_present,
                second.refused
            ),
            (8, 0, 4, 4),
            "{second:?}"
        );
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 3);
        assert_eq!(
            store.query_i64("SELECT COUNT(*) FROM case_events").await,
            events
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn only_the_import_capability_imports() {
    let store = testing::sqlite().await;
    let cases = Cases::new(store.store.clone(), Rulebook::current());
    let mut p = system();
    p.token_scopes = Some(vec![Operation::RunDeadlineSweep]);
    p.roles = vec![Role::Administrator];
    let sweep = nrm_access::authorise(&p, Operation::RunDeadlineSweep)
        .unwrap_or_else(|_| panic!("sweep allowed"));
    let result = cases
        .import_legacy(
            &sweep,
            std::io::Cursor::new(mixed_file().into_bytes()),
            import_now(),
            |_| {},
            |_| {},
        )
        .await;
    assert!(matches!(result, Err(ServiceError::NotFound)));
    assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 0);
    store.cleanup().await;
}

fn dtn(on: NaiveDate) -> Value {
    let mut d = fixtures::duty_to_notify();
    d.exploitation.period.started_on = Some(on - chrono::Duration::days(300));
    d.exploitation.period.ended_on = Some(on - chrono::Duration::days(30));
    json!({"kind": "duty_to_notify", "details": d})
}

fn submitted_by(line: &str, nation: &str, list: &str) -> String {
    let mut v: Value = serde_json::from_str(line).unwrap_or_default();
    v["submitted_by"]["nation"] = json!(nation);
    v["submitted_by"]["list"] = json!(list);
    v.to_string()
}

#[tokio::test]
async fn who_may_refer_report_and_decide_is_judged_by_the_rules_of_the_day() {
    let on = date(2022, 3, 1);
    let rg = date(2022, 3, 8);
    let mut in_hull = child(on);
    in_hull["details"]["local_authority_area"] = json!("hull");
    let member = |user: &str, agency: &str| json!({"user": user, "agency": agency});
    let decision = |panel: Value| {
        let mut d = grounds("reasonable_grounds", rg, true);
        d["panel"] = panel;
        d
    };
    let lines = [
        // 1. Hull's pilot panel decides without a health member: refused.
        case(
            "PILOT/1",
            on,
            in_hull.clone(),
            vec![step(
                rg,
                "la-1",
                decision(json!({"chair": member("la-1", "childrens_social_care"),
                    "members": [member("pc-9", "police")]})),
            )],
        ),
        // 2. With social care, police and health: imported.
        case(
            "PILOT/2",
            on,
            in_hull,
            vec![step(
                rg,
                "la-1",
                decision(json!({"chair": member("la-1", "childrens_social_care"),
                    "members": [member("pc-9", "police"), member("nurse-2", "health")]})),
            )],
        ),
        // 3. The Youth Work Alliance refers in Northern Ireland before it was an FRO: refused.
        submitted_by(
            &case("NI/3", date(2023, 6, 30), adult(date(2023, 6, 30)), vec![]),
            "northern_ireland",
            "youth-work-alliance",
        ),
        // 4. An NGO makes a Duty to Notify report in England: refused.
        submitted_by(
            &case("DTN/4", date(2020, 2, 3), dtn(date(2020, 2, 3)), vec![]),
            "england",
            "salvation-army",
        ),
        // 5. A police force does: imported.
        submitted_by(
            &case("DTN/5", date(2020, 2, 3), dtn(date(2020, 2, 3)), vec![]),
            "england",
            "police",
        ),
    ];
    let file = lines.join("\n");
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let (report, refusals) = import(&cases, &file).await;
        assert_eq!(
            refused(&refusals),
            vec![
                (1, Some(0), "pilot-panel-composition"),
                (3, None, "not-a-first-responder-organisation"),
                (4, None, "duty-to-notify-not-for-this-organisation"),
            ],
            "{refusals:#?}"
        );
        assert_eq!((report.imported, report.refused), (2, 3));
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM case_summaries WHERE competent_authority = 'local_authority_panel' AND rg_outcome = 'positive'")
                .await,
            1
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_legacy_id_repeated_in_a_later_batch_or_imported_twice_at_once_is_one_case() {
    let line = |n: u32| adult_line(&format!("R-{n}"));
    for store in testing::all().await {
        let name = store.name;
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        // 550 legacy ids, then the first 300 again: the repeats fall in the second batch, read
        // while the first is still being written.
        let file: String = (0..550).chain(0..300).map(line).collect();
        let (report, refusals) = import(&cases, &file).await;
        assert!(refusals.is_empty(), "{name}: {refusals:#?}");
        assert_eq!(
            (report.imported, report.already_present),
            (550, 300),
            "{name}: {report:?}"
        );
        let count = |table: &'static str| {
            let store = &store;
            async move {
                store
                    .query_i64(&format!("SELECT COUNT(*) FROM {table}"))
                    .await
            }
        };
        assert_eq!(count("cases").await, 550, "{name}");
        assert_eq!(count("imported_cases").await, 550, "{name}");

        // Two runs at once of a file half of which is there already: each new id written by
        // one of them, and found by the other.
        let overlapping: String = (450..750).map(line).collect();
        let ((a, _), (b, _)) =
            tokio::join!(import(&cases, &overlapping), import(&cases, &overlapping));
        assert_eq!(
            (
                a.imported + b.imported,
                a.already_present + b.already_present
            ),
            (200, 400),
            "{name}: {a:?} {b:?}"
        );
        assert_eq!(count("cases").await, 750, "{name}");
        assert_eq!(count("imported_cases").await, 750, "{name}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn an_import_before_go_live_judges_and_records_as_a_live_one_and_leaves_every_index() {
    for store in testing::all().await {
        let name = store.name;
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let indexes = || async {
            store
                .query_i64(if name == "sqlite" {
                    "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index'"
                } else {
                    "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema()"
                })
                .await
        };
        let before = indexes().await;
        let capability = nrm_access::authorise(&system(), Operation::ImportLegacyCases)
            .unwrap_or_else(|_| panic!("the system client may import"));
        let offline = |file: String| {
            let mut refusals = Vec::new();
            let capability = capability.clone();
            let cases = &cases;
            async move {
                let report = cases
                    .import_legacy_as(
                        &capability,
                        ImportMode::BeforeGoLive,
                        std::io::Cursor::new(file.into_bytes()),
                        import_now(),
                        |_| {},
                        |r| refusals.push(r.clone()),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                (report, refusals)
            }
        };
        let (first, refusals) = offline(mixed_file()).await;
        assert_eq!(
            refused(&refusals),
            vec![
                (2, Some(1), "conclusive-grounds-inside-recovery-period"),
                (4, None, "invalid-json"),
                (7, Some(1), "review-before-service"),
                (8, Some(0), "child-consent-not-required"),
            ],
            "{name}: {refusals:#?}"
        );
        assert_eq!(
            (first.imported, first.already_present, first.refused),
            (3, 1, 4),
            "{name}: {first:?}"
        );
        assert_eq!(indexes().await, before, "{name}: every index back");
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await,
            0,
            "{name}"
        );
        // The batch and each refused line in the batch's own transaction, then the run.
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import'")
                .await,
            1 + 4 + 1,
            "{name}"
        );
        assert_eq!(
            store
                .query_i64(
                    "SELECT COUNT(*) FROM case_summaries WHERE cg_outcome = 'positive' AND cg_decided_on IN ('2016-04-24', '2023-03-03')"
                )
                .await,
            2,
            "{name}"
        );

        // Again: every case found, written nowhere twice; the clashing batch records only
        // what it did (its refusals), not the batch it could not write.
        let (second, again) = offline(mixed_file()).await;
        assert_eq!(refused(&again), refused(&refusals), "{name}");
        assert_eq!(
            (second.imported, second.already_present, second.refused),
            (0, 4, 4),
            "{name}: {second:?}"
        );
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 3);
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import'")
                .await,
            6 + 4 + 1,
            "{name}"
        );
        assert_eq!(indexes().await, before, "{name}: every index back again");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_batch_that_clashes_is_halved_down_to_its_clash_not_written_case_by_case() {
    let line = |n: u32| adult_line(&format!("H-{n}"));
    for store in testing::all().await {
        let name = store.name;
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        // Legacy id H-137 imported once, then forgotten as an import (its case stays): the
        // reference it is drawn first is now held by another case, as a reference drawn twice
        // would be.
        let (first, _) = import(&cases, &line(137)).await;
        assert_eq!(first.imported, 1, "{name}");
        store.execute_raw("DELETE FROM imported_cases").await;
        // A whole batch holding it.
        let before = store.store.import_transactions();
        let file: String = (0..500).map(line).collect();
        let (report, refusals) = import(&cases, &file).await;
        assert!(refusals.is_empty(), "{name}: {refusals:#?}");
        assert_eq!(
            (report.imported, report.already_present),
            (500, 0),
            "{name}: {report:?}"
        );
        assert_eq!(
            store.query_i64("SELECT COUNT(*) FROM cases").await,
            501,
            "{name}"
        );
        // The batch; each half down to 16 cases or fewer (500, 250, 125, 63, 32, 16: two
        // writes a level, the clashing half split again); the last part's 16 cases one at a
        // time, the clashing one twice (its reference drawn again); the batch's audit
        // entries. Case by case it would have been 500 or more.
        let used = store.store.import_transactions() - before;
        assert!(
            (1 + 2 * 5 + 16 + 1..=1 + 2 * 5 + 17 + 1).contains(&used),
            "{name}: {used} import transactions"
        );
        store.cleanup().await;
    }
}
