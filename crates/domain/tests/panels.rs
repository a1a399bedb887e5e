//! Issue 13 items 2 and 3: devolved pilot panels (meeting, papers, attendance, decisions
//! through the case's own rules, the SCA's quality assurance by the rules of the date) and age
//! assessments that reroute a case. Dates either side of each dated change.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::children::age::{AgeAssessor, AgeFinding, RecordAgeAssessment};
use nrm_domain::children::panel::{ChecklistItem, PanelCommand};
use nrm_domain::command::{Command, Decision, LifecycleCommand, Nations, Submit, decide};
use nrm_domain::event::{
    CaseEvent, CompetentAuthority, DecisionRef, NegativeReason, Outcome, Recipient, ReviewOutcome,
};
use nrm_domain::fixtures::{adult_referral, child_referral};
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::rules::{PanelAgency, PilotPanelMember, ReviewKind, Rulebook};
use nrm_domain::submission::{AgeGroup, Submission};
use nrm_domain::{Actor, CaseState};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn user(n: u128) -> UserId {
    UserId(Uuid::from_u128(n))
}

const FRO: Actor = Actor {
    user: UserId(Uuid::from_u128(1)),
    organisation: OrganisationId(Uuid::from_u128(100)),
};
/// A panel member of the pilot local authority.
const LA: Actor = Actor {
    user: UserId(Uuid::from_u128(11)),
    organisation: OrganisationId(Uuid::from_u128(300)),
};
/// A decision maker of the Single Competent Authority.
const SCA: Actor = Actor {
    user: UserId(Uuid::from_u128(21)),
    organisation: OrganisationId(Uuid::from_u128(400)),
};

fn member(n: u128, agency: PanelAgency) -> PilotPanelMember {
    PilotPanelMember {
        user: user(n),
        agency,
        lead_social_worker: false,
    }
}

struct Case {
    state: CaseState,
    rules: Rulebook,
    /// Every event so far, in order.
    log: Vec<CaseEvent>,
}

impl Case {
    fn try_do(
        &mut self,
        command: Command,
        actor: Actor,
        on: NaiveDate,
    ) -> Result<Vec<CaseEvent>, nrm_domain::DomainError> {
        let events = decide(&self.state, &command, actor, &self.rules, noon(on))?;
        for e in &events {
            self.state = std::mem::take(&mut self.state).evolve(e);
        }
        self.log.extend(events.iter().cloned());
        Ok(events)
    }

