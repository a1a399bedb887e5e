//! Independent Child Trafficking Guardians: the dated areas (either side of each start), the
//! allocation rules, what is due, turning 18 (either side of the notice and of the post-18
//! worker's start) and closure.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_domain::DomainError;
use nrm_domain::children::guardian::event::{
    AdvocacyKind, ClosureReason, ContactKind, GuardianRole,
};
use nrm_domain::children::guardian::{
    ChildrenRules, Due, GuardianCommand, GuardianEvent, GuardianState, GuardianStatus, decide,
};
use nrm_domain::event::DecisionRef;
use nrm_domain::geography::PoliceForceArea;
use nrm_domain::ids::{CaseId, SubjectId, UserId, VaultRecordId};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn noon(on: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&on.and_hms_opt(12, 0, 0).expect("time"))
}

fn rules() -> ChildrenRules {
    ChildrenRules::current()
}

fn area(la: Option<&str>, pfa: &[&str], on: NaiveDate) -> Option<String> {
    let pfas: Vec<PoliceForceArea> = pfa
        .iter()
        .map(|c| PoliceForceArea::parse(c).expect("pfa"))
        .collect();
    rules().covering_area(la, &pfas, on).map(|a| a.code.clone())
}

#[test]
fn early_adopter_sites_start_in_2017_and_not_a_day_before() {
    assert_eq!(area(Some("manchester"), &[], d(2017, 1, 30)), None);
    assert_eq!(
        area(Some("manchester"), &[], d(2017, 1, 31)).as_deref(),
        Some("greater-manchester")
    );
    assert_eq!(
        area(Some("Isle of Wight"), &[], d(2017, 1, 31)).as_deref(),
        Some("hampshire")
    );
    assert_eq!(area(Some("cardiff"), &[], d(2017, 1, 30)), None);
    assert_eq!(
        area(Some("Cardiff"), &[], d(2017, 1, 31)).as_deref(),
        Some("wales")
    );
}

#[test]
fn west_midlands_then_the_2021_expansion_each_from_its_own_date() {
    assert_eq!(area(Some("birmingham"), &[], d(2018, 9, 30)), None);
    assert_eq!(
        area(Some("birmingham"), &[], d(2018, 10, 1)).as_deref(),
        Some("west-midlands")
    );
    for (la, code) in [
        ("croydon", "london"),
        ("liverpool", "merseyside"),
        ("leeds", "west-yorkshire"),
        ("york", "north-yorkshire"),
        ("warwickshire", "warwickshire"),
    ] {
        assert_eq!(area(Some(la), &[], d(2021, 4, 30)), None, "{la}");
        assert_eq!(
            area(Some(la), &[], d(2021, 5, 1)).as_deref(),
            Some(code),
            "{la}"
        );
    }
}

#[test]
fn the_local_authority_decides_and_police_force_areas_only_without_one() {
    // No local authority: where the exploitation happened.
    assert_eq!(
        area(None, &["merseyside"], d(2021, 5, 1)).as_deref(),
        Some("merseyside")
    );
    assert_eq!(area(None, &["merseyside"], d(2021, 4, 30)), None);
    assert_eq!(area(None, &["kent"], d(2025, 1, 1)), None);
    // A named local authority the service does not cover is not covered, wherever the
    // exploitation was.
    assert_eq!(area(Some("kent"), &["merseyside"], d(2025, 1, 1)), None);
    // Blank is no local authority.
    assert_eq!(
        area(Some("  "), &["gwent"], d(2020, 1, 1)).as_deref(),
        Some("wales")
    );
}

fn refer(la: &str, on: NaiveDate) -> Result<Vec<GuardianEvent>, DomainError> {
    decide(
        &GuardianState::default(),
        GuardianCommand::Refer {
            case_id: CaseId(Uuid::from_u128(1)),
            case_reference: "NRM-2026-AAAA-BBBB".to_owned(),
            subject: SubjectId(Uuid::from_u128(2)),
            personal_details: VaultRecordId(Uuid::from_u128(3)),
            referred_on: on,
            local_authority: Some(la.to_owned()),
            police_force_areas: Vec::new(),
        },
        &rules(),
        noon(on),
    )
}

