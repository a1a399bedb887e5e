//! Issue 13 in the store, on both backends: a pilot panel's meeting, papers and a decision
//! held for the SCA's quality assurance (the read model's `review_pending`, even for a
//! positive decision in the sample), a decision returned (status, earliest CG and review
//! cleared), and an age assessment (age group and route); every new event kind read back
//! exactly as written.

use chrono::{DateTime, TimeZone, Utc};
use nrm_domain::case::{CaseState, CaseStatus};
use nrm_domain::children::age::{AgeAssessor, AgeFinding, RecordAgeAssessment};
use nrm_domain::children::panel::{ChecklistItem, PanelCommand};
use nrm_domain::command::{Command, Decision, LifecycleCommand, Submit, decide};
use nrm_domain::event::{CompetentAuthority, DecisionRef, Outcome, ReviewOutcome};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::rules::{PanelAgency, PilotPanelMember};
use nrm_domain::submission::{AgeGroup, Submission};
use nrm_domain::{Actor, CaseEvent, Rulebook};
use nrm_store::{Append, Store};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

const LA: Actor = Actor {
    user: UserId(Uuid::from_u128(31)),
    organisation: OrganisationId(Uuid::from_u128(300)),
};
const SCA: Actor = Actor {
    user: UserId(Uuid::from_u128(41)),
    organisation: OrganisationId(Uuid::from_u128(400)),
};

struct Case {
    id: CaseId,
    subject: SubjectId,
    version: u64,
    state: CaseState,
    events: Vec<CaseEvent>,
}

async fn step(store: &Store, case: &mut Case, command: Command, actor: Actor) {
    let events = decide(&case.state, &command, actor, &Rulebook::current(), now())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let reference = match &events[0] {
        CaseEvent::ReferralSubmitted(e) => Some(e.reference.clone()),
        _ => None,
    };
    let subjects = [case.subject];
    case.version = store
        .append(Append {
            case_id: case.id,
            expected_version: case.version,
            reference: reference.as_ref(),
            events: &events,
            actor,
            recorded_at: now(),
            new_subjects: if reference.is_some() { &subjects } else { &[] },
            vault_writes: &[],
            audit: Some(&nrm_store::audit::AuditRecord {
                actor,
                action: "test".to_owned(),
                case_id: Some(case.id),
                outcome: "ok".to_owned(),
                subject: None,
            }),
            draft: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for e in &events {
        case.state = std::mem::take(&mut case.state).evolve(e);
    }
    case.events.extend(events);
}

async fn hull_child(store: &Store, disputed: bool) -> Case {
    let mut child = fixtures::child_referral();
    child.local_authority_area = Some("hull".to_owned());
    child.age_disputed = disputed;
    let subject = SubjectId(Uuid::new_v4());
    let mut case = Case {
        id: CaseId(Uuid::new_v4()),
        subject,
        version: 0,
        state: CaseState::Empty,
        events: Vec::new(),
    };
    let submit = Command::Submit(Box::new(Submit {
        submission: Submission::Child(child),
        reference_random: u64::from(Uuid::new_v4().as_fields().0),
        subject,
        personal_details: VaultRecordId(Uuid::new_v4()),
        nations: Default::default(),
    }));
    step(
        store,
        &mut case,
        submit,
        Actor {
            user: UserId(Uuid::from_u128(1)),
            organisation: OrganisationId(Uuid::from_u128(100)),
        },
    )
    .await;
    case
}

fn member(n: u128, agency: PanelAgency) -> PilotPanelMember {
    PilotPanelMember {
        user: UserId(Uuid::from_u128(n)),
        agency,
        lead_social_worker: false,
    }
}

#[tokio::test]
async fn a_pilot_panels_decision_held_for_assurance_is_in_the_read_model_on_both_backends() {
    for t in nrm_store::testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let today = now().date_naive();
        let mut case = hull_child(&store, false).await;
        let meeting = Uuid::new_v4();
        step(
            &store,
            &mut case,
            Command::Panel(PanelCommand::Convene {
                meeting,
                meets_on: today,
                chair: member(31, PanelAgency::ChildrensSocialCare),
                members: vec![
                    member(32, PanelAgency::Police),
                    member(33, PanelAgency::Health),
                ],
            }),
            LA,
        )
        .await;
        step(
            &store,
            &mut case,
            Command::Panel(PanelCommand::PreparePapers {
                meeting,
                items: vec![
                    ChecklistItem::Referral,
                    ChecklistItem::ChildrensSocialCare,
                    ChecklistItem::Police,
                    ChecklistItem::Health,
                ],
            }),
            LA,
        )
        .await;
        // A positive RG in the SCA's sample (draw 0): held like a negative one.
        step(
            &store,
            &mut case,
            Command::Panel(PanelCommand::Decide {
                meeting,
                decision: DecisionRef::ReasonableGrounds,
                grounds: Decision {
                    outcome: Outcome::Positive,
                    decided_on: today,
                    reasons: VaultRecordId(Uuid::new_v4()),
                    negative_reason: None,
                },
                present: vec![31, 32, 33]
                    .into_iter()
                    .map(|n| UserId(Uuid::from_u128(n)))
                    .collect(),
                assurance_draw: 0,
            }),
            LA,
        )
        .await;
        let summary = store
            .summary(case.id, today)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("summary"));
        assert!(summary.review_pending);
        assert_eq!(summary.status, CaseStatus::AwaitingConclusiveGrounds);
        assert!(summary.conclusive_grounds_earliest_on.is_some());
        // Returned by the SCA: back to awaiting the RG, nothing held, no recovery period.
        step(
            &store,
            &mut case,
            Command::Lifecycle(LifecycleCommand::AssurePanelDecision {
                decision: DecisionRef::ReasonableGrounds,
                outcome: ReviewOutcome::ReferBack,
                reviewed_on: today,
                reasons: VaultRecordId(Uuid::new_v4()),
            }),
            SCA,
        )
        .await;
        let summary = store
            .summary(case.id, today)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("summary"));
        assert!(!summary.review_pending);
        assert_eq!(summary.status, CaseStatus::AwaitingReasonableGrounds);
        assert_eq!(summary.conclusive_grounds_earliest_on, None);
        // Every event reads back as written.
        let loaded = store
            .load(case.id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("load"));
        let read: Vec<CaseEvent> = loaded.events.into_iter().map(|e| e.event).collect();
        assert_eq!(read, case.events);

        // An age assessment: the age group and the route follow the finding.
        let mut disputed = hull_child(&store, true).await;
        step(
            &store,
            &mut disputed,
            Command::Lifecycle(LifecycleCommand::RecordAgeAssessment(RecordAgeAssessment {
                assessed_on: today,
                assessed_by: AgeAssessor::HomeOffice,
                finding: AgeFinding::Adult,
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1999, 12, 13).unwrap_or_default(),
                date_of_birth_record: VaultRecordId(Uuid::new_v4()),
                reasons: VaultRecordId(Uuid::new_v4()),
                local_authority_area: None,
            })),
            LA,
        )
        .await;
        let summary = store
            .summary(disputed.id, today)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("summary"));
        assert_eq!(summary.age_group, Some(AgeGroup::Adult));
        assert_eq!(summary.competent_authority, Some(CompetentAuthority::Sca));
        assert_eq!(summary.pilot_site, None);
        t.cleanup().await;
    }
}
