//! The composition of a devolved pilot panel when it makes a Reasonable or Conclusive Grounds
//! decision: a multi-agency panel with at least the agencies the rulebook names for the date
//! (children's social care, police and health since the pilot began), chaired by someone who
//! is not the child's lead social worker (pilot general guidance; domain brief section 1.4).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Rulebook, in_force};
use crate::error::DomainError;
use crate::ids::UserId;

/// The agency a pilot panel member comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelAgency {
    ChildrensSocialCare,
    Police,
    Health,
    Education,
    Other,
}

impl PanelAgency {
    fn describe(self) -> &'static str {
        match self {
            Self::ChildrensSocialCare => "children's social care",
            Self::Police => "the police",
            Self::Health => "health",
            Self::Education => "education",
            Self::Other => "another agency",
        }
    }
}

/// A member (or the chair) of a pilot panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotPanelMember {
    pub user: UserId,
    pub agency: PanelAgency,
    /// Whether this is the child's lead social worker.
    #[serde(default)]
    pub lead_social_worker: bool,
}

/// The panel that made a pilot decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotPanel {
    pub chair: PilotPanelMember,
    pub members: Vec<PilotPanelMember>,
}

impl Rulebook {
    /// Refuses a pilot panel that may not decide on `on` (`pilot-panel-composition`): its
    /// chair is the child's lead social worker, a member sits twice, or an agency the rulebook
    /// requires on that date is missing (the chair counts as their agency's member).
    pub fn check_pilot_panel(&self, panel: &PilotPanel, on: NaiveDate) -> Result<(), DomainError> {
        let rule = in_force(&self.data.pilot_panel_required_agencies, on);
        let refuse = |why: String| {
            Err(DomainError::refused(
                "pilot-panel-composition",
                format!("{why} ({})", rule.source),
            ))
        };
        if panel.chair.lead_social_worker {
            return refuse(
                "The panel's chair must not be the child's lead social worker".to_owned(),
            );
        }
        let everyone: Vec<&PilotPanelMember> = std::iter::once(&panel.chair)
            .chain(&panel.members)
            .collect();
        let mut users: Vec<UserId> = everyone.iter().map(|m| m.user).collect();
        users.sort_unstable_by_key(|u| u.0);
        users.dedup();
        if users.len() != everyone.len() {
            return refuse("Each member sits on the panel once".to_owned());
        }
        let missing: Vec<&str> = rule
            .value
            .iter()
            .filter(|agency| !everyone.iter().any(|m| m.agency == **agency))
            .map(|a| a.describe())
            .collect();
        if !missing.is_empty() {
            return refuse(format!(
                "A pilot panel decides with members from {} at least: none from {}",
                rule.value
                    .iter()
                    .map(|a| a.describe())
                    .collect::<Vec<_>>()
                    .join(", "),
                missing.join(", ")
            ));
        }
        Ok(())
    }
}
