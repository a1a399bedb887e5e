//! Accommodation, placements, inspections and occupancy.
//!
//! A placement covers the nights from its `start` up to the day before its `end` (the day the
//! person moves out): on a day `d` the person is placed when `start <= d < end`. The same
//! reading decides occupancy and which subsistence rate a day is paid at, so a move between
//! houses is never counted twice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldProblem};
use crate::ids::{OrganisationId, VaultRecordId};

use super::ids::{AccommodationId, EpisodeId, InspectionId, PlacementId};

/// How a person is accommodated, for subsistence: in a house that provides meals, one where
/// they cook for themselves, or not by the provider at all (outreach support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccommodationType {
    Catered,
    SelfCatered,
    Outreach,
}

impl AccommodationType {
    pub fn code(self) -> &'static str {
        match self {
            Self::Catered => "catered",
            Self::SelfCatered => "self_catered",
            Self::Outreach => "outreach",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Catered, Self::SelfCatered, Self::Outreach]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A safe house or other accommodation (its address is in the vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accommodation {
    pub id: AccommodationId,
    pub provider: OrganisationId,
    pub kind: AccommodationType,
    pub capacity: u32,
    /// A region code (for example `london`, `north_west`, `wales`, `scotland`).
    pub region: String,
    pub address: VaultRecordId,
}

impl Accommodation {
    /// Checks a new accommodation's facts.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        if self.kind == AccommodationType::Outreach {
            problems.push(FieldProblem::new(
                "/kind",
                "Accommodation must be catered or self-catered; outreach is support without accommodation",
            ));
        }
        if self.capacity == 0 || self.capacity > 500 {
            problems.push(FieldProblem::new(
                "/capacity",
                "Capacity must be between 1 and 500 places",
            ));
        }
        if !valid_region(&self.region) {
            problems.push(FieldProblem::new("/region", "Choose a region"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(problems))
        }
    }
}

/// The regions accommodation is grouped by (English regions, Wales, Scotland, Northern Ireland).
pub const REGIONS: [&str; 12] = [
    "north_east",
    "north_west",
    "yorkshire_and_the_humber",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "london",
    "south_east",
    "south_west",
    "wales",
    "scotland",
    "northern_ireland",
];

pub fn valid_region(code: &str) -> bool {
    REGIONS.contains(&code)
}

/// Why a placement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementEndReason {
    MovedToOtherAccommodation,
    MovedOn,
    SafeguardingRisk,
    Missing,
    SupportEnded,
    Other,
}

impl PlacementEndReason {
    pub const ALL: [Self; 6] = [
        Self::MovedToOtherAccommodation,
        Self::MovedOn,
        Self::SafeguardingRisk,
        Self::Missing,
        Self::SupportEnded,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::MovedToOtherAccommodation => "moved_to_other_accommodation",
            Self::MovedOn => "moved_on",
            Self::SafeguardingRisk => "safeguarding_risk",
            Self::Missing => "missing",
            Self::SupportEnded => "support_ended",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// One person's stay in one accommodation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub id: PlacementId,
    pub episode: EpisodeId,
    pub accommodation: AccommodationId,
    pub kind: AccommodationType,
    pub start: NaiveDate,
    /// The day the person moved out (not a night placed); `None` while placed.
    pub end: Option<NaiveDate>,
    pub end_reason: Option<PlacementEndReason>,
}

impl Placement {
    /// Whether the person is placed here on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day < end)
    }

    /// Whether two placements share a day.
    pub fn overlaps(&self, other: &Self) -> bool {
        let a_end = self.end.unwrap_or(NaiveDate::MAX);
        let b_end = other.end.unwrap_or(NaiveDate::MAX);
        self.start < b_end && other.start < a_end
    }
}

/// How many people are placed in `accommodation` on `day`.
pub fn occupancy_at<'a>(
    placements: impl IntoIterator<Item = &'a Placement>,
    accommodation: AccommodationId,
    day: NaiveDate,
) -> u32 {
    let n = placements
        .into_iter()
        .filter(|p| p.accommodation == accommodation && p.covers(day))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Checks that `new` can be made: it does not overlap any of the person's own placements and
/// the accommodation has a free place on its first night.
pub fn check_placement(
    new: &Placement,
    accommodation: &Accommodation,
    persons_placements: &[Placement],
    placements_in_accommodation: &[Placement],
) -> Result<(), DomainError> {
    if new.accommodation != accommodation.id || new.kind != accommodation.kind {
        return Err(DomainError::refused(
            "placement-accommodation-mismatch",
            "The placement must name the accommodation and its type",
        ));
    }
    if new.end.is_some_and(|end| end <= new.start) {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            "/end",
            "The end of a placement must be after its start",
        )]));
    }
    if persons_placements
        .iter()
        .any(|p| p.id != new.id && p.overlaps(new))
    {
        return Err(DomainError::refused(
            "placement-overlaps",
            "The person is already placed on some of these days: end the other placement first",
        ));
    }
    if occupancy_at(placements_in_accommodation, accommodation.id, new.start)
        >= accommodation.capacity
    {
        return Err(DomainError::refused(
            "accommodation-full",
            format!(
                "The accommodation is full on {} ({} places)",
                new.start, accommodation.capacity
            ),
        ));
    }
    Ok(())
}

