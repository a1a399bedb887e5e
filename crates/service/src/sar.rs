//! Subject access (issue #17 item 6; UK GDPR Article 15): everything held about one person,
//! found by their case reference (never by a name), for the data protection officer.
//!
//! The export gathers the case (its summary and every event), every vault record held under
//! the person's own subject(s) (the referral's personal details, decision reasons, support
//! notes), their support episodes, legal holds and erasure, and who looked at or changed the
//! case (the audit log). Third parties' personal data is redacted: the staff who referred,
//! decided or read (their accounts and ids) are replaced by their organisation's name; nothing
//! under any other subject is read. Free-text written by staff (decision reasons, notes) is
//! given as written and flagged for the DPO's review before release, since only a person can
//! judge whether it names someone else.
//!
//! Audited as `subject_access.export` with the case, fail closed: no export leaves without
//! its audit entry committed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_domain::personal::{PersonalDetails, VaultContent};
use nrm_domain::{CaseReference, OrganisationId, SubjectId};
use nrm_store::StoreError;
use nrm_store::audit::AuditRecord;
use serde::Serialize;

use crate::{Cases, ServiceError};

/// Stands in for a third party's identity.
pub const REDACTED: &str = "[redacted: third party]";

/// One event of the case, with third parties' identities redacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SarEvent {
    pub version: u64,
    pub recorded_at: DateTime<Utc>,
    pub kind: String,
    /// The organisation whose staff recorded it (its name), never the person.
    pub recorded_by: String,
    /// The event's content, every staff identity replaced by its organisation.
    pub details: serde_json::Value,
}

/// One record held in the vault under the person's subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SarRecord {
    pub kind: String,
    pub written_at: DateTime<Utc>,
    /// The content; `None` once erased.
    pub content: Option<serde_json::Value>,
    /// Written by staff in their own words: review for third parties before release.
    pub review_before_release: bool,
}

/// One access to or change of the case, from the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SarAccess {
    pub at: String,
    pub action: String,
    pub organisation: String,
    pub outcome: String,
}

/// A support episode of the person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SarEpisode {
    pub reference: String,
    pub status: String,
}

/// Everything held about one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectAccessExport {
    pub case_reference: String,
    pub generated_at: DateTime<Utc>,
    /// The 28-day target (one month in law, counted here as the stricter 28 days) from today.
    pub respond_by: chrono::NaiveDate,
    pub status: String,
    pub kind: String,
    pub competent_authority: Option<String>,
    pub referred_on: chrono::NaiveDate,
    pub referring_organisation: String,
    /// The person's own details as recorded; `None` when erased (or a Duty to Notify report,
    /// which holds none).
    pub personal_details: Option<PersonalDetails>,
    pub erased: bool,
    pub events: Vec<SarEvent>,
    pub records: Vec<SarRecord>,
    pub support_episodes: Vec<SarEpisode>,
    pub legal_holds: Vec<String>,
    pub access_log: Vec<SarAccess>,
    /// What was redacted, in words, for the covering letter.
    pub redactions: Vec<String>,
}

/// Replaces every staff identity (an object with exactly `user` and `organisation`) by the
/// organisation's name.
fn redact(value: &mut serde_json::Value, names: &BTreeMap<String, String>, count: &mut u64) {
    match value {
        serde_json::Value::Object(map) => {
            let is_actor =
                map.len() == 2 && map.contains_key("user") && map.contains_key("organisation");
            if is_actor {
                let organisation = map
                    .get("organisation")
                    .and_then(|o| o.as_str())
                    .map(|o| names.get(o).cloned().unwrap_or_else(|| REDACTED.to_owned()))
                    .unwrap_or_else(|| REDACTED.to_owned());
                *count += 1;
                *value = serde_json::json!({ "organisation": organisation, "person": REDACTED });
                return;
            }
            for v in map.values_mut() {
                redact(v, names, count);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                redact(v, names, count);
            }
        }
        _ => {}
    }
}

impl Cases {
    async fn organisation_name(
        &self,
        names: &mut BTreeMap<String, String>,
        id: &str,
    ) -> Result<String, ServiceError> {
        if let Some(name) = names.get(id) {
            return Ok(name.clone());
        }
        let name = match uuid::Uuid::parse_str(id) {
            Ok(uuid) if uuid.is_nil() => "NRM Digital (the service itself)".to_owned(),
            Ok(uuid) => self
                .store()
                .organisation(OrganisationId(uuid))
                .await?
                .map_or_else(|| REDACTED.to_owned(), |o| o.name),
            Err(_) => REDACTED.to_owned(),
        };
        names.insert(id.to_owned(), name.clone());
        Ok(name)
    }

    /// Everything held about the person of case `reference`. Audited as
    /// `subject_access.export` (fail closed).
    pub async fn subject_access(
        &self,
        capability: &Capability,
        reference: &CaseReference,
        now: DateTime<Utc>,
    ) -> Result<SubjectAccessExport, ServiceError> {
        crate::admin::holder(capability, Operation::SubjectAccess)?;
        let case_id = self.store().case_id_by_reference(reference).await?;
        let result = match case_id {
            Some(case_id) => self.subject_access_inner(case_id, now).await,
            None => Err(ServiceError::NotFound),
        };
        let record = AuditRecord {
            actor: capability.actor(),
            action: "subject_access.export".to_owned(),
            case_id,
            outcome: crate::outcome_code(&result),
            subject: Some(format!("case:{reference}")),
        };
        self.store().audit(&record, now).await?;
        result
    }

