//! Everything that can happen to a child's guardian episode. Facts and references only: the
//! words of a contact, a professional's name and how to reach them, an advocacy action's
//! details and a missing-person reference are vault records named by id.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DecisionRef;
use crate::ids::{CaseId, SubjectId, UserId, VaultRecordId};

/// A closed set of codes with `code`, `parse` and `ALL`.
macro_rules! codes {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code.trim())
            }
        }
    };
}

codes!(
    /// Which ICTG role works with the child.
    GuardianRole {
        /// One-to-one, face to face: no one holds parental responsibility for the child in the UK.
        DirectWorker => "direct_worker",
        /// Indirect: advises and challenges the professionals around a child who has someone
        /// with parental responsibility in the UK.
        RegionalPracticeCoordinator => "regional_practice_coordinator",
        /// One-to-one for a child with a parental-responsibility figure where there is
        /// exceptional need (from May 2021).
        RegionalPractitioner => "regional_practitioner",
        /// Short-term support after the 18th birthday, where the area provides it.
        Post18Worker => "post_18_worker",
    }
);

codes!(
    /// How a contact happened.
    ContactKind {
        FaceToFace => "face_to_face",
        Phone => "phone",
        Video => "video",
        /// With a professional about the child, not with the child.
        WithProfessional => "with_professional",
        /// Tried and not reached.
        Attempted => "attempted",
    }
);

codes!(
    /// The professionals around a child.
    ProfessionalRole {
        SocialWorker => "social_worker",
        Police => "police",
        Legal => "legal",
        Health => "health",
        Education => "education",
        Immigration => "immigration",
        Foster => "foster_carer",
        Other => "other",
    }
);

codes!(
    /// What an advocacy action is about.
    AdvocacyKind {
        NrmDecision => "nrm_decision",
        Immigration => "immigration",
        CriminalJustice => "criminal_justice",
        SocialCare => "social_care",
        Accommodation => "accommodation",
        Education => "education",
        Health => "health",
        Other => "other",
    }
);

codes!(
    /// What came of an advocacy action.
    AdvocacyOutcome {
        Achieved => "achieved",
        PartlyAchieved => "partly_achieved",
        NotAchieved => "not_achieved",
        NoLongerNeeded => "no_longer_needed",
    }
);

codes!(
    /// Why a guardian episode closed.
    ClosureReason {
        /// Turned 18 and no post-18 support followed (or it ended).
        TurnedEighteen => "turned_eighteen",
        /// Post-18 support came to its end.
        Post18SupportEnded => "post_18_support_ended",
        ReturnedHome => "returned_home",
        /// Lost contact: the child is missing (a missing-person reference is required).
        LostContact => "lost_contact",
        /// Moved out of every area the service covers.
        MovedOutOfArea => "moved_out_of_area",
        /// Found to be an adult by an age assessment.
        AssessedAdult => "assessed_adult",
    }
);

/// Everything that can happen to a guardian episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuardianEvent {
    /// A child referral was made in a covered area: an ICTG referral exists.
    Referred {
        case_id: CaseId,
        case_reference: String,
        /// The child's vault subject (the case's).
        subject: SubjectId,
        /// The case's personal details record (where the date of birth is).
        personal_details: VaultRecordId,
        area: String,
        referred_on: NaiveDate,
        referred_at: DateTime<Utc>,
        allocation_due_on: NaiveDate,
        rules_version: String,
    },
    /// A worker was allocated (or the allocation changed).
    Allocated {
        worker: UserId,
        role: GuardianRole,
        parental_responsibility_in_uk: bool,
        exceptional_need: bool,
        on: NaiveDate,
        next_contact_due_on: NaiveDate,
    },
    ContactRecorded {
        contact: Uuid,
        kind: ContactKind,
        on: NaiveDate,
        notes: VaultRecordId,
        next_contact_due_on: NaiveDate,
    },
    ProfessionalAdded {
        professional: Uuid,
        role: ProfessionalRole,
        /// Name, organisation and how to reach them.
        details: VaultRecordId,
        on: NaiveDate,
    },
    ProfessionalRemoved {
        professional: Uuid,
        on: NaiveDate,
    },
    AdvocacyStarted {
        action: Uuid,
        kind: AdvocacyKind,
        on: NaiveDate,
        details: VaultRecordId,
        /// When it should be followed up.
        review_on: NaiveDate,
    },
    AdvocacyConcluded {
        action: Uuid,
        outcome: AdvocacyOutcome,
        on: NaiveDate,
        details: VaultRecordId,
    },
    /// The guardian asked for a negative decision on the child's case to be reconsidered (the
    /// request itself is the case's `ReconsiderationRequested`).
    ReconsiderationRequested {
        decision: DecisionRef,
        on: NaiveDate,
        /// The advocacy action it belongs to.
        action: Uuid,
    },
    /// The child turns 18 within the notice period: plan for it.
    TurningEighteenFlagged {
        on: NaiveDate,
        notice_days: u32,
    },
    /// The child turned 18. `post_18_until`: post-18 support runs until then (a Post-18
    /// worker is to be allocated); `None`: none in the area on that day.
    TurnedEighteen {
        on: NaiveDate,
        post_18_until: Option<NaiveDate>,
    },
    /// The young adult is asked whether they consent to adult victim support (a task).
    ConsentToSupportOffered {
        on: NaiveDate,
    },
    ConsentToSupportAnswered {
        on: NaiveDate,
        consents: bool,
    },
    Closed {
        on: NaiveDate,
        reason: ClosureReason,
        missing_person_reference: Option<VaultRecordId>,
        details: Option<VaultRecordId>,
    },
}

impl GuardianEvent {
    /// A stable name for storage and the timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Referred { .. } => "guardian_referred",
            Self::Allocated { .. } => "guardian_allocated",
            Self::ContactRecorded { .. } => "guardian_contact",
            Self::ProfessionalAdded { .. } => "guardian_professional_added",
            Self::ProfessionalRemoved { .. } => "guardian_professional_removed",
            Self::AdvocacyStarted { .. } => "guardian_advocacy_started",
            Self::AdvocacyConcluded { .. } => "guardian_advocacy_concluded",
            Self::ReconsiderationRequested { .. } => "guardian_reconsideration_requested",
            Self::TurningEighteenFlagged { .. } => "guardian_turning_18_flagged",
            Self::TurnedEighteen { .. } => "guardian_turned_18",
            Self::ConsentToSupportOffered { .. } => "guardian_consent_offered",
            Self::ConsentToSupportAnswered { .. } => "guardian_consent_answered",
            Self::Closed { .. } => "guardian_closed",
        }
    }
}
