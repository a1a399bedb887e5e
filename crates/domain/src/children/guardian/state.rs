//! A guardian episode folded from its events, and what is due on it on a day.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::ids::{CaseId, SubjectId, UserId, VaultRecordId};

use super::event::{
    AdvocacyKind, AdvocacyOutcome, ClosureReason, ContactKind, GuardianEvent, GuardianRole,
    ProfessionalRole,
};

/// Where a guardian episode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardianStatus {
    /// Referred; no worker yet.
    AwaitingAllocation,
    /// A worker works with the child (or the professionals around them).
    Allocated,
    /// Turned 18 with post-18 support: a Post-18 worker to allocate or allocated.
    Post18,
    /// Turned 18 without post-18 support: the consent-to-support question is still to be
    /// answered before the episode closes.
    Turned18,
    Closed,
}

impl GuardianStatus {
    pub const ALL: [Self; 5] = [
        Self::AwaitingAllocation,
        Self::Allocated,
        Self::Post18,
        Self::Turned18,
        Self::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingAllocation => "awaiting_allocation",
            Self::Allocated => "allocated",
            Self::Post18 => "post_18",
            Self::Turned18 => "turned_18",
            Self::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A contact recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: Uuid,
    pub kind: ContactKind,
    pub on: NaiveDate,
    pub notes: VaultRecordId,
}

/// A professional around the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Professional {
    pub id: Uuid,
    pub role: ProfessionalRole,
    pub details: VaultRecordId,
    pub added_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
}

/// An advocacy action and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advocacy {
    pub id: Uuid,
    pub kind: AdvocacyKind,
    pub started_on: NaiveDate,
    pub details: VaultRecordId,
    pub review_on: NaiveDate,
    pub outcome: Option<AdvocacyOutcome>,
    pub concluded_on: Option<NaiveDate>,
    pub outcome_details: Option<VaultRecordId>,
}

/// What is due on an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Due {
    Allocation {
        on: NaiveDate,
    },
    Contact {
        on: NaiveDate,
    },
    AdvocacyReview {
        action: Uuid,
        on: NaiveDate,
    },
    /// Plan for the 18th birthday (flagged ahead).
    PlanForEighteen {
        since: NaiveDate,
    },
    /// Allocate a Post-18 worker.
    Post18Allocation {
        since: NaiveDate,
    },
    /// Ask the young adult the consent-to-support question.
    ConsentToSupport {
        since: NaiveDate,
    },
    /// Post-18 support ends: close the episode.
    Post18Ends {
        on: NaiveDate,
    },
}

impl Due {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Allocation { .. } => "allocation",
            Self::Contact { .. } => "contact",
            Self::AdvocacyReview { .. } => "advocacy_review",
            Self::PlanForEighteen { .. } => "plan_for_18",
            Self::Post18Allocation { .. } => "post_18_allocation",
            Self::ConsentToSupport { .. } => "consent_to_support",
            Self::Post18Ends { .. } => "post_18_ends",
        }
    }

    /// The date it is due by.
    pub fn on(&self) -> NaiveDate {
        match *self {
            Self::Allocation { on }
            | Self::Contact { on }
            | Self::AdvocacyReview { on, .. }
            | Self::Post18Ends { on } => on,
            Self::PlanForEighteen { since }
            | Self::Post18Allocation { since }
            | Self::ConsentToSupport { since } => since,
        }
    }
}

/// A guardian episode's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GuardianState {
    pub version: u64,
    pub status: Option<GuardianStatus>,
    pub case_id: Option<CaseId>,
    pub case_reference: Option<String>,
    pub subject: Option<SubjectId>,
    pub personal_details: Option<VaultRecordId>,
    pub area: Option<String>,
    pub referred_on: Option<NaiveDate>,
    pub allocation_due_on: Option<NaiveDate>,
    pub worker: Option<UserId>,
    pub role: Option<GuardianRole>,
    pub parental_responsibility_in_uk: Option<bool>,
    pub next_contact_due_on: Option<NaiveDate>,
    pub last_dated_on: Option<NaiveDate>,
    pub contacts: Vec<Contact>,
    pub professionals: Vec<Professional>,
    pub advocacy: Vec<Advocacy>,
    pub reconsideration_requested: Option<NaiveDate>,
    pub turning_18_flagged_on: Option<NaiveDate>,
    pub turned_18_on: Option<NaiveDate>,
    pub post_18_until: Option<NaiveDate>,
    pub consent_offered_on: Option<NaiveDate>,
    pub consents_to_support: Option<bool>,
    pub closed_on: Option<NaiveDate>,
    pub closure: Option<ClosureReason>,
}

