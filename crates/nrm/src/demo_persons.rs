//! The demo's re-referred people (issue 14): a few adults referred, then referred again, through
//! `Cases::submit` as the demo's First Responder, so intake links them as it would anyone's:
//! one the same details again (joined automatically), one with given and family names swapped,
//! the date of birth not known and a new address (a possible earlier referral for a decision
//! maker to review), and a relative at the same address (the same family name, a different
//! person: kept apart). Made-up people; every call audited like a real referral.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::clock::uk_date;
use nrm_domain::submission::{Gender, Submission};
use nrm_service::Cases;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::demo::{DEMO_RESPONDER, submission};

struct Referral {
    days_ago: i64,
    given: &'static str,
    family: &'static str,
    other: &'static [&'static str],
    born: (i32, u32, u32),
    gender: Gender,
    address: &'static str,
}

const PEOPLE: &[Referral] = &[
    Referral {
        days_ago: 420,
        given: "Ardita",
        family: "Hoxha",
        other: &[],
        born: (1994, 3, 12),
        gender: Gender::Female,
        address: "14 Alder Road, Birmingham B12 9QT",
    },
    Referral {
        days_ago: 40,
        given: "Ardita",
        family: "Hoxha",
        other: &[],
        born: (1994, 3, 12),
        gender: Gender::Female,
        address: "14 Alder Road, Birmingham B12 9QT",
    },
    Referral {
        days_ago: 380,
        given: "Thi Hoa",
        family: "Nguyen",
        other: &[],
        born: (2001, 8, 4),
        gender: Gender::Female,
        address: "Flat 3, 22 Canal Street, Manchester M1 3HE",
    },
    Referral {
        days_ago: 12,
        given: "Nguyen",
        family: "Thi Hoa",
        other: &["Hoa Nguyen"],
        born: (0, 0, 0),
        gender: Gender::Female,
        address: "7 Quay Street, Hull HU1 1AA",
    },
    Referral {
        days_ago: 300,
        given: "Mohammed",
        family: "Rahimi",
        other: &[],
        born: (1988, 11, 30),
        gender: Gender::Male,
        address: "5 Cross Lane, Leicester LE1 5RB",
    },
    Referral {
        days_ago: 9,
        given: "Ahmad",
        family: "Rahimi",
        other: &[],
        born: (1979, 2, 14),
        gender: Gender::Male,
        address: "5 Cross Lane, Leicester LE1 5RB",
    },
];

/// `(0, 0, 0)`: not known.
fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Submits the demo's re-referred people; returns how many referrals were made.
pub async fn seed(cases: &Cases, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let responder = Principal {
        actor: DEMO_RESPONDER,
        organisation_kind: OrganisationKind::FirstResponderOrganisation,
        roles: vec![Role::FirstResponder],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    };
    let capability = nrm_access::authorise(&responder, Operation::SubmitReferral)
        .map_err(|_| anyhow::anyhow!("the demo First Responder may not refer"))?;
    let mut rng = StdRng::seed_from_u64(14);
    let mut made = 0;
    for p in PEOPLE {
        let at = now - Duration::days(p.days_ago);
        let Submission::Adult(mut adult) = submission(&mut rng, uk_date(at), false, false) else {
            continue;
        };
        adult.victim.given_names = p.given.to_owned();
        adult.victim.family_name = p.family.to_owned();
        adult.victim.other_names = p.other.iter().map(|s| (*s).to_owned()).collect();
        adult.victim.date_of_birth = date(p.born.0, p.born.1, p.born.2);
        adult.victim.current_address = Some(p.address.to_owned());
        adult.profile.gender = p.gender;
        cases
            .submit(&capability, Submission::Adult(adult), at)
            .await?;
        made += 1;
    }
    Ok(made)
}
