//! Issue 13 items 2 and 3 through the service on SQLite and PostgreSQL: a pilot panel
//! convenes, prepares its papers and decides; the decision is held for the SCA's quality
//! assurance, appears in its queue and leaves it when assured; an age assessment reroutes a
//! case; written reasons and the assessed date of birth never reach the database in plaintext.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::children::age::{AgeAssessor, AgeFinding};
use nrm_domain::children::letter::Language;
use nrm_domain::children::panel::ChecklistItem;
use nrm_domain::event::{CompetentAuthority, DecisionRef, NegativeReason, Outcome, ReviewOutcome};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::rules::{PanelAgency, PilotPanelMember};
use nrm_domain::submission::{AgeGroup, Submission};
use nrm_domain::{Actor, Rulebook};
use nrm_service::{
    Action, AgeAssessmentInput, AssuranceInput, Cases, ConveneInput, PanelDecisionInput, Present,
    ServiceError,
};
use nrm_store::QueueQuery;
use nrm_store::testing;
use uuid::Uuid;

const CANARY: &str = "PANEL-REASONS-CANARY-5120";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn principal(user: u128, organisation: u128, kind: OrganisationKind, role: Role) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(organisation)),
        },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

async fn cap(
    cases: &Cases,
    who: &Principal,
    case: CaseId,
    op: CaseOperation,
    on: NaiveDate,
) -> Result<nrm_access::CaseCapability, ServiceError> {
    let facts = cases
        .case_facts(case, on)
        .await?
        .ok_or(ServiceError::NotFound)?;
    nrm_access::authorise_case(who, op, &facts).map_err(|_| ServiceError::NotFound)
}

fn member(n: u128, agency: PanelAgency) -> PilotPanelMember {
    PilotPanelMember {
        user: UserId(Uuid::from_u128(n)),
        agency,
        lead_social_worker: false,
    }
}

async fn submit_child(
    cases: &Cases,
    responder: &Principal,
    disputed: bool,
    on: NaiveDate,
) -> CaseId {
    let submit = nrm_access::authorise(responder, Operation::SubmitReferral)
        .unwrap_or_else(|_| panic!("responder"));
    let mut child = fixtures::child_referral();
    child.local_authority_area = Some("hull".to_owned());
    child.age_disputed = disputed;
    cases
        .submit(&submit, Submission::Child(child), noon(on))
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"))
        .case_id
}