impl GuardianState {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a GuardianEvent>) -> Self {
        let mut s = Self::default();
        for e in events {
            s.evolve(e);
        }
        s
    }

    pub fn exists(&self) -> bool {
        self.status.is_some()
    }

    pub fn open(&self) -> bool {
        self.status.is_some_and(|s| s != GuardianStatus::Closed)
    }

    fn dated(&mut self, on: NaiveDate) {
        self.last_dated_on = Some(self.last_dated_on.map_or(on, |d| d.max(on)));
    }

    /// Applies one event.
    pub fn evolve(&mut self, event: &GuardianEvent) {
        use GuardianEvent as E;
        self.version += 1;
        match event {
            E::Referred {
                case_id,
                case_reference,
                subject,
                personal_details,
                area,
                referred_on,
                allocation_due_on,
                ..
            } => {
                self.personal_details = Some(*personal_details);
                self.status = Some(GuardianStatus::AwaitingAllocation);
                self.case_id = Some(*case_id);
                self.case_reference = Some(case_reference.clone());
                self.subject = Some(*subject);
                self.area = Some(area.clone());
                self.referred_on = Some(*referred_on);
                self.allocation_due_on = Some(*allocation_due_on);
                self.dated(*referred_on);
            }
            E::Allocated {
                worker,
                role,
                parental_responsibility_in_uk,
                on,
                next_contact_due_on,
                ..
            } => {
                self.worker = Some(*worker);
                self.role = Some(*role);
                self.parental_responsibility_in_uk = Some(*parental_responsibility_in_uk);
                self.next_contact_due_on = Some(*next_contact_due_on);
                if self.status == Some(GuardianStatus::AwaitingAllocation) {
                    self.status = Some(GuardianStatus::Allocated);
                }
                self.dated(*on);
            }
            E::ContactRecorded {
                contact,
                kind,
                on,
                notes,
                next_contact_due_on,
            } => {
                self.contacts.push(Contact {
                    id: *contact,
                    kind: *kind,
                    on: *on,
                    notes: *notes,
                });
                self.next_contact_due_on = Some(*next_contact_due_on);
                self.dated(*on);
            }
            E::ProfessionalAdded {
                professional,
                role,
                details,
                on,
            } => {
                self.professionals.push(Professional {
                    id: *professional,
                    role: *role,
                    details: *details,
                    added_on: *on,
                    removed_on: None,
                });
                self.dated(*on);
            }
            E::ProfessionalRemoved { professional, on } => {
                if let Some(p) = self
                    .professionals
                    .iter_mut()
                    .find(|p| p.id == *professional)
                {
                    p.removed_on = Some(*on);
                }
                self.dated(*on);
            }
            E::AdvocacyStarted {
                action,
                kind,
                on,
                details,
                review_on,
            } => {
                self.advocacy.push(Advocacy {
                    id: *action,
                    kind: *kind,
                    started_on: *on,
                    details: *details,
                    review_on: *review_on,
                    outcome: None,
                    concluded_on: None,
                    outcome_details: None,
                });
                self.dated(*on);
            }
            E::AdvocacyConcluded {
                action,
                outcome,
                on,
                details,
            } => {
                if let Some(a) = self.advocacy.iter_mut().find(|a| a.id == *action) {
                    a.outcome = Some(*outcome);
                    a.concluded_on = Some(*on);
                    a.outcome_details = Some(*details);
                }
                self.dated(*on);
            }
            E::ReconsiderationRequested { on, .. } => {
                self.reconsideration_requested = Some(*on);
                self.dated(*on);
            }
            E::TurningEighteenFlagged { on, .. } => {
                self.turning_18_flagged_on = Some(*on);
            }
            E::TurnedEighteen { on, post_18_until } => {
                self.turned_18_on = Some(*on);
                self.post_18_until = *post_18_until;
                self.status = Some(if post_18_until.is_some() {
                    GuardianStatus::Post18
                } else {
                    GuardianStatus::Turned18
                });
                // The child's worker is no longer theirs: a Post-18 worker is allocated anew.
                if post_18_until.is_some() {
                    self.worker = None;
                    self.role = None;
                    self.next_contact_due_on = None;
                }
                self.dated(*on);
            }
            E::ConsentToSupportOffered { on } => {
                self.consent_offered_on = Some(*on);
            }
            E::ConsentToSupportAnswered { on, consents } => {
                self.consents_to_support = Some(*consents);
                self.dated(*on);
            }
            E::Closed { on, reason, .. } => {
                self.status = Some(GuardianStatus::Closed);
                self.closed_on = Some(*on);
                self.closure = Some(*reason);
                self.dated(*on);
            }
        }
    }

    /// The professionals still around the child.
    pub fn current_professionals(&self) -> impl Iterator<Item = &Professional> {
        self.professionals.iter().filter(|p| p.removed_on.is_none())
    }

    /// Everything due, soonest first (nothing once closed).
    pub fn due(&self) -> Vec<Due> {
        let mut out = Vec::new();
        let Some(status) = self.status else {
            return out;
        };
        if status == GuardianStatus::Closed {
            return out;
        }
        if status == GuardianStatus::AwaitingAllocation
            && let Some(on) = self.allocation_due_on
        {
            out.push(Due::Allocation { on });
        }
        if self.worker.is_some()
            && let Some(on) = self.next_contact_due_on
        {
            out.push(Due::Contact { on });
        }
        for a in self.advocacy.iter().filter(|a| a.outcome.is_none()) {
            out.push(Due::AdvocacyReview {
                action: a.id,
                on: a.review_on,
            });
        }
        if let Some(since) = self.turning_18_flagged_on
            && self.turned_18_on.is_none()
        {
            out.push(Due::PlanForEighteen { since });
        }
        if status == GuardianStatus::Post18 {
            if self.worker.is_none()
                && let Some(since) = self.turned_18_on
            {
                out.push(Due::Post18Allocation { since });
            }
            if let Some(on) = self.post_18_until {
                out.push(Due::Post18Ends { on });
            }
        }
        if let Some(since) = self.consent_offered_on
            && self.consents_to_support.is_none()
        {
            out.push(Due::ConsentToSupport { since });
        }
        out.sort_by_key(|d| d.on());
        out
    }

    /// The soonest date anything is due (for the caseload's order and "due by" lists).
    pub fn next_due_on(&self) -> Option<NaiveDate> {
        self.due().first().map(Due::on)
    }
}
