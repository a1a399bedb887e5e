//! Retention and erasure (issue #17 item 4): what falls due, legal holds, and the retention
//! job that erases a concluded case's personal data when its retention ends.
//!
//! The rules are the domain's (`nrm_domain::retention`, dated in `rulebook/retention.json`);
//! erasure is crypto-shredding in the store (`Store::erase_case`). Every method takes a
//! capability for [`Operation::ManageRetention`] and writes its audit entry: each hold and
//! each erasure in its own transaction, a report and a run as a whole after it. Nothing here
//! returns or records personal data: a report names cases by reference, never by person.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::case::{CaseState, CaseStatus};
use nrm_domain::clock::uk_date;
use nrm_domain::event::CaseEvent;
use nrm_domain::personal::VaultContent;
use nrm_domain::retention::{
    self, Conclusion, HoldId, HoldReason, RetentionCommand, RetentionEnd, RetentionEvent,
    RetentionFacts, RetentionRefusal, RetentionRules, RetentionState,
};
use nrm_domain::rules::Certainty;
use nrm_domain::{CaseId, CaseReference, SubjectId};
use nrm_store::StoreError;
use nrm_store::audit::AuditRecord;
use nrm_store::retention::RetentionCandidate;

use crate::{Cases, ServiceError};

/// One concluded case in a retention report (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionItem {
    pub case_id: CaseId,
    pub reference: String,
    pub conclusion: Conclusion,
    pub concluded_on: NaiveDate,
    /// The first day its personal data may be erased.
    pub ends_on: NaiveDate,
    /// Whether the child rule (kept to an age) set `ends_on`.
    pub child_rule: bool,
    /// Legal holds in place: while any is, the case is not erased.
    pub holds: u64,
    pub certainty: Certainty,
}

/// What falls due on or before a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub until: NaiveDate,
    pub rulebook_version: String,
    /// Concluded cases whose retention ends on or before `until`, earliest first.
    pub due: Vec<RetentionItem>,
    /// Concluded cases not yet erased, in all.
    pub concluded: u64,
}

/// What one run of the retention job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionRun {
    /// Cases whose personal data was erased (references).
    pub erased: Vec<String>,
    /// Cases due but held.
    pub held: Vec<String>,
    /// Concluded cases not due yet.
    pub not_due: u64,
    /// Cases whose erasure failed (references); the next run tries again.
    pub failed: Vec<String>,
    pub subjects_erased: u64,
    pub records_erased: u64,
    pub drafts_erased: u64,
}

/// A legal hold as shown to the data protection officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub hold: HoldId,
    pub case_id: CaseId,
    pub reason: HoldReason,
    pub placed_at: DateTime<Utc>,
}

/// A retention command was refused by the rules, or failed.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Refused(#[from] RetentionRefusal),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for RetentionError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

fn outcome<T>(result: &Result<T, RetentionError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(RetentionError::Refused(r)) => format!("refused:{}", r.code()),
        Err(RetentionError::Service(ServiceError::NotFound)) => "not_found".to_owned(),
        Err(RetentionError::Service(ServiceError::Conflict { .. })) => "conflict".to_owned(),
        Err(RetentionError::Service(_)) => "error".to_owned(),
    }
}

impl Cases {
    fn retention_rules(&self) -> RetentionRules {
        RetentionRules::current()
    }

    /// The facts retention is decided from, without reading the vault.
    fn retention_facts(candidate: &RetentionCandidate) -> Option<RetentionFacts> {
        Some(RetentionFacts {
            status: CaseStatus::parse(&candidate.status)?,
            concluded_on: uk_date(candidate.updated_at),
            age_group: candidate
                .age_group
                .as_deref()
                .and_then(nrm_store::parse_age_group),
            referred_on: candidate.referred_on,
            date_of_birth: None,
        })
    }

    /// When a candidate's retention ends. For a child's case, whose end the child rule set
    /// from the latest possible birthday, the date of birth is read from the vault (in memory
    /// only) so the end is the person's real birthday at the age the rules set.
    async fn retention_end_of(
        &self,
        candidate: &RetentionCandidate,
    ) -> Result<Option<RetentionEnd>, ServiceError> {
        let Some(mut facts) = Self::retention_facts(candidate) else {
            return Ok(None);
        };
        let rules = self.retention_rules();
        let end = retention::retention_end(&rules, &facts);
        if end.as_ref().is_some_and(|e| e.child_rule) {
            facts.date_of_birth = self.date_of_birth(candidate.case_id).await?;
            return Ok(retention::retention_end(&rules, &facts));
        }
        Ok(end)
    }

    async fn date_of_birth(&self, case_id: CaseId) -> Result<Option<NaiveDate>, ServiceError> {
        let Some(loaded) = self.store().load(case_id).await? else {
            return Ok(None);
        };
        for stored in &loaded.events {
            if let CaseEvent::ReferralSubmitted(e) = &stored.event {
                return match self.store().read_vault(e.subject, e.personal_details).await {
                    Ok(VaultContent::PersonalDetails(d)) => Ok(d.date_of_birth),
                    Ok(_) | Err(StoreError::Erased) => Ok(None),
                    Err(e) => Err(e.into()),
                };
            }
        }
        Ok(None)
    }

