//! Age assessment (issue 13 item 3; domain brief 1.5 and 2.12): where there are reasonable
//! grounds to believe a person may be under 18 they are treated as a child until an age
//! assessment by a local authority or the Home Office concludes. Recording the assessment
//! (who, when, the finding, the assessed date of birth, kept in the vault with the reasons)
//! settles the case's age group and routes it again:
//!
//! - found an adult: the case leaves a pilot panel for the Single Competent Authority, and
//!   from now on the person's notices go to them (a child's went to the local authority);
//! - found a child after a referral as an adult: the case goes to the pilot panel of the area
//!   the child lives in when that authority runs the pilot on the date and the child is more
//!   than the pilot margin from 18 (`routing::route`), else it stays with its authority on the
//!   child route (notices to the local authority, never to the child).
//!
//! The date of birth travels in the command only to route the case: the event holds the vault
//! record it is sealed in, never the date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::case::Referral;
use crate::error::{DomainError, FieldProblem};
use crate::event::{CaseEvent, CompetentAuthority, Recipient, RerouteReason};
use crate::ids::VaultRecordId;
use crate::rules::Rulebook;
use crate::submission::{AgeGroup, age_on};

/// Who carried out an age assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeAssessor {
    /// A local authority (a "Merton-compliant" assessment by social workers).
    LocalAuthority,
    /// The Home Office (the National Age Assessment Board).
    HomeOffice,
}

impl AgeAssessor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LocalAuthority => "local_authority",
            Self::HomeOffice => "home_office",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::LocalAuthority, Self::HomeOffice]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// What an age assessment concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeFinding {
    Adult,
    Child,
}

impl AgeFinding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adult => "adult",
            Self::Child => "child",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Adult, Self::Child]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// An age assessment concluded (the event). The route change, if any, follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeAssessed {
    pub assessed_on: NaiveDate,
    pub assessed_by: AgeAssessor,
    pub finding: AgeFinding,
    /// The vault record holding the assessed date of birth.
    pub date_of_birth: VaultRecordId,
    /// The vault record holding the assessment's reasons.
    pub reasons: VaultRecordId,
    pub recorded_by: Actor,
    /// Who is told of the finding.
    pub notified: Vec<Recipient>,
}

/// The assessment as the case remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeAssessment {
    pub assessed_on: NaiveDate,
    pub assessed_by: AgeAssessor,
    pub finding: AgeFinding,
    pub date_of_birth: VaultRecordId,
}

/// Recording an age assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAgeAssessment {
    pub assessed_on: NaiveDate,
    pub assessed_by: AgeAssessor,
    pub finding: AgeFinding,
    /// The assessed date of birth: used to route the case, sealed in the vault as
    /// `date_of_birth_record`, never put in an event.
    pub date_of_birth: NaiveDate,
    pub date_of_birth_record: VaultRecordId,
    pub reasons: VaultRecordId,
    /// For a person found to be a child: the local authority area (pilot site code) they live
    /// in, for routing to its panel.
    pub local_authority_area: Option<String>,
}

pub(crate) fn evolve(r: &mut Referral, event: &CaseEvent) {
    if let CaseEvent::AgeAssessed(e) = event {
        r.age_group = match e.finding {
            AgeFinding::Adult => AgeGroup::Adult,
            AgeFinding::Child => AgeGroup::Child,
        };
        r.age_disputed = false;
        r.age_assessment = Some(AgeAssessment {
            assessed_on: e.assessed_on,
            assessed_by: e.assessed_by,
            finding: e.finding,
            date_of_birth: e.date_of_birth,
        });
    }
}

pub(crate) fn decide(
    r: &Referral,
    c: &RecordAgeAssessment,
    actor: Actor,
    rules: &Rulebook,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    crate::command::guard_open(r)?;
    if r.age_assessment.is_some() {
        return Err(DomainError::refused(
            "age-already-assessed",
            "An age assessment has already been recorded on this case",
        ));
    }
    if r.age_group == AgeGroup::Child && !r.age_disputed {
        return Err(DomainError::refused(
            "age-not-disputed",
            "This child's age is not disputed: an age assessment is recorded only where it is",
        ));
    }
    let mut problems = Vec::new();
    if c.assessed_on > today {
        problems.push(FieldProblem::new(
            "/assessed_on",
            "The date of the assessment must be today or in the past",
        ));
    } else if c.assessed_on < r.referred_on {
        problems.push(FieldProblem::new(
            "/assessed_on",
            format!(
                "The date of the assessment must be on or after the referral ({})",
                r.referred_on
            ),
        ));
    }
    if c.date_of_birth > c.assessed_on {
        problems.push(FieldProblem::new(
            "/date_of_birth",
            "The assessed date of birth must be before the assessment",
        ));
    } else {
        let age = age_on(c.date_of_birth, c.assessed_on);
        match c.finding {
            AgeFinding::Adult if age < 18 => problems.push(FieldProblem::new(
                "/date_of_birth",
                "The assessed date of birth makes the person under 18 on the date of the assessment: the finding is that they are a child",
            )),
            AgeFinding::Child if age >= 18 => problems.push(FieldProblem::new(
                "/date_of_birth",
                "The assessed date of birth makes the person 18 or over on the date of the assessment: the finding is that they are an adult",
            )),
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(DomainError::Invalid(problems));
    }
    let notified = match c.finding {
        // Now an adult: told directly, and the local authority that looked after them.
        AgeFinding::Adult => vec![
            Recipient::PotentialVictim,
            Recipient::LocalAuthority,
            Recipient::FirstResponder,
        ],
        // A child: never served on the child; the local authority and the referrer.
        AgeFinding::Child => vec![Recipient::LocalAuthority, Recipient::FirstResponder],
    };
    let mut events = vec![CaseEvent::AgeAssessed(AgeAssessed {
        assessed_on: c.assessed_on,
        assessed_by: c.assessed_by,
        finding: c.finding,
        date_of_birth: c.date_of_birth_record,
        reasons: c.reasons,
        recorded_by: actor,
        notified,
    })];
    // Routing follows the finding, until the Conclusive Grounds decision fixes the route.
    if r.conclusive_grounds.is_none() {
        let to = match c.finding {
            AgeFinding::Adult
                if r.competent_authority == CompetentAuthority::LocalAuthorityPanel =>
            {
                Some((
                    CompetentAuthority::Sca,
                    None,
                    RerouteReason::AgeAssessedAdult,
                ))
            }
            AgeFinding::Child
                if r.competent_authority != CompetentAuthority::LocalAuthorityPanel =>
            {
                let route = crate::routing::route(
                    AgeGroup::Child,
                    Some(c.date_of_birth),
                    c.local_authority_area.as_deref(),
                    None,
                    today,
                    rules,
                );
                (route.authority == CompetentAuthority::LocalAuthorityPanel).then_some((
                    CompetentAuthority::LocalAuthorityPanel,
                    route.pilot_site,
                    RerouteReason::AgeAssessedChild,
                ))
            }
            _ => None,
        };
        if let Some((to, pilot_site, reason)) = to {
            events.push(CaseEvent::RouteChanged {
                from: r.competent_authority,
                to,
                pilot_site,
                reason,
                changed_on: today,
            });
        }
    }
    Ok(events)
}