    async fn subject_access_inner(
        &self,
        case_id: nrm_domain::CaseId,
        now: DateTime<Utc>,
    ) -> Result<SubjectAccessExport, ServiceError> {
        let today = uk_date(now);
        let loaded = self
            .store()
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let summary = self
            .store()
            .summary(case_id, today)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let mut names = BTreeMap::new();
        let mut redacted = 0u64;
        let mut events = Vec::with_capacity(loaded.events.len());
        for stored in &loaded.events {
            let organisation = stored.actor.organisation.0.to_string();
            let recorded_by = self.organisation_name(&mut names, &organisation).await?;
            let mut details = serde_json::to_value(&stored.event).map_err(|_| {
                ServiceError::Store(StoreError::Corrupt("an event did not serialise".to_owned()))
            })?;
            // Every actor's organisation, named before redacting.
            let mut ids = Vec::new();
            collect_organisations(&details, &mut ids);
            for id in ids {
                self.organisation_name(&mut names, &id).await?;
            }
            redact(&mut details, &names, &mut redacted);
            events.push(SarEvent {
                version: stored.version,
                recorded_at: stored.recorded_at,
                kind: stored.event.kind().to_owned(),
                recorded_by,
                details,
            });
        }
        let mut subjects: Vec<SubjectId> = Vec::new();
        if let CaseState::Referral(referral) = &state {
            subjects.push(referral.subject);
        }
        let episodes = self.store().support_episodes_of_case(case_id).await?;
        for (_, _, subject) in &episodes {
            if !subjects.contains(subject) {
                subjects.push(*subject);
            }
        }
        let mut personal_details = None;
        let mut records = Vec::new();
        let mut erased = false;
        for subject in &subjects {
            if self.store().subject_erased(*subject).await? {
                erased = true;
            }
            for (record, kind, written_at) in self.store().vault_records_of(*subject).await? {
                let content = match self.store().read_vault(*subject, record).await {
                    Ok(content) => Some(content),
                    Err(StoreError::Erased) => None,
                    Err(e) => return Err(e.into()),
                };
                if let Some(VaultContent::PersonalDetails(d)) = &content
                    && personal_details.is_none()
                {
                    personal_details = Some(d.clone());
                }
                let review_before_release =
                    !matches!(content, Some(VaultContent::PersonalDetails(_)));
                records.push(SarRecord {
                    kind,
                    written_at,
                    content: content
                        .map(|c| serde_json::to_value(&c))
                        .transpose()
                        .map_err(|_| {
                            ServiceError::Store(StoreError::Corrupt(
                                "a record did not serialise".to_owned(),
                            ))
                        })?,
                    review_before_release,
                });
            }
        }
        let mut access_log = Vec::new();
        for entry in self.store().audit_for_case(case_id).await? {
            let organisation = self
                .organisation_name(&mut names, &entry.actor_organisation)
                .await?;
            access_log.push(SarAccess {
                at: entry.recorded_at,
                action: entry.action,
                organisation,
                outcome: entry.outcome,
            });
        }
        let legal_holds = self
            .store()
            .legal_holds(Some(case_id))
            .await?
            .into_iter()
            .map(|h| format!("{} (placed {})", h.reason, h.placed_at.date_naive()))
            .collect();
        let referring_organisation = self
            .organisation_name(&mut names, &summary.referring_organisation.0.to_string())
            .await?;
        let mut redactions = vec![format!(
            "The identities of staff who recorded events ({redacted} places) and who read or changed the case ({} entries) are replaced by their organisation's name.",
            access_log.len()
        )];
        if records.iter().any(|r| r.review_before_release) {
            redactions.push(
                "Decision reasons and support notes are given as staff wrote them: review them for other people's personal data before release.".to_owned(),
            );
        }
        Ok(SubjectAccessExport {
            case_reference: summary.reference.clone(),
            generated_at: now,
            respond_by: today + chrono::Duration::days(28),
            status: summary.status.as_str().to_owned(),
            kind: format!("{:?}", summary.kind),
            competent_authority: summary.competent_authority.map(|a| format!("{a:?}")),
            referred_on: summary.referred_on,
            referring_organisation,
            personal_details,
            erased,
            events,
            records,
            support_episodes: episodes
                .into_iter()
                .map(|(reference, status, _)| SarEpisode { reference, status })
                .collect(),
            legal_holds,
            access_log,
            redactions,
        })
    }
}

/// Every `organisation` id of an actor-shaped object in `value`.
fn collect_organisations(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.len() == 2
                && map.contains_key("user")
                && let Some(o) = map.get("organisation").and_then(|o| o.as_str())
            {
                out.push(o.to_owned());
                return;
            }
            for v in map.values() {
                collect_organisations(v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_organisations(v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staff_identity_is_replaced_by_its_organisation() {
        let mut names = BTreeMap::new();
        names.insert("org-1".to_owned(), "Police Force".to_owned());
        let mut v = serde_json::json!({
            "ReferralSubmitted": {
                "referred_by": { "user": "u-1", "organisation": "org-1" },
                "nested": [{ "decided_by": { "user": "u-2", "organisation": "org-2" } }],
                "gender": "female"
            }
        });
        let mut n = 0;
        redact(&mut v, &names, &mut n);
        assert_eq!(n, 2);
        let text = v.to_string();
        assert!(!text.contains("u-1") && !text.contains("u-2") && !text.contains("org-1"));
        assert!(text.contains("Police Force"));
        assert!(text.contains("female"));
    }
}
