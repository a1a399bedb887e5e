//! HTCDS 2.0 field names and code lists, as in `../shared/standards/htcds/`
//! (`htcds-field-standards-2.0.csv`: sheet `Field_Standards` of UNMigration/HTCDS at commit
//! 3c2f6537; Human Trafficking Case Data Standard v2.0 by IOM, CC BY 4.0). Generated from that
//! file; the value names are the picklists' "Value Names" column, exactly as written there.

/// Every field of the standard, by its name including prefix, in the standard's order.
pub const FIELDS: [&str; 83] = [
    "org_Name",
    "org_ShippingCity",
    "org_ShippingCountry",
    "org_ShippingState",
    "org_ShippingStreet",
    "org_ShippingPostalCode",
    "org_ShippingLongitude",
    "org_ShippingLatitude",
    "org_Phone",
    "org_Type",
    "prs_Salutation",
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Deceased",
    "prs_MaritalStatus",
    "prs_NumberOfChildren",
    "prs_PrimaryLanguage",
    "prs_SecondaryLanguage",
    "prs_HighestLevelOfEducation",
    "prs_Citizenship",
    "prs_IdentityNumber",
    "prs_Title",
    "prs_Email",
    "prs_HomePhone",
    "prs_MobilePhone",
    "prs_MailingCity",
    "prs_MailingCountry",
    "prs_MailingState",
    "prs_MailingStreet",
    "prs_MailingPostalCode",
    "prs_MailingLongitude",
    "prs_MailingLatitude",
    "vic_AgreementToManagePersonalData",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "vic_RelationshipToTrafficker",
    "vic_AgeWhenTrafficked",
    "vic_RecruitmentWebsitesAndApps",
    "vic_MethodOfRecruitment",
    "vic_LocationOfRecruitment",
    "vic_MethodsOfControl",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation",
    "vic_LocationOfExploitation",
    "vic_ExploitationWebsitesAndApps",
    "vic_Vulnerabilities",
    "vic_DetailsOfVulnerabilities",
    "per_RoleInProcess",
    "per_RoleDetails",
    "cas_Status",
    "cas_ReasonForCaseClosure",
    "cas_CaseOwner",
    "cas_ReferringOrganisation",
    "cas_IncomingReferralDate",
    "cas_ReferringPrimaryCaseWorker",
    "cas_ReasonForIncomingReferral",
    "cas_IncomingReferralDetails",
    "cas_ReferredOrganisation",
    "cas_ReferredPrimaryCaseWorker",
    "cas_ReasonForOutgoingReferral",
    "cas_OutgoingReferralDate",
    "cas_OutgoingReferralDetails",
    "cco_CaseComment",
    "hte_Longitude",
    "hte_Latitude",
    "hte_City",
    "hte_Country",
    "hte_State",
    "hte_Street",
    "hte_PostalCode",
    "hte_Date",
    "hte_Type",
    "hte_Description",
    "spl_Objectives",
    "spl_ActionPlan",
    "spl_PlannedEndDate",
    "spl_ActualEndDate",
    "spl_Type",
    "con_Consent",
];

/// A picklist field: its name, whether several values may be chosen (`;`-separated, as
/// Salesforce writes a multi-select picklist), and its value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picklist {
    pub field: &'static str,
    pub multiselect: bool,
    pub values: &'static [&'static str],
}