    /// Concluded cases whose retention ends on or before `until`: what the job will erase by
    /// then (held cases included and marked). Audited as `retention.report`.
    pub async fn retention_report(
        &self,
        capability: &Capability,
        until: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<RetentionReport, ServiceError> {
        crate::admin::holder(capability, Operation::ManageRetention)?;
        let result = self.retention_report_inner(until).await;
        let record = AuditRecord {
            actor: capability.actor(),
            action: "retention.report".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!("retention:until:{until}")),
        };
        self.store().audit(&record, now).await?;
        result
    }

    async fn retention_report_inner(
        &self,
        until: NaiveDate,
    ) -> Result<RetentionReport, ServiceError> {
        let candidates = self.store().retention_candidates().await?;
        let mut due = Vec::new();
        for candidate in &candidates {
            if let Some(end) = self.retention_end_of(candidate).await?
                && end.ends_on <= until
            {
                due.push(RetentionItem {
                    case_id: candidate.case_id,
                    reference: candidate.reference.clone(),
                    conclusion: end.conclusion,
                    concluded_on: uk_date(candidate.updated_at),
                    ends_on: end.ends_on,
                    child_rule: end.child_rule,
                    holds: candidate.holds,
                    certainty: end.certainty,
                });
            }
        }
        due.sort_by(|a, b| (a.ends_on, &a.reference).cmp(&(b.ends_on, &b.reference)));
        Ok(RetentionReport {
            until,
            rulebook_version: self.retention_rules().version().to_owned(),
            due,
            concluded: candidates.len() as u64,
        })
    }

    /// The retention stream of a case, folded.
    async fn retention_state(
        &self,
        case_id: CaseId,
    ) -> Result<(u64, RetentionState), ServiceError> {
        let events = self.store().retention_events(case_id).await?;
        let version = events.last().map_or(0, |(v, _)| *v);
        Ok((
            version,
            RetentionState::from_events(events.iter().map(|(_, e)| e)),
        ))
    }

    /// Places a legal hold on a case: its personal data is not erased while the hold is in
    /// place. Audited as `retention.hold` with the case and the reason code.
    pub async fn place_legal_hold(
        &self,
        capability: &Capability,
        reference: &CaseReference,
        reason: HoldReason,
        now: DateTime<Utc>,
    ) -> Result<HoldId, RetentionError> {
        crate::admin::holder(capability, Operation::ManageRetention)?;
        let case_id = self.store().case_id_by_reference(reference).await?;
        let hold = HoldId(nrm_domain::ids::time_ordered());
        let result: Result<HoldId, RetentionError> = async {
            let case_id = case_id.ok_or(ServiceError::NotFound)?;
            let (version, state) = self.retention_state(case_id).await?;
            let events = retention::decide(
                &state,
                RetentionCommand::PlaceHold { hold, reason },
                capability.actor(),
                now,
            )?;
            let record = AuditRecord {
                actor: capability.actor(),
                action: "retention.hold".to_owned(),
                case_id: Some(case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("hold:{}:{}", hold.0, reason.code())),
            };
            self.store()
                .append_retention(case_id, version, &events, &record, now)
                .await?;
            Ok(hold)
        }
        .await;
        if result.is_err() {
            self.audit_refusal(capability, "retention.hold", case_id, &result, now)
                .await?;
        }
        result
    }

    /// Lifts a legal hold. Audited as `retention.hold_lifted`.
    pub async fn lift_legal_hold(
        &self,
        capability: &Capability,
        reference: &CaseReference,
        hold: HoldId,
        now: DateTime<Utc>,
    ) -> Result<(), RetentionError> {
        crate::admin::holder(capability, Operation::ManageRetention)?;
        let case_id = self.store().case_id_by_reference(reference).await?;
        let result: Result<(), RetentionError> = async {
            let case_id = case_id.ok_or(ServiceError::NotFound)?;
            let (version, state) = self.retention_state(case_id).await?;
            let events = retention::decide(
                &state,
                RetentionCommand::LiftHold { hold },
                capability.actor(),
                now,
            )?;
            let record = AuditRecord {
                actor: capability.actor(),
                action: "retention.hold_lifted".to_owned(),
                case_id: Some(case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("hold:{}", hold.0)),
            };
            self.store()
                .append_retention(case_id, version, &events, &record, now)
                .await?;
            Ok(())
        }
        .await;
        if result.is_err() {
            self.audit_refusal(capability, "retention.hold_lifted", case_id, &result, now)
                .await?;
        }
        result
    }

