//! The events the official statistics are counted from, case by case, for `nrm-stats` to
//! fold into facts, and the read model that keeps each case's folded fact
//! (`case_statistics`, migrations 0029 and 0030) so a request reads only the kept facts of its
//! period and the cases to fold again, instead of every case's events. Only events
//! of the kinds asked for are read (no vault), in pages by the tables' own keys, so a million
//! cases stream in bounded memory. The store never looks inside a kept fact: it is bytes in
//! `nrm-stats`' encoding, with the case version and encoding it was written for.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::CaseEvent;
use nrm_domain::ids::CaseId;
use sqlx::Row;

use crate::plans::Param;
use crate::{Pool, Store, StoreError, on_pool};

/// The number of the quarter a day falls in: `year * 4 + quarter - 1`, as nrm-stats numbers
/// the quarters it keeps beside a fact.
fn quarter_number(day: NaiveDate) -> i32 {
    use chrono::Datelike;
    day.year() * 4 + (day.month0() / 3) as i32
}

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

/// What the read model gives a walk (see [`Store::each_case_fact_in`]) for one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept<'a> {
    /// The case's kept fact, still valid as at the day asked, whose span of days meets the
    /// window asked for: its bytes in `nrm-stats`' encoding, and the case version it was
    /// folded through (the case's own).
    Fact { version: u64, fact: &'a [u8] },
    /// No kept fact to use: fold the case again from its events, through `version`. `keep`:
    /// whether to keep that fold (false when the kept fact is current but has an event after
    /// the day asked, so only this answer needs an earlier fold).
    Fold { version: u64, keep: bool },
}

/// What a walk of the read model saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FactWalk {
    /// Every case walked.
    pub cases: u64,
    /// The cases with a usable kept fact (not folded again), whatever their span: with the
    /// cases folded again that have a fact, the number of facts in the case file.
    pub kept_facts: u64,
}

/// A case's fact to keep: folded from the case's events through `version`, in `format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactToKeep {
    pub case_id: CaseId,
    pub version: u64,
    pub format: i64,
    pub last_day: Option<NaiveDate>,
    /// The earliest and latest day a table counts the fact by (`nrm_stats::span`); `None`
    /// for a case with no fact.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Every quarter a table counts the fact in (`nrm_stats::quarters`: `year * 4 + quarter -
    /// 1`); empty for a case with no fact.
    pub quarters: Vec<i32>,
    pub fact: Vec<u8>,
}

/// Cases walked per query of [`Store::each_case_fact_in`].
const WALK: i64 = 50_000;

/// The first and last day the read model's windows can name (dates compare as text on
/// SQLite, so these stay four-digit years).
pub const EVERY_DAY: (NaiveDate, NaiveDate) = (day(1, 1, 1), day(9999, 12, 31));

const fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// The walk's tables and filter for the cases after `$1` up to `$2`: every case whose kept
/// fact cannot be used (none, folded through another version or in another format (`$3`), or
/// with an event after the as-at day `$4`), and every case whose usable fact's span meets the
/// window `$5` to `$6`. The rest, most cases for a quarter, never leave the database.
macro_rules! walk_from {
    () => {
        " FROM cases c LEFT JOIN case_statistics s ON s.case_id = c.case_id WHERE c.case_id > $1 AND c.case_id <= $2 AND (s.case_id IS NULL OR s.version <> c.version OR s.format <> $3 OR s.last_day > $4 OR (s.span_from <= $6 AND s.span_to >= $5))"
    };
}

/// Binds the walk's parameters in order (`$1` to `$6` of [`walk_from!`]) to a query of
/// either engine.
macro_rules! bind_walk {
    ($query:expr, $after:expr, $upto:expr, $format:expr, $as_at:expr, $window:expr) => {
        $query
            .bind($after)
            .bind($upto)
            .bind($format)
            .bind($as_at)
            .bind($window.0)
            .bind($window.1)
    };
}

/// The walk on PostgreSQL: a row per case, which its driver reads from the socket in the
/// task that asked.
const WALK_SQL: &str = concat!(
    "SELECT c.case_id, c.version, s.version AS kept_version, s.format, s.last_day, s.span_from IS NOT NULL AS has_fact, s.fact",
    walk_from!(),
    " ORDER BY c.case_id"
);

