//! The official statistics for analysts: every table of a period, counted from the case file
//! as it stood at the end of an "as at" day, with disclosure control applied. Reads events
//! only (never the vault), and audits every production of tables with its period.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::clock::uk_date;
use nrm_stats::extract::Purpose;
use nrm_stats::{ExtractReport, ExtractRow, Fact, Options, Period, Policy, Publication};

use crate::{Cases, ServiceError};

/// What an analyst asks for.
#[derive(Debug, Clone, Copy)]
pub struct StatisticsRequest {
    pub period: Period,
    /// The case file as it stood at the end of this UK day; today when `None`.
    pub as_at: Option<NaiveDate>,
    pub policy: Policy,
    pub options: Options,
}

impl Cases {
    /// Every case's statistical facts as at the end of `as_at` (no personal data); `progress`
    /// is told how many cases have been read so far.
    async fn statistics_facts(
        &self,
        as_at: NaiveDate,
        progress: impl FnMut(u64),
    ) -> Result<Vec<Fact>, ServiceError> {
        Ok(self
            .statistics_facts_of_cases(as_at, progress)
            .await?
            .into_iter()
            .map(|(_, f)| f)
            .collect())
    }

    /// [`Cases::statistics_facts`] with each fact's case id (for keyed pseudonyms).
    pub(crate) async fn statistics_facts_of_cases(
        &self,
        as_at: NaiveDate,
        mut progress: impl FnMut(u64),
    ) -> Result<Vec<([u8; 16], Fact)>, ServiceError> {
        // Every event recorded on a UK day up to `as_at` is recorded before the next day's
        // 02:00 UTC; `fold` then cuts at the UK day exactly.
        let until = as_at
            .succ_opt()
            .and_then(|d| d.and_hms_opt(2, 0, 0))
            .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc());
        let mut facts = Vec::new();
        let mut read = 0u64;
        self.store()
            .each_case_events(&nrm_stats::EVENT_KINDS, until, |case_id, events| {
                read += 1;
                if read.is_multiple_of(10_000) {
                    progress(read);
                }
                if let Some(f) = nrm_stats::fold(events.iter().map(|(at, e)| (e, *at)), as_at) {
                    facts.push((*case_id.0.as_bytes(), f));
                }
            })
            .await?;
        progress(read);
        Ok(facts)
    }

    /// How many cases the statistics will read (for a progress bar); counts only.
    pub async fn statistics_case_count(
        &self,
        capability: &Capability,
    ) -> Result<u64, ServiceError> {
        crate::admin::holder(capability, Operation::ReadStatistics)?;
        Ok(self.store().case_count().await?)
    }

    /// Every case's statistical facts as at `as_at`, unpublished (no disclosure control): for
    /// the benchmark and its export to the DuckDB anchor. Audited as `statistics.facts`.
    pub async fn statistics_fact_rows(
        &self,
        capability: &Capability,
        as_at: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<Fact>, ServiceError> {
        crate::admin::holder(capability, Operation::ReadStatistics)?;
        let result = self.statistics_facts(as_at, |_| {}).await;
        let record = nrm_store::audit::AuditRecord {
            actor: capability.actor(),
            action: "statistics.facts".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!("statistics:facts:as_at:{as_at}")),
        };
        self.store().audit(&record, now).await?;
        result
    }

    /// The tables for `request.period`, as they may be published under `request.policy`.
    /// Audited (`statistics.tables`, with the period and as-at day as its subject) before the
    /// answer is returned.
    pub async fn statistics(
        &self,
        capability: &Capability,
        request: StatisticsRequest,
        now: DateTime<Utc>,
        progress: impl FnMut(u64),
    ) -> Result<Publication, ServiceError> {
        crate::admin::holder(capability, Operation::ReadStatistics)?;
        let as_at = request.as_at.unwrap_or_else(|| uk_date(now));
        let result = self.statistics_facts(as_at, progress).await.map(|facts| {
            let tables = nrm_stats::build(&facts, request.period, as_at, request.options);
            nrm_stats::publish(&tables, request.policy)
        });
        let record = nrm_store::audit::AuditRecord {
            actor: capability.actor(),
            action: "statistics.tables".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!(
                "statistics:{}:as_at:{as_at}:threshold:{}:rounding:{}",
                request.period, request.policy.threshold, request.policy.rounding_base
            )),
        };
        self.store().audit(&record, now).await?;
        result
    }

    /// A pseudonymised case-level extract of the cases referred in `period`, with
    /// k-anonymity (see `nrm_stats::extract`), as the case file stood at the end of `as_at`.
    /// Each extract has a key of its own, made here and never kept, so its pseudonyms cannot
    /// be joined to another extract's. Audited (`statistics.extract`, with the period, as-at
    /// day, k and purpose) before the rows are returned.
    pub async fn statistics_extract(
        &self,
        capability: &Capability,
        request: ExtractRequest,
        now: DateTime<Utc>,
        progress: impl FnMut(u64),
    ) -> Result<(Vec<ExtractRow>, ExtractReport), ServiceError> {
        crate::admin::holder(capability, Operation::ReadStatistics)?;
        let as_at = request.as_at.unwrap_or_else(|| uk_date(now));
        let result = self
            .statistics_facts_of_cases(as_at, progress)
            .await
            .map(|facts| {
                let mut key = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                let in_period = facts
                    .iter()
                    .filter(|(_, f)| request.period.contains(f.referred_on))
                    .count();
                let options = nrm_stats::ExtractOptions::with_k(request.k, in_period);
                nrm_stats::extract(&facts, request.period, &key, options)
            });
        let record = nrm_store::audit::AuditRecord {
            actor: capability.actor(),
            action: "statistics.extract".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!(
                "statistics:extract:{}:as_at:{as_at}:k:{}:purpose:{}",
                request.period,
                request.k,
                request.purpose.as_str()
            )),
        };
        self.store().audit(&record, now).await?;
        result
    }
}

/// What an analyst asks for in an extract.
#[derive(Debug, Clone)]
pub struct ExtractRequest {
    pub period: Period,
    pub as_at: Option<NaiveDate>,
    /// Every row shares its quasi-identifiers with at least k-1 others (default 10).
    pub k: usize,
    pub purpose: Purpose,
}
