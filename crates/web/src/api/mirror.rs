//! API mirrors of the domain's closed lists, so the OpenAPI document lists every allowed value
//! while the domain crate stays free of web dependencies. Each mirror converts both ways.

use nrm_domain::event::{CompetentAuthority, NegativeReason, Outcome};
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::geography::UkNation;
use nrm_domain::submission::{
    AgeAtExploitation, AgeGroup, FirstResponderType, Gender, ImmigrationEnforcementCohort,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! mirror {
    ($(#[$doc:meta])* $api:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $api {
            $($variant),+
        }

        impl From<$api> for $domain {
            fn from(value: $api) -> Self {
                match value {
                    $($api::$variant => <$domain>::$variant),+
                }
            }
        }

        impl From<$domain> for $api {
            fn from(value: $domain) -> Self {
                match value {
                    $(<$domain>::$variant => $api::$variant),+
                }
            }
        }
    };
}

mirror!(
    /// Gender as the official statistics record it.
    GenderDto => Gender { Female, Male, Other, NotKnown }
);
mirror!(
    /// A type of exploitation; several may apply, `not_known` stands alone.
    ExploitationTypeDto => ExploitationType {
        Labour, Sexual, Criminal, DomesticServitude, OrganHarvesting, Other, NotKnown
    }
);
mirror!(
    /// A UK nation.
    UkNationDto => UkNation { England, Wales, Scotland, NorthernIreland }
);
mirror!(
    /// The referring organisation's type.
    FirstResponderTypeDto => FirstResponderType {
        Police, LocalAuthority, GovernmentAgency, NonGovernmentalOrganisation
    }
);
mirror!(
    /// An Immigration Enforcement Competent Authority cohort; a referral in one is routed to the IECA.
    ImmigrationCohortDto => ImmigrationEnforcementCohort {
        DetainedForeignNationalOffender,
        ForeignNationalOffenderFacingDeportation,
        ImmigrationDetention,
        InadmissibleAsylumClaim
    }
);
mirror!(
    /// Age group at the time of exploitation.
    AgeAtExploitationDto => AgeAtExploitation { Adult, Child, NotKnown }
);
mirror!(
    /// The referral route.
    AgeGroupDto => AgeGroup { Adult, Child }
);
// `actions` declares a type of the same schema name for request bodies; the document holds one
// `OutcomeDto` and one `NegativeReasonDto`, so their descriptions are the same words.
mirror!(
    /// The outcome of a grounds decision.
    OutcomeDto => Outcome { Positive, Negative }
);
mirror!(
    /// Why a decision is negative.
    NegativeReasonDto => NegativeReason { InsufficientEvidence, DefinitionNotMet, Disengaged, Other }
);
mirror!(
    /// The competent authority deciding the case.
    CompetentAuthorityDto => CompetentAuthority { Sca, Ieca, LocalAuthorityPanel }
);