/// The walk on SQLite: the chunk's cases packed into one text value, because sqlx hands each
/// row from its SQLite worker thread to the reading task on its own, and the two threads
/// waking each other for every row cost several times SQLite's work. An entry per case,
/// separated by commas: the case id in hex, its version, and what to do with it: `F` and the
/// kept fact in hex (usable), `N` (fold again for this answer only: an event after the as-at
/// day), `O` (fold again and keep: a fact of the running format counted as usable but out of
/// date), `K` (fold again and keep).
const WALK_PACKED_SQL: &str = concat!(
    "SELECT group_concat(hex(c.case_id) || ':' || c.version || ':' || CASE WHEN s.version = c.version AND s.format = $3 THEN CASE WHEN s.last_day IS NULL OR s.last_day <= $4 THEN 'F' || hex(s.fact) ELSE 'N' END WHEN s.format = $3 AND s.span_from IS NOT NULL AND (s.last_day IS NULL OR s.last_day <= $4) THEN 'O' ELSE 'K' END, ',')",
    walk_from!()
);

/// Kept facts read per query of a quarter (see [`quarter_from!`]).
const QUARTER_CHUNK: i64 = 50_000;

/// Where a quarter's read is split in two: the case ids up to it, and those after.
const HALF_WAY: uuid::Uuid = uuid::Uuid::from_u128(u128::MAX >> 1);

/// A quarter's usable kept facts: those of the cases after `$2` (up to `$6`) with a day a table counts in
/// quarter `$1`, in the running encoding `$3` and with no event after the as-at day `$4`, in
/// case-id order, at most `$5`. `CROSS JOIN` keeps SQLite reading the quarter's key first and
/// each fact by its key (PostgreSQL plans it as any inner join).
macro_rules! quarter_from {
    () => {
        " FROM case_statistics_quarters q CROSS JOIN case_statistics s WHERE s.case_id = q.case_id AND q.quarter = $1 AND q.case_id > $2 AND q.case_id <= $6 AND s.format = $3 AND (s.last_day IS NULL OR s.last_day <= $4) ORDER BY q.case_id LIMIT $5"
    };
}

/// A quarter's facts on PostgreSQL: a row each.
const QUARTER_SQL: &str = concat!("SELECT q.case_id, s.version, s.fact", quarter_from!());

/// A quarter's facts on SQLite, packed into one value as [`WALK_PACKED_SQL`]'s (all `F`),
/// with the last case id and how many there are.
const QUARTER_PACKED_SQL: &str = concat!(
    "SELECT group_concat(hex(case_id) || ':' || version || ':F' || hex(fact), ','), max(case_id), count(*) FROM (SELECT q.case_id, s.version, s.fact",
    quarter_from!(),
    ")"
);

/// The stale cases after `$1`, at most `$2`, in case-id order: each with its version and
/// what its kept fact was (none, or its version, encoding, last day and whether it has a
/// fact), so the walk can tell which were counted among the usable facts.
const STALE_SQL: &str = "SELECT d.case_id, c.version, s.version AS kept_version, s.format, s.last_day, s.span_from IS NOT NULL AS has_fact FROM (SELECT DISTINCT case_id FROM case_statistics_stale WHERE case_id > $1 ORDER BY case_id LIMIT $2) d CROSS JOIN cases c LEFT JOIN case_statistics s ON s.case_id = d.case_id WHERE c.case_id = d.case_id ORDER BY d.case_id";

/// Kept facts in the running encoding `$1` with an event after the as-at day `$2`.
const LATER_SQL: &str =
    "SELECT case_id, version FROM case_statistics WHERE format = $1 AND last_day > $2";

/// Usable kept facts with a fact, in encoding `$1` as at `$2`.
const USABLE_SQL: &str = "SELECT COUNT(*) FROM case_statistics WHERE format = $1 AND span_from IS NOT NULL AND (last_day IS NULL OR last_day <= $2)";

/// Whether any kept fact is in an encoding other than `$1` (one probe of the index each side).
const FOREIGN_SQL: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM case_statistics WHERE format < $1 LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM case_statistics WHERE format > $1 LIMIT 1) b)";

