//! HTCDS value names back to the service's categories, for importing HTCDS files as legacy
//! cases (`docs/htcds.md`). Each returns `None` for a value that is not one of the standard's
//! or has no counterpart in the NRM.

use nrm_domain::exploitation::ExploitationType;
use nrm_domain::geography::UkNation;
use nrm_domain::submission::{FirstResponderType, Gender};

/// `prs_Gender`: the statistics record gender, so the transgender values are the gender
/// expressed.
pub fn gender(value: &str) -> Option<Gender> {
    match value {
        "Feminine" | "TransgenderFeminine" => Some(Gender::Female),
        "Masculine" | "TransgenderMasculine" => Some(Gender::Male),
        "NonConforming" => Some(Gender::Other),
        "NonSpecifiedUnknown" => Some(Gender::NotKnown),
        _ => None,
    }
}

/// One value of `vic_TypeOfExploitation`.
pub fn exploitation_type(value: &str) -> Option<ExploitationType> {
    match value {
        "ForcedLabour" | "ChildLabour" => Some(ExploitationType::Labour),
        "SexualExploitation" => Some(ExploitationType::Sexual),
        "Servitude" => Some(ExploitationType::DomesticServitude),
        "OrganRemoval" => Some(ExploitationType::OrganHarvesting),
        "ForcedMarriage"
        | "ForcedMilitaryByNonStateActors"
        | "ForcedBegging"
        | "ForcedAdoption"
        | "Surrogacy"
        | "Other" => Some(ExploitationType::Other),
        _ => None,
    }
}

/// `org_Type` of the referring organisation: only the kinds that can be First Responders.
pub fn first_responder(value: &str) -> Option<FirstResponderType> {
    match value {
        "LawEnforcement" => Some(FirstResponderType::Police),
        "LocalGovernmentOrganisation" => Some(FirstResponderType::LocalAuthority),
        "CentralGovernmentOrganisation" | "ImmigrationService" => {
            Some(FirstResponderType::GovernmentAgency)
        }
        "NGO" => Some(FirstResponderType::NonGovernmentalOrganisation),
        _ => None,
    }
}

/// `hte_State` with `hte_Country` `GB`: a UK nation by its name.
pub fn nation(value: &str) -> Option<UkNation> {
    match value {
        "England" => Some(UkNation::England),
        "Wales" => Some(UkNation::Wales),
        "Scotland" => Some(UkNation::Scotland),
        "Northern Ireland" | "NorthernIreland" => Some(UkNation::NorthernIreland),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::htcds::codes::picklist;

    #[test]
    fn every_value_of_the_lists_used_is_known_one_way_or_the_other() {
        let types = picklist("vic_TypeOfExploitation").map_or(&[][..], |p| p.values);
        assert!(types.iter().all(|v| exploitation_type(v).is_some()));
        let genders = picklist("prs_Gender").map_or(&[][..], |p| p.values);
        assert!(genders.iter().all(|v| gender(v).is_some()));
        assert!(first_responder("HealthServiceOrganisation").is_none());
        assert_eq!(nation("Wales"), Some(UkNation::Wales));
    }
}
