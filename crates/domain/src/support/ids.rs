//! Identifiers of the support side: each a UUID newtype so one cannot be passed for another.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! support_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

support_id!(
    /// A person's support episode: the stream of support events from referral to exit.
    EpisodeId
);
support_id!(
    /// A safe house or other accommodation.
    AccommodationId
);
support_id!(
    /// One stay of one person in one accommodation.
    PlacementId
);
support_id!(
    /// One inspection of one accommodation.
    InspectionId
);
support_id!(
    /// One safeguarding concern.
    ConcernId
);
support_id!(
    /// One Recovery Needs Assessment.
    RnaId
);