/// What the walk says of one case (see [`WALK_PACKED_SQL`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Walked {
    Usable(Vec<u8>),
    LaterEvents,
    OutOfDateCounted,
    Fold,
}

/// The entries of a packed chunk, in case-id order.
fn unpack(text: &str) -> Result<Vec<(uuid::Uuid, u64, Walked)>, StoreError> {
    let bad = || StoreError::Corrupt("the statistics walk returned an unreadable entry".to_owned());
    let mut out = Vec::new();
    for entry in text.split(',') {
        let mut parts = entry.splitn(3, ':');
        let (Some(id), Some(version), Some(what)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let mut bytes = [0u8; 16];
        if id.len() != 32 || !unhex(id, &mut bytes) {
            return Err(bad());
        }
        let version: u64 = version.parse().map_err(|_| bad())?;
        let walked = match what.as_bytes().first() {
            Some(b'F') => {
                let hex = &what[1..];
                let mut fact = vec![0u8; hex.len() / 2];
                if hex.len() % 2 != 0 || !unhex(hex, &mut fact) {
                    return Err(bad());
                }
                Walked::Usable(fact)
            }
            Some(b'N') if what.len() == 1 => Walked::LaterEvents,
            Some(b'O') if what.len() == 1 => Walked::OutOfDateCounted,
            Some(b'K') if what.len() == 1 => Walked::Fold,
            _ => return Err(bad()),
        };
        out.push((uuid::Uuid::from_bytes(bytes), version, walked));
    }
    // SQLite aggregates in the order it walks the key; the contract does not rest on it.
    if !out.is_sorted_by(|a, b| a.0 < b.0) {
        out.sort_by_key(|e| e.0);
    }
    Ok(out)
}

/// Reads hex (either case) into `out`, which is exactly half as long; false if it is not hex.
fn unhex(hex: &str, out: &mut [u8]) -> bool {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let hex = hex.as_bytes();
    if hex.len() != out.len() * 2 {
        return false;
    }
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(high), Some(low)) => *byte = high << 4 | low,
            _ => return false,
        }
    }
    true
}

/// `$from+1, …` for `n` placeholders after the first `from` (both engines read them).
fn marks(from: usize, n: usize) -> String {
    positional(false, from, n)
}

/// The `n`th placeholder (from 1): on SQLite anonymous (`?`, bound in order), since SQLite
/// finds each numbered parameter by walking the statement's list of them (8% of the first
/// request's time at 200,000 cases went there); elsewhere `$n`.
fn placeholder(sqlite: bool, n: usize) -> String {
    if sqlite {
        "?".to_owned()
    } else {
        format!("${n}")
    }
}

