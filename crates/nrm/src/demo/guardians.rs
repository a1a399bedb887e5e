//! The demo's Independent Child Trafficking Guardians: a few child referrals made today in
//! covered areas through `Cases::submit` (so each gets its ICTG referral as any would), one
//! left awaiting allocation for the service manager, the others allocated to the demo guardian
//! (a Direct Worker, a Regional Practice Coordinator) with a contact, a social worker and an
//! advocacy action recorded, one child turning 18 within the notice, flagged by the age review.
//! Everything through the services as their users would, so it is all audited.

use chrono::{Duration, Utc};
use nrm_access::children::{
    GuardianOperation, GuardianServiceOperation, authorise_guardian, authorise_guardian_service,
};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::Rulebook;
use nrm_domain::children::guardian::event::{
    AdvocacyKind, ContactKind, GuardianRole, ProfessionalRole,
};
use nrm_domain::clock::uk_date;
use nrm_domain::submission::Submission;
use nrm_service::Cases;
use nrm_service::guardians::GuardianAction;
use nrm_store::Store;
use nrm_store::guardians::{GuardianFilter, GuardianListScope};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{DEMO_GUARDIAN, DEMO_GUARDIAN_MANAGER, DEMO_RESPONDER};

fn person(actor: nrm_domain::Actor, kind: OrganisationKind, role: Role) -> Principal {
    Principal {
        actor,
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// Seeds the guardians' children unless some exist; returns how many.
pub async fn seed_guardians(store: &Store) -> anyhow::Result<usize> {
    if !store
        .list_guardian_episodes(GuardianListScope::Everything, GuardianFilter::Open)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let cases = Cases::new(store.clone(), Rulebook::current());
    let guardians = cases.guardians();
    let now = Utc::now();
    let today = uk_date(now);
    let denied = || anyhow::anyhow!("the demo's guardian roles were refused");
    let responder = person(
        DEMO_RESPONDER,
        OrganisationKind::FirstResponderOrganisation,
        Role::FirstResponder,
    );
    let manager = person(
        DEMO_GUARDIAN_MANAGER,
        OrganisationKind::GuardianService,
        Role::GuardianManager,
    );
    let guardian = person(
        DEMO_GUARDIAN,
        OrganisationKind::GuardianService,
        Role::Guardian,
    );
    let submit =
        nrm_access::authorise(&responder, Operation::SubmitReferral).map_err(|_| denied())?;
    let mut rng = StdRng::seed_from_u64(13);
    // (local authority, days until the 18th birthday, who holds parental responsibility in the
    // UK: None = leave awaiting allocation)
    let children: [(&str, i64, Option<bool>); 4] = [
        ("Manchester", 900, Some(false)),
        ("Croydon", 60, Some(true)),
        ("Cardiff", 1500, Some(false)),
        ("Birmingham", 700, None),
    ];
    let mut made = 0;
    for (area, days_to_18, parental_responsibility) in children {
        let mut submission = super::submission(&mut rng, today, true, false);
        if let Submission::Child(child) = &mut submission {
            child.local_authority_area = Some(area.to_owned());
            let born = today + Duration::days(days_to_18) - Duration::days(18 * 365 + 4);
            child.victim.date_of_birth = Some(born);
            child.exploitation.period.started_on = Some(today - Duration::days(200));
            child.exploitation.period.ended_on = Some(today - Duration::days(10));
        }
        let submitted = cases.submit(&submit, submission, now).await?;
        let Some(episode) = guardians.episode_for_case(submitted.case_id).await? else {
            continue;
        };
        made += 1;
        let Some(parental_responsibility) = parental_responsibility else {
            continue;
        };
        let facts = guardians.facts(episode).await?.ok_or_else(denied)?;
        let allocate = authorise_guardian(&manager, GuardianOperation::Allocate, &facts)
            .map_err(|_| denied())?;
        guardians
            .change(
                &allocate,
                None,
                GuardianAction::Allocate {
                    worker: DEMO_GUARDIAN.user,
                    role: if parental_responsibility {
                        GuardianRole::RegionalPracticeCoordinator
                    } else {
                        GuardianRole::DirectWorker
                    },
                    parental_responsibility_in_uk: parental_responsibility,
                    exceptional_need: false,
                    on: today,
                },
                now,
            )
            .await?;
        let facts = guardians.facts(episode).await?.ok_or_else(denied)?;
        let record = authorise_guardian(&guardian, GuardianOperation::Record, &facts)
            .map_err(|_| denied())?;
        for action in [
            GuardianAction::RecordContact {
                kind: if parental_responsibility {
                    ContactKind::WithProfessional
                } else {
                    ContactKind::FaceToFace
                },
                on: today,
                notes: "First meeting (demo note). Explained the guardian's role; agreed to meet weekly."
                    .to_owned(),
            },
            GuardianAction::AddProfessional {
                role: ProfessionalRole::SocialWorker,
                details: "Sam Example (demo), children's services, 01632 960000".to_owned(),
                on: today,
            },
            GuardianAction::StartAdvocacy {
                kind: AdvocacyKind::Immigration,
                on: today,
                details: "Ask the legal representative about the asylum claim (demo)".to_owned(),
                review_on: today + Duration::days(14),
            },
        ] {
            guardians.change(&record, None, action, now).await?;
        }
    }
    let review = authorise_guardian_service(&manager, GuardianServiceOperation::ReviewAges)
        .map_err(|_| denied())?;
    guardians.review_ages(&review, now).await?;
    Ok(made)
}
