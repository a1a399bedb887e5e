//! Opaque identifiers. Each is a UUID newtype so one kind of id cannot be passed for another.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps an existing UUID (from storage or from a caller).
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

uuid_id!(
    /// One case: the stream of events that starts with a submission.
    CaseId
);
uuid_id!(
    /// A person whose personal data is held in the vault under their own data key.
    SubjectId
);
uuid_id!(
    /// One encrypted record in the vault (personal details, a decision's reasons).
    VaultRecordId
);
uuid_id!(
    /// A user of the system.
    UserId
);
uuid_id!(
    /// An organisation: a First Responder Organisation, a competent authority, ...
    OrganisationId
);
