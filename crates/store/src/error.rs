//! The store's one error type. Messages name what went wrong, never the data involved.

use crate::vault::crypto::CryptoError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one this service can use; the message says why.
    #[error("{0}")]
    BadUrl(String),
    /// The database would not keep acknowledged writes safe; the message says which setting.
    #[error("{0}")]
    UnsafeDurability(String),
    /// Someone else appended to the case since it was read.
    #[error("the case has changed since it was read (expected version {expected}, found {actual})")]
    VersionConflict { expected: u64, actual: u64 },
    /// The generated case reference is already taken; generate another and retry.
    #[error("the case reference is already in use")]
    DuplicateReference,
    #[error("no such case")]
    NotFound,
    /// The draft has already become a case (or, for an append claiming it, is gone or not the
    /// actor's): nothing was written.
    #[error("the draft has already been submitted")]
    DraftAlreadySubmitted,
    /// The transaction carrying the write did not commit (a group commit's connection,
    /// audit entries or COMMIT failed): the write was not acknowledged.
    #[error("the write could not be committed")]
    CommitFailed,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The person's personal data was erased at the end of its retention (their data key was
    /// destroyed): it can never be read again.
    #[error("the personal data has been erased")]
    Erased,
    /// The configured master or lookup key is not the one the database was rotated to; the
    /// message says which (never the key).
    #[error("{0}")]
    KeyRefused(String),
    /// Stored data could not be read back (an event or vault record that does not parse).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
