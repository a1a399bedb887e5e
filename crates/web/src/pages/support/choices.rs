//! What an episode or the service offers the later support forms' questions, and when each of
//! those forms is offered at all: the concerns that can be escalated, closed or have a missing
//! person found, the Home Office decisions that can be reconsidered, the inspections a
//! follow-up can follow, and the regions accommodation is in. Each predicate mirrors the
//! domain's rule for the same action (`nrm_domain::support::command::decide`), so a form is
//! offered only when its record could be made; the domain still decides on the record.

use nrm_domain::support::event::RnaDecision;
use nrm_domain::support::state::{ConcernState, RnaState};
use nrm_domain::support::{EpisodeState, SupportStatus};
use nrm_service::support::AccommodationView;

use super::words;
use crate::pages::casework::date;
use crate::pages::i18n::Lang;

/// Whether the person is in support now (allocated, not exited).
pub fn in_support(state: &EpisodeState) -> bool {
    state.status.is_some_and(SupportStatus::in_support)
}

/// A decision that shortened or refused the recommended period and has not been asked to be
/// reconsidered (reconsideration is asked once).
pub fn reconsiderable(rna: &RnaState) -> bool {
    matches!(
        rna.decision,
        Some(RnaDecision::Shortened | RnaDecision::Refused)
    ) && !rna.reconsideration_requested
}

/// An open concern not yet escalated to the Home Office.
pub fn escalatable(concern: &ConcernState) -> bool {
    concern.open() && !concern.escalated()
}

/// An open concern whose missing person report is open.
pub fn missing(concern: &ConcernState) -> bool {
    concern.open() && concern.missing_since.is_some() && concern.found_at.is_none()
}

/// An open concern that may be closed: acknowledged by the Home Office if it was escalated,
/// and with nobody still missing.
pub fn closable(concern: &ConcernState) -> bool {
    concern.open()
        && !(concern.escalated() && concern.acknowledged_at.is_none())
        && !missing(concern)
}

/// The episode's concerns that `keep` selects, as `(id, words)`.
pub fn concerns(
    state: Option<&EpisodeState>,
    keep: fn(&ConcernState) -> bool,
) -> Vec<(String, String)> {
    state
        .map(|s| {
            s.concerns
                .iter()
                .filter(|c| keep(c))
                .map(|c| {
                    (
                        c.id.0.to_string(),
                        format!(
                            "{} ({} severity), raised {}{}",
                            words(c.kind.code()),
                            c.severity.code(),
                            Lang::En.long_date(nrm_domain::clock::uk_date(c.raised_at)),
                            if c.acknowledged_at.is_some() {
                                ", acknowledged by the Home Office"
                            } else if c.escalated() {
                                ", escalated to the Home Office"
                            } else {
                                ""
                            }
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The decisions that can be reconsidered, as `(id, words)`.
pub fn decided_rnas(state: Option<&EpisodeState>) -> Vec<(String, String)> {
    state
        .map(|s| {
            s.rnas
                .iter()
                .filter(|r| reconsiderable(r))
                .map(|r| {
                    (
                        r.id.0.to_string(),
                        format!(
                            "{} {}: {} of the {} days recommended granted",
                            match r.decision {
                                Some(RnaDecision::Refused) => "Refused",
                                _ => "Shortened",
                            },
                            r.decided_on.map(date).unwrap_or_default(),
                            r.days_granted,
                            r.recommended_days
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The inspections a follow-up can follow, newest first, as `(accommodation:inspection,
/// words)`: the follow-up is of the same accommodation.
pub fn inspections_to_follow(list: &[AccommodationView]) -> Vec<(String, String)> {
    let mut out: Vec<_> = list
        .iter()
        .flat_map(|v| v.inspections.iter().map(move |i| (v, i)))
        .collect();
    out.sort_by_key(|(_, i)| std::cmp::Reverse(i.inspected_on));
    out.into_iter()
        .map(|(v, i)| {
            let open = i
                .actions
                .iter()
                .filter(|a| a.completed_on.is_none())
                .count();
            (
                format!("{}:{}", v.accommodation.id.0, i.id.0),
                format!(
                    "{} accommodation in {}, inspected {}: {}{}",
                    words(v.accommodation.kind.code()),
                    words(&v.accommodation.region),
                    date(i.inspected_on),
                    words(i.overall().code()).to_lowercase(),
                    match open {
                        0 => String::new(),
                        1 => ", 1 required action open".to_owned(),
                        n => format!(", {n} required actions open"),
                    }
                ),
            )
        })
        .collect()
}

/// The regions accommodation is grouped by, as `(code, words)`.
pub const REGION_CHOICES: [(&str, &str); 12] = [
    ("north_east", "North East"),
    ("north_west", "North West"),
    ("yorkshire_and_the_humber", "Yorkshire and the Humber"),
    ("east_midlands", "East Midlands"),
    ("west_midlands", "West Midlands"),
    ("east_of_england", "East of England"),
    ("london", "London"),
    ("south_east", "South East"),
    ("south_west", "South West"),
    ("wales", "Wales"),
    ("scotland", "Scotland"),
    ("northern_ireland", "Northern Ireland"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use nrm_domain::support::accommodation::REGIONS;

    #[test]
    fn the_region_choices_are_the_domains_regions_in_its_order() {
        let codes: Vec<&str> = REGION_CHOICES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, REGIONS);
    }
}
