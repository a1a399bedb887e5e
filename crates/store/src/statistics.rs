//! The events the official statistics are counted from, case by case, for `nrm-stats` to
//! fold into facts, and the read model that keeps each case's folded fact
//! (`case_statistics`, migration 0029) so a request reads a row per case instead. Only events
//! of the kinds asked for are read (no vault), in pages by the tables' own keys, so a million
//! cases stream in bounded memory. The store never looks inside a kept fact: it is bytes in
//! `nrm-stats`' encoding, with the case version and encoding it was written for.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::CaseEvent;
use nrm_domain::ids::CaseId;
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// Rows read per query.
const PAGE: i64 = 20_000;

type EventRow = (uuid::Uuid, i64, DateTime<Utc>, String, Option<Vec<u8>>);

/// An [`EventRow`] from a row of either engine that selects `case_id, version, recorded_at,
/// body, packed`.
macro_rules! event_row {
    ($row:expr) => {
        (|| -> Result<EventRow, sqlx::Error> {
            Ok((
                $row.try_get("case_id")?,
                $row.try_get("version")?,
                $row.try_get("recorded_at")?,
                $row.try_get("body")?,
                $row.try_get("packed")?,
            ))
        })()
    };
}

/// The event of a row of `case_events`; a row that does not parse is corruption.
fn decode(
    case: uuid::Uuid,
    version: i64,
    body: &str,
    packed: Option<&[u8]>,
) -> Result<CaseEvent, StoreError> {
    crate::event_codec::read(body, packed)
        .map_err(|_| StoreError::Corrupt(format!("event {version} of case {case} does not parse")))
}

/// A case's events, each with when it was recorded.
pub type CaseEvents = (CaseId, Vec<(DateTime<Utc>, CaseEvent)>);

/// A case's fact as the read model keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptFact<'a> {
    /// The UK day of the last event it was folded from (`None`: there were none).
    pub last_day: Option<NaiveDate>,
    /// The fact in `nrm-stats`' encoding.
    pub fact: &'a [u8],
}

/// A case's fact to keep: folded from the case's events through `version`, in `format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactToKeep {
    pub case_id: CaseId,
    pub version: u64,
    pub format: i64,
    pub last_day: Option<NaiveDate>,
    pub fact: Vec<u8>,
}

