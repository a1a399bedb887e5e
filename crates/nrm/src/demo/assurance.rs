//! The demo's reviews of negative Conclusive Grounds decisions (issue 11): two adults referred
//! through `Cases::submit` as the demo's First Responder, each with a positive Reasonable
//! Grounds decision and then a negative Conclusive Grounds decision by the Single Competent
//! Authority's demo decision maker, neither reviewed yet. The first was referred in June 2022
//! and its CG made in November 2022, so under the rules of that date (Multi-Agency Assurance
//! Panels, 2019 to November 2022) its review is due from an assurance panel: the demo's panel
//! members find it in their queue and record the panel's review. The second's CG was made a
//! few weeks ago: a second caseworker reviews it, and an assurance panel is refused.
//!
//! Every call is dated on the day it happened (the service's `now` is the step's own time), so
//! each is decided by the rules of its own date, as the re-referred people of
//! `demo_persons` are; and audited like any referral and decision. Neither person consents
//! to support, so neither is referred to the demo's support provider.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::Operation;
use nrm_domain::clock::uk_date;
use nrm_domain::event::{NegativeReason, Outcome};
use nrm_domain::submission::Submission;
use nrm_service::{Cases, DecisionInput, DecisionKind};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::submission;

/// One demo case to be reviewed: when it was referred, and when its RG and CG were made.
struct Reviewed {
    referred_at: DateTime<Utc>,
    rg_at: DateTime<Utc>,
    cg_at: DateTime<Utc>,
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|day| day.and_hms_opt(11, 0, 0))
            .unwrap_or_default(),
    )
}

/// Refers the two adults and decides their RGs and CGs; returns how many cases were made.
pub async fn seed_reviews(cases: &Cases, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let responder = super::demo_responder();
    let refer = nrm_access::authorise(&responder, Operation::SubmitReferral)
        .map_err(|_| anyhow::anyhow!("the demo First Responder may not refer"))?;
    let cases_to_make = [
        // A negative CG of November 2022: reviewed by a Multi-Agency Assurance Panel. The RG
        // of June 2022 gave the 45-day recovery period of its date; the CG is well after it.
        Reviewed {
            referred_at: day(2022, 6, 6),
            rg_at: day(2022, 6, 9),
            cg_at: day(2022, 11, 14),
        },
        // A negative CG of a few weeks ago: reviewed by a second caseworker (since December
        // 2022). The RG gave today's 30-day minimum recovery period; the CG is after it.
        Reviewed {
            referred_at: now - Duration::days(100),
            rg_at: now - Duration::days(95),
            cg_at: now - Duration::days(21),
        },
    ];
    let mut rng = StdRng::seed_from_u64(11);
    let mut made = 0;
    for case in cases_to_make {
        let Submission::Adult(mut adult) =
            submission(&mut rng, uk_date(case.referred_at), false, false)
        else {
            anyhow::bail!("the demo made no adult referral");
        };
        adult.consent.support_consent = false;
        // Decided by the Single Competent Authority's demo decision maker.
        adult.immigration_cohort = None;
        let submitted = cases
            .submit(&refer, Submission::Adult(adult), case.referred_at)
            .await?;
        made += 1;
        for (kind, at, outcome, reasons) in [
            (
                DecisionKind::ReasonableGrounds,
                case.rg_at,
                Outcome::Positive,
                "The account and the indicators meet the threshold (demo).",
            ),
            (
                DecisionKind::ConclusiveGrounds,
                case.cg_at,
                Outcome::Negative,
                "On the balance of probabilities the evidence does not show the person is a victim (demo).",
            ),
        ] {
            super::decide_as_demo_decision_maker(
                cases,
                submitted.case_id,
                kind,
                DecisionInput {
                    outcome,
                    decided_on: uk_date(at),
                    reasons: reasons.to_owned(),
                    negative_reason: (outcome == Outcome::Negative)
                        .then_some(NegativeReason::InsufficientEvidence),
                },
                at,
            )
            .await?;
        }
    }
    Ok(made)
}
