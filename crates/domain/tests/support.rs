//! Victim support rules, each at the dates either side of its changes (domain brief 1.6, 1.7,
//! 1.9, 1.10, 2.4), and property tests of the payments ledger and of entitlement.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::calendar::Jurisdiction;
use nrm_domain::event::Outcome;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{CaseId, OrganisationId, UserId, VaultRecordId};
use nrm_domain::support::accommodation::{
    Accommodation, AccommodationType, Finding, Inspection, InspectionArea, PlacementEndReason,
    Rating, RequiredAction, occupancy_at, overdue_actions,
};
use nrm_domain::support::command::exit_support_last_day;
use nrm_domain::support::event::{
    ConcernKind, ConcernOutcome, EntryRoute, ExitReason, Need, NeedArea, NeedLevel, Provision,
    ReviewTrigger, RnaDecision, Severity,
};
use nrm_domain::support::finance::{
    AdjustmentReason, Ledger, Posting, SupportSpan, statement_csv, week_entitlement,
};
use nrm_domain::support::{
    AccommodationId, ConcernId, EpisodeId, EpisodeState, InspectionId, PlacementId, RnaId,
    SupportCommand as C, SupportEvent, SupportRules, SupportStatus, decide,
};
use nrm_domain::{DomainError, Rulebook};
use proptest::prelude::*;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid")
}

/// Noon UTC on a day (the same UK civil date in summer and winter).
fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("valid time"))
}

fn id() -> Uuid {
    Uuid::new_v4()
}

fn vault() -> VaultRecordId {
    VaultRecordId::from_uuid(id())
}

const PRIME: OrganisationId = OrganisationId(Uuid::from_u128(1));
const SUBCONTRACTOR: OrganisationId = OrganisationId(Uuid::from_u128(2));

/// An episode with its events, driven through `decide` only.
struct Episode {
    id: EpisodeId,
    events: Vec<SupportEvent>,
    state: EpisodeState,
}

impl Episode {
    fn new() -> Self {
        Self {
            id: EpisodeId::from_uuid(id()),
            events: Vec::new(),
            state: EpisodeState::default(),
        }
    }

