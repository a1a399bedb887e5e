//! Opaque identifiers. Each is a UUID newtype so one kind of id cannot be passed for another.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A new id, time-ordered (UUIDv7: milliseconds since the epoch, then random bits), for the
/// rows a service writes as it goes: cases, persons, episodes, vault subjects and records.
/// Ids made later sort after earlier ones, so every index keyed by them grows at its
/// right-hand edge and a write dirties one page of it, not a random page (with random v4 ids
/// each intake wrote a page of every index keyed by them). The time it reveals is when the
/// record was made, which the record says anyway; the other 74 bits are a counter seeded at
/// random each millisecond and random bits, so ids are no easier to guess than before (and
/// no id grants anything: every read is checked against the access policy).
pub fn time_ordered() -> Uuid {
    Uuid::now_v7()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ordered_ids_are_version_7_and_each_sorts_after_the_one_before() {
        let ids: Vec<Uuid> = (0..2_000).map(|_| time_ordered()).collect();
        assert!(ids.iter().all(|id| id.get_version_num() == 7));
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "made later, sorts later (also within one millisecond)"
        );
    }
}
