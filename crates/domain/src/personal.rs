//! Personal data: what identifies a person or tells their story.
//!
//! These values never enter an event, a log line, a URL or an error message. The store
//! encrypts them into the vault under the subject's own data key; events hold only the
//! [`crate::VaultRecordId`] that points at them.

use chrono::{Datelike, NaiveDate};

use crate::error::FieldProblem;
use serde::{Deserialize, Serialize};

/// The potential victim's identifying details and account, as the First Responder gave them.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonalDetails {
    pub given_names: String,
    pub family_name: String,
    /// Other names the person is known by.
    pub other_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Languages the person speaks, in their own words.
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    /// How to reach the person safely (phone, email, care of), if at all.
    pub contact: Option<String>,
    /// Where the person is now, if it is safe to say.
    pub current_address: Option<String>,
    /// Other reference numbers (Home Office, National Insurance, police crime reference).
    pub other_references: Vec<String>,
    /// The account of what happened to the person.
    pub narrative: String,
}

/// Longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest accepted short text (contact, address, reference), in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 500;
/// Longest accepted narrative account or reasons, in characters.
pub const MAX_NARRATIVE_CHARS: usize = 20_000;
/// Most entries accepted in a list (other names, languages, references).
pub const MAX_LIST_ENTRIES: usize = 20;

impl PersonalDetails {
    /// Adds a problem for each field that cannot be accepted as of `today`.
    pub fn check(&self, today: NaiveDate, problems: &mut Vec<FieldProblem>) {
        if self.given_names.trim().is_empty() && self.family_name.trim().is_empty() {
            problems.push(FieldProblem::new(
                "/victim/given_names",
                "Enter the person's name, or the name they are known by",
            ));
        }
        too_long(
            &self.given_names,
            MAX_NAME_CHARS,
            "/victim/given_names",
            problems,
        );
        too_long(
            &self.family_name,
            MAX_NAME_CHARS,
            "/victim/family_name",
            problems,
        );
        list(
            &self.other_names,
            MAX_NAME_CHARS,
            "/victim/other_names",
            problems,
        );
        list(
            &self.languages,
            MAX_NAME_CHARS,
            "/victim/languages",
            problems,
        );
        list(
            &self.other_references,
            MAX_SHORT_TEXT_CHARS,
            "/victim/other_references",
            problems,
        );
        if let Some(contact) = &self.contact {
            too_long(contact, MAX_SHORT_TEXT_CHARS, "/victim/contact", problems);
        }
        if let Some(address) = &self.current_address {
            too_long(
                address,
                MAX_SHORT_TEXT_CHARS,
                "/victim/current_address",
                problems,
            );
        }
        if self.narrative.trim().is_empty() {
            problems.push(FieldProblem::new(
                "/victim/narrative",
                "Enter what happened to the person, in as much detail as they were willing to give",
            ));
        }
        too_long(
            &self.narrative,
            MAX_NARRATIVE_CHARS,
            "/victim/narrative",
            problems,
        );
        if let Some(born) = self.date_of_birth {
            if born > today {
                problems.push(FieldProblem::new(
                    "/victim/date_of_birth",
                    "Date of birth must be in the past",
                ));
            } else if born.year() < 1900 {
                problems.push(FieldProblem::new(
                    "/victim/date_of_birth",
                    "Date of birth must be after 1 January 1900",
                ));
            }
        }
    }
}

/// Adds a problem when `text` is longer than `max` characters.
pub fn too_long(text: &str, max: usize, field: &str, problems: &mut Vec<FieldProblem>) {
    if text.chars().count() > max {
        problems.push(FieldProblem::new(
            field,
            format!("Must be {max} characters or fewer"),
        ));
    }
}

fn list(items: &[String], max: usize, field: &str, problems: &mut Vec<FieldProblem>) {
    if items.len() > MAX_LIST_ENTRIES {
        problems.push(FieldProblem::new(
            field,
            format!("Enter {MAX_LIST_ENTRIES} or fewer"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        too_long(item, max, &format!("{field}/{i}"), problems);
    }
}

/// Debug never prints the values: a stray `{:?}` in a log line must not leak a name.
impl std::fmt::Debug for PersonalDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDetails { .. }")
    }
}

/// The written reasons for a decision: narrative about the person, so vault data too.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionReasons(pub String);

impl std::fmt::Debug for DecisionReasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecisionReasons(..)")
    }
}

/// Everything the vault can hold, tagged so a record is always read back as what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VaultContent {
    PersonalDetails(PersonalDetails),
    DecisionReasons {
        text: DecisionReasons,
    },
    /// A victim-support record's words (needs evidence, safeguarding notes, a concern's
    /// details, a police reference, an accommodation's address): special-category data.
    SupportNote {
        text: DecisionReasons,
    },
    /// A guardian's record about a child (a contact's notes, a professional's name and contact
    /// details, an advocacy action, a missing-person reference).
    GuardianNote {
        text: DecisionReasons,
    },
    /// The date of birth an age assessment concluded (`children::age`).
    AssessedDateOfBirth {
        date_of_birth: chrono::NaiveDate,
    },
}

impl VaultContent {
    /// A short label stored beside the ciphertext and bound into its authentication tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PersonalDetails(_) => "personal_details",
            Self::DecisionReasons { .. } => "decision_reasons",
            Self::SupportNote { .. } => "support_note",
            Self::GuardianNote { .. } => "guardian_note",
            Self::AssessedDateOfBirth { .. } => "assessed_date_of_birth",
        }
    }
}
