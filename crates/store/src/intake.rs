//! A new referral written with what intake adds to it: the case's append, its person linkage,
//! its support episode and a child's ICTG (guardian) episode in one batch of the group
//! committer (`group/`), so that a submission waits on one durable commit, not one for each in
//! turn.
//!
//! The case is written or refused exactly as by [`Store::append`]. What it adds follows it:
//! each is written only if the case is, after the whole of the case (their rows refer to the
//! case's row and its vault subject), and each fails alone, for the caller to make it again on
//! its own (a person another intake changed meanwhile, an episode reference already taken).

use crate::group::{Gated, Outcome};
use crate::guardians::GuardianAppend;
use crate::persons::{PersonWrite, person_job, person_statements};
use crate::support::SupportAppend;
use crate::{Append, Store, StoreError};

/// What intake writes with a new referral's case (each optional).
#[derive(Debug, Default)]
pub struct IntakeWrites<'a> {
    /// The referral's person linkage: one person's change, with no review decision.
    pub link: Option<PersonWrite<'a>>,
    /// The referral's new support episode.
    pub support: Option<SupportAppend<'a>>,
    /// A child referral's new ICTG (guardian) episode.
    pub guardian: Option<GuardianAppend<'a>>,
}

/// How a case written with [`Store::append_intake`] and what followed it ended.
#[derive(Debug)]
pub struct IntakeWritten {
    /// The case stream's new version.
    pub version: u64,
    /// The linkage's outcome, when one was given.
    pub link: Option<Result<(), StoreError>>,
    /// The support episode's outcome (its new version), when one was given.
    pub support: Option<Result<u64, StoreError>>,
    /// The guardian episode's outcome (its new version), when one was given.
    pub guardian: Option<Result<u64, StoreError>>,
}

impl Store {
    /// Appends a new referral's case (`append`) and writes what intake adds to it (`with`) in
    /// one batch (see the module documentation). The outer error is the case's: nothing of
    /// `with` was written then.
    pub async fn append_intake(
        &self,
        append: Append<'_>,
        with: IntakeWrites<'_>,
    ) -> Result<IntakeWritten, StoreError> {
        // A linkage of another shape (several persons, a decision) is not for a batch: it is
        // written after the case, in a transaction of its own.
        let (link, apart) = match with.link {
            Some(link) if matches!((link.appends.as_slice(), link.decision), ([_], None)) => {
                (Some(link), None)
            }
            other => (None, other),
        };
        // Each follower's job, queued; one whose statements cannot be made fails alone, and
        // the case is written without it.
        let link_job = link.as_ref().map(|link| {
            person_statements(link).map(|statements| {
                let statements = statements.into_iter().map(|(s, _)| s).collect();
                person_job(&link.appends[0], statements, link)
            })
        });
        let support_job = match &with.support {
            Some(support) => Some(self.support_job(support).await),
            None => None,
        };
        let guardian_job = match &with.guardian {
            Some(guardian) => Some(self.guardian_job(guardian).await),
            None => None,
        };
        let mut then: Vec<Gated> = Vec::new();
        let link_made = link_job.map(|made| made.map(|job| then.push(job)));
        let support_made = support_job.map(|made| made.map(|job| then.push(job)));
        let guardian_made = guardian_job.map(|made| made.map(|job| then.push(job)));
        let lead = self.append_job(&append).await?;
        let (lead, outcomes) = self.committer.write_with(lead, then).await;
        let version = self.append_result(append, lead).await?;
        // The followers' answers, in the order they were queued: for each follower given,
        // whether the committer wrote it, or why it could not be queued or written.
        let mut outcomes = outcomes.into_iter();
        let mut answer = |made: Option<Result<(), StoreError>>| {
            made.map(|made| {
                made.and_then(|()| outcomes.next().unwrap_or(Outcome::BatchFailed).written())
            })
        };
        let (link_written, support_written, guardian_written) = (
            answer(link_made),
            answer(support_made),
            answer(guardian_made),
        );
        let link = match (link_written, &link) {
            (Some(Ok(written)), Some(link)) => {
                Some(self.person_written(&link.appends[0], written).await)
            }
            (Some(Err(e)), _) => Some(Err(e)),
            _ => None,
        };
        let support = match (support_written, &with.support) {
            (Some(Ok(written)), Some(support)) => Some(self.support_result(support, written).await),
            (Some(Err(e)), _) => Some(Err(e)),
            _ => None,
        };
        let guardian = match (guardian_written, &with.guardian) {
            (Some(Ok(written)), Some(guardian)) => {
                Some(self.guardian_result(guardian, written).await)
            }
            (Some(Err(e)), _) => Some(Err(e)),
            _ => None,
        };
        let link = match apart {
            Some(apart) => Some(self.write_persons(apart).await),
            None => link,
        };
        Ok(IntakeWritten {
            version,
            link,
            support,
            guardian,
        })
    }
}