/// Every picklist of the standard with its own value names (the ISO 3166 and ISO 639 ones
/// are checked by [`is_country_code`]).
pub const PICKLISTS: [Picklist; 21] = [
    Picklist {
        field: "org_Type",
        multiselect: false,
        values: &[
            "NGO",
            "LawEnforcement",
            "HealthServiceOrganisation",
            "CentralGovernmentOrganisation",
            "LocalGovernmentOrganisation",
            "ImmigrationService",
            "LegalService",
            "CorporateBusiness",
            "SchoolOrCollege",
        ],
    },
    Picklist {
        field: "prs_Gender",
        multiselect: false,
        values: &[
            "Feminine",
            "Masculine",
            "TransgenderFeminine",
            "TransgenderMasculine",
            "NonConforming",
            "NonSpecifiedUnknown",
        ],
    },
    Picklist {
        field: "prs_MaritalStatus",
        multiselect: false,
        values: &[
            "Single",
            "Married",
            "Widowed",
            "Divorced",
            "Separated",
            "RegisteredPartnership",
        ],
    },
    Picklist {
        field: "prs_HighestLevelOfEducation",
        multiselect: false,
        values: &[
            "EarlyChildhoodEducation",
            "PrimaryEducation",
            "LowerSecondaryEducation",
            "UpperSecondaryEducation",
            "PostSecondaryNonTertiaryEducation",
            "ShortCycleTertiaryEducation",
            "BachelorsOrEquivalentLevel",
            "MastersOrEquivalentLevel",
            "DoctoralOrEquivalentLevel",
        ],
    },
    Picklist {
        field: "vic_TraffickingStatus",
        multiselect: false,
        values: &[
            "PossibleVictimOfTrafficking",
            "ActualVictimOfTrafficking",
            "NotAVictimOfTrafficking",
        ],
    },
    Picklist {
        field: "vic_TraffickingStatusDecisionMakingOrg",
        multiselect: false,
        values: &[
            "Police",
            "NGO",
            "CourtOrProsecution",
            "NonPoliceGovernmentalOrganization",
            "Other",
        ],
    },
    Picklist {
        field: "vic_RelationshipToTrafficker",
        multiselect: false,
        values: &["Familial", "Acquainted", "Unaquainted"],
    },
    Picklist {
        field: "vic_RecruitmentWebsitesAndApps",
        multiselect: true,
        values: &[
            "Facebook",
            "Instagram",
            "WhatsApp",
            "Telegram",
            "FacebookMessenger",
            "Viber",
            "SnapChat",
            "Line",
            "4Sale",
            "WeChat",
            "QQ",
            "QZone",
            "TikTok",
            "Twitter",
            "Other",
        ],
    },
    Picklist {
        field: "vic_MethodOfRecruitment",
        multiselect: true,
        values: &[
            "AtAPlaceOfBusiness",
            "AtAnEducationalInstitution",
            "AtWork",
            "ThroughOnlineSocialNetworks",
            "ThroughAnOnlineAdvertisement",
            "ThroughATelevisionAdvert",
            "ThroughANewspaperAdvert",
            "ThroughFamilyOrFamilyEvents",
            "ThroughFriendsOrSocialEvents",
            "Other",
        ],
    },
    Picklist {
        field: "vic_MethodsOfControl",
        multiselect: true,
        values: &[
            "PhysicalThreats",
            "ThreatsLawEnforcement",
            "ThreatensChildrenFamily",
            "DebtBondage",
            "FalsePromises",
            "PhysicalAbuse",
            "SexualAbuse",
            "TakesEarnings",
            "RestrictsFinancialAccess",
            "RestrictsMedicalCare",
            "WithholdsNecessities",
            "PsychologicalAbuse",
            "PsychoactiveSubstance",
            "ExcessiveWorkingHours",
            "WithholdsDocuments",
            "Other",
        ],
    },
    Picklist {
        field: "vic_TypeOfExploitation",
        multiselect: true,
        values: &[
            "ForcedLabour",
            "SexualExploitation",
            "ChildLabour",
            "ForcedMarriage",
            "Servitude",
            "ForcedMilitaryByNonStateActors",
            "OrganRemoval",
            "ForcedBegging",
            "ForcedAdoption",
            "Surrogacy",
            "Other",
        ],
    },
    Picklist {
        field: "vic_ForcedLabourIndustry",
        multiselect: false,
        values: &[
            "A_AgricultureForestryAndFishing",
            "B_MiningAndQuarrying",
            "C_Manufacturing",
            "D_ElectricityGasSteamAndAirConditioningSupply",
            "E_WaterSupplySewerageWasteManagement",
            "F_Construction",
            "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
            "H_TransportationAndStorage",
            "I_AccommodationAndFoodServiceActivities",
            "J_InformationAndCommunication",
            "K_FinancialAndInsuranceActivities",
            "L_RealEstateActivities",
            "M_ProfessionalScientificAndTechnicalActivities",
            "N_AdministrativeAndSupportServiceActivities",
            "O_PublicAdministrationAndDefence",
            "P_Education",
            "Q_HumanHealthAndSocialWorkActivities",
            "R_ArtsEntertainmentAndRecreation",
            "S_OtherServiceActivities",
            "T_ActivitiesOfHouseholdsAsEmployers",
            "U_ActivitiesOfExtraterritorialOrganizations",
        ],
    },
    Picklist {
        field: "vic_TypeOfSexExploitation",
        multiselect: true,
        values: &[
            "Prostitution",
            "Pornography",
            "RemoteInteractiveServices",
            "PrivateSexualServices",
        ],
    },
    Picklist {
        field: "vic_ExploitationWebsitesAndApps",
        multiselect: true,
        values: &[
            "Facebook",
            "Instagram",
            "WhatsApp",
            "Telegram",
            "FacebookMessenger",
            "Viber",
            "SnapChat",
            "Line",
            "4Sale",
            "WeChat",
            "QQ",
            "QZone",
            "TikTok",
            "Twitter",
            "Other",
        ],
    },
    Picklist {
        field: "vic_Vulnerabilities",
        multiselect: true,
        values: &[
            "Addiction",
            "SocialGroup",
            "Discrimination",
            "Poverty",
            "DisabilityAndPhysicalHealth",
            "MentalHealth",
            "Migration",
            "Homelessness",
            "AbuseSocialMedia",
            "AbusePhysical",
            "Education",
            "WorkEnvironment",
        ],
    },
    Picklist {
        field: "per_RoleInProcess",
        multiselect: true,
        values: &[
            "TravellingPartner",
            "Transporter",
            "RecruiterOrIntermediary",
            "BrokerTravelAgent",
            "TransferredIndividual",
            "HarbouredIndividual",
            "SoldIndividual",
            "BoughtIndividual",
            "ReceivedIndividual",
            "ControlledIndividual",
            "Smuggler",
            "Abuser",
            "Kidnapper",
            "Exploiter",
            "Other",
        ],
    },
    Picklist {
        field: "cas_Status",
        multiselect: false,
        values: &["Active", "FollowUp", "Closed", "ClosedReferred"],
    },
    Picklist {
        field: "cas_ReasonForIncomingReferral",
        multiselect: false,
        values: &[
            "AdditionalServicesRequired",
            "MigrationOrChangeOfLocation",
            "Other",
        ],
    },
    Picklist {
        field: "cas_ReasonForOutgoingReferral",
        multiselect: false,
        values: &[
            "AdditionalServicesRequired",
            "MigrationOrChangeOfLocation",
            "Other",
        ],
    },
    Picklist {
        field: "hte_Type",
        multiselect: false,
        values: &["Recruitment", "Transit", "Exploitation"],
    },
    Picklist {
        field: "spl_Type",
        multiselect: false,
        values: &[
            "Education",
            "Financial",
            "Health",
            "LabourExploitationRehabilitation",
            "Legal",
            "Livelihood",
            "RightsBasedTraining",
            "SexualExploitationRehabilitation",
            "SocialCare",
        ],
    },
];