/// `n` placeholders after the first `from` ([`placeholder`]), comma-separated.
fn positional(sqlite: bool, from: usize, n: usize) -> String {
    (from + 1..=from + n)
        .map(|i| placeholder(sqlite, i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows written per statement when keeping facts (7 values each): 700 parameters, far inside
/// both engines' limits. (With numbered placeholders SQLite paid n squared to bind a statement
/// of n parameters; the keeping statements now use anonymous ones there, [`placeholder`].)
const KEEP_ROWS: usize = 100;

/// Facts kept per transaction. Every transaction writes again each page it changes in the five
/// B-trees a kept fact touches (the fact, its day index, its quarters both ways, its stale
/// rows): at a hundred facts a transaction the first request after a 200,000-case import
/// wrote 2.9 GB; at two thousand (the facts of a request come in case-id order, so neighbours
/// share pages) each page is written once per transaction, 1.2 GB in all. A
/// transaction of this size holds the write turn for tens of milliseconds.
const KEEP_TRANSACTION: usize = 2_000;

impl Store {
    /// How many cases there are (for progress bars).
    pub async fn case_count(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Calls `each`, in case-id order, with every case the caller must see: each case whose
    /// kept fact (in `format`) cannot be used as at the end of `as_at`, to be folded again,
    /// and each usable kept fact with a day a table counts in a quarter that meets `window`
    /// (both days included; [`EVERY_DAY`] for all, an empty window for none). The rest are
    /// counted inside the database and never read out; `progress` is told how many cases
    /// have been seen.
    ///
    /// While every kept fact is in `format`, the cases to fold again are the stale ones the
    /// database marked itself (`case_statistics_stale`) and those with an event after
    /// `as_at`, and the facts are read by the quarters of the window: no query reads every
    /// case. Otherwise (the first request after the encoding changed) every case is walked,
    /// by [`Store::walk_every_case`].
    ///
    /// `kept_facts` is counted apart from the walk (one pass over an index of the read model):
    /// a case changed while the walk runs may be counted as it was.
    pub async fn each_case_fact_in(
        &self,
        format: i64,
        as_at: NaiveDate,
        window: (NaiveDate, NaiveDate),
        each: impl FnMut(CaseId, Kept<'_>),
        progress: impl FnMut(u64),
    ) -> Result<FactWalk, StoreError> {
        let foreign: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(FOREIGN_SQL).bind(format).fetch_one(pool).await?
        });
        if foreign > 0 {
            self.walk_every_case(format, as_at, window, each, progress)
                .await
        } else {
            self.walk_stale_and_quarters(format, as_at, window, each, progress)
                .await
        }
    }

    /// [`Store::each_case_fact_in`] when every kept fact is in `format`.
    async fn walk_stale_and_quarters(
        &self,
        format: i64,
        as_at: NaiveDate,
        window: (NaiveDate, NaiveDate),
        mut each: impl FnMut(CaseId, Kept<'_>),
        mut progress: impl FnMut(u64),
    ) -> Result<FactWalk, StoreError> {
        type StaleRow = (
            uuid::Uuid,
            i64,
            Option<i64>,
            Option<i64>,
            Option<NaiveDate>,
            Option<bool>,
        );
        enum Seen {
            Fact(u64, Vec<u8>),
            Fold(u64, bool),
        }
        let cases = self.case_count().await?;
        let usable: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(USABLE_SQL).bind(format).bind(as_at).fetch_one(pool).await?
        });
        let mut seen: Vec<(uuid::Uuid, Seen)> = Vec::new();
        // The stale cases: folded again and kept. Those whose kept fact the count above took
        // as usable are taken off it (their fold counts again).
        let mut out_of_date = 0u64;
        let mut after = uuid::Uuid::nil();
        loop {
            let rows: Vec<StaleRow> = on_pool!(self, pool => {
                sqlx::query_as(STALE_SQL)
                    .bind(after)
                    .bind(WALK)
                    .fetch_all(pool)
                    .await?
            });
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            let full = rows.len() as i64 == WALK;
            for (case, version, _, kept_format, last_day, has_fact) in rows {
                if kept_format == Some(format)
                    && has_fact == Some(true)
                    && last_day.is_none_or(|d| d <= as_at)
                {
                    out_of_date += 1;
                }
                seen.push((case, Seen::Fold(u64::try_from(version).unwrap_or(0), true)));
            }
            if !full {
                break;
            }
            after = last;
        }
        // Current facts with an event after the as-at day: folded again for this answer only.
        let later: Vec<(uuid::Uuid, i64)> = on_pool!(self, pool => {
            sqlx::query_as(LATER_SQL).bind(format).bind(as_at).fetch_all(pool).await?
        });
        seen.extend(
            later.into_iter().map(|(case, version)| {
                (case, Seen::Fold(u64::try_from(version).unwrap_or(0), false))
            }),
        );
        // The usable facts of each quarter the window meets, each quarter read in two halves
        // of the case ids, two reads at a time on connections of their own (a quarter of a
        // million cases' facts is read by both cores). A quarter with no kept fact costs one
        // probe of its key.
        if window.0 <= window.1 {
            let (first, last) = (quarter_number(window.0), quarter_number(window.1));
            // A year's quarters are probed as they are; a longer window (every day, for the
            // extract and the benchmark's export) asks which quarters have kept facts.
            let quarters: Vec<i32> = if last - first < 8 {
                (first..=last).collect()
            } else {
                on_pool!(self, pool => {
                    sqlx::query_scalar("SELECT DISTINCT quarter FROM case_statistics_quarters WHERE quarter >= $1 AND quarter <= $2 ORDER BY quarter")
                        .bind(first)
                        .bind(last)
                        .fetch_all(pool)
                        .await?
                })
            };
            for quarter in quarters {
                let (lower, upper) = tokio::try_join!(
                    self.facts_of_quarter(quarter, (uuid::Uuid::nil(), HALF_WAY), format, as_at),
                    self.facts_of_quarter(quarter, (HALF_WAY, uuid::Uuid::max()), format, as_at),
                )?;
                for (case, version, fact) in lower.into_iter().chain(upper) {
                    seen.push((case, Seen::Fact(version, fact)));
                }
            }
        }
        // In case-id order, each case once: a fold (stale first) before any fact of the case.
        seen.sort_by(|a, b| {
            let rank = |s: &Seen| match s {
                Seen::Fold(_, true) => 0,
                Seen::Fold(_, false) => 1,
                Seen::Fact(..) => 2,
            };
            a.0.cmp(&b.0).then(rank(&a.1).cmp(&rank(&b.1)))
        });
        seen.dedup_by_key(|e| e.0);
        for (case, what) in &seen {
            let kept = match what {
                Seen::Fact(version, fact) => Kept::Fact {
                    version: *version,
                    fact,
                },
                Seen::Fold(version, keep) => Kept::Fold {
                    version: *version,
                    keep: *keep,
                },
            };
            each(CaseId(*case), kept);
        }
        progress(cases);
        Ok(FactWalk {
            cases,
            kept_facts: u64::try_from(usable)
                .unwrap_or(0)
                .saturating_sub(out_of_date),
        })
    }

    /// The case, version and bytes of every usable kept fact of `quarter` whose case id is
    /// after `range.0` and up to `range.1` (see [`quarter_from!`]), read fifty thousand at a
    /// time.
    async fn facts_of_quarter(
        &self,
        quarter: i32,
        range: (uuid::Uuid, uuid::Uuid),
        format: i64,
        as_at: NaiveDate,
    ) -> Result<Vec<(uuid::Uuid, u64, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        let mut after = range.0;
        loop {
            let (read, last) = match &self.pool {
                crate::Pool::Sqlite(pool) => {
                    let (packed, last, read): (Option<String>, Option<uuid::Uuid>, i64) =
                        sqlx::query_as(QUARTER_PACKED_SQL)
                            .bind(quarter)
                            .bind(after)
                            .bind(format)
                            .bind(as_at)
                            .bind(QUARTER_CHUNK)
                            .bind(range.1)
                            .fetch_one(pool)
                            .await?;
                    let entries = match packed.as_deref() {
                        Some(text) => unpack(text)?,
                        // No usable fact in the chunk (group_concat of nothing is NULL).
                        None => Vec::new(),
                    };
                    for (case, version, walked) in entries {
                        let Walked::Usable(fact) = walked else {
                            return Err(StoreError::Corrupt(
                                "the statistics walk returned an unreadable entry".to_owned(),
                            ));
                        };
                        out.push((case, version, fact));
                    }
                    (read, last)
                }
                crate::Pool::Postgres(pool) => {
                    let rows: Vec<(uuid::Uuid, i64, Vec<u8>)> = sqlx::query_as(QUARTER_SQL)
                        .bind(quarter)
                        .bind(after)
                        .bind(format)
                        .bind(as_at)
                        .bind(QUARTER_CHUNK)
                        .bind(range.1)
                        .fetch_all(pool)
                        .await?;
                    let last = rows.last().map(|r| r.0);
                    let read = rows.len() as i64;
                    for (case, version, fact) in rows {
                        out.push((case, u64::try_from(version).unwrap_or(0), fact));
                    }
                    (read, last)
                }
            };
            match last {
                Some(last) if read == QUARTER_CHUNK => after = last,
                _ => break,
            }
        }
        Ok(out)
    }

    /// [`Store::each_case_fact_in`] by pairing every case with its kept fact, fifty thousand
    /// cases of the key at a time: the cases whose kept fact cannot be used (none, another
    /// version, another encoding, an event after `as_at`), and the usable facts whose span of
    /// days meets `window`. Needed once after the encoding changes, when every case is to be
    /// folded again.
    async fn walk_every_case(
        &self,
        format: i64,
        as_at: NaiveDate,
        window: (NaiveDate, NaiveDate),
        mut each: impl FnMut(CaseId, Kept<'_>),
        mut progress: impl FnMut(u64),
    ) -> Result<FactWalk, StoreError> {
        type Row = (
            uuid::Uuid,
            i64,
            Option<i64>,
            Option<i64>,
            Option<NaiveDate>,
            bool,
            Option<Vec<u8>>,
        );
        // Usable facts in `format` with a fact (a span), counted once, then less those the
        // walk finds folded through another version.
        let usable: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(USABLE_SQL)
                .bind(format)
                .bind(as_at)
                .fetch_one(pool)
                .await?
        });
        let mut out_of_date = 0u64;
        let mut walk = FactWalk::default();
        // The nil id sorts before every case's, the max id after.
        let mut after = uuid::Uuid::nil();
        loop {
            let bound: Option<uuid::Uuid> = on_pool!(self, pool => {
                sqlx::query_scalar("SELECT case_id FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT 1 OFFSET $2")
                    .bind(after)
                    .bind(WALK - 1)
                    .fetch_optional(pool)
                    .await?
            });
            let (upto, walked) = match bound {
                Some(b) => (b, WALK),
                None => {
                    let rest: i64 = on_pool!(self, pool => {
                        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE case_id > $1")
                            .bind(after)
                            .fetch_one(pool)
                            .await?
                    });
                    (uuid::Uuid::max(), rest)
                }
            };
            let entries: Vec<(uuid::Uuid, u64, Walked)> = match &self.pool {
                crate::Pool::Sqlite(pool) => {
                    let packed: Option<String> = bind_walk!(
                        sqlx::query_scalar(WALK_PACKED_SQL),
                        after,
                        upto,
                        format,
                        as_at,
                        window
                    )
                    .fetch_one(pool)
                    .await?;
                    match packed {
                        Some(text) => unpack(&text)?,
                        None => Vec::new(),
                    }
                }
                crate::Pool::Postgres(pool) => {
                    let rows: Vec<Row> =
                        bind_walk!(sqlx::query_as(WALK_SQL), after, upto, format, as_at, window)
                            .fetch_all(pool)
                            .await?;
                    rows.into_iter()
                        .map(
                            |(
                                case,
                                version,
                                kept_version,
                                kept_format,
                                last_day,
                                has_fact,
                                fact,
                            )| {
                                let current =
                                    kept_version == Some(version) && kept_format == Some(format);
                                let in_time = last_day.is_none_or(|d| d <= as_at);
                                let walked = match fact {
                                    Some(fact) if current && in_time => Walked::Usable(fact),
                                    _ if current => Walked::LaterEvents,
                                    _ if kept_format == Some(format) && has_fact && in_time => {
                                        Walked::OutOfDateCounted
                                    }
                                    _ => Walked::Fold,
                                };
                                (case, u64::try_from(version).unwrap_or(0), walked)
                            },
                        )
                        .collect()
                }
            };
            for (case, version, walked) in &entries {
                let version = *version;
                let kept = match walked {
                    Walked::Usable(fact) => Kept::Fact { version, fact },
                    Walked::LaterEvents => Kept::Fold {
                        version,
                        keep: false,
                    },
                    Walked::OutOfDateCounted => {
                        out_of_date += 1;
                        Kept::Fold {
                            version,
                            keep: true,
                        }
                    }
                    Walked::Fold => Kept::Fold {
                        version,
                        keep: true,
                    },
                };
                each(CaseId(*case), kept);
            }
            walk.cases += u64::try_from(walked).unwrap_or(0);
            progress(walk.cases);
            if bound.is_none() {
                break;
            }
            after = upto;
        }
        walk.kept_facts = u64::try_from(usable)
            .unwrap_or(0)
            .saturating_sub(out_of_date);
        Ok(walk)
    }

    /// The plans the database chooses for each query of [`Store::each_case_fact_in`], by
    /// name (`walk`, `quarter`, `stale`, `later`, `usable`, `foreign`), one line per step (as
    /// [`Store::queue_plans`] gives them): for a test that every one reads its tables by their
    /// keys or an index, never a whole table. On PostgreSQL sequential scans are priced out
    /// first (a small table is cheaper to scan whole), so the plan shows whether an index can
    /// serve the query at all.
    pub async fn statistics_walk_plans(
        &self,
    ) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        let day = EVERY_DAY.0;
        let nil = uuid::Uuid::nil();
        let (walk, quarter) = match &self.pool {
            crate::Pool::Sqlite(_) => (WALK_PACKED_SQL, QUARTER_PACKED_SQL),
            crate::Pool::Postgres(_) => (WALK_SQL, QUARTER_SQL),
        };
        let queries: [(&'static str, &str, Vec<Param>); 6] = [
            (
                "walk",
                walk,
                vec![
                    Param::Id(nil),
                    Param::Id(uuid::Uuid::max()),
                    Param::Int(0),
                    Param::Day(day),
                    Param::Day(day),
                    Param::Day(day),
                ],
            ),
            (
                "quarter",
                quarter,
                vec![
                    Param::Int(0),
                    Param::Id(nil),
                    Param::Int(0),
                    Param::Day(day),
                    Param::Int(QUARTER_CHUNK),
                    Param::Id(HALF_WAY),
                ],
            ),
            ("stale", STALE_SQL, vec![Param::Id(nil), Param::Int(WALK)]),
            ("later", LATER_SQL, vec![Param::Int(0), Param::Day(day)]),
            ("usable", USABLE_SQL, vec![Param::Int(0), Param::Day(day)]),
            ("foreign", FOREIGN_SQL, vec![Param::Int(0)]),
        ];
        let mut plans = Vec::new();
        for (name, sql, params) in queries {
            plans.push((name, self.plan_of(sql, &params, false).await?));
        }
        Ok(plans)
    }

    /// Brings the planner's statistics of the statistics read model up to date after many
    /// facts were kept at once (the first request after a bulk load or a change of encoding):
    /// on PostgreSQL, until autovacuum gets round to them, which after a bulk load of a million
    /// cases can be long, the planner still thinks the tables empty and reads a quarter by
    /// probing its index once per kept fact (a year's tables took 6.2-6.6 s at a million cases
    /// instead of 2.9-3.2 s). Samples the tables (`ANALYZE`, about 0.3 s at a million). SQLite's
    /// plans for these tables do not depend on statistics: nothing to do there.
    pub async fn analyze_statistics_read_model(&self) -> Result<(), StoreError> {
        if let Pool::Postgres(pool) = &self.pool {
            sqlx::query("ANALYZE case_statistics, case_statistics_quarters, case_statistics_stale")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Keeps these facts, each replacing the case's earlier one unless that was folded through
    /// a later version (two requests folding the same case at once keep the newer fold). With
    /// each fact that is kept go its quarters (replacing the case's earlier ones) and the
    /// case's stale versions up to the one folded; all in one transaction per
    /// [`KEEP_TRANSACTION`] facts, so a fact is never kept without its quarters.
    pub async fn keep_facts(&self, facts: &[FactToKeep]) -> Result<(), StoreError> {
        let sqlite = matches!(self.pool, Pool::Sqlite(_));
        for transaction in facts.chunks(KEEP_TRANSACTION) {
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                use sqlx::Connection as _;
                let mut connection = pool.acquire().await?;
                // Each statement of a transaction keeps a journal to undo itself alone; on
                // SQLite it spills to a temporary file past 64 KiB (1.7 GB of them for the
                // first request at 200,000 cases). Kept in memory for these statements.
                if sqlite {
                    sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *connection).await?;
                }
                let kept: Result<(), StoreError> = async {
                    let mut tx = connection.begin().await?;
                    for chunk in transaction.chunks(KEEP_ROWS) {
                        let rows: Vec<String> = (0..chunk.len())
                            .map(|i| format!("({})", positional(sqlite, i * 7, 7)))
                            .collect();
                        let upsert = format!(
                            "INSERT INTO case_statistics (case_id, version, format, last_day, span_from, span_to, fact) VALUES {} ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, format = excluded.format, last_day = excluded.last_day, span_from = excluded.span_from, span_to = excluded.span_to, fact = excluded.fact WHERE excluded.version >= case_statistics.version RETURNING case_id",
                            rows.join(", ")
                        );
                        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(upsert));
                        for f in chunk {
                            query = query
                                .bind(f.case_id.0)
                                .bind(i64::try_from(f.version).unwrap_or(i64::MAX))
                                .bind(f.format)
                                .bind(f.last_day)
                                .bind(f.span.map(|(from, _)| from))
                                .bind(f.span.map(|(_, to)| to))
                                .bind(f.fact.as_slice());
                        }
                        let written: Vec<uuid::Uuid> = query.fetch_all(&mut *tx).await?;
                        let written: std::collections::HashSet<uuid::Uuid> =
                            written.into_iter().collect();
                        let kept: Vec<&FactToKeep> =
                            chunk.iter().filter(|f| written.contains(&f.case_id.0)).collect();
                        if kept.is_empty() {
                            continue;
                        }
                        let gone = format!(
                            "DELETE FROM case_statistics_quarters WHERE case_id IN ({})",
                            positional(sqlite, 0, kept.len())
                        );
                        let mut query = sqlx::query(sqlx::AssertSqlSafe(gone));
                        for f in &kept {
                            query = query.bind(f.case_id.0);
                        }
                        query.execute(&mut *tx).await?;
                        let pairs: Vec<(uuid::Uuid, i32)> = kept
                            .iter()
                            .flat_map(|f| f.quarters.iter().map(|q| (f.case_id.0, *q)))
                            .collect();
                        for part in pairs.chunks(KEEP_ROWS * 3) {
                            let values: Vec<String> = (0..part.len())
                                .map(|i| format!("({})", positional(sqlite, i * 2, 2)))
                                .collect();
                            let insert = format!(
                                "INSERT INTO case_statistics_quarters (case_id, quarter) VALUES {} ON CONFLICT DO NOTHING",
                                values.join(", ")
                            );
                            let mut query = sqlx::query(sqlx::AssertSqlSafe(insert));
                            for (case, quarter) in part {
                                query = query.bind(*case).bind(*quarter);
                            }
                            query.execute(&mut *tx).await?;
                        }
                        let fresh: Vec<String> = (0..kept.len())
                            .map(|i| {
                                format!(
                                    "(case_id = {} AND version <= {})",
                                    placeholder(sqlite, i * 2 + 1),
                                    placeholder(sqlite, i * 2 + 2)
                                )
                            })
                            .collect();
                        let fresh = format!(
                            "DELETE FROM case_statistics_stale WHERE {}",
                            fresh.join(" OR ")
                        );
                        let mut query = sqlx::query(sqlx::AssertSqlSafe(fresh));
                        for f in &kept {
                            query = query
                                .bind(f.case_id.0)
                                .bind(i64::try_from(f.version).unwrap_or(i64::MAX));
                        }
                        query.execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
                .await;
                if sqlite {
                    sqlx::query("PRAGMA temp_store = DEFAULT").execute(&mut *connection).await?;
                }
                kept?;
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

#[cfg(test)]
mod tests {
    use super::{Walked, unpack};

    #[test]
    fn a_packed_chunk_is_read_back_in_case_order_and_anything_else_is_refused() {
        let a = "0000000000000000000000000000000A";
        let b = "000000000000000000000000000000FF";
        let text = format!("{b}:7:F00FF10,{a}:3:N,{a}0:1:K");
        // A cut id is refused, as is anything not made by the walk.
        assert!(unpack(&text).is_err());
        for bad in [
            format!("{a}:x:K"),
            format!("{a}:1:F0"),
            format!("{a}:1:FZZ"),
            format!("{a}:1:Q"),
            format!("{a}:1:KK"),
            format!("{a}:1"),
            String::new(),
        ] {
            assert!(unpack(&bad).is_err(), "{bad}");
        }
        let got = unpack(&format!("{b}:7:F00ff10,{a}:3:N,{a}:4:O,{b}:2:K"))
            .unwrap_or_else(|e| panic!("{e}"));
        let id = |hex: &str| uuid::Uuid::parse_str(hex).unwrap_or_default();
        // Sorted by case id; equal ids keep their order.
        assert_eq!(
            got,
            vec![
                (id(a), 3, Walked::LaterEvents),
                (id(a), 4, Walked::OutOfDateCounted),
                (id(b), 7, Walked::Usable(vec![0x00, 0xff, 0x10])),
                (id(b), 2, Walked::Fold),
            ]
        );
    }
}
