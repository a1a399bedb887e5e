//! Who is acting: the user and the organisation every command is carried out for.
//!
//! Until sign-in exists the actor comes from a development-only mechanism in the web layer;
//! the domain only needs the identifiers, which it records on every event.

use serde::{Deserialize, Serialize};

use crate::ids::{OrganisationId, UserId};

/// The person and organisation a command is carried out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub organisation: OrganisationId,
}

impl Actor {
    /// The system itself, for work no person asked for (the deadline sweep).
    pub const SYSTEM: Self = Self {
        user: UserId(uuid::Uuid::nil()),
        organisation: OrganisationId(uuid::Uuid::nil()),
    };
}