/// The picklist of `field`, if it has one of its own.
pub fn picklist(field: &str) -> Option<&'static Picklist> {
    PICKLISTS.iter().find(|p| p.field == field)
}

/// Whether `value` is a valid value of picklist `field` (every `;`-separated value of a
/// multi-select one); an empty value is valid (not recorded).
pub fn is_valid(field: &str, value: &str) -> bool {
    let Some(p) = picklist(field) else {
        return true;
    };
    if value.is_empty() {
        return true;
    }
    let mut values = value.split(';');
    if p.multiselect {
        values.all(|v| p.values.contains(&v))
    } else {
        p.values.contains(&value)
    }
}

/// Whether `code` is an ISO 3166-1 alpha-2 code this service knows (the standard's country
/// fields use them).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && nrm_domain::geography::Country::parse(code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_the_standards() {
        assert_eq!(FIELDS.len(), 83);
        assert!(is_valid("prs_Gender", "Feminine"));
        assert!(!is_valid("prs_Gender", "Female"));
        assert!(is_valid(
            "vic_TypeOfExploitation",
            "ForcedLabour;SexualExploitation"
        ));
        assert!(!is_valid("vic_TypeOfExploitation", "ForcedLabour;Criminal"));
        assert!(is_valid("org_Type", "LawEnforcement"));
        assert!(is_country_code("GB") && !is_country_code("UK"));
    }
}
