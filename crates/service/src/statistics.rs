//! The official statistics for analysts: every table of a period, counted from the case file
//! as it stood at the end of an "as at" day, with disclosure control applied. Reads events
//! only (never the vault), and audits every production of tables with its period.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::CaseEvent;
use nrm_domain::clock::uk_date;
use nrm_domain::ids::CaseId;
use nrm_stats::extract::Purpose;
use nrm_stats::{ExtractReport, ExtractRow, Fact, Options, Period, Policy, Publication};
use nrm_store::{EVERY_DAY, FactToKeep, Kept};

use crate::{Cases, ServiceError};

/// The periodic job that keeps the statistics read model up to date (its lease's name).
pub const STATISTICS_JOB: &str = "statistics_refresh";

/// A case to fold from its events, with the version read and whether to keep its fold.
struct Refold {
    case_id: CaseId,
    version: u64,
    keep: bool,
}

/// The facts a request gathers: those it wants, and how many there are in all.
struct Out<'a> {
    facts: Vec<([u8; 16], Fact)>,
    all: u64,
    wanted: &'a (dyn Fn(&Fact) -> bool + Sync),
}

/// Cases folded and kept together when most are read in ranges of the event table.
const RANGE_CHUNK: usize = 10_000;

/// Cases read and kept together when folding case by case.
const BY_CASE_CHUNK: usize = 2_000;