    fn act(&mut self, command: Command, actor: Actor, on: NaiveDate) -> Vec<CaseEvent> {
        match self.try_do(command, actor, on) {
            Ok(events) => events,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    fn referral(&self) -> &nrm_domain::case::Referral {
        match &self.state {
            CaseState::Referral(r) => r,
            other => panic!("not a referral: {other:?}"),
        }
    }
}

fn submitted(mut submission: Submission, on: NaiveDate) -> Case {
    // The fixtures' dates moved to the day of the referral.
    match &mut submission {
        Submission::Adult(a) => {
            a.consent.referral_consent_given_on = on;
            a.exploitation.period.started_on = Some(on - Duration::days(30));
            a.exploitation.period.ended_on = Some(on);
        }
        Submission::Child(c) => {
            c.exploitation.period.started_on = Some(on - Duration::days(30));
            c.exploitation.period.ended_on = Some(on);
        }
        Submission::DutyToNotify(_) => {}
    }
    let mut case = Case {
        state: CaseState::Empty,
        rules: Rulebook::current(),
        log: Vec::new(),
    };
    case.act(
        Command::Submit(Box::new(Submit {
            submission,
            reference_random: 7,
            subject: SubjectId(Uuid::from_u128(5)),
            personal_details: VaultRecordId(Uuid::from_u128(6)),
            nations: Nations::default(),
        })),
        FRO,
        on,
    );
    case
}

/// A child referred in Hull (a pilot site since June 2021).
fn hull_child(on: NaiveDate, disputed: bool) -> Case {
    let mut child = child_referral();
    child.local_authority_area = Some("hull".to_owned());
    child.age_disputed = disputed;
    child.victim.date_of_birth = Some(on - Duration::days(365 * 14));
    submitted(Submission::Child(child), on)
}

fn convene(meeting: u128, meets_on: NaiveDate) -> Command {
    Command::Panel(PanelCommand::Convene {
        meeting: Uuid::from_u128(meeting),
        meets_on,
        chair: member(31, PanelAgency::ChildrensSocialCare),
        members: vec![
            member(32, PanelAgency::Police),
            member(33, PanelAgency::Health),
            member(34, PanelAgency::Education),
        ],
    })
}

fn papers(meeting: u128, items: &[ChecklistItem]) -> Command {
    Command::Panel(PanelCommand::PreparePapers {
        meeting: Uuid::from_u128(meeting),
        items: items.to_vec(),
    })
}

const FULL_PAPERS: [ChecklistItem; 5] = [
    ChecklistItem::Referral,
    ChecklistItem::ChildrensSocialCare,
    ChecklistItem::Police,
    ChecklistItem::Health,
    ChecklistItem::ChildsViews,
];

fn panel_decides(
    meeting: u128,
    decision: DecisionRef,
    outcome: Outcome,
    on: NaiveDate,
    present: &[u128],
    draw: u16,
) -> Command {
    Command::Panel(PanelCommand::Decide {
        meeting: Uuid::from_u128(meeting),
        decision,
        grounds: Decision {
            outcome,
            decided_on: on,
            reasons: VaultRecordId(Uuid::from_u128(900 + meeting)),
            negative_reason: (outcome == Outcome::Negative)
                .then_some(NegativeReason::InsufficientEvidence),
        },
        present: present.iter().map(|n| user(*n)).collect(),
        assurance_draw: draw,
    })
}

fn assure(decision: DecisionRef, outcome: ReviewOutcome, on: NaiveDate) -> Command {
    Command::Lifecycle(LifecycleCommand::AssurePanelDecision {
        decision,
        outcome,
        reviewed_on: on,
        reasons: VaultRecordId(Uuid::from_u128(77)),
    })
}

fn refusal_code(e: &nrm_domain::DomainError) -> String {
    match e {
        nrm_domain::DomainError::Refused { code, .. } => (*code).to_owned(),
        nrm_domain::DomainError::Invalid(p) => format!("invalid {}", p[0].field),
        other => format!("{other:?}"),
    }
}

#[test]
fn a_pilot_panel_convenes_prepares_its_papers_and_decides_through_the_cases_own_rules() {
    let on = date(2024, 5, 1);
    let mut case = hull_child(on, false);
    assert_eq!(
        case.referral().competent_authority,
        CompetentAuthority::LocalAuthorityPanel
    );
    let meets = date(2024, 5, 8);
    case.act(convene(1, meets), LA, on);
    // No papers, no decision.
    let e = case
        .try_do(
            panel_decides(
                1,
                DecisionRef::ReasonableGrounds,
                Outcome::Positive,
                meets,
                &[31, 32, 33],
                999,
            ),
            LA,
            meets,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("papers-not-prepared")
    );
    // Papers without health information: the dated checklist refuses.
    case.act(
        papers(
            1,
            &[
                ChecklistItem::Referral,
                ChecklistItem::ChildrensSocialCare,
                ChecklistItem::Police,
            ],
        ),
        LA,
        on,
    );
    let e = case
        .try_do(
            panel_decides(
                1,
                DecisionRef::ReasonableGrounds,
                Outcome::Positive,
                meets,
                &[31, 32, 33],
                999,
            ),
            LA,
            meets,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("papers-incomplete")
    );
    // The papers always include the referral.
    let e = case
        .try_do(papers(1, &[ChecklistItem::Police]), LA, on)
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("invalid /items")
    );
    case.act(papers(1, &FULL_PAPERS), LA, on);
    // Attendance: the chair must be there, and those present must still cover social care,
    // police and health.
    for (present, code) in [
        (&[32u128, 33, 34][..], "panel-quorum"),
        (&[31, 32, 34][..], "panel-quorum"),
        (&[31, 33][..], "panel-quorum"),
        (&[31, 32, 99][..], "invalid /present"),
    ] {
        let e = case
            .try_do(
                panel_decides(
                    1,
                    DecisionRef::ReasonableGrounds,
                    Outcome::Positive,
                    meets,
                    present,
                    999,
                ),
                LA,
                meets,
            )
            .err();
        assert_eq!(
            e.map(|e| refusal_code(&e)).as_deref(),
            Some(code),
            "{present:?}"
        );
    }
    // The decision is made on the meeting's date, not another.
    let e = case
        .try_do(
            panel_decides(
                1,
                DecisionRef::ReasonableGrounds,
                Outcome::Positive,
                meets - Duration::days(1),
                &[31, 32, 33],
                999,
            ),
            LA,
            meets,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("invalid /decided_on")
    );
    // A positive RG outside the sample: recorded like any RG, with its recovery period, and
    // ready to serve.
    let events = case.act(
        panel_decides(
            1,
            DecisionRef::ReasonableGrounds,
            Outcome::Positive,
            meets,
            &[31, 32, 33],
            999,
        ),
        LA,
        meets,
    );
    assert!(matches!(&events[0], CaseEvent::PanelDecided(d) if !d.assured && d.present.len() == 3));
    assert!(
        matches!(&events[1], CaseEvent::ReasonableGroundsDecided(d) if d.review.is_none() && d.decided_by == LA)
    );
    assert!(matches!(&events[2], CaseEvent::RecoveryPeriodStarted(_)));
    let rg = case
        .referral()
        .reasonable_grounds
        .unwrap_or_else(|| panic!("no RG"));
    assert!(rg.ready_to_serve());
    // The same meeting cannot make the CG: a new meeting after the recovery period.
    let cg_day = case.rules.conclusive_grounds_earliest(meets);
    let e = case.try_do(convene(1, cg_day), LA, cg_day).err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("duplicate-meeting")
    );
    case.act(convene(2, cg_day), LA, cg_day);
    case.act(papers(2, &FULL_PAPERS), LA, cg_day);
    let events = case.act(
        panel_decides(
            2,
            DecisionRef::ConclusiveGrounds,
            Outcome::Positive,
            cg_day,
            &[31, 32, 33, 34],
            999,
        ),
        LA,
        cg_day,
    );
    assert!(
        matches!(&events[1], CaseEvent::ConclusiveGroundsDecided(d) if d.outcome == Outcome::Positive)
    );
}