    fn try_do(&mut self, cmd: C, now: DateTime<Utc>) -> Result<Vec<SupportEvent>, DomainError> {
        let events = decide(
            &self.state,
            cmd,
            &Rulebook::current(),
            &SupportRules::current(),
            now,
        )?;
        for e in &events {
            self.state.evolve(e);
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    fn run(&mut self, cmd: C, now: DateTime<Utc>) -> Vec<SupportEvent> {
        let dbg = format!("{cmd:?}");
        match self.try_do(cmd, now) {
            Ok(e) => e,
            Err(e) => panic!("{dbg} refused: {e}"),
        }
    }

    /// Referred (by consent) and allocated with accommodation on `on`, in `nation`.
    fn allocated(nation: UkNation, on: NaiveDate) -> Self {
        let mut ep = Self::new();
        ep.run(refer(nation, EntryRoute::ConsentToSupport), noon(on));
        ep.run(
            C::Allocate {
                provider: SUBCONTRACTOR,
                worker: Some(UserId::from_uuid(id())),
                provision: Provision::Accommodation,
            },
            noon(on),
        );
        ep
    }
}

fn refer(nation: UkNation, route: EntryRoute) -> C {
    C::Refer {
        case_id: Some(CaseId::from_uuid(id())),
        nation,
        route,
        prime: PRIME,
        adult: true,
        consent_to_support: true,
    }
}

fn code(e: DomainError) -> String {
    match e {
        DomainError::Refused { code, .. } => code.to_owned(),
        DomainError::Invalid(p) => format!("invalid:{}", p[0].field),
        other => other.code().to_owned(),
    }
}

#[test]
fn children_and_adults_without_consent_to_support_are_refused() {
    let now = noon(date(2025, 3, 3));
    let mut ep = Episode::new();
    let child = C::Refer {
        case_id: Some(CaseId::from_uuid(id())),
        nation: UkNation::England,
        route: EntryRoute::ConsentToSupport,
        prime: PRIME,
        adult: false,
        consent_to_support: true,
    };
    assert_eq!(
        code(ep.try_do(child, now).expect_err("child")),
        "children-supported-by-local-authority"
    );
    let no_consent = C::Refer {
        case_id: Some(CaseId::from_uuid(id())),
        nation: UkNation::England,
        route: EntryRoute::ConsentToSupport,
        prime: PRIME,
        adult: true,
        consent_to_support: false,
    };
    assert_eq!(
        code(ep.try_do(no_consent, now).expect_err("no consent")),
        "no-consent-to-support"
    );
    assert!(!ep.state.exists());
}

#[test]
fn an_emergency_referral_must_be_allocated_within_its_target_hours() {
    let t0 = noon(date(2025, 3, 3));
    let mut ep = Episode::new();
    ep.run(
        C::Refer {
            case_id: None,
            nation: UkNation::England,
            route: EntryRoute::EmergencyBeforeReasonableGrounds,
            prime: PRIME,
            adult: true,
            consent_to_support: true,
        },
        t0,
    );
    assert_eq!(ep.state.status, Some(SupportStatus::AwaitingAllocation));
    let target = SupportRules::current()
        .allocation_target(date(2025, 3, 3))
        .value;
    let due = t0 + Duration::hours(i64::from(target.emergency));
    assert_eq!(ep.state.allocation_due_at, Some(due));
    let today = date(2025, 3, 3);
    assert!(!ep.state.overdue(due, today).allocation, "due, not overdue");
    assert!(
        ep.state
            .overdue(due + Duration::minutes(1), today)
            .allocation
    );
    // Outreach is no answer to a person at risk tonight.
    let outreach = C::Allocate {
        provider: SUBCONTRACTOR,
        worker: None,
        provision: Provision::Outreach,
    };
    assert_eq!(
        code(ep.try_do(outreach, t0).expect_err("outreach")),
        "invalid:/provision"
    );
    ep.run(
        C::Allocate {
            provider: SUBCONTRACTOR,
            worker: None,
            provision: Provision::EmergencyAccommodation,
        },
        due + Duration::minutes(30),
    );
    assert_eq!(
        ep.state.status,
        Some(SupportStatus::BeforeReasonableGrounds)
    );
    assert!(!ep.state.overdue(due + Duration::hours(1), today).allocation);
}

#[test]
fn a_standard_referral_has_the_standard_target_and_needs_a_case() {
    let t0 = noon(date(2025, 3, 3));
    let mut ep = Episode::new();
    let no_case = C::Refer {
        case_id: None,
        nation: UkNation::England,
        route: EntryRoute::ConsentToSupport,
        prime: PRIME,
        adult: true,
        consent_to_support: true,
    };
    assert_eq!(
        code(ep.try_do(no_case, t0).expect_err("no case")),
        "referral-needed"
    );
    ep.run(refer(UkNation::England, EntryRoute::ConsentToSupport), t0);
    let target = SupportRules::current()
        .allocation_target(date(2025, 3, 3))
        .value;
    assert_eq!(
        ep.state.allocation_due_at,
        Some(t0 + Duration::hours(i64::from(target.standard)))
    );
}

#[test]
fn a_negative_rg_ends_support_after_the_exit_period_of_its_date() {
    let rules = Rulebook::current();
    // 48 hours before the 2019 change (rounded to whole days), 9 working days from 29 April 2019.
    assert_eq!(
        exit_support_last_day(&rules, Jurisdiction::EnglandAndWales, date(2019, 4, 28)),
        date(2019, 4, 30)
    );
    assert_eq!(
        exit_support_last_day(&rules, Jurisdiction::EnglandAndWales, date(2019, 4, 29)),
        // 9 working days after Monday 29 April 2019, with the 6 May bank holiday.
        date(2019, 5, 13)
    );
    let mut ep = Episode::allocated(UkNation::England, date(2024, 6, 3));
    ep.run(
        C::RecordReasonableGrounds {
            outcome: Outcome::Negative,
            decided_on: date(2024, 6, 10),
        },
        noon(date(2024, 6, 10)),
    );
    assert_eq!(ep.state.status, Some(SupportStatus::Ending));
    let until = exit_support_last_day(&rules, Jurisdiction::EnglandAndWales, date(2024, 6, 10));
    assert_eq!(ep.state.support_until, Some(until));
    let day_after = until.succ_opt().expect("date");
    assert!(!ep.state.overdue(noon(until), until).exit);
    assert!(ep.state.overdue(noon(day_after), day_after).exit);
    // Exiting for the end of the period is refused before it ends.
    assert_eq!(
        code(
            ep.try_do(
                C::Exit {
                    reason: ExitReason::SupportPeriodEnded
                },
                noon(until)
            )
            .expect_err("early")
        ),
        "support-period-not-ended"
    );
    ep.run(
        C::Exit {
            reason: ExitReason::SupportPeriodEnded,
        },
        noon(day_after),
    );
    assert_eq!(ep.state.status, Some(SupportStatus::Exited));
    assert!(!ep.state.reach_in_eligible);
}

#[test]
fn scotland_supports_for_90_days_from_a_positive_rg_and_northern_ireland_for_45() {
    let mut scot = Episode::allocated(UkNation::Scotland, date(2018, 4, 2));
    scot.run(
        C::RecordReasonableGrounds {
            outcome: Outcome::Positive,
            decided_on: date(2018, 4, 3),
        },
        noon(date(2018, 4, 3)),
    );
    // 90 days beginning with the day of the RG.
    assert_eq!(scot.state.support_until, Some(date(2018, 7, 1)));
    assert_eq!(scot.state.status, Some(SupportStatus::RecoveryPeriod));
    // A CG before the 90 days end ends support at the CG (no move-on in Scotland's section).
    scot.run(
        C::RecordConclusiveGrounds {
            outcome: Outcome::Positive,
            decided_on: date(2018, 6, 1),
        },
        noon(date(2018, 6, 1)),
    );
    assert_eq!(scot.state.support_until, Some(date(2018, 6, 1)));
    assert!(!scot.state.rna_available);

    let mut ni = Episode::allocated(UkNation::NorthernIreland, date(2022, 5, 2));
    ni.run(
        C::RecordReasonableGrounds {
            outcome: Outcome::Positive,
            decided_on: date(2022, 5, 3),
        },
        noon(date(2022, 5, 3)),
    );
    assert_eq!(ni.state.support_until, Some(date(2022, 6, 16)));

    let mut eng = Episode::allocated(UkNation::England, date(2022, 5, 2));
    eng.run(
        C::RecordReasonableGrounds {
            outcome: Outcome::Positive,
            decided_on: date(2022, 5, 3),
        },
        noon(date(2022, 5, 3)),
    );
    assert_eq!(eng.state.support_until, None, "needs-based until the CG");
}

fn to_positive_cg(nation: UkNation, cg_on: NaiveDate) -> Episode {
    let start = cg_on - Duration::days(120);
    let mut ep = Episode::allocated(nation, start);
    ep.run(
        C::RecordReasonableGrounds {
            outcome: Outcome::Positive,
            decided_on: start,
        },
        noon(start),
    );
    ep.run(
        C::RecordConclusiveGrounds {
            outcome: Outcome::Positive,
            decided_on: cg_on,
        },
        noon(cg_on),
    );
    ep
}

#[test]
fn move_on_after_a_positive_cg_follows_the_rules_of_the_cg_date() {
    // 14 days before the 2019 reform; 45 fixed from 29 April 2019; 45 minimum with an RNA from
    // 1 September 2019.
    let before = to_positive_cg(UkNation::England, date(2019, 4, 28));
    assert_eq!(before.state.support_until, Some(date(2019, 5, 11)));
    assert!(!before.state.rna_available);
    let fixed = to_positive_cg(UkNation::England, date(2019, 8, 31));
    assert_eq!(fixed.state.support_until, Some(date(2019, 10, 14)));
    assert!(!fixed.state.rna_available);
    let mut rna = to_positive_cg(UkNation::England, date(2019, 9, 1));
    assert_eq!(rna.state.support_until, Some(date(2019, 10, 15)));
    assert!(rna.state.rna_available);
    assert_eq!(rna.state.status, Some(SupportStatus::MoveOn));
    let mut fixed = fixed;
    let needs = all_needs(NeedLevel::Ongoing);
    let refused = fixed
        .try_do(
            C::RecordRna {
                rna: RnaId::from_uuid(id()),
                needs: needs.clone(),
                recommended_days: 30,
                evidence: vault(),
            },
            noon(date(2019, 9, 2)),
        )
        .expect_err("no RNA before September 2019");
    assert_eq!(code(refused), "rna-not-available");
    rna.run(
        C::RecordRna {
            rna: RnaId::from_uuid(id()),
            needs,
            recommended_days: 30,
            evidence: vault(),
        },
        noon(date(2019, 9, 2)),
    );
}

fn all_needs(level: NeedLevel) -> Vec<Need> {
    NeedArea::ALL
        .into_iter()
        .map(|area| Need { area, level })
        .collect()
}

#[test]
fn an_rna_is_decided_by_the_home_office_and_can_be_reconsidered_once() {
    let cg = date(2025, 1, 6);
    let mut ep = to_positive_cg(UkNation::England, cg);
    let move_on_end = date(2025, 2, 19);
    assert_eq!(ep.state.support_until, Some(move_on_end));
    let rna = RnaId::from_uuid(id());
    let mut needs = all_needs(NeedLevel::None);
    needs[1].level = NeedLevel::Ongoing;
    // A recommendation without an ongoing need, or areas missing, is refused.
    let missing = ep
        .try_do(
            C::RecordRna {
                rna,
                needs: needs[..7].to_vec(),
                recommended_days: 60,
                evidence: vault(),
            },
            noon(date(2025, 1, 20)),
        )
        .expect_err("an area missing");
    assert_eq!(code(missing), "invalid:/needs/safety");
    ep.run(
        C::RecordRna {
            rna,
            needs,
            recommended_days: 60,
            evidence: vault(),
        },
        noon(date(2025, 1, 20)),
    );
    let r = ep.state.rna(rna).expect("recorded").clone();
    // 10 working days from Monday 20 January 2025.
    assert_eq!(r.decision_due_on, date(2025, 2, 3));
    assert!(
        !ep.state
            .overdue(noon(date(2025, 2, 3)), date(2025, 2, 3))
            .rna_decision
    );
    assert!(
        ep.state
            .overdue(noon(date(2025, 2, 4)), date(2025, 2, 4))
            .rna_decision
    );
    // A second RNA waits for the first's decision.
    let second = ep
        .try_do(
            C::RecordRna {
                rna: RnaId::from_uuid(id()),
                needs: all_needs(NeedLevel::Ongoing),
                recommended_days: 10,
                evidence: vault(),
            },
            noon(date(2025, 1, 21)),
        )
        .expect_err("pending");
    assert_eq!(code(second), "rna-awaiting-decision");
    // "Shortened" must be fewer days than recommended.
    let bad = ep
        .try_do(
            C::DecideRna {
                rna,
                decision: RnaDecision::Shortened,
                days_granted: 60,
                reasons: vault(),
            },
            noon(date(2025, 1, 30)),
        )
        .expect_err("not shorter");
    assert_eq!(code(bad), "invalid:/days_granted");
    ep.run(
        C::DecideRna {
            rna,
            decision: RnaDecision::Shortened,
            days_granted: 20,
            reasons: vault(),
        },
        noon(date(2025, 1, 30)),
    );
    // The further period runs from the end of move-on.
    assert_eq!(ep.state.support_until, Some(date(2025, 3, 11)));
    ep.run(
        C::RequestRnaReconsideration {
            rna,
            grounds: vault(),
        },
        noon(date(2025, 2, 3)),
    );
    assert!(ep.state.rna(rna).expect("rna").awaiting_decision());
    ep.run(
        C::DecideRna {
            rna,
            decision: RnaDecision::Approved,
            days_granted: 60,
            reasons: vault(),
        },
        noon(date(2025, 2, 10)),
    );
    assert_eq!(ep.state.support_until, Some(date(2025, 5, 10)));
    let again = ep
        .try_do(
            C::RequestRnaReconsideration {
                rna,
                grounds: vault(),
            },
            noon(date(2025, 2, 11)),
        )
        .expect_err("once");
    assert_eq!(code(again), "rna-reconsideration-not-available");
}

#[test]
fn reach_in_follows_the_exit_date_after_a_positive_cg() {
    // The MSVCC added Reach-In from 4 January 2021.
    let mut before = to_positive_cg(UkNation::England, date(2020, 12, 1));
    before.run(
        C::Exit {
            reason: ExitReason::MovedOn,
        },
        noon(date(2021, 1, 3)),
    );
    assert!(!before.state.reach_in_eligible);
    assert_eq!(
        code(
            before
                .try_do(C::StartReachIn, noon(date(2021, 2, 1)))
                .expect_err("none")
        ),
        "reach-in-not-available"
    );
    let mut after = to_positive_cg(UkNation::England, date(2020, 12, 1));
    after.run(
        C::Exit {
            reason: ExitReason::MovedOn,
        },
        noon(date(2021, 1, 4)),
    );
    assert!(after.state.reach_in_eligible);
    after.run(C::StartReachIn, noon(date(2021, 3, 1)));
    assert_eq!(after.state.status, Some(SupportStatus::ReachIn));
    // Scotland has no Reach-In in its section.
    let mut scot = to_positive_cg(UkNation::Scotland, date(2022, 1, 10));
    scot.run(
        C::Exit {
            reason: ExitReason::SupportPeriodEnded,
        },
        noon(date(2022, 1, 11)),
    );
    assert!(!scot.state.reach_in_eligible);
}

#[test]
fn safeguarding_reviews_fall_due_on_the_configured_interval() {
    let start = date(2025, 4, 1);
    let mut ep = Episode::allocated(UkNation::Wales, start);
    let interval = SupportRules::current()
        .safeguarding_review_interval(start)
        .value;
    let due = start + Duration::days(i64::from(interval));
    assert_eq!(ep.state.next_review_due_on, Some(due));
    let after = due.succ_opt().expect("date");
    assert!(!ep.state.overdue(noon(due), due).safeguarding_review);
    assert!(ep.state.overdue(noon(after), after).safeguarding_review);
    ep.run(
        C::RecordSafeguardingReview {
            trigger: ReviewTrigger::Scheduled,
            notes: vault(),
        },
        noon(after),
    );
    assert!(!ep.state.overdue(noon(after), after).safeguarding_review);
    assert_eq!(
        ep.state.next_review_due_on,
        Some(after + Duration::days(i64::from(interval)))
    );
}

#[test]
fn a_high_severity_concern_is_escalated_at_once_and_tracked_to_closure() {
    let day = date(2025, 5, 6);
    let mut ep = Episode::allocated(UkNation::England, day);
    let t = noon(day);
    let concern = ConcernId::from_uuid(id());
    let events = ep.run(
        C::RaiseConcern {
            concern,
            kind: ConcernKind::ReTrafficking,
            severity: Severity::High,
            details: vault(),
            police_reference: None,
        },
        t,
    );
    assert!(matches!(events[1], SupportEvent::ConcernEscalated { .. }));
    let target = SupportRules::current()
        .acknowledgement_target(day)
        .value
        .high;
    let due = t + Duration::hours(i64::from(target));
    assert_eq!(
        ep.state.concern(concern).expect("c").acknowledgement_due_at,
        Some(due)
    );
    assert!(!ep.state.overdue(due, day).acknowledgement);
    assert!(
        ep.state
            .overdue(due + Duration::seconds(1), day)
            .acknowledgement
    );
    // Not closed before the Home Office acknowledges it.
    let early = ep
        .try_do(
            C::CloseConcern {
                concern,
                outcome: ConcernOutcome::RiskReduced,
            },
            t,
        )
        .expect_err("unacknowledged");
    assert_eq!(code(early), "concern-awaiting-acknowledgement");
    ep.run(C::AcknowledgeConcern { concern }, due + Duration::hours(1));
    assert!(
        !ep.state
            .overdue(due + Duration::hours(2), day)
            .acknowledgement
    );
    ep.run(
        C::CloseConcern {
            concern,
            outcome: ConcernOutcome::ReferredToPolice,
        },
        due + Duration::hours(3),
    );
    assert!(!ep.state.concern(concern).expect("c").open());

    // A low one is not escalated unless the worker chooses to.
    let low = ConcernId::from_uuid(id());
    let events = ep.run(
        C::RaiseConcern {
            concern: low,
            kind: ConcernKind::SelfHarm,
            severity: Severity::Low,
            details: vault(),
            police_reference: None,
        },
        t,
    );
    assert_eq!(events.len(), 1);
    ep.run(C::EscalateConcern { concern: low }, t);
    assert!(ep.state.concern(low).expect("c").escalated());
}

#[test]
fn a_missing_person_concern_needs_the_police_reference_and_a_finding() {
    let day = date(2025, 5, 6);
    let mut ep = Episode::allocated(UkNation::England, day);
    let concern = ConcernId::from_uuid(id());
    let without = ep
        .try_do(
            C::RaiseConcern {
                concern,
                kind: ConcernKind::GoingMissing,
                severity: Severity::Medium,
                details: vault(),
                police_reference: None,
            },
            noon(day),
        )
        .expect_err("reference");
    assert_eq!(code(without), "invalid:/police_reference");
    let reference = vault();
    ep.run(
        C::RaiseConcern {
            concern,
            kind: ConcernKind::GoingMissing,
            severity: Severity::Medium,
            details: vault(),
            police_reference: Some(reference),
        },
        noon(day),
    );
    assert_eq!(
        ep.state.concern(concern).expect("c").police_reference,
        Some(reference)
    );
    let still = ep
        .try_do(
            C::CloseConcern {
                concern,
                outcome: ConcernOutcome::PersonFound,
            },
            noon(day),
        )
        .expect_err("missing");
    assert_eq!(code(still), "person-still-missing");
    ep.run(C::RecordPersonFound { concern }, noon(day));
    ep.run(
        C::CloseConcern {
            concern,
            outcome: ConcernOutcome::PersonFound,
        },
        noon(day),
    );
}

fn house(kind: AccommodationType, capacity: u32) -> Accommodation {
    Accommodation {
        id: AccommodationId::from_uuid(id()),
        provider: SUBCONTRACTOR,
        kind,
        capacity,
        region: "london".to_owned(),
        address: vault(),
    }
}

#[test]
fn placements_never_overlap_and_respect_capacity() {
    let day = date(2025, 6, 2);
    let mut ep = Episode::allocated(UkNation::England, day);
    let a = house(AccommodationType::SelfCatered, 1);
    let p1 = PlacementId::from_uuid(id());
    ep.run(
        C::StartPlacement {
            episode: ep.id,
            placement: p1,
            accommodation: a.clone(),
            start: day,
            occupancy: vec![],
        },
        noon(day),
    );
    let b = house(AccommodationType::Catered, 4);
    let overlap = ep
        .try_do(
            C::StartPlacement {
                episode: ep.id,
                placement: PlacementId::from_uuid(id()),
                accommodation: b.clone(),
                start: day,
                occupancy: vec![],
            },
            noon(day),
        )
        .expect_err("overlap");
    assert_eq!(code(overlap), "placement-overlaps");
    // A full house refuses another person.
    let mut other = Episode::allocated(UkNation::England, day);
    let full = other
        .try_do(
            C::StartPlacement {
                episode: other.id,
                placement: PlacementId::from_uuid(id()),
                accommodation: a.clone(),
                start: day,
                occupancy: ep.state.placements.clone(),
            },
            noon(day),
        )
        .expect_err("full");
    assert_eq!(code(full), "accommodation-full");
    // Moving: end one on the day the next starts; occupancy counts each house once.
    let move_day = date(2025, 6, 9);
    ep.run(
        C::EndPlacement {
            placement: p1,
            end: move_day,
            reason: PlacementEndReason::MovedToOtherAccommodation,
        },
        noon(move_day),
    );
    ep.run(
        C::StartPlacement {
            episode: ep.id,
            placement: PlacementId::from_uuid(id()),
            accommodation: b.clone(),
            start: move_day,
            occupancy: vec![],
        },
        noon(move_day),
    );
    let ps = &ep.state.placements;
    assert_eq!(occupancy_at(ps, a.id, date(2025, 6, 8)), 1);
    assert_eq!(occupancy_at(ps, a.id, move_day), 0);
    assert_eq!(occupancy_at(ps, b.id, move_day), 1);
}

#[test]
fn a_week_is_paid_at_the_rate_of_each_day_and_the_ledger_balances() {
    let rules = SupportRules::current();
    let day = date(2025, 6, 2); // a Monday
    let mut ep = Episode::allocated(UkNation::England, day);
    let a = house(AccommodationType::SelfCatered, 3);
    let b = house(AccommodationType::Catered, 3);
    let p1 = PlacementId::from_uuid(id());
    ep.run(
        C::StartPlacement {
            episode: ep.id,
            placement: p1,
            accommodation: a,
            start: date(2025, 6, 4),
            occupancy: vec![],
        },
        noon(date(2025, 6, 4)),
    );
    ep.run(
        C::EndPlacement {
            placement: p1,
            end: date(2025, 6, 6),
            reason: PlacementEndReason::MovedToOtherAccommodation,
        },
        noon(date(2025, 6, 6)),
    );
    ep.run(
        C::StartPlacement {
            episode: ep.id,
            placement: PlacementId::from_uuid(id()),
            accommodation: b,
            start: date(2025, 6, 6),
            occupancy: vec![],
        },
        noon(date(2025, 6, 6)),
    );
    let week = week_entitlement(
        &rules,
        ep.state.support_span().expect("span"),
        &ep.state.placements,
        day,
    )
    .expect("week");
    use AccommodationType::{Catered as Ca, Outreach as O, SelfCatered as S};
    assert_eq!(
        week.days,
        [
            Some(O),
            Some(O),
            Some(S),
            Some(S),
            Some(Ca),
            Some(Ca),
            Some(Ca)
        ]
    );
    let r = rules.subsistence(day).value;
    let expected = (u64::from(2 * r.outreach + 2 * r.self_catered + 3 * r.catered) + 3) / 7;
    assert_eq!(week.amount_pence, expected);
    // Not due before the week ends.
    let early = ep
        .try_do(C::PostWeekDue { week_start: day }, noon(date(2025, 6, 8)))
        .expect_err("early");
    assert_eq!(code(early), "week-not-ended");
    ep.run(C::PostWeekDue { week_start: day }, noon(date(2025, 6, 9)));
    let twice = ep
        .try_do(C::PostWeekDue { week_start: day }, noon(date(2025, 6, 9)))
        .expect_err("twice");
    assert_eq!(code(twice), "week-already-due");
    let over = ep
        .try_do(
            C::RecordPayment {
                on: date(2025, 6, 9),
                amount_pence: expected + 1,
            },
            noon(date(2025, 6, 9)),
        )
        .expect_err("overpaid");
    assert_eq!(code(over), "payment-exceeds-owed");
    ep.run(
        C::RecordPayment {
            on: date(2025, 6, 9),
            amount_pence: expected,
        },
        noon(date(2025, 6, 9)),
    );
    assert!(ep.state.ledger.balance.balances());
    assert_eq!(ep.state.ledger.balance.owed, 0);
    let csv = statement_csv(
        &ep.state
            .ledger
            .postings
            .iter()
            .map(|p| p.line("EP-1"))
            .collect::<Vec<_>>(),
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "episode,date,kind,amount_gbp,reason");
    assert!(lines[1].starts_with("EP-1,2025-06-02,due,"));
    assert_eq!(lines.last().copied(), Some("total,,,0.00,"));
}

#[test]
fn inspections_rate_every_area_and_overdue_actions_are_listed() {
    let a = house(AccommodationType::SelfCatered, 6);
    let on = date(2025, 7, 1);
    let mut findings: Vec<Finding> = InspectionArea::ALL
        .into_iter()
        .map(|area| Finding {
            area,
            rating: Rating::Good,
        })
        .collect();
    findings[2].rating = Rating::Inadequate;
    let mut inspection = Inspection {
        id: InspectionId::from_uuid(id()),
        accommodation: a.id,
        inspected_on: on,
        follow_up_of: None,
        findings,
        actions: vec![],
        notes: None,
    };
    let missing_action = inspection.check(None).expect_err("action needed");
    assert_eq!(code(missing_action), "invalid:/actions/cleanliness");
    inspection.actions.push(RequiredAction {
        number: 1,
        area: InspectionArea::Cleanliness,
        due_on: date(2025, 7, 15),
        completed_on: None,
    });
    inspection.check(None).expect("valid");
    assert_eq!(inspection.overall(), Rating::Inadequate);
    assert!(overdue_actions([&inspection], date(2025, 7, 15)).is_empty());
    assert_eq!(overdue_actions([&inspection], date(2025, 7, 16)).len(), 1);
    let follow = Inspection {
        id: InspectionId::from_uuid(id()),
        inspected_on: date(2025, 6, 1),
        follow_up_of: Some(inspection.id),
        actions: vec![],
        findings: InspectionArea::ALL
            .into_iter()
            .map(|area| Finding {
                area,
                rating: Rating::Good,
            })
            .collect(),
        ..inspection.clone()
    };
    assert_eq!(
        code(follow.check(Some(&inspection)).expect_err("before")),
        "invalid:/follow_up_of"
    );
}

#[derive(Debug, Clone)]
enum Op {
    Due(u32),
    Pay(u32),
    Adjust(i32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..20_000).prop_map(Op::Due),
        (0u32..20_000).prop_map(Op::Pay),
        (-20_000i32..20_000).prop_map(Op::Adjust),
    ]
}

proptest! {
    /// Whatever is posted or refused, the ledger's totals agree with its postings and nothing
    /// is owed below zero.
    #[test]
    fn the_payments_ledger_always_balances(ops in prop::collection::vec(op(), 0..60)) {
        let mut ledger = Ledger::default();
        let start = date(2025, 1, 6);
        for (i, op) in ops.into_iter().enumerate() {
            let day = start + Duration::days(7 * i as i64);
            let posting = match op {
                Op::Due(p) => Posting::Due { week_start: day, amount_pence: u64::from(p) },
                Op::Pay(p) => Posting::Paid { on: day, amount_pence: u64::from(p) },
                Op::Adjust(p) => Posting::Adjusted {
                    on: day,
                    amount_pence: i64::from(p),
                    reason: AdjustmentReason::Recalculated,
                },
            };
            let before = ledger.clone();
            if ledger.post(posting).is_err() {
                prop_assert_eq!(&ledger, &before, "a refused posting changes nothing");
            }
            prop_assert!(ledger.balance.balances(), "{:?}", ledger.balance);
            let lines: i64 = ledger.postings.iter().map(|p| p.line("x").amount_pence).sum();
            prop_assert_eq!(lines, ledger.balance.owed);
        }
    }

    /// However placements are made and ended through the rules, every supported day of a week
    /// is paid for exactly one way of being accommodated, and the week's amount is the sum of
    /// its days.
    #[test]
    fn entitlement_never_counts_a_day_for_two_placements(
        moves in prop::collection::vec((0u32..10, 1u32..10, prop::bool::ANY), 1..8),
        first_week in 0u32..6,
    ) {
        let rules = SupportRules::current();
        let start = date(2025, 3, 3);
        let mut ep = Episode::allocated(UkNation::England, start);
        let mut day = start;
        for (gap, stay, catered) in moves {
            day += Duration::days(i64::from(gap));
            let kind = if catered { AccommodationType::Catered } else { AccommodationType::SelfCatered };
            let placement = PlacementId::from_uuid(id());
            // Attempts that break a rule are refused and change nothing.
            let _ = ep.try_do(C::StartPlacement {
                episode: ep.id,
                placement,
                accommodation: house(kind, 2),
                start: day,
                occupancy: vec![],
            }, noon(day));
            day += Duration::days(i64::from(stay));
            let _ = ep.try_do(C::EndPlacement {
                placement,
                end: day,
                reason: PlacementEndReason::MovedToOtherAccommodation,
            }, noon(day));
        }
        let span = SupportSpan { from: start, until: None };
        let week_start = start + Duration::days(7 * i64::from(first_week));
        let week = week_entitlement(&rules, span, &ep.state.placements, week_start)
            .expect("no overlap is ever recorded");
        let mut sevenths = 0u64;
        for (i, kind) in week.days.iter().enumerate() {
            let d = week_start + Duration::days(i as i64);
            let covering = ep.state.placements.iter().filter(|p| p.covers(d)).count();
            prop_assert!(covering <= 1);
            let kind = kind.expect("every day is in support");
            if covering == 0 {
                prop_assert_eq!(kind, AccommodationType::Outreach);
            }
            sevenths += u64::from(rules.subsistence(d).value.weekly(kind));
        }
        prop_assert_eq!(week.amount_pence, (sevenths + 3) / 7);
    }
}

/// Subsistence rates are dated rules with their sources: the outreach rate rose from £35 to
/// £39.60 a week on 1 July 2020 while the safe-house rates stayed at £35 (catered) and £65
/// (self-catered); none is confirmed by the domain brief, so each is marked uncertain.
#[test]
fn subsistence_rates_follow_the_date_and_carry_their_sources() {
    let rules = SupportRules::current();
    let before = rules.subsistence(date(2020, 6, 30));
    let after = rules.subsistence(date(2020, 7, 1));
    assert_eq!(before.value.outreach, 3500);
    assert_eq!(after.value.outreach, 3960);
    for r in [before, after] {
        assert_eq!(r.value.catered, 3500);
        assert_eq!(r.value.self_catered, 6500);
        assert!(!r.source.is_empty());
        assert_eq!(r.certainty, nrm_domain::rules::Certainty::Uncertain);
    }
    // A week spanning the change is paid day by day at each day's rate.
    let span = SupportSpan {
        from: date(2020, 6, 29),
        until: None,
    };
    let week = week_entitlement(&rules, span, &[], date(2020, 6, 29)).expect("week");
    assert_eq!(week.amount_pence, (2 * 3500 + 5 * 3960 + 3) / 7);
}

/// No day falls due twice: a week that overlaps one already due is refused, whichever day it
/// starts on; the next week is accepted.
#[test]
fn a_week_due_never_overlaps_another() {
    let mut ledger = Ledger::default();
    let monday = date(2025, 3, 3);
    assert!(
        ledger
            .post(Posting::Due {
                week_start: monday,
                amount_pence: 700,
            })
            .is_ok()
    );
    for start in [
        monday,
        monday + Duration::days(3),
        monday - Duration::days(6),
    ] {
        let refused = ledger.check(&Posting::Due {
            week_start: start,
            amount_pence: 700,
        });
        assert!(
            matches!(refused, Err(DomainError::Refused { .. })),
            "{start}: {refused:?}"
        );
    }
    assert!(
        ledger
            .post(Posting::Due {
                week_start: monday + Duration::days(7),
                amount_pence: 700,
            })
            .is_ok()
    );
    assert_eq!(ledger.balance.owed, 1400);
}
