//! The demo's Independent Child Trafficking Guardians: a few child referrals made today in
//! covered areas through `Cases::submit` (so each gets its ICTG referral as any would), one
//! left awaiting allocation for the service manager, the others allocated to the demo guardian
//! (a Direct Worker, a Regional Practice Coordinator) with a contact, a social worker and an
//! advocacy action recorded. One child turns 18 in three weeks (flagged ahead by the age
//! review); one referred six weeks ago turned 18 five days ago, so the sweep turn moved the
//! case to the adult route's rules and the consent-to-support question is open on the case
//! and on the guardian's episode. Everything through the services as their users would, so it
//! is all audited.

use chrono::{Datelike, Duration, Utc};
use nrm_access::children::{GuardianOperation, authorise_guardian};
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
    // (local authority, days until the 18th birthday (negative: past it), days since the
    // referral, who holds parental responsibility in the UK: None = leave awaiting allocation)
    let children: [(&str, i64, i64, Option<bool>); 5] = [
        ("Manchester", 900, 0, Some(false)),
        ("Croydon", 21, 0, Some(true)),
        ("Cardiff", 1500, 0, Some(false)),
        ("Birmingham", 700, 0, None),
        ("Manchester", -5, 42, Some(false)),
    ];
    let mut made = 0;
    for (area, days_to_18, days_since_referral, parental_responsibility) in children {
        let referred_at = now - Duration::days(days_since_referral);
        let referred_on = uk_date(referred_at);
        let mut submission = super::submission(&mut rng, referred_on, true, false);
        if let Submission::Child(child) = &mut submission {
            child.local_authority_area = Some(area.to_owned());
            // The 18th birthday is `days_to_18` from today, whatever the leap years.
            let born = (today + Duration::days(days_to_18))
                .with_year((today + Duration::days(days_to_18)).year() - 18)
                .unwrap_or(today - Duration::days(18 * 365 + 4 - days_to_18));
            child.victim.date_of_birth = Some(born);
            child.exploitation.period.started_on = Some(referred_on - Duration::days(200));
            child.exploitation.period.ended_on = Some(referred_on - Duration::days(10));
        }
        let submitted = cases.submit(&submit, submission, referred_at).await?;
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
    // The daily sweep turn: the cases' ages (the one past 18 moves to the adult route and is
    // offered the consent-to-support question), then the guardians' episodes.
    cases.review_guardian_ages(now).await?;
    Ok(made)
}
