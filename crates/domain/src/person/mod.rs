//! A person, not just a case: the potential victim behind one or more referrals.
//!
//! Every adult or child referral's potential victim is linked to a person (a Duty to Notify
//! report is anonymous and never is). A person is its own append-only stream of
//! [`PersonEvent`]s: created with its first referral, more referrals linked at intake (the
//! match was strong enough) or on a decision maker's confirmation of a possible match
//! (`Joined`, with the donor recording `JoinedInto`), and referrals split out again to another
//! person (`Split`, the receiver recording `SplitFrom`), so every join can be undone by a
//! split and every split by a join. Events carry case ids, references and dates: never a
//! name, a date of birth or an address (those stay in the vault).
//!
//! [`rules`] is the dated rulebook of this capability (`rulebook/persons.json`): the match
//! probability bands of intake and the rule on additional recovery periods for a person
//! referred again (Nationality and Borders Act 2022 s62), applied by
//! [`rules::additional_recovery_period`] from the person's history.

pub mod recovery;
pub mod rules;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;
use crate::ids::CaseId;

/// One person: the stream their referrals are linked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub Uuid);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One possible match waiting for (or given) a decision maker's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReviewId(pub Uuid);

impl std::fmt::Display for ReviewId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A referral as a person's stream knows it: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedReferral {
    pub case_id: CaseId,
    pub reference: String,
    /// The day the referral was submitted (UK civil date).
    pub submitted_on: NaiveDate,
}

/// Why a referral was linked to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LinkBasis {
    /// The first referral of a new person (no earlier person matched well enough).
    New,
    /// Matched an earlier referral of this person at intake above the automatic threshold
    /// (probability in thousandths).
    Automatic { probability_permille: u16 },
    /// Linked again by `nrm link rebuild` (probability in thousandths).
    Rebuilt { probability_permille: u16 },
}

/// What happened to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PersonEvent {
    Created,
    ReferralLinked {
        referral: LinkedReferral,
        basis: LinkBasis,
    },
    /// Another person's referrals were joined to this one (by a decision maker, after a
    /// review when `review` is set).
    Joined {
        from: PersonId,
        referrals: Vec<LinkedReferral>,
        review: Option<ReviewId>,
    },
    /// This person's referrals were all joined to `into`: the person is now part of it.
    JoinedInto {
        into: PersonId,
        review: Option<ReviewId>,
    },
    /// These referrals were split out of this person to `to` (they are not the same person).
    Split {
        cases: Vec<CaseId>,
        to: PersonId,
    },
    /// These referrals were split to this person from `from`.
    SplitFrom {
        from: PersonId,
        referrals: Vec<LinkedReferral>,
    },
}

impl PersonEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Created => "person_created",
            Self::ReferralLinked { .. } => "referral_linked",
            Self::Joined { .. } => "joined",
            Self::JoinedInto { .. } => "joined_into",
            Self::Split { .. } => "split",
            Self::SplitFrom { .. } => "split_from",
        }
    }
}

/// A person's state, folded from their events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonState {
    pub exists: bool,
    /// The referrals that are this person's now, by case.
    pub referrals: BTreeMap<CaseId, LinkedReferral>,
    /// Set while the person's referrals are part of another person.
    pub joined_into: Option<PersonId>,
}

impl PersonState {
    pub fn evolve(mut self, event: &PersonEvent) -> Self {
        match event {
            PersonEvent::Created => self.exists = true,
            PersonEvent::ReferralLinked { referral, .. } => {
                self.referrals.insert(referral.case_id, referral.clone());
            }
            PersonEvent::Joined { referrals, .. } => {
                for r in referrals {
                    self.referrals.insert(r.case_id, r.clone());
                }
            }
            PersonEvent::JoinedInto { into, .. } => {
                self.referrals.clear();
                self.joined_into = Some(*into);
            }
            PersonEvent::Split { cases, .. } => {
                for c in cases {
                    self.referrals.remove(c);
                }
            }
            PersonEvent::SplitFrom { referrals, .. } => {
                self.joined_into = None;
                for r in referrals {
                    self.referrals.insert(r.case_id, r.clone());
                }
            }
        }
        self
    }

    pub fn fold<'a>(events: impl IntoIterator<Item = &'a PersonEvent>) -> Self {
        events.into_iter().fold(Self::default(), Self::evolve)
    }

    /// Whether the person holds referrals of their own (not joined into another).
    pub fn active(&self) -> bool {
        self.exists && self.joined_into.is_none()
    }

    /// The referrals in the order they were submitted.
    pub fn referrals_by_date(&self) -> Vec<&LinkedReferral> {
        let mut v: Vec<&LinkedReferral> = self.referrals.values().collect();
        v.sort_by(|a, b| (a.submitted_on, &a.reference).cmp(&(b.submitted_on, &b.reference)));
        v
    }
}