#[test]
fn the_panel_is_convened_only_with_a_chair_who_is_not_the_lead_social_worker_and_the_three_agencies()
 {
    let on = date(2024, 5, 1);
    let mut case = hull_child(on, false);
    let mut chair = member(31, PanelAgency::ChildrensSocialCare);
    chair.lead_social_worker = true;
    let lead_chairs = Command::Panel(PanelCommand::Convene {
        meeting: Uuid::from_u128(1),
        meets_on: on,
        chair,
        members: vec![
            member(32, PanelAgency::Police),
            member(33, PanelAgency::Health),
        ],
    });
    let e = case.try_do(lead_chairs, LA, on).err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("pilot-panel-composition")
    );
    let no_health = Command::Panel(PanelCommand::Convene {
        meeting: Uuid::from_u128(1),
        meets_on: on,
        chair: member(31, PanelAgency::ChildrensSocialCare),
        members: vec![
            member(32, PanelAgency::Police),
            member(33, PanelAgency::Education),
        ],
    });
    let e = case.try_do(no_health, LA, on).err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("pilot-panel-composition")
    );
    // Not a pilot case: no panel.
    let mut adult = submitted(Submission::Adult(adult_referral()), on);
    let e = adult.try_do(convene(1, on), LA, on).err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("not-a-pilot-case")
    );
}

#[test]
fn the_sca_assures_every_negative_decision_and_a_sample_of_positive_ones_and_a_returned_one_is_decided_again()
 {
    let on = date(2024, 5, 1);
    // Positive, inside the sample (draw 0 of 1000 against 100 per thousand): held.
    let mut case = hull_child(on, false);
    case.act(convene(1, on), LA, on);
    case.act(papers(1, &FULL_PAPERS), LA, on);
    let events = case.act(
        panel_decides(
            1,
            DecisionRef::ReasonableGrounds,
            Outcome::Positive,
            on,
            &[31, 32, 33],
            0,
        ),
        LA,
        on,
    );
    assert!(matches!(&events[0], CaseEvent::PanelDecided(d) if d.assured));
    let rg = case
        .referral()
        .reasonable_grounds
        .unwrap_or_else(|| panic!("no RG"));
    assert_eq!(rg.review_required, Some(ReviewKind::ScaQualityAssurance));
    assert!(!rg.ready_to_serve());
    // Not by the local authority that decided.
    let colleague = Actor {
        user: user(12),
        ..LA
    };
    let e = case
        .try_do(
            assure(DecisionRef::ReasonableGrounds, ReviewOutcome::Agree, on),
            colleague,
            on,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("reviewer-from-deciding-authority")
    );
    // Returned by the SCA: set aside, the panel decides again at a new meeting.
    let later = on + Duration::days(3);
    case.act(
        assure(
            DecisionRef::ReasonableGrounds,
            ReviewOutcome::ReferBack,
            later,
        ),
        SCA,
        later,
    );
    assert!(case.referral().reasonable_grounds.is_none());
    let e = case
        .try_do(
            panel_decides(
                1,
                DecisionRef::ReasonableGrounds,
                Outcome::Positive,
                on,
                &[31, 32, 33],
                999,
            ),
            LA,
            later,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("meeting-already-decided")
    );
    case.act(convene(2, later), LA, later);
    case.act(papers(2, &FULL_PAPERS), LA, later);
    // A negative decision: always held, whatever the draw.
    case.act(
        panel_decides(
            2,
            DecisionRef::ReasonableGrounds,
            Outcome::Negative,
            later,
            &[31, 32, 33],
            999,
        ),
        LA,
        later,
    );
    let rg = case
        .referral()
        .reasonable_grounds
        .unwrap_or_else(|| panic!("no RG"));
    assert_eq!(rg.review_required, Some(ReviewKind::ScaQualityAssurance));
    case.act(
        assure(DecisionRef::ReasonableGrounds, ReviewOutcome::Agree, later),
        SCA,
        later,
    );
    let rg = case
        .referral()
        .reasonable_grounds
        .unwrap_or_else(|| panic!("no RG"));
    assert!(rg.ready_to_serve());
    // Nothing is left to assure.
    let e = case
        .try_do(
            assure(DecisionRef::ReasonableGrounds, ReviewOutcome::Agree, later),
            SCA,
            later,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("already-reviewed")
    );
}

