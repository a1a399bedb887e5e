//! The events the official statistics are counted from, case by case, for `nrm-stats` to
//! fold into facts. Only events of the kinds asked for are read (no vault, no read model), in
//! pages by the event table's own key, so a million cases stream in bounded memory.

use chrono::{DateTime, Utc};
use nrm_domain::CaseEvent;
use nrm_domain::ids::CaseId;
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// Rows read per query.
const PAGE: i64 = 20_000;

type EventRow = (uuid::Uuid, i64, DateTime<Utc>, String, Option<Vec<u8>>);

impl Store {
    /// How many cases there are (for progress bars).
    pub async fn case_count(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
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
        let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT case_id, version, recorded_at, body, packed FROM case_events WHERE (case_id, version) > ($1, $2) AND kind IN ({}) ORDER BY case_id, version LIMIT $3",
            placeholders.join(", ")
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
                    .map(|row| -> Result<EventRow, sqlx::Error> {
                        Ok((
                            row.try_get("case_id")?,
                            row.try_get("version")?,
                            row.try_get("recorded_at")?,
                            row.try_get("body")?,
                            row.try_get("packed")?,
                        ))
                    })
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
                let event = crate::event_codec::read(&body, packed.as_deref()).map_err(|_| {
                    StoreError::Corrupt(format!("event {version} of case {case} does not parse"))
                })?;
                events.push((recorded_at, event));
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