/// The areas an inspection covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionArea {
    Safety,
    Safeguarding,
    Cleanliness,
    Staffing,
    Wellbeing,
}

impl InspectionArea {
    pub const ALL: [Self; 5] = [
        Self::Safety,
        Self::Safeguarding,
        Self::Cleanliness,
        Self::Staffing,
        Self::Wellbeing,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Safeguarding => "safeguarding",
            Self::Cleanliness => "cleanliness",
            Self::Staffing => "staffing",
            Self::Wellbeing => "wellbeing",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// A rating against the standard, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Good,
    RequiresImprovement,
    Inadequate,
}

impl Rating {
    pub fn code(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::RequiresImprovement => "requires_improvement",
            Self::Inadequate => "inadequate",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Good, Self::RequiresImprovement, Self::Inadequate]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// A finding in one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub area: InspectionArea,
    pub rating: Rating,
}

/// An action the provider must take, by a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredAction {
    pub number: u32,
    pub area: InspectionArea,
    pub due_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
}

/// One inspection of one accommodation against the standard (the inspector's narrative is in
/// the vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub id: InspectionId,
    pub accommodation: AccommodationId,
    pub inspected_on: NaiveDate,
    pub follow_up_of: Option<InspectionId>,
    pub findings: Vec<Finding>,
    pub actions: Vec<RequiredAction>,
    pub notes: Option<VaultRecordId>,
}

impl Inspection {
    /// The overall rating: the worst area's.
    pub fn overall(&self) -> Rating {
        self.findings
            .iter()
            .map(|f| f.rating)
            .max()
            .unwrap_or(Rating::Inadequate)
    }

    /// Checks a new inspection record: every area rated once, an action with a due date on or
    /// after the inspection for every area below "good", a follow-up after what it follows.
    pub fn check(&self, followed: Option<&Inspection>) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        for area in InspectionArea::ALL {
            let n = self.findings.iter().filter(|f| f.area == area).count();
            if n != 1 {
                problems.push(FieldProblem::new(
                    format!("/findings/{}", area.code()),
                    format!("Rate {} once", area.code().replace('_', " ")),
                ));
            }
        }
        for f in &self.findings {
            if f.rating != Rating::Good && !self.actions.iter().any(|a| a.area == f.area) {
                problems.push(FieldProblem::new(
                    format!("/actions/{}", f.area.code()),
                    format!(
                        "Add an action for {}, rated below good",
                        f.area.code().replace('_', " ")
                    ),
                ));
            }
        }
        for (i, a) in self.actions.iter().enumerate() {
            if a.due_on < self.inspected_on {
                problems.push(FieldProblem::new(
                    format!("/actions/{i}/due_on"),
                    "An action's due date must be on or after the inspection",
                ));
            }
        }
        if let Some(f) = followed
            && (f.accommodation != self.accommodation || f.inspected_on >= self.inspected_on)
        {
            problems.push(FieldProblem::new(
                "/follow_up_of",
                "A follow-up inspection must follow an earlier inspection of the same accommodation",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(problems))
        }
    }
}

/// Actions not completed by their due date, as of `today` (the contract manager's view).
pub fn overdue_actions<'a>(
    inspections: impl IntoIterator<Item = &'a Inspection>,
    today: NaiveDate,
) -> Vec<(&'a Inspection, &'a RequiredAction)> {
    let mut out: Vec<_> = inspections
        .into_iter()
        .flat_map(|i| i.actions.iter().map(move |a| (i, a)))
        .filter(|(_, a)| a.completed_on.is_none() && a.due_on < today)
        .collect();
    out.sort_by_key(|(_, a)| a.due_on);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::event::ReviewTrigger;

    #[test]
    fn every_code_reads_back_as_itself_and_nothing_else_reads() {
        for reason in PlacementEndReason::ALL {
            assert_eq!(PlacementEndReason::parse(reason.code()), Some(reason));
        }
        for trigger in [ReviewTrigger::Scheduled, ReviewTrigger::Event] {
            assert_eq!(ReviewTrigger::parse(trigger.code()), Some(trigger));
        }
        for junk in ["", "Moved_On", "moved on", "scheduled ", "unknown"] {
            assert_eq!(PlacementEndReason::parse(junk), None, "{junk}");
            assert_eq!(ReviewTrigger::parse(junk), None, "{junk}");
        }
    }
}
