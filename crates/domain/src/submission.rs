//! The three kinds of submission a First Responder can make, as distinct types.
//!
//! - [`AdultReferral`]: an adult who gave informed consent to be referred. Consent to support
//!   is recorded separately, because a person can agree to one and not the other.
//! - [`ChildReferral`]: anyone under 18, or whose age is disputed (they are presumed a child
//!   until their age is assessed). No consent is asked for.
//! - [`DutyToNotify`]: the anonymous notification for an adult who does not consent
//!   (Modern Slavery Act 2015 s52(3)). It has no field that could hold a name, a date of birth,
//!   contact details or free text, so it cannot identify anyone by construction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::exploitation::Exploitation;
use crate::geography::{Country, UkNation};
use crate::personal::PersonalDetails;

/// Gender as the official statistics record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    Other,
    NotKnown,
}

/// Age group at the time of exploitation (the statistics' age basis, which can differ from
/// the person's age at referral).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeAtExploitation {
    Adult,
    Child,
    NotKnown,
}

/// The route a referral takes: the child route has no consent and child safeguards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Adult,
    Child,
}

/// The statistics' First Responder Organisation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstResponderType {
    Police,
    LocalAuthority,
    GovernmentAgency,
    NonGovernmentalOrganisation,
}

/// The Immigration Enforcement Competent Authority's cohorts (created 8 Nov 2021). A referral
/// of someone in one of them is decided by the IECA, not the SCA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImmigrationEnforcementCohort {
    /// A foreign national offender held in prison or an immigration removal centre.
    DetainedForeignNationalOffender,
    /// A foreign national offender in the community where deportation action has begun.
    ForeignNationalOffenderFacingDeportation,
    /// Detained in a removal centre or prison for immigration purposes.
    ImmigrationDetention,
    /// An asylum claim treated as inadmissible.
    InadmissibleAsylumClaim,
}

/// Facts about the person that the statistics are published by. Not identifying alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub gender: Gender,
    /// Nationalities; empty when not known. Dual nationals have two.
    pub nationalities: Vec<Country>,
}

/// The First Responder's side of the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponderDetails {
    pub organisation_type: FirstResponderType,
}

/// Informed consent to be referred, and the separate consent to support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdultConsent {
    /// The day the person gave informed consent to the referral.
    pub referral_consent_given_on: NaiveDate,
    /// Whether the person also consents to being referred for support.
    pub support_consent: bool,
}

/// An adult NRM referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdultReferral {
    pub victim: PersonalDetails,
    pub profile: Profile,
    pub consent: AdultConsent,
    pub exploitation: Exploitation,
    pub first_responder: FirstResponderDetails,
    pub immigration_cohort: Option<ImmigrationEnforcementCohort>,
    /// The UK nation the person is in now; `None` when not known (the default, so a client
    /// that does not send it keeps working). Support and the deadlines of whoever acts for
    /// the person follow this nation's rules and calendar.
    #[serde(default)]
    pub current_nation: Option<UkNation>,
}

/// A child NRM referral. There is deliberately no consent here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildReferral {
    pub victim: PersonalDetails,
    pub profile: Profile,
    /// The person says, or may be, under 18 but their age is not established.
    pub age_disputed: bool,
    /// Children are safeguarded first: local authority children's services have been told.
    pub local_authority_notified: bool,
    /// The local authority area where the child lives or was referred, as a pilot-site code
    /// when it is one (routing to a devolved decision panel depends on it).
    pub local_authority_area: Option<String>,
    pub exploitation: Exploitation,
    pub first_responder: FirstResponderDetails,
    pub immigration_cohort: Option<ImmigrationEnforcementCohort>,
    /// The UK nation the person is in now; `None` when not known (the default, so a client
    /// that does not send it keeps working). Support and the deadlines of whoever acts for
    /// the person follow this nation's rules and calendar.
    #[serde(default)]
    pub current_nation: Option<UkNation>,
}

/// The anonymous Duty to Notify report. No identifying field exists on this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyToNotify {
    pub profile: Profile,
    pub age_at_exploitation: AgeAtExploitation,
    pub exploitation: Exploitation,
    pub first_responder: FirstResponderDetails,
}

/// Any one of the three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Adult(AdultReferral),
    Child(ChildReferral),
    DutyToNotify(DutyToNotify),
}

impl Submission {
    pub fn exploitation(&self) -> &Exploitation {
        match self {
            Self::Adult(r) => &r.exploitation,
            Self::Child(r) => &r.exploitation,
            Self::DutyToNotify(r) => &r.exploitation,
        }
    }

    /// The UK nation the person is in now, when the referral says; never for a Duty to
    /// Notify report (it records nothing about where the person is).
    pub fn current_nation(&self) -> Option<UkNation> {
        match self {
            Self::Adult(r) => r.current_nation,
            Self::Child(r) => r.current_nation,
            Self::DutyToNotify(_) => None,
        }
    }

    /// The personal details to put in the vault; `None` for a Duty to Notify report.
    pub fn personal_details(&self) -> Option<&PersonalDetails> {
        match self {
            Self::Adult(r) => Some(&r.victim),
            Self::Child(r) => Some(&r.victim),
            Self::DutyToNotify(_) => None,
        }
    }
}

/// Whole years between `born` and `on` (the person's age on that day).
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}