/// `$from+1, …` for `n` placeholders after the first `from`.
fn marks(from: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", from + i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows written per statement when keeping facts (5 values each). Kept small: SQLite finds a
/// numbered parameter's name by walking the statement's list of them, so binding a statement
/// of n parameters costs n squared; 500 parameters cost little, 5,000 cost seconds a million.
const KEEP_ROWS: usize = 100;

impl Store {
    /// How many cases there are (for progress bars).
    pub async fn case_count(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Calls `each` with every case in case-id order, its current version, and its kept fact
    /// when there is one still valid: folded through that version, in `format`. Returns the
    /// number of cases.
    pub async fn each_case_kept_fact(
        &self,
        format: i64,
        mut each: impl FnMut(CaseId, u64, Option<KeptFact<'_>>),
    ) -> Result<u64, StoreError> {
        type Row = (uuid::Uuid, i64, Option<NaiveDate>, Option<Vec<u8>>);
        // The nil id sorts before every case's.
        let mut after = uuid::Uuid::nil();
        let mut cases = 0u64;
        loop {
            let rows: Vec<Row> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT c.case_id, c.version, s.last_day, s.fact FROM cases c LEFT JOIN case_statistics s ON s.case_id = c.case_id AND s.version = c.version AND s.format = $1 WHERE c.case_id > $2 ORDER BY c.case_id LIMIT $3",
                )
                .bind(format)
                .bind(after)
                .bind(PAGE)
                .fetch_all(pool)
                .await?
            });
            let full = rows.len() as i64 == PAGE;
            for (case, version, last_day, fact) in &rows {
                let kept = fact.as_deref().map(|fact| KeptFact {
                    last_day: *last_day,
                    fact,
                });
                each(CaseId(*case), u64::try_from(*version).unwrap_or(0), kept);
                cases += 1;
            }
            if let Some(last) = rows.last() {
                after = last.0;
            }
            if !full {
                break;
            }
        }
        Ok(cases)
    }

    /// Keeps these facts, each replacing the case's earlier one unless that was folded through
    /// a later version (two requests folding the same case at once keep the newer fold).
    pub async fn keep_facts(&self, facts: &[FactToKeep]) -> Result<(), StoreError> {
        for chunk in facts.chunks(KEEP_ROWS) {
            let mut sql = String::from(
                "INSERT INTO case_statistics (case_id, version, format, last_day, fact) VALUES ",
            );
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", marks(i * 5, 5)))
                .collect();
            sql.push_str(&rows.join(", "));
            sql.push_str(" ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, format = excluded.format, last_day = excluded.last_day, fact = excluded.fact WHERE excluded.version >= case_statistics.version");
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for f in chunk {
                    query = query
                        .bind(f.case_id.0)
                        .bind(i64::try_from(f.version).unwrap_or(i64::MAX))
                        .bind(f.format)
                        .bind(f.last_day)
                        .bind(f.fact.as_slice());
                }
                query.execute(pool).await?;
            });
        }
        Ok(())
    }

    /// Every event of the given `kinds` of each of `cases`, in stream order, case by case in
    /// the order asked (a case with none gets an empty list).
    pub async fn events_of_cases(
        &self,
        kinds: &[&str],
        cases: &[CaseId],
    ) -> Result<Vec<CaseEvents>, StoreError> {
        let mut out: Vec<CaseEvents> = cases.iter().map(|c| (*c, Vec::new())).collect();
        if kinds.is_empty() {
            return Ok(out);
        }
        let at: std::collections::HashMap<uuid::Uuid, usize> =
            cases.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
        for chunk in cases.chunks(500) {
            let sql = format!(
                "SELECT case_id, version, recorded_at, body, packed FROM case_events WHERE case_id IN ({}) AND kind IN ({}) ORDER BY case_id, version",
                marks(0, chunk.len()),
                marks(chunk.len(), kinds.len())
            );
            let ids: Vec<uuid::Uuid> = chunk.iter().map(|c| c.0).collect();
            for (case, event) in self.read_events(&sql, &ids, kinds).await? {
                if let Some(i) = at.get(&case.0) {
                    out[*i].1.push(event);
                }
            }
        }
        Ok(out)
    }

    /// Every event of the given `kinds` of every case from `first` to `last` in case-id order
    /// (both included), in stream order, case by case in case-id order (cases with none are
    /// left out): one range of the event table's key, read in order.
    pub async fn events_of_case_range(
        &self,
        kinds: &[&str],
        first: CaseId,
        last: CaseId,
    ) -> Result<Vec<CaseEvents>, StoreError> {
        let mut out: Vec<CaseEvents> = Vec::new();
        if kinds.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT case_id, version, recorded_at, body, packed FROM case_events WHERE case_id >= $1 AND case_id <= $2 AND kind IN ({}) ORDER BY case_id, version",
            marks(2, kinds.len())
        );
        for (case, event) in self.read_events(&sql, &[first.0, last.0], kinds).await? {
            match out.last_mut() {
                Some((c, events)) if *c == case => events.push(event),
                _ => out.push((case, vec![event])),
            }
        }
        Ok(out)
    }

    /// Runs `sql` with the `ids` then the `kinds` bound in turn, and decodes each row's event.
    async fn read_events(
        &self,
        sql: &str,
        ids: &[uuid::Uuid],
        kinds: &[&str],
    ) -> Result<Vec<(CaseId, (DateTime<Utc>, CaseEvent))>, StoreError> {
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for id in ids {
                query = query.bind(*id);
            }
            for kind in kinds {
                query = query.bind(*kind);
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| event_row!(row))
                .collect::<Result<Vec<_>, _>>()?
        });
        rows.into_iter()
            .map(|(case, version, recorded_at, body, packed)| {
                let event = decode(case, version, &body, packed.as_deref())?;
                Ok((CaseId(case), (recorded_at, event)))
            })
            .collect()
    }

    /// Calls `each` with every case's events of the given `kinds` recorded up to `until`, in
    /// stream order, one case at a time in case-id order (cases with none are skipped).
    /// Returns the number of cases passed to `each`.
    pub async fn each_case_events(
        &self,
        kinds: &[&str],
        until: DateTime<Utc>,
        each: impl FnMut(CaseId, &[(DateTime<Utc>, CaseEvent)]),
    ) -> Result<u64, StoreError> {
        self.each_case_events_paged(kinds, until, PAGE, each).await
    }

    /// [`Store::each_case_events`] reading `page` rows per query (tests use small pages, so
    /// cases fall across page boundaries).
    pub async fn each_case_events_paged(
        &self,
        kinds: &[&str],
        until: DateTime<Utc>,
        page: i64,
        mut each: impl FnMut(CaseId, &[(DateTime<Utc>, CaseEvent)]),
    ) -> Result<u64, StoreError> {
        let page = page.max(1);
        if kinds.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT case_id, version, recorded_at, body, packed FROM case_events WHERE (case_id, version) > ($1, $2) AND kind IN ({}) ORDER BY case_id, version LIMIT $3",
            marks(3, kinds.len())
        );
        let mut after = (uuid::Uuid::nil(), 0i64);
        let mut current: Option<uuid::Uuid> = None;
        let mut events: Vec<(DateTime<Utc>, CaseEvent)> = Vec::new();
        let mut cases = 0u64;
        loop {
            let rows: Vec<EventRow> = on_pool!(self, pool => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(after.0)
                    .bind(after.1)
                    .bind(page);
                for kind in kinds {
                    query = query.bind(*kind);
                }
                query
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(|row| event_row!(row))
                    .collect::<Result<Vec<_>, _>>()?
            });
            let full = rows.len() as i64 == page;
            for (case, version, recorded_at, body, packed) in rows {
                after = (case, version);
                if current != Some(case) {
                    if let Some(done) = current.take()
                        && !events.is_empty()
                    {
                        each(CaseId(done), &events);
                        cases += 1;
                    }
                    events.clear();
                    current = Some(case);
                }
                if recorded_at > until {
                    continue;
                }
                events.push((
                    recorded_at,
                    decode(case, version, &body, packed.as_deref())?,
                ));
            }
            if !full {
                break;
            }
        }
        if let Some(done) = current
            && !events.is_empty()
        {
            each(CaseId(done), &events);
            cases += 1;
        }
        Ok(cases)
    }
}
