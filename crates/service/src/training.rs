//! First Responder training (issue 11 item 6): taking the course, the completion record per
//! account (date and course version, migration 0024), when it is due again, and who in an
//! organisation is trained. The course itself (pages, questions, pass mark, reminder period) is
//! dated data in the training rulebook (`nrm_domain::training`). Every read and every attempt
//! takes a capability and writes an audit entry naming the account or organisation (never the
//! answers); an entry that cannot be written refuses the action.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation, Role};
use nrm_domain::clock::uk_date;
use nrm_domain::ids::OrganisationId;
use nrm_domain::training::{Course, Marked, Standing, TrainingRules};
use nrm_store::training::CompletionRow;

use crate::admin::{Account, holder};
use crate::identity::{organisation_subject, user_subject};
use crate::{Cases, ServiceError};

/// The training course and its records. Borrowed from [`Cases::training`].
#[derive(Debug, Clone, Copy)]
pub struct Training<'a> {
    cases: &'a Cases,
    rules: TrainingRules,
}

impl Cases {
    /// First Responder training: the course, attempts and completion records.
    pub fn training(&self) -> Training<'_> {
        Training {
            cases: self,
            rules: TrainingRules::current(),
        }
    }
}

/// A passed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub completed_at: DateTime<Utc>,
    pub course_version: String,
    pub correct: u32,
    pub total: u32,
}

impl Completion {
    fn from_row(row: CompletionRow) -> Self {
        Self {
            completed_at: row.completed_at,
            course_version: row.course_version,
            correct: u32::try_from(row.correct).unwrap_or(0),
            total: u32::try_from(row.total).unwrap_or(0),
        }
    }

    /// The UK day it was completed on.
    pub fn completed_on(&self) -> NaiveDate {
        uk_date(self.completed_at)
    }
}

/// Where one account stands: its latest completion, and whether it is due again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingStatus {
    pub latest: Option<Completion>,
    pub standing: Standing,
}

/// One account of an organisation, for its FRO administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRecord {
    pub account: Account,
    pub status: TrainingStatus,
}

/// Whether the training concerns an account with these roles: the people of a First Responder
/// Organisation who refer or manage referrals.
pub fn takes_training(roles: &[Role]) -> bool {
    roles.iter().any(|r| {
        matches!(
            r,
            Role::FirstResponder | Role::ReferralManager | Role::FroAdministrator
        )
    })
}

impl<'a> Training<'a> {
    /// The course in force at `now` (rules, not records: nothing to audit).
    pub fn course(&self, now: DateTime<Utc>) -> &'static Course {
        &self.rules.course_on(uk_date(now)).value
    }

    fn status_of(&self, latest: Option<CompletionRow>, now: DateTime<Utc>) -> TrainingStatus {
        let latest = latest.map(Completion::from_row);
        let standing = self.rules.standing(
            latest
                .as_ref()
                .map(|c| (c.completed_on(), c.course_version.as_str())),
            uk_date(now),
        );
        TrainingStatus { latest, standing }
    }

    /// The caller's own standing. Audited (`training.read`, the account as subject).
    pub async fn status(
        self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<TrainingStatus, ServiceError> {
        let actor = holder(capability, Operation::TakeTraining)?;
        let result = self
            .cases
            .store()
            .latest_training_completion(actor.user)
            .await
            .map(|row| self.status_of(row, now))
            .map_err(ServiceError::from);
        self.cases
            .audit_about(
                actor,
                "training.read",
                user_subject(actor.user),
                &result,
                now,
            )
            .await?;
        result
    }

    /// Marks the caller's answers (question id → chosen code) against the course in force; a
    /// pass is recorded as the caller's completion with the course version. Audited as
    /// `training.passed` or `training.failed` (the score is not personal data; the answers are
    /// not recorded).
    pub async fn attempt(
        self,
        capability: &Capability,
        answers: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Marked, ServiceError> {
        let actor = holder(capability, Operation::TakeTraining)?;
        let course = self.course(now);
        let marked = course.mark(answers);
        let result = if marked.passed {
            self.cases
                .store()
                .record_training_completion(&CompletionRow {
                    user: actor.user,
                    completed_at: now,
                    course_version: course.course_version.clone(),
                    correct: i64::from(marked.correct),
                    total: i64::from(marked.total),
                })
                .await
                .map(|()| marked.clone())
                .map_err(ServiceError::from)
        } else {
            Ok(marked.clone())
        };
        let action = if marked.passed {
            "training.passed"
        } else {
            "training.failed"
        };
        self.cases
            .audit_about(actor, action, user_subject(actor.user), &result, now)
            .await?;
        result
    }

    /// Every account of `organisation` that takes the training, by email, with its standing.
    /// The caller asks the policy's `may_read_training_records` first. Audited
    /// (`training.records`, the organisation as subject).
    pub async fn records(
        self,
        capability: &Capability,
        organisation: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrainingRecord>, ServiceError> {
        let actor = holder(capability, Operation::ReadTrainingRecords)?;
        let result = self.records_unaudited(organisation, now).await;
        self.cases
            .audit_about(
                actor,
                "training.records",
                organisation_subject(organisation),
                &result,
                now,
            )
            .await?;
        result
    }

    async fn records_unaudited(
        &self,
        organisation: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrainingRecord>, ServiceError> {
        let store = self.cases.store();
        let mut latest: BTreeMap<uuid::Uuid, CompletionRow> = store
            .latest_training_completions(organisation)
            .await?
            .into_iter()
            .map(|row| (row.user.0, row))
            .collect();
        let mut records: Vec<TrainingRecord> = store
            .users()
            .await?
            .into_iter()
            .map(Account::from_row)
            .filter(|a| a.organisation == organisation && takes_training(&a.roles))
            .map(|account| {
                let status = self.status_of(latest.remove(&account.id.0), now);
                TrainingRecord { account, status }
            })
            .collect();
        records.sort_by(|a, b| a.account.email.cmp(&b.account.email));
        Ok(records)
    }
}