#[test]
fn pilot_panels_exist_only_from_the_pilots_start() {
    // Hull joined the pilot on 1 June 2021: a child referred the day before went to the SCA.
    let before = hull_child(date(2021, 5, 31), false);
    assert_eq!(
        before.referral().competent_authority,
        CompetentAuthority::Sca
    );
    let mut from = hull_child(date(2021, 6, 1), false);
    assert_eq!(
        from.referral().competent_authority,
        CompetentAuthority::LocalAuthorityPanel
    );
    // A meeting dated before the pilot began is refused even for a pilot case.
    from.act(convene(1, date(2021, 6, 1)), LA, date(2021, 6, 1));
    let e = from
        .try_do(convene(2, date(2021, 5, 31)), LA, date(2021, 6, 1))
        .err();
    assert!(e.is_some());
}

fn assessment(finding: AgeFinding, born: NaiveDate, on: NaiveDate, area: Option<&str>) -> Command {
    Command::Lifecycle(LifecycleCommand::RecordAgeAssessment(RecordAgeAssessment {
        assessed_on: on,
        assessed_by: AgeAssessor::LocalAuthority,
        finding,
        date_of_birth: born,
        date_of_birth_record: VaultRecordId(Uuid::from_u128(50)),
        reasons: VaultRecordId(Uuid::from_u128(51)),
        local_authority_area: area.map(str::to_owned),
    }))
}

#[test]
fn an_age_disputed_child_found_to_be_an_adult_leaves_the_pilot_panel_for_the_sca() {
    let on = date(2024, 5, 1);
    let mut case = hull_child(on, true);
    assert_eq!(case.referral().age_group, AgeGroup::Child);
    assert!(case.referral().age_disputed);
    let assessed = on + Duration::days(10);
    // The date of birth must agree with the finding.
    let e = case
        .try_do(
            assessment(AgeFinding::Adult, date(2010, 1, 1), assessed, None),
            LA,
            assessed,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("invalid /date_of_birth")
    );
    let events = case.act(
        assessment(AgeFinding::Adult, date(2000, 1, 1), assessed, None),
        LA,
        assessed,
    );
    let CaseEvent::AgeAssessed(a) = &events[0] else {
        panic!("{events:?}")
    };
    // The date of birth is in the vault; the event holds its record and who is told.
    assert_eq!(a.date_of_birth, VaultRecordId(Uuid::from_u128(50)));
    assert!(a.notified.contains(&Recipient::PotentialVictim));
    assert!(
        !serde_json::to_string(&events)
            .unwrap_or_default()
            .contains("2000-01-01")
    );
    assert!(matches!(
        &events[1],
        CaseEvent::RouteChanged {
            to: CompetentAuthority::Sca,
            pilot_site: None,
            ..
        }
    ));
    let r = case.referral();
    assert_eq!(r.age_group, AgeGroup::Adult);
    assert!(!r.age_disputed);
    assert_eq!(r.competent_authority, CompetentAuthority::Sca);
    // From now on the person's notices go to them.
    assert_eq!(
        nrm_domain::notice::recipients(r, false)[0],
        Recipient::PotentialVictim
    );
    // One assessment per case.
    let e = case
        .try_do(
            assessment(AgeFinding::Adult, date(2000, 1, 1), assessed, None),
            LA,
            assessed,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("age-already-assessed")
    );
}