/// What may be done to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonCommand {
    /// A new person with their first referral.
    Create { referral: LinkedReferral },
    /// Links one more referral to an existing person.
    Link {
        referral: LinkedReferral,
        basis: LinkBasis,
    },
    /// Joins `from` (whose referrals are given) into this person.
    Join {
        from: PersonId,
        referrals: Vec<LinkedReferral>,
        review: Option<ReviewId>,
    },
    /// This person is joined into `into` (the donor's half of a join).
    JoinInto {
        into: PersonId,
        review: Option<ReviewId>,
    },
    /// Splits these referrals out of this person to `to`.
    Split { cases: Vec<CaseId>, to: PersonId },
    /// Receives referrals split from `from` (creating this person when new).
    ReceiveSplit {
        from: PersonId,
        referrals: Vec<LinkedReferral>,
    },
}

fn refused(code: &'static str, message: &str) -> DomainError {
    DomainError::refused(code, message)
}

/// Decides a command against a person's state: the events to append, or the rule broken.
pub fn decide(
    state: &PersonState,
    me: PersonId,
    command: &PersonCommand,
) -> Result<Vec<PersonEvent>, DomainError> {
    let must_be_active = || {
        if state.active() {
            Ok(())
        } else {
            Err(refused(
                "person-not-active",
                "this person's referrals are now part of another person",
            ))
        }
    };
    match command {
        PersonCommand::Create { referral } => {
            if state.exists {
                return Err(refused("person-exists", "this person already exists"));
            }
            Ok(vec![
                PersonEvent::Created,
                PersonEvent::ReferralLinked {
                    referral: referral.clone(),
                    basis: LinkBasis::New,
                },
            ])
        }
        PersonCommand::Link { referral, basis } => {
            must_be_active()?;
            if state.referrals.contains_key(&referral.case_id) {
                return Err(refused(
                    "referral-already-linked",
                    "this referral is already linked to this person",
                ));
            }
            if matches!(basis, LinkBasis::New) {
                return Err(refused(
                    "person-link-basis",
                    "only a new person's first referral is linked as new",
                ));
            }
            Ok(vec![PersonEvent::ReferralLinked {
                referral: referral.clone(),
                basis: *basis,
            }])
        }
        PersonCommand::Join {
            from,
            referrals,
            review,
        } => {
            must_be_active()?;
            if *from == me {
                return Err(refused(
                    "person-join-self",
                    "a person cannot be joined to themselves",
                ));
            }
            if referrals.is_empty() {
                return Err(refused(
                    "person-join-empty",
                    "the other person has no referrals to join",
                ));
            }
            if referrals
                .iter()
                .any(|r| state.referrals.contains_key(&r.case_id))
            {
                return Err(refused(
                    "referral-already-linked",
                    "a referral of the other person is already this person's",
                ));
            }
            Ok(vec![PersonEvent::Joined {
                from: *from,
                referrals: referrals.clone(),
                review: *review,
            }])
        }
        PersonCommand::JoinInto { into, review } => {
            must_be_active()?;
            if *into == me {
                return Err(refused(
                    "person-join-self",
                    "a person cannot be joined to themselves",
                ));
            }
            Ok(vec![PersonEvent::JoinedInto {
                into: *into,
                review: *review,
            }])
        }
        PersonCommand::Split { cases, to } => {
            must_be_active()?;
            if *to == me {
                return Err(refused(
                    "person-split-self",
                    "referrals cannot be split to the person they are split from",
                ));
            }
            if cases.is_empty() {
                return Err(refused(
                    "person-split-empty",
                    "choose the referrals to split",
                ));
            }
            if cases.iter().any(|c| !state.referrals.contains_key(c)) {
                return Err(refused(
                    "person-split-not-linked",
                    "a referral to split is not this person's",
                ));
            }
            if cases.len() >= state.referrals.len() {
                return Err(refused(
                    "person-split-all",
                    "at least one referral must stay with the person it is split from",
                ));
            }
            Ok(vec![PersonEvent::Split {
                cases: cases.clone(),
                to: *to,
            }])
        }
        PersonCommand::ReceiveSplit { from, referrals } => {
            if *from == me {
                return Err(refused(
                    "person-split-self",
                    "referrals cannot be split to the person they are split from",
                ));
            }
            if referrals.is_empty() {
                return Err(refused(
                    "person-split-empty",
                    "choose the referrals to split",
                ));
            }
            // A new person, or one that had been joined into another and is restored.
            if state.exists && state.joined_into.is_none() && !state.referrals.is_empty() {
                // Moving referrals to another existing person is a join of theirs, not a split.
                return Err(refused(
                    "person-split-target",
                    "referrals are split to a new person, or back to the person they were joined from",
                ));
            }
            let mut events = Vec::new();
            if !state.exists {
                events.push(PersonEvent::Created);
            }
            events.push(PersonEvent::SplitFrom {
                from: *from,
                referrals: referrals.clone(),
            });
            Ok(events)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referral(n: u128, day: u32) -> LinkedReferral {
        LinkedReferral {
            case_id: CaseId(Uuid::from_u128(n)),
            reference: format!("NRM-{n}"),
            submitted_on: NaiveDate::from_ymd_opt(2025, 1, day).unwrap_or_else(|| panic!("a date")),
        }
    }

    fn apply(state: PersonState, events: &[PersonEvent]) -> PersonState {
        events.iter().fold(state, PersonState::evolve)
    }

    #[test]
    fn a_join_is_undone_by_a_split_back() {
        let (a, b) = (PersonId(Uuid::from_u128(1)), PersonId(Uuid::from_u128(2)));
        let sa = apply(
            PersonState::default(),
            &decide(
                &PersonState::default(),
                a,
                &PersonCommand::Create {
                    referral: referral(10, 1),
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        let sb = apply(
            PersonState::default(),
            &decide(
                &PersonState::default(),
                b,
                &PersonCommand::Create {
                    referral: referral(11, 5),
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        let moved: Vec<LinkedReferral> = sb.referrals.values().cloned().collect();
        let sa2 = apply(
            sa.clone(),
            &decide(
                &sa,
                a,
                &PersonCommand::Join {
                    from: b,
                    referrals: moved.clone(),
                    review: None,
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        let sb2 = apply(
            sb.clone(),
            &decide(
                &sb,
                b,
                &PersonCommand::JoinInto {
                    into: a,
                    review: None,
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(sa2.referrals.len(), 2);
        assert!(!sb2.active());
        assert_eq!(
            sa2.referrals_by_date()
                .iter()
                .map(|r| r.reference.as_str())
                .collect::<Vec<_>>(),
            ["NRM-10", "NRM-11"]
        );
        // Undo: split the joined referral back to b.
        let cases = vec![moved[0].case_id];
        let sa3 = apply(
            sa2.clone(),
            &decide(&sa2, a, &PersonCommand::Split { cases, to: b })
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let sb3 = apply(
            sb2.clone(),
            &decide(
                &sb2,
                b,
                &PersonCommand::ReceiveSplit {
                    from: a,
                    referrals: moved,
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(sa3.referrals, sa.referrals);
        assert_eq!(sb3.referrals, sb.referrals);
        assert!(sb3.active());
    }

    #[test]
    fn refusals() {
        let a = PersonId(Uuid::from_u128(1));
        let empty = PersonState::default();
        let s = apply(
            empty.clone(),
            &decide(
                &empty,
                a,
                &PersonCommand::Create {
                    referral: referral(10, 1),
                },
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        let code =
            |r: Result<Vec<PersonEvent>, DomainError>| r.err().map_or("accepted", |e| e.code());
        assert_eq!(
            code(decide(
                &s,
                a,
                &PersonCommand::Split {
                    cases: vec![CaseId(Uuid::from_u128(10))],
                    to: PersonId(Uuid::from_u128(2)),
                }
            )),
            "person-split-all"
        );
        assert_eq!(
            code(decide(
                &s,
                a,
                &PersonCommand::Join {
                    from: a,
                    referrals: vec![referral(11, 2)],
                    review: None,
                }
            )),
            "person-join-self"
        );
        assert_eq!(
            code(decide(
                &s,
                a,
                &PersonCommand::Link {
                    referral: referral(10, 1),
                    basis: LinkBasis::Automatic {
                        probability_permille: 999
                    },
                }
            )),
            "referral-already-linked"
        );
        assert_eq!(
            code(decide(
                &empty,
                a,
                &PersonCommand::Link {
                    referral: referral(12, 1),
                    basis: LinkBasis::Automatic {
                        probability_permille: 999
                    },
                }
            )),
            "person-not-active"
        );
    }
}