    /// Legal holds in place (on one case, or all). Audited as `retention.holds`.
    pub async fn legal_holds(
        &self,
        capability: &Capability,
        reference: Option<&CaseReference>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LegalHold>, ServiceError> {
        crate::admin::holder(capability, Operation::ManageRetention)?;
        let result: Result<Vec<LegalHold>, ServiceError> = async {
            let case_id = match reference {
                Some(r) => Some(
                    self.store()
                        .case_id_by_reference(r)
                        .await?
                        .ok_or(ServiceError::NotFound)?,
                ),
                None => None,
            };
            let rows = self.store().legal_holds(case_id).await?;
            rows.into_iter()
                .map(|row| {
                    Ok(LegalHold {
                        hold: HoldId(row.hold_id),
                        case_id: row.case_id,
                        reason: HoldReason::parse(&row.reason).ok_or_else(|| {
                            ServiceError::Store(StoreError::Corrupt(
                                "a legal hold has an unknown reason".to_owned(),
                            ))
                        })?,
                        placed_at: row.placed_at,
                    })
                })
                .collect()
        }
        .await;
        let record = AuditRecord {
            actor: capability.actor(),
            action: "retention.holds".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: reference.map(|r| format!("case:{r}")),
        };
        self.store().audit(&record, now).await?;
        result
    }

    async fn audit_refusal<T>(
        &self,
        capability: &Capability,
        action: &str,
        case_id: Option<CaseId>,
        result: &Result<T, RetentionError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let record = AuditRecord {
            actor: capability.actor(),
            action: action.to_owned(),
            case_id,
            outcome: outcome(result),
            subject: None,
        };
        self.store().audit(&record, now).await?;
        Ok(())
    }

    /// Erases one case whose retention has ended: records the erasure and destroys the data
    /// keys of every subject of the case (the referral's person and their support episodes),
    /// with the audit entry `retention.erase`, in one transaction.
    async fn erase_one(
        &self,
        capability: &Capability,
        candidate: &RetentionCandidate,
        end: RetentionEnd,
        now: DateTime<Utc>,
    ) -> Result<nrm_store::retention::ErasureCounts, RetentionError> {
        let (version, state) = self.retention_state(candidate.case_id).await?;
        let events = retention::decide(
            &state,
            RetentionCommand::Erase { end: Some(end) },
            capability.actor(),
            now,
        )?;
        let Some(event) = events.into_iter().next() else {
            return Err(RetentionError::Service(ServiceError::NotFound));
        };
        let loaded = self
            .store()
            .load(candidate.case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let mut subjects: Vec<SubjectId> = Vec::new();
        if let CaseState::Referral(referral) = &state {
            subjects.push(referral.subject);
        }
        subjects.extend(
            self.store()
                .support_subjects_of_case(candidate.case_id)
                .await?,
        );
        let conclusion = match &event {
            RetentionEvent::Erased { conclusion, .. } => conclusion.as_str(),
            _ => "unknown",
        };
        let record = AuditRecord {
            actor: capability.actor(),
            action: "retention.erase".to_owned(),
            case_id: Some(candidate.case_id),
            outcome: "ok".to_owned(),
            subject: Some(format!(
                "erased:{conclusion}:subjects:{}:rulebook:{}",
                subjects.len(),
                self.retention_rules().version()
            )),
        };
        Ok(self
            .store()
            .erase_case(candidate.case_id, version, &event, &subjects, &record, now)
            .await?)
    }

    /// The retention job: erases the personal data of every concluded case whose retention
    /// has ended by `now` and that no legal hold keeps. Each erasure commits on its own with
    /// its audit entry; the run is audited as `retention.run` with its counts.
    pub async fn run_retention(
        &self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<RetentionRun, ServiceError> {
        crate::admin::holder(capability, Operation::ManageRetention)?;
        let today = uk_date(now);
        let mut run = RetentionRun::default();
        let candidates = self.store().retention_candidates().await?;
        for candidate in &candidates {
            let end = match self.retention_end_of(candidate).await {
                Ok(Some(end)) => end,
                Ok(None) => continue,
                Err(_) => {
                    run.failed.push(candidate.reference.clone());
                    continue;
                }
            };
            if end.ends_on > today {
                run.not_due += 1;
                continue;
            }
            if candidate.holds > 0 {
                run.held.push(candidate.reference.clone());
                continue;
            }
            match self.erase_one(capability, candidate, end, now).await {
                Ok(counts) => {
                    run.erased.push(candidate.reference.clone());
                    run.subjects_erased += counts.subjects;
                    run.records_erased += counts.records;
                    run.drafts_erased += counts.drafts;
                }
                Err(RetentionError::Refused(RetentionRefusal::OnHold)) => {
                    run.held.push(candidate.reference.clone());
                }
                Err(e) => {
                    tracing::warn!(error = %e, case = %candidate.case_id.0, "erasure failed");
                    run.failed.push(candidate.reference.clone());
                }
            }
        }
        let record = AuditRecord {
            actor: capability.actor(),
            action: "retention.run".to_owned(),
            case_id: None,
            outcome: if run.failed.is_empty() {
                "ok".to_owned()
            } else {
                "partial".to_owned()
            },
            subject: Some(format!(
                "retention:erased:{}:held:{}:not_due:{}:failed:{}",
                run.erased.len(),
                run.held.len(),
                run.not_due,
                run.failed.len()
            )),
        };
        self.store().audit(&record, now).await?;
        Ok(run)
    }
}