/// Facts kept by one request from which the read model's planner statistics are brought up
/// to date at the end ([`nrm_store::Store::analyze_statistics_read_model`]): the first
/// request after an import keeps as many facts as there are cases.
const ANALYZE_AFTER_KEEPING: usize = 10_000;

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
    /// Every case's statistical facts as at the end of `as_at` (no personal data) that are
    /// `wanted`, with the number of all facts; `window` (see
    /// [`Cases::statistics_facts_of_cases`]); `progress` is told how many cases have been read
    /// so far.
    async fn statistics_facts(
        &self,
        as_at: NaiveDate,
        window: (NaiveDate, NaiveDate),
        wanted: impl Fn(&Fact) -> bool + Sync,
        progress: impl FnMut(u64),
    ) -> Result<(Vec<Fact>, u64), ServiceError> {
        let (facts, all) = self
            .statistics_facts_of_cases(as_at, window, wanted, progress)
            .await?;
        Ok((facts.into_iter().map(|(_, f)| f).collect(), all))
    }

    /// [`Cases::statistics_facts`] with each fact's case id (for keyed pseudonyms). Only the
    /// facts `wanted` are returned (so a request for one period holds only that period's in
    /// memory), with the number of all facts. Every wanted fact must have a day a table counts
    /// it by in `window`: the database hands back no other (only the facts kept in the
    /// window's quarters).
    ///
    /// Read from the statistics read model: each case's kept fact where it is still valid
    /// (no event since it was folded, the running code's encoding, nothing in it after
    /// `as_at`) and kept in a quarter of the window; every case whose kept fact cannot be used is
    /// folded from its events here, and its fact kept for the next request unless only the
    /// as-at day made it unusable.
    pub(crate) async fn statistics_facts_of_cases(
        &self,
        as_at: NaiveDate,
        window: (NaiveDate, NaiveDate),
        wanted: impl Fn(&Fact) -> bool + Sync,
        progress: impl FnMut(u64),
    ) -> Result<(Vec<([u8; 16], Fact)>, u64), ServiceError> {
        let format = nrm_stats::codec::format();
        let mut decoder = nrm_stats::codec::Decoder::new();
        let mut facts = Vec::new();
        let mut again: Vec<Refold> = Vec::new();
        // Kept facts that no longer decode: counted by the store, folded again here.
        let mut unreadable = 0u64;
        let walk = self
            .store()
            .each_case_fact_in(
                format,
                as_at,
                window,
                |case_id, kept| match kept {
                    Kept::Fact { version, fact } => match decoder.decode(fact) {
                        Some(fact) => facts.extend(
                            fact.filter(|f| wanted(f))
                                .map(|f| (*case_id.0.as_bytes(), f)),
                        ),
                        None => {
                            unreadable += 1;
                            again.push(Refold {
                                case_id,
                                version,
                                keep: true,
                            });
                        }
                    },
                    Kept::Fold { version, keep } => again.push(Refold {
                        case_id,
                        version,
                        keep,
                    }),
                },
                progress,
            )
            .await?;
        let mut out = Out {
            facts,
            all: walk.kept_facts.saturating_sub(unreadable),
            wanted: &wanted,
        };
        self.fold_again(&again, walk.cases, as_at, &mut out).await?;
        Ok((out.facts, out.all))
    }

    /// Folds these cases from their events: each one's fact as at `as_at` goes into `facts`,
    /// and its whole fold is kept where asked. When more than half of all `total` cases are to
    /// be folded (the first request after an import or a change of encoding), their events are
    /// read in ranges of the event table's key, in order, ten thousand cases at a time; fewer,
    /// case by case. Either way only a chunk's events are held at once.
    async fn fold_again(
        &self,
        cases: &[Refold],
        total: u64,
        as_at: NaiveDate,
        out: &mut Out<'_>,
    ) -> Result<(), ServiceError> {
        let in_ranges = cases.len() as u64 * 2 > total;
        let size = if in_ranges {
            RANGE_CHUNK
        } else {
            BY_CASE_CHUNK
        };
        let mut keep: Vec<FactToKeep> = Vec::new();
        let mut kept = 0usize;
        for chunk in cases.chunks(size) {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                continue;
            };
            let kinds = &nrm_stats::EVENT_KINDS;
            let events = if in_ranges {
                self.store()
                    .events_of_case_range(kinds, first.case_id, last.case_id)
                    .await?
            } else {
                let ids: Vec<CaseId> = chunk.iter().map(|r| r.case_id).collect();
                self.store().events_of_cases(kinds, &ids).await?
            };
            // Both come in case-id order, as the cases do; a range also holds cases whose kept
            // fact stands, which are passed over.
            let mut events = events.into_iter().peekable();
            for refold in chunk {
                while events.next_if(|(c, _)| *c < refold.case_id).is_some() {}
                let mine = events
                    .next_if(|(c, _)| *c == refold.case_id)
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                fold_case(refold, &mine, as_at, out, &mut keep);
            }
            kept += keep.len();
            self.store().keep_facts(&keep).await?;
            keep.clear();
        }
        if kept >= ANALYZE_AFTER_KEEPING {
            self.store().analyze_statistics_read_model().await?;
        }
        Ok(())
    }

    /// Brings the statistics read model up to date: every case whose kept fact is missing, out
    /// of date or in an older encoding is folded again from its events and kept, so the next
    /// request for tables reads kept facts only. Holds no facts. Audited (as the system,
    /// `statistics.refresh`). Returns how many cases have a fact.
    pub async fn refresh_statistics(&self, now: DateTime<Utc>) -> Result<u64, ServiceError> {
        let result = self
            .statistics_facts_of_cases(uk_date(now), (EVERY_DAY.1, EVERY_DAY.0), |_| false, |_| {})
            .await
            .map(|(_, all)| all);
        self.audit(
            nrm_domain::Actor::SYSTEM,
            "statistics.refresh",
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// [`Cases::refresh_statistics`] once a day across every instance: runs only if instance
    /// `holder` takes the day's turn (the periodic sweep asks every time it ticks). Returns
    /// whether it ran.
    pub async fn periodic_statistics_refresh(
        &self,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let day = std::time::Duration::from_secs(24 * 60 * 60);
        if !self.take_turn(STATISTICS_JOB, holder, day, now).await? {
            return Ok(false);
        }
        self.refresh_statistics(now).await?;
        Ok(true)
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
        let result = self
            .statistics_facts(as_at, EVERY_DAY, |_| true, |_| {})
            .await
            .map(|(facts, _)| facts);
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
        let period = request.period;
        let result = self
            .statistics_facts(
                as_at,
                (period.start(), period.end()),
                |f| nrm_stats::touches(period, f),
                progress,
            )
            .await
            .map(|(facts, all)| {
                let mut tables = nrm_stats::build(&facts, request.period, as_at, request.options);
                tables.cases = all;
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
            .statistics_facts_of_cases(
                as_at,
                (request.period.start(), request.period.end()),
                |f| request.period.contains(f.referred_on),
                progress,
            )
            .await
            .map(|(facts, _)| {
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

/// Folds one case's events: its fact as at `as_at` goes into `facts`, and its whole fold
/// into `keep` when the case's kept fact is to be rewritten.
fn fold_case(
    refold: &Refold,
    events: &[(DateTime<Utc>, CaseEvent)],
    as_at: NaiveDate,
    out: &mut Out<'_>,
    keep: &mut Vec<FactToKeep>,
) {
    let whole = nrm_stats::fold(events.iter().map(|(at, e)| (e, *at)), NaiveDate::MAX);
    let last_day = events.iter().map(|(at, _)| uk_date(*at)).max();
    if refold.keep {
        keep.push(FactToKeep {
            case_id: refold.case_id,
            version: refold.version,
            format: nrm_stats::codec::format(),
            last_day,
            span: whole.as_ref().map(nrm_stats::span),
            quarters: whole.as_ref().map(nrm_stats::quarters).unwrap_or_default(),
            fact: nrm_stats::codec::encode(whole.as_ref()),
        });
    }
    let at_day = if last_day.is_none_or(|d| d <= as_at) {
        whole
    } else {
        nrm_stats::fold(
            events
                .iter()
                .filter(|(at, _)| uk_date(*at) <= as_at)
                .map(|(at, e)| (e, *at)),
            as_at,
        )
    };
    if let Some(f) = at_day {
        out.all += 1;
        if (out.wanted)(&f) {
            out.facts.push((*refold.case_id.0.as_bytes(), f));
        }
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