#[tokio::test]
async fn a_pilot_panel_decides_and_the_sca_assures_it_on_both_engines() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        let responder = principal(
            1,
            1000,
            OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        );
        let hull = principal(
            11,
            300,
            OrganisationKind::LocalAuthority {
                pilot_site: Some("hull".to_owned()),
            },
            Role::LocalAuthorityPanelMember,
        );
        let camden = principal(
            12,
            301,
            OrganisationKind::LocalAuthority {
                pilot_site: Some("camden".to_owned()),
            },
            Role::LocalAuthorityPanelMember,
        );
        let sca = principal(
            21,
            400,
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            Role::DecisionMaker,
        );
        let day = date(2025, 3, 3);
        let case = submit_child(&cases, &responder, false, day).await;
        // Another site's panel member cannot reach the case at all.
        assert!(
            cap(&cases, &camden, case, CaseOperation::Decide, day)
                .await
                .is_err()
        );
        let decide = cap(&cases, &hull, case, CaseOperation::Decide, day)
            .await
            .unwrap_or_else(|e| panic!("hull: {e}"));
        let (meeting, _) = cases
            .convene_panel(
                &decide,
                None,
                ConveneInput {
                    meeting: None,
                    meets_on: day,
                    chair: member(31, PanelAgency::ChildrensSocialCare),
                    members: vec![
                        member(32, PanelAgency::Police),
                        member(33, PanelAgency::Health),
                    ],
                },
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("convene: {e}"));
        cases
            .prepare_panel_papers(
                &decide,
                None,
                meeting,
                vec![
                    ChecklistItem::Referral,
                    ChecklistItem::ChildrensSocialCare,
                    ChecklistItem::Police,
                    ChecklistItem::Health,
                ],
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("papers: {e}"));
        // Not through the single decision maker's path: at the meeting.
        let alone = cases
            .decide(
                &decide,
                None,
                nrm_service::DecisionKind::ReasonableGrounds,
                nrm_service::DecisionInput {
                    outcome: Outcome::Positive,
                    decided_on: day,
                    reasons: "Alone".to_owned(),
                    negative_reason: None,
                },
                noon(day),
            )
            .await;
        assert!(
            matches!(&alone, Err(ServiceError::Domain(nrm_domain::DomainError::Refused { code, .. })) if *code == "pilot-decision-at-panel"),
            "{alone:?}"
        );
        // Without the chair the panel has no quorum.
        let refused = cases
            .record_panel_decision(
                &decide,
                None,
                PanelDecisionInput {
                    meeting,
                    decision: DecisionRef::ReasonableGrounds,
                    outcome: Outcome::Negative,
                    negative_reason: Some(NegativeReason::InsufficientEvidence),
                    reasons: CANARY.to_owned(),
                    present: Present::These(vec![
                        UserId(Uuid::from_u128(32)),
                        UserId(Uuid::from_u128(33)),
                    ]),
                },
                noon(day),
            )
            .await;
        assert!(
            matches!(refused, Err(ServiceError::Domain(_))),
            "{refused:?}"
        );
        cases
            .record_panel_decision(
                &decide,
                None,
                PanelDecisionInput {
                    meeting,
                    decision: DecisionRef::ReasonableGrounds,
                    outcome: Outcome::Negative,
                    negative_reason: Some(NegativeReason::InsufficientEvidence),
                    reasons: CANARY.to_owned(),
                    present: Present::AllExcept {
                        chair: false,
                        agencies: Vec::new(),
                    },
                },
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("decide: {e}"));
        // Held for the SCA: in its assurance queue, which only its assurers may open.
        assert!(nrm_access::authorise(&hull, Operation::AssurePilotDecisions).is_err());
        let queue_cap = nrm_access::authorise(&sca, Operation::AssurePilotDecisions)
            .unwrap_or_else(|_| panic!("sca queue"));
        let page = cases
            .assurance_queue(&queue_cap, QueueQuery::new(day), noon(day))
            .await
            .unwrap_or_else(|e| panic!("queue: {e}"));
        assert_eq!(
            page.cases.iter().map(|c| c.case_id).collect::<Vec<_>>(),
            vec![case]
        );
        // The SCA reads what the review needs and assures it.
        let review = cap(&cases, &sca, case, CaseOperation::Review, day)
            .await
            .unwrap_or_else(|e| panic!("sca review: {e}"));
        assert!(
            cap(&cases, &sca, case, CaseOperation::ReadContactDetails, day)
                .await
                .is_err()
        );
        let version: Option<u64> = None;
        cases
            .assure_panel_decision(
                &review,
                version,
                AssuranceInput {
                    decision: DecisionRef::ReasonableGrounds,
                    outcome: ReviewOutcome::Agree,
                    reviewed_on: day,
                    reasons: "Agreed on the papers".to_owned(),
                },
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("assure: {e}"));
        let page = cases
            .assurance_queue(&queue_cap, QueueQuery::new(day), noon(day))
            .await
            .unwrap_or_else(|e| panic!("queue: {e}"));
        assert!(page.cases.is_empty());
        // Assured, the case is the panel's alone again.
        assert!(
            cap(&cases, &sca, case, CaseOperation::Read, day)
                .await
                .is_err()
        );
        // Served to the local authority, the child-friendly letter is there to share.
        let manage = cap(&cases, &hull, case, CaseOperation::Manage, day)
            .await
            .unwrap_or_else(|e| panic!("manage: {e}"));
        cases
            .act(
                &manage,
                None,
                Action::Serve {
                    decision: DecisionRef::ReasonableGrounds,
                    served_on: day,
                    legal_representative: false,
                },
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("serve: {e}"));
        let notices = cap(&cases, &hull, case, CaseOperation::ReadNotices, day)
            .await
            .unwrap_or_else(|e| panic!("notices: {e}"));
        let letter = cases
            .child_letter(
                &notices,
                DecisionRef::ReasonableGrounds,
                Language::Welsh,
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("letter: {e}"));
        assert!(letter.paragraphs[0].contains("Mawrth 2025"));
        assert!(!t.dump_text().await.contains(CANARY));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_age_assessment_reroutes_a_case_on_both_engines() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        let responder = principal(
            1,
            1000,
            OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        );
        let hull = principal(
            11,
            300,
            OrganisationKind::LocalAuthority {
                pilot_site: Some("hull".to_owned()),
            },
            Role::LocalAuthorityPanelMember,
        );
        let day = date(2025, 3, 3);
        let case = submit_child(&cases, &responder, true, day).await;
        let manage = cap(&cases, &hull, case, CaseOperation::Manage, day)
            .await
            .unwrap_or_else(|e| panic!("manage: {e}"));
        cases
            .act(
                &manage,
                None,
                Action::RecordAgeAssessment(AgeAssessmentInput {
                    assessed_on: day,
                    assessed_by: AgeAssessor::LocalAuthority,
                    finding: AgeFinding::Adult,
                    date_of_birth: date(1999, 12, 13),
                    local_authority_area: None,
                    reasons: CANARY.to_owned(),
                }),
                noon(day),
            )
            .await
            .unwrap_or_else(|e| panic!("assess: {e}"));
        let facts = cases
            .case_facts(case, day)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("facts"));
        assert_eq!(facts.competent_authority, Some(CompetentAuthority::Sca));
        assert_eq!(facts.age_group, Some(AgeGroup::Adult));
        // The panel no longer reaches the case.
        assert!(
            cap(&cases, &hull, case, CaseOperation::Read, day)
                .await
                .is_err()
        );
        let dump = t.dump_text().await;
        assert!(!dump.contains(CANARY));
        assert!(!dump.contains("1999-12-13"));
        t.cleanup().await;
    }
}
