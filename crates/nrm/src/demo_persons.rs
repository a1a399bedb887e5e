//! The demo's re-referred people (issue 14): a few adults referred, then referred again, through
//! `Cases::submit` as the demo's First Responder, so intake links them as it would anyone's:
//! one the same details again (joined automatically), one with given and family names swapped,
//! the date of birth not known and a new address (a possible earlier referral for a decision
//! maker to review), and a relative at the same address (the same family name, a different
//! person: kept apart). Made-up people; every call audited like a real referral.
//!
//! Both of Ardita Hoxha's referrals get a positive Reasonable Grounds decision, five days after
//! each, by the demo's decision maker: the second opens the question of another recovery
//! period (NABA 2022 s62), which waits on her newer case for a decision maker.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nrm_access::Operation;
use nrm_domain::clock::uk_date;
use nrm_domain::event::Outcome;
use nrm_domain::submission::{Gender, Submission};
use nrm_service::{Cases, DecisionInput, DecisionKind};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::demo::submission;

struct Referral {
    days_ago: i64,
    /// A positive RG five days after the referral.
    positive_rg: bool,
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
        positive_rg: true,
        given: "Ardita",
        family: "Hoxha",
        other: &[],
        born: (1994, 3, 12),
        gender: Gender::Female,
        address: "14 Alder Road, Birmingham B12 9QT",
    },
    Referral {
        days_ago: 40,
        positive_rg: true,
        given: "Ardita",
        family: "Hoxha",
        other: &[],
        born: (1994, 3, 12),
        gender: Gender::Female,
        address: "14 Alder Road, Birmingham B12 9QT",
    },
    Referral {
        days_ago: 380,
        positive_rg: false,
        given: "Thi Hoa",
        family: "Nguyen",
        other: &[],
        born: (2001, 8, 4),
        gender: Gender::Female,
        address: "Flat 3, 22 Canal Street, Manchester M1 3HE",
    },
    Referral {
        days_ago: 12,
        positive_rg: false,
        given: "Nguyen",
        family: "Thi Hoa",
        other: &["Hoa Nguyen"],
        born: (0, 0, 0),
        gender: Gender::Female,
        address: "7 Quay Street, Hull HU1 1AA",
    },
    Referral {
        days_ago: 300,
        positive_rg: false,
        given: "Mohammed",
        family: "Rahimi",
        other: &[],
        born: (1988, 11, 30),
        gender: Gender::Male,
        address: "5 Cross Lane, Leicester LE1 5RB",
    },
    Referral {
        days_ago: 9,
        positive_rg: false,
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
    let responder = crate::demo::demo_responder();
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
        // Decided by the Single Competent Authority's demo decision maker.
        adult.immigration_cohort = None;
        let submitted = cases
            .submit(&capability, Submission::Adult(adult), at)
            .await?;
        made += 1;
        if p.positive_rg {
            let decided_at = at + Duration::days(5);
            crate::demo::decide_as_demo_decision_maker(
                cases,
                submitted.case_id,
                DecisionKind::ReasonableGrounds,
                DecisionInput {
                    outcome: Outcome::Positive,
                    decided_on: uk_date(decided_at),
                    reasons: "The account and the indicators meet the threshold (demo).".to_owned(),
                    negative_reason: None,
                },
                decided_at,
            )
            .await?;
        }
    }
    Ok(made)
}