#[test]
fn a_person_referred_as_an_adult_found_to_be_a_child_goes_to_the_pilot_panel_where_they_live() {
    let on = date(2024, 5, 1);
    let mut adult = adult_referral();
    adult.victim.date_of_birth = None;
    let mut case = submitted(Submission::Adult(adult.clone()), on);
    let events = case.act(
        assessment(AgeFinding::Child, date(2010, 3, 1), on, Some("hull")),
        SCA,
        on,
    );
    assert!(
        matches!(&events[1], CaseEvent::RouteChanged { to: CompetentAuthority::LocalAuthorityPanel, pilot_site: Some(s), .. } if s == "hull")
    );
    let r = case.referral();
    assert_eq!(r.age_group, AgeGroup::Child);
    assert_eq!(
        nrm_domain::notice::recipients(r, false)[0],
        Recipient::LocalAuthority
    );
    // Within 100 days of 18: the child route stays with the SCA.
    let mut near = submitted(Submission::Adult(adult.clone()), on);
    let born = date(2006, 6, 1);
    let events = near.act(
        assessment(AgeFinding::Child, born, on, Some("hull")),
        SCA,
        on,
    );
    assert_eq!(events.len(), 1);
    assert_eq!(near.referral().competent_authority, CompetentAuthority::Sca);
    assert_eq!(near.referral().age_group, AgeGroup::Child);
    // A child whose age nobody disputes has no assessment.
    let mut settled = hull_child(on, false);
    let e = settled
        .try_do(
            assessment(AgeFinding::Child, date(2010, 1, 1), on, None),
            LA,
            on,
        )
        .err();
    assert_eq!(
        e.map(|e| refusal_code(&e)).as_deref(),
        Some("age-not-disputed")
    );
}

#[test]
fn the_panels_queue_follows_a_case_from_convening_to_a_return_by_the_sca_and_its_meeting_keeps_the_record()
 {
    use nrm_domain::children::panel_work::{PanelStage, meeting_records, panel_stage};
    let stage = |case: &Case| panel_stage(case.referral(), &meeting_records(&case.log));
    let on = date(2024, 5, 1);
    let mut case = hull_child(on, false);
    assert_eq!(stage(&case), PanelStage::ToConvene);
    case.act(convene(1, on), LA, on);
    assert_eq!(stage(&case), PanelStage::AwaitingPapers);
    case.act(papers(1, &FULL_PAPERS), LA, on);
    assert_eq!(stage(&case), PanelStage::AwaitingMeeting);
    case.act(
        panel_decides(
            1,
            DecisionRef::ReasonableGrounds,
            Outcome::Negative,
            on,
            &[31, 32, 33],
            999,
        ),
        LA,
        on,
    );
    assert_eq!(stage(&case), PanelStage::WithSca);
    let records = meeting_records(&case.log);
    assert_eq!(records.len(), 1);
    let decided = &records[0].decisions;
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].outcome, Outcome::Negative);
    assert_eq!(decided[0].present, vec![user(31), user(32), user(33)]);
    assert_eq!(decided[0].reasons, VaultRecordId(Uuid::from_u128(901)));
    assert!(decided[0].assured && decided[0].assurance.is_none());
    let quorum = records[0].quorum();
    assert_eq!(
        (quorum.present, quorum.minimum, quorum.met()),
        (Some(3), Some(3), Some(true))
    );

    // Returned: the queue says so until a new meeting is convened.
    let later = on + Duration::days(3);
    case.act(
        assure(
            DecisionRef::ReasonableGrounds,
            ReviewOutcome::ReferBack,
            later,
        ),
        SCA,
        later,
    );
    assert_eq!(stage(&case), PanelStage::ReturnedBySca);
    let records = meeting_records(&case.log);
    assert_eq!(
        records[0].decisions[0]
            .assurance
            .map(|a| (a.outcome, a.reviewed_on)),
        Some((ReviewOutcome::ReferBack, later))
    );
    case.act(convene(2, later), LA, later);
    assert_eq!(stage(&case), PanelStage::AwaitingPapers);
    let records = meeting_records(&case.log);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].quorum().met(), None);

    // Decided again, positive and outside the sample: decided, nothing waits on the panel
    // for the RG (the CG is the next decision, after the recovery period).
    case.act(papers(2, &FULL_PAPERS), LA, later);
    case.act(
        panel_decides(
            2,
            DecisionRef::ReasonableGrounds,
            Outcome::Positive,
            later,
            &[31, 32, 33, 34],
            999,
        ),
        LA,
        later,
    );
    let records = meeting_records(&case.log);
    assert!(!records[1].decisions[0].assured);
    assert_eq!(records[1].quorum().present, Some(4));
    assert_eq!(stage(&case), PanelStage::ToConvene);
}