fn refused_code(result: Result<Vec<GuardianEvent>, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn apply(state: &mut GuardianState, events: &[GuardianEvent]) {
    for e in events {
        state.evolve(e);
    }
}

fn referred(la: &str, on: NaiveDate) -> GuardianState {
    let mut s = GuardianState::default();
    apply(&mut s, &refer(la, on).expect("referred"));
    s
}

const WORKER: UserId = UserId(Uuid::from_u128(77));

fn allocate(
    s: &GuardianState,
    role: GuardianRole,
    pr: bool,
    exceptional: bool,
    on: NaiveDate,
) -> Result<Vec<GuardianEvent>, DomainError> {
    decide(
        s,
        GuardianCommand::Allocate {
            worker: WORKER,
            role,
            parental_responsibility_in_uk: pr,
            exceptional_need: exceptional,
            on,
        },
        &rules(),
        noon(on),
    )
}

#[test]
fn a_referral_outside_every_area_is_refused_and_inside_is_due_for_allocation() {
    assert_eq!(
        refused_code(refer("kent", d(2025, 1, 1))),
        "not-in-ictg-area"
    );
    let s = referred("manchester", d(2025, 1, 1));
    assert_eq!(s.status, Some(GuardianStatus::AwaitingAllocation));
    assert_eq!(s.area.as_deref(), Some("greater-manchester"));
    assert_eq!(s.due(), vec![Due::Allocation { on: d(2025, 1, 3) }]);
    // Only once per child.
    assert_eq!(
        refused_code(decide(
            &s,
            GuardianCommand::Refer {
                case_id: CaseId(Uuid::from_u128(1)),
                case_reference: "x".to_owned(),
                subject: SubjectId(Uuid::from_u128(2)),
                personal_details: VaultRecordId(Uuid::from_u128(3)),
                referred_on: d(2025, 1, 1),
                local_authority: Some("manchester".to_owned()),
                police_force_areas: Vec::new(),
            },
            &rules(),
            noon(d(2025, 1, 1)),
        )),
        "guardian-already-referred"
    );
}

#[test]
fn a_direct_worker_when_no_one_holds_parental_responsibility_else_a_coordinator() {
    let s = referred("manchester", d(2025, 1, 1));
    let on = d(2025, 1, 2);
    assert_eq!(
        refused_code(allocate(
            &s,
            GuardianRole::RegionalPracticeCoordinator,
            false,
            false,
            on
        )),
        "direct-worker-needed"
    );
    assert_eq!(
        refused_code(allocate(&s, GuardianRole::DirectWorker, true, false, on)),
        "direct-worker-without-pr"
    );
    assert_eq!(
        refused_code(allocate(&s, GuardianRole::Post18Worker, false, false, on)),
        "post-18-worker-after-18"
    );
    let direct = allocate(&s, GuardianRole::DirectWorker, false, false, on).expect("direct");
    let mut a = s.clone();
    apply(&mut a, &direct);
    assert_eq!(a.status, Some(GuardianStatus::Allocated));
    assert_eq!(a.worker, Some(WORKER));
    // Direct Workers see the child every 14 days (the dated working rule).
    assert_eq!(a.due(), vec![Due::Contact { on: d(2025, 1, 16) }]);
    let rpc = allocate(
        &s,
        GuardianRole::RegionalPracticeCoordinator,
        true,
        false,
        on,
    )
    .expect("rpc");
    let mut b = s.clone();
    apply(&mut b, &rpc);
    assert_eq!(b.due(), vec![Due::Contact { on: d(2025, 1, 30) }]);
}

#[test]
fn regional_practitioners_exist_from_may_2021_for_exceptional_need_only() {
    let s = referred("manchester", d(2021, 4, 1));
    assert_eq!(
        refused_code(allocate(
            &s,
            GuardianRole::RegionalPractitioner,
            true,
            true,
            d(2021, 4, 30)
        )),
        "no-regional-practitioner"
    );
    assert_eq!(
        refused_code(allocate(
            &s,
            GuardianRole::RegionalPractitioner,
            true,
            false,
            d(2021, 5, 1)
        )),
        "regional-practitioner-exceptional"
    );
    assert!(
        allocate(
            &s,
            GuardianRole::RegionalPractitioner,
            true,
            true,
            d(2021, 5, 1)
        )
        .is_ok()
    );
}

fn allocated(la: &str, on: NaiveDate) -> GuardianState {
    let mut s = referred(la, on);
    let events = allocate(&s, GuardianRole::DirectWorker, false, false, on).expect("allocated");
    apply(&mut s, &events);
    s
}

#[test]
fn contacts_move_the_next_contact_on_but_an_attempt_does_not() {
    let mut s = allocated("manchester", d(2025, 1, 1));
    let contact = |s: &GuardianState, kind, on| {
        decide(
            s,
            GuardianCommand::RecordContact {
                contact: Uuid::new_v4(),
                kind,
                on,
                notes: VaultRecordId(Uuid::new_v4()),
            },
            &rules(),
            noon(on),
        )
    };
    let e = contact(&s, ContactKind::Attempted, d(2025, 1, 10)).expect("attempt");
    apply(&mut s, &e);
    assert_eq!(s.next_contact_due_on, Some(d(2025, 1, 15)));
    let e = contact(&s, ContactKind::FaceToFace, d(2025, 1, 12)).expect("contact");
    apply(&mut s, &e);
    assert_eq!(s.next_contact_due_on, Some(d(2025, 1, 26)));
    // Not in the future, not before what is on the record.
    assert!(matches!(
        decide(
            &s,
            GuardianCommand::RecordContact {
                contact: Uuid::new_v4(),
                kind: ContactKind::Phone,
                on: d(2025, 1, 13),
                notes: VaultRecordId(Uuid::new_v4()),
            },
            &rules(),
            noon(d(2025, 1, 12)),
        ),
        Err(DomainError::Invalid(_))
    ));
    assert!(matches!(
        contact(&s, ContactKind::Phone, d(2025, 1, 11)),
        Err(DomainError::Invalid(_))
    ));
}

#[test]
fn advocacy_is_due_until_its_outcome_and_a_reconsideration_is_one() {
    let mut s = allocated("leeds", d(2025, 1, 1));
    let action = Uuid::new_v4();
    let e = decide(
        &s,
        GuardianCommand::StartAdvocacy {
            action,
            kind: AdvocacyKind::Immigration,
            on: d(2025, 1, 2),
            details: VaultRecordId(Uuid::new_v4()),
            review_on: d(2025, 1, 9),
        },
        &rules(),
        noon(d(2025, 1, 2)),
    )
    .expect("started");
    apply(&mut s, &e);
    assert_eq!(
        s.due()[0],
        Due::AdvocacyReview {
            action,
            on: d(2025, 1, 9)
        }
    );
    let e = decide(
        &s,
        GuardianCommand::ConcludeAdvocacy {
            action,
            outcome: nrm_domain::children::guardian::event::AdvocacyOutcome::Achieved,
            on: d(2025, 1, 5),
            details: VaultRecordId(Uuid::new_v4()),
        },
        &rules(),
        noon(d(2025, 1, 5)),
    )
    .expect("concluded");
    apply(&mut s, &e);
    assert!(
        !s.due()
            .iter()
            .any(|d| matches!(d, Due::AdvocacyReview { .. }))
    );
    let reconsider = decide(
        &s,
        GuardianCommand::RecordReconsiderationRequest {
            decision: DecisionRef::ReasonableGrounds,
            action: Uuid::new_v4(),
            on: d(2025, 1, 6),
            details: VaultRecordId(Uuid::new_v4()),
            review_on: d(2025, 2, 6),
        },
        &rules(),
        noon(d(2025, 1, 6)),
    )
    .expect("recorded");
    assert!(matches!(
        reconsider.as_slice(),
        [
            GuardianEvent::AdvocacyStarted {
                kind: AdvocacyKind::NrmDecision,
                ..
            },
            GuardianEvent::ReconsiderationRequested { .. }
        ]
    ));
    // Nobody allocated: nobody to ask on the child's behalf.
    let unallocated = referred("leeds", d(2025, 1, 1));
    assert_eq!(
        refused_code(decide(
            &unallocated,
            GuardianCommand::RecordReconsiderationRequest {
                decision: DecisionRef::ReasonableGrounds,
                action: Uuid::new_v4(),
                on: d(2025, 1, 6),
                details: VaultRecordId(Uuid::new_v4()),
                review_on: d(2025, 2, 6),
            },
            &rules(),
            noon(d(2025, 1, 6)),
        )),
        "not-allocated"
    );
}

fn review(s: &GuardianState, turns_18_on: NaiveDate, today: NaiveDate) -> Vec<GuardianEvent> {
    decide(
        s,
        GuardianCommand::ReviewAge { turns_18_on },
        &rules(),
        noon(today),
    )
    .expect("reviewed")
}

#[test]
fn turning_18_is_flagged_91_days_ahead_and_not_a_day_sooner() {
    let s = allocated("manchester", d(2025, 1, 1));
    let birthday = d(2025, 6, 1);
    // 2 March is 91 days before 1 June.
    assert!(review(&s, birthday, d(2025, 3, 1)).is_empty());
    let flagged = review(&s, birthday, d(2025, 3, 2));
    assert_eq!(
        flagged,
        vec![GuardianEvent::TurningEighteenFlagged {
            on: d(2025, 3, 2),
            notice_days: 91
        }]
    );
    let mut f = s.clone();
    apply(&mut f, &flagged);
    assert!(f.due().contains(&Due::PlanForEighteen {
        since: d(2025, 3, 2)
    }));
    // Flagged once.
    assert!(review(&f, birthday, d(2025, 3, 3)).is_empty());
}

#[test]
fn without_a_post_18_worker_the_young_adult_is_asked_about_consent_then_closed() {
    let mut s = allocated("manchester", d(2025, 1, 1));
    let birthday = d(2025, 6, 1);
    assert!(
        review(&s, birthday, d(2025, 5, 31))
            .iter()
            .all(|e| !matches!(e, GuardianEvent::TurnedEighteen { .. }))
    );
    let events = review(&s, birthday, birthday);
    assert!(events.contains(&GuardianEvent::TurnedEighteen {
        on: birthday,
        post_18_until: None
    }));
    assert!(events.contains(&GuardianEvent::ConsentToSupportOffered { on: birthday }));
    apply(&mut s, &events);
    assert_eq!(s.status, Some(GuardianStatus::Turned18));
    assert!(s.due().contains(&Due::ConsentToSupport { since: birthday }));
    assert_eq!(
        refused_code(allocate(
            &s,
            GuardianRole::Post18Worker,
            false,
            false,
            birthday
        )),
        "no-post-18-support"
    );
    let answered = decide(
        &s,
        GuardianCommand::AnswerConsentToSupport {
            on: d(2025, 6, 3),
            consents: true,
        },
        &rules(),
        noon(d(2025, 6, 3)),
    )
    .expect("answered");
    apply(&mut s, &answered);
    assert_eq!(s.status, Some(GuardianStatus::Closed));
    assert_eq!(s.closure, Some(ClosureReason::TurnedEighteen));
    assert_eq!(s.consents_to_support, Some(true));
    assert!(s.due().is_empty());
}

#[test]
fn a_post_18_worker_where_and_when_the_rules_provide_one() {
    // West Midlands: the Post-18 worker from 1 May 2021.
    let before = allocated("birmingham", d(2021, 1, 4));
    let events = review(&before, d(2021, 4, 30), d(2021, 4, 30));
    assert!(events.contains(&GuardianEvent::TurnedEighteen {
        on: d(2021, 4, 30),
        post_18_until: None
    }));
    let mut s = allocated("birmingham", d(2021, 1, 4));
    let events = review(&s, d(2021, 5, 1), d(2021, 5, 1));
    assert!(events.contains(&GuardianEvent::TurnedEighteen {
        on: d(2021, 5, 1),
        post_18_until: Some(d(2021, 10, 31))
    }));
    apply(&mut s, &events);
    assert_eq!(s.status, Some(GuardianStatus::Post18));
    assert_eq!(s.worker, None);
    let due = s.due();
    assert!(due.contains(&Due::Post18Allocation {
        since: d(2021, 5, 1)
    }));
    assert!(due.contains(&Due::Post18Ends {
        on: d(2021, 10, 31)
    }));
    assert!(due.contains(&Due::ConsentToSupport {
        since: d(2021, 5, 1)
    }));
    assert_eq!(
        refused_code(allocate(
            &s,
            GuardianRole::DirectWorker,
            false,
            false,
            d(2021, 5, 2)
        )),
        "post-18-worker-only"
    );
    let e = allocate(&s, GuardianRole::Post18Worker, false, false, d(2021, 5, 2)).expect("p18");
    apply(&mut s, &e);
    assert_eq!(s.role, Some(GuardianRole::Post18Worker));
    // Answering consent does not close post-18 support; its end does.
    let e = decide(
        &s,
        GuardianCommand::AnswerConsentToSupport {
            on: d(2021, 5, 3),
            consents: false,
        },
        &rules(),
        noon(d(2021, 5, 3)),
    )
    .expect("answered");
    apply(&mut s, &e);
    assert_eq!(s.status, Some(GuardianStatus::Post18));
    // Post-18 support ends on 31 October 2021: the daily review closes the episode then,
    // not a day sooner, and once.
    assert!(review(&s, d(2021, 5, 1), d(2021, 10, 30)).is_empty());
    let closed = review(&s, d(2021, 5, 1), d(2021, 10, 31));
    assert_eq!(
        closed,
        vec![GuardianEvent::Closed {
            on: d(2021, 10, 31),
            reason: ClosureReason::Post18SupportEnded,
            missing_person_reference: None,
            details: None,
        }]
    );
    let mut ended = s.clone();
    apply(&mut ended, &closed);
    assert_eq!(ended.status, Some(GuardianStatus::Closed));
    assert_eq!(ended.closure, Some(ClosureReason::Post18SupportEnded));
    assert!(ended.due().is_empty());
    assert!(
        decide(
            &ended,
            GuardianCommand::ReviewAge {
                turns_18_on: d(2021, 5, 1)
            },
            &rules(),
            noon(d(2021, 11, 1)),
        )
        .is_err_and(|e| matches!(
            e,
            DomainError::Refused {
                code: "guardian-episode-closed",
                ..
            }
        ))
    );
    // Seen late (the sweep did not run that day): closed on the day support ended.
    assert_eq!(review(&s, d(2021, 5, 1), d(2021, 11, 5)), closed);
    // Greater Manchester never had one.
    let gm = allocated("manchester", d(2021, 1, 4));
    assert!(
        review(&gm, d(2021, 5, 1), d(2021, 5, 1)).contains(&GuardianEvent::TurnedEighteen {
            on: d(2021, 5, 1),
            post_18_until: None
        })
    );
}

#[test]
fn losing_contact_needs_a_missing_person_reference() {
    let s = allocated("cardiff", d(2025, 1, 1));
    let close = |reference: Option<VaultRecordId>, reason| {
        decide(
            &s,
            GuardianCommand::Close {
                on: d(2025, 2, 1),
                reason,
                missing_person_reference: reference,
                details: None,
            },
            &rules(),
            noon(d(2025, 2, 1)),
        )
    };
    assert!(matches!(
        close(None, ClosureReason::LostContact),
        Err(DomainError::Invalid(p)) if p[0].field == "/missing_person_reference"
    ));
    let record = VaultRecordId(Uuid::new_v4());
    let closed = close(Some(record), ClosureReason::LostContact).expect("closed");
    assert_eq!(
        closed,
        vec![GuardianEvent::Closed {
            on: d(2025, 2, 1),
            reason: ClosureReason::LostContact,
            missing_person_reference: Some(record),
            details: None,
        }]
    );
    assert_eq!(
        refused_code(close(None, ClosureReason::TurnedEighteen)),
        "not-yet-18"
    );
    let mut c = s.clone();
    apply(
        &mut c,
        &close(None, ClosureReason::ReturnedHome).expect("closed"),
    );
    assert!(c.due().is_empty());
    assert_eq!(
        refused_code(allocate(
            &c,
            GuardianRole::DirectWorker,
            false,
            false,
            d(2025, 2, 2)
        )),
        "guardian-episode-closed"
    );
}
