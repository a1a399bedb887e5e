//! Decision notices: who is told of a decision, and what they are told.
//!
//! A child's notice never goes to the child: it goes to the local authority (and their
//! representative, if they have one). An adult's goes to them (and their representative). The
//! First Responder is always told the outcome; the support provider is told when the person
//! consented to support. Notices carry no personal data: they are addressed by role and
//! merged with names only when sent.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::case::Referral;
use crate::event::{DecisionRef, Outcome, Recipient};
use crate::rules::Rulebook;
use crate::submission::AgeGroup;

/// Who receives the notices for a decision on this case.
pub fn recipients(r: &Referral, legal_representative: bool) -> Vec<Recipient> {
    let mut out = Vec::new();
    match r.age_group {
        // Guidance: never serve decision papers directly on a child.
        AgeGroup::Child => out.push(Recipient::LocalAuthority),
        AgeGroup::Adult => out.push(Recipient::PotentialVictim),
    }
    if legal_representative {
        out.push(Recipient::LegalRepresentative);
    }
    out.push(Recipient::FirstResponder);
    if r.age_group == AgeGroup::Adult && r.support_consent {
        out.push(Recipient::SupportProvider);
    }
    out
}

/// One notice, ready to merge into a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub recipient: Recipient,
    pub decision: DecisionRef,
    pub title: String,
    pub body: String,
}

/// The notices for a served decision.
pub fn notices(
    r: &Referral,
    decision: DecisionRef,
    outcome: Outcome,
    decided_on: NaiveDate,
    served_on: NaiveDate,
    recipients: &[Recipient],
    rules: &Rulebook,
) -> Vec<Notice> {
    let name = match decision {
        DecisionRef::ReasonableGrounds => "Reasonable Grounds",
        DecisionRef::ConclusiveGrounds => "Conclusive Grounds",
    };
    let verdict = match outcome {
        Outcome::Positive => "positive",
        Outcome::Negative => "negative",
    };
    let next = match (decision, outcome) {
        (DecisionRef::ReasonableGrounds, Outcome::Positive) => {
            let earliest = rules.conclusive_grounds_earliest(decided_on);
            format!(
                "A recovery period has started. A Conclusive Grounds decision will not be made before {earliest}."
            )
        }
        (DecisionRef::ConclusiveGrounds, Outcome::Positive) => {
            let support = rules.move_on_support(decided_on).value;
            let days = support.after_positive_conclusive_grounds_days;
            let period = if support.after_positive_is_minimum {
                format!("at least {days} days")
            } else {
                format!("{days} days")
            };
            let assessment = if support.recovery_needs_assessment {
                " A Recovery Needs Assessment can recommend support beyond it."
            } else {
                ""
            };
            format!("Move-on support continues for {period}.{assessment}")
        }
        (_, Outcome::Negative) => {
            let rule = rules.reconsideration(served_on);
            match rule.value.window_days {
                Some(days) => format!(
                    "A reconsideration may be requested, with evidence, by {}.",
                    served_on + Duration::days(i64::from(days))
                ),
                None => "A reconsideration may be requested through the First Responder or support provider.".to_owned(),
            }
        }
    };
    recipients
        .iter()
        .map(|recipient| {
            let opening = match recipient {
                Recipient::PotentialVictim => format!("A {verdict} {name} decision has been made on your case"),
                Recipient::LegalRepresentative => format!("A {verdict} {name} decision has been made on your client's case"),
                Recipient::LocalAuthority => format!("A {verdict} {name} decision has been made on the case of a child in your care; please explain it to the child in a way suited to their age"),
                Recipient::FirstResponder => format!("A {verdict} {name} decision has been made on a case you referred"),
                Recipient::SupportProvider => format!("A {verdict} {name} decision has been made on a case you support"),
            };
            Notice {
                recipient: *recipient,
                decision,
                title: format!("{name} decision: case {}", r.reference),
                body: format!("{opening} (decided {decided_on}, served {served_on}). {next}"),
            }
        })
        .collect()
}
