//! Person storage (issue 14): each person's append-only event stream with its summary row,
//! which person each referral is part of, the keyed linkage tokens of each referral, and the
//! decision makers' queue of possible earlier referrals.
//!
//! Nothing here holds personal data: the tokens are HMAC-SHA-256 (under a key derived from
//! the master key, [`Store::linkage_key`]) of normalised values, truncated to 64 bits; a review
//! row holds the comparison levels of each field as numbers, never the values compared. A
//! write (several person streams, tokens, review rows) and its audit entry commit in one
//! transaction or not at all; each stream's version is checked (stale: `VersionConflict`).

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::person::{PersonEvent, PersonId, PersonState, ReviewId};
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::events::to_i64;
use crate::group::Gated;
use crate::statement::{Statement, Value};
use crate::{Store, StoreError, on_pool};

/// One person's stream change inside a [`PersonWrite`].
#[derive(Debug, Clone)]
pub struct PersonAppend<'a> {
    pub person_id: PersonId,
    /// The version decided on; 0 for a new person.
    pub expected_version: u64,
    pub events: &'a [PersonEvent],
    /// The person's state after these events (for the summary row).
    pub state_after: &'a PersonState,
}

/// A possible earlier referral for a decision maker to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatchReview {
    pub review_id: ReviewId,
    /// The new referral.
    pub case_id: CaseId,
    /// The earlier referral it may be the same person as.
    pub candidate_case: CaseId,
    pub probability_permille: u16,
    /// The comparison level of each field (`-` where a value was missing), comma-separated.
    pub levels: String,
}

/// A review's decision: it must still be open (else nothing is written: `VersionConflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewDecision {
    pub review_id: ReviewId,
    pub confirmed: bool,
    pub decided_by: UserId,
}

/// One change to persons, written in one transaction with its audit entry.
#[derive(Debug, Clone)]
pub struct PersonWrite<'a> {
    pub appends: Vec<PersonAppend<'a>>,
    /// Keyed blocking tokens `(case, rule, token)`; a case's old tokens are replaced when its
    /// id is in `replace_tokens_of`.
    pub tokens: Vec<(CaseId, u8, u64)>,
    pub replace_tokens_of: Vec<CaseId>,
    pub reviews: Vec<NewMatchReview>,
    pub decision: Option<ReviewDecision>,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
    pub audit: &'a AuditRecord,
}

/// A stored person event with its envelope.
#[derive(Debug, Clone)]
pub struct StoredPersonEvent {
    pub version: u64,
    pub event: PersonEvent,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
}

/// A person's whole stream.
#[derive(Debug, Clone)]
pub struct LoadedPerson {
    pub person_id: PersonId,
    pub version: u64,
    pub events: Vec<StoredPersonEvent>,
}

/// The referrals a search by name compares, from [`Store::token_candidates`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenCandidates {
    /// Each referral with how many of the search's tokens it holds, best first.
    pub holders: Vec<(CaseId, u32)>,
    /// How many of the tokens were held by more referrals than were read.
    pub oversized: usize,
}

/// One referral of a person (from the read model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonReferralRow {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub reference: String,
    pub submitted_on: NaiveDate,
}

/// What [`Store::name_counts`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCounts {
    /// The holders of each name asked, in the order asked.
    pub holders: Vec<u64>,
    /// How many tokens of the rule asked are stored (the referrals indexed).
    pub indexed: u64,
}

/// A row of the review queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchReviewRow {
    pub review_id: ReviewId,
    pub case_id: CaseId,
    pub candidate_case: CaseId,
    pub probability_permille: u16,
    pub levels: String,
    /// `open`, `confirmed` or `rejected`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
}

/// At most this many review rows are listed at once.
pub const REVIEW_LIST_LIMIT: i64 = 200;
/// At most this many referrals are taken from one blocking token (the most recently recorded
/// first).
pub const TOKEN_CANDIDATE_LIMIT: i64 = 500;
/// The token rules whose holders are counted as they are written (migration 0039): the keyed
/// full given names (6) and family names (7) that intake's term frequencies weigh.
pub const COUNTED_NAME_RULES: [u8; 2] = [6, 7];

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn projection(append: &PersonAppend<'_>, new_version: u64, at: DateTime<Utc>) -> Vec<Statement> {
    let mut out = Vec::new();
    let person = append.person_id.0;
    let s = append.state_after;
    if append.expected_version > 0 {
        out.push(Statement::new(
            "UPDATE persons SET referrals = $1, joined_into = $2, updated_at = $3 WHERE person_id = $4",
            vec![
                Value::I64(s.referrals.len() as i64),
                Value::OptUuid(s.joined_into.map(|p| p.0)),
                Value::Timestamp(at),
                Value::Uuid(person),
            ],
        ));
    }
    for event in append.events {
        let moved = match event {
            PersonEvent::ReferralLinked { referral, .. } => std::slice::from_ref(referral),
            PersonEvent::Joined { referrals, .. } | PersonEvent::SplitFrom { referrals, .. } => {
                referrals.as_slice()
            }
            _ => &[],
        };
        for r in moved {
            out.push(Statement::new(
                "INSERT INTO person_referrals (case_id, person_id, reference, submitted_on) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET person_id = excluded.person_id",
                vec![
                    Value::Uuid(r.case_id.0),
                    Value::Uuid(person),
                    Value::Text(r.reference.clone()),
                    Value::Date(r.submitted_on),
                ],
            ));
        }
    }
    let _ = new_version;
    out
}

/// The statement of [`Store::link_candidates`] for `tokens` distinct tokens: `$1` the referral
/// left out, then each token's rule and value.
///
/// Each holder's referral row is looked up by key in correlated subqueries rather than joined:
/// PostgreSQL's plan for a join, cached while `person_referrals` was small, hashed the whole
/// table at every intake (18,078 sequential scans reading 66 million rows for 19,000 referrals
/// in `nrm bench intake`), and a lookup a holder is what both engines should do at any size.
/// The limit is written into the SQL (a constant), so a generic plan knows each token's
/// subquery stops there.
fn candidates_sql(tokens: usize) -> String {
    let held = (0..tokens)
        .map(|i| {
            format!(
                "SELECT * FROM (SELECT rule, token, case_id FROM person_link_tokens WHERE rule = ${} AND token = ${} AND case_id <> $1 ORDER BY rule DESC, token DESC, case_id DESC LIMIT {TOKEN_CANDIDATE_LIMIT}) AS h{i}",
                2 * i + 2,
                2 * i + 3
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let of_holder = |column: &str| {
        format!(
            "(SELECT r.{column} FROM person_referrals r WHERE r.case_id = h.case_id) AS {column}"
        )
    };
    format!(
        "SELECT case_id, person_id, reference, submitted_on, rule, token FROM (SELECT h.case_id, h.rule, h.token, {}, {}, {} FROM ({held}) AS h) AS c WHERE person_id IS NOT NULL",
        of_holder("person_id"),
        of_holder("reference"),
        of_holder("submitted_on")
    )
}

/// The statement of [`Store::name_counts`] for `names` names (each name's rule and value),
/// with the total of the rule bound after them if `with_total`. Each row is `(part, rule,
/// token, holders)`: part 0 a name's, part 1 the total.
fn name_counts_sql(names: usize, with_total: bool) -> String {
    let mut parts = Vec::new();
    if names > 0 {
        let wanted = (0..names)
            .map(|i| format!("(rule = ${} AND token = ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(" OR ");
        parts.push(format!(
            "SELECT CAST(0 AS BIGINT) AS part, rule, token, holders FROM person_name_counts WHERE {wanted}"
        ));
    }
    if with_total {
        parts.push(format!(
            "SELECT CAST(1 AS BIGINT) AS part, rule, CAST(0 AS BIGINT) AS token, holders FROM person_name_totals WHERE rule = ${}",
            2 * names + 1
        ));
    }
    parts.join(" UNION ALL ")
}

/// The statement of [`Store::name_total`].
const NAME_TOTAL_SQL: &str = "SELECT holders FROM person_name_totals WHERE rule = $1";

/// A new person's row, the gate of its first append: a taken id changes nothing. Single-row
/// `VALUES` with its placeholders in order, so the group committer merges a batch's new
/// persons into one INSERT.
const NEW_PERSON: &str = "INSERT INTO persons (person_id, version, referrals, joined_into, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

/// A referral's keyed linkage token, one row.
const TOKEN_INSERT: &str = "INSERT INTO person_link_tokens (rule, token, case_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// Token rows a statement carries (three values each, far below both engines' limits).
const TOKENS_PER_INSERT: usize = 500;

impl Store {
    /// The key of the linkage tokens: derived from the master key, so tokens are useless to
    /// anyone who reads the database without it.
    pub fn linkage_key(&self) -> [u8; 32] {
        self.master_key
            .lookup_hash("person-linkage-blocking-tokens", "v1")
    }

    /// Writes a change to persons (see [`PersonWrite`]) with its audit entry.
    pub async fn write_persons(&self, write: PersonWrite<'_>) -> Result<(), StoreError> {
        let statements = person_statements(&write)?;
        // One person's change with one gate (intake's link or new person, a rebuild's): through
        // the group committer, as a case's append is, so that concurrent intakes share one
        // durable commit. Joins, splits and review decisions (several gates) stay on their own.
        if let ([append], None) = (write.appends.as_slice(), write.decision) {
            let statements = statements.into_iter().map(|(s, _)| s).collect();
            let written = self
                .committer
                .write(person_job(append, statements, &write))
                .await
                .written()?;
            return self.person_written(append, written).await;
        }
        let _turn = self.write_turn().await;
        let written = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut ok = true;
            for (statement, gate) in &statements {
                let query = crate::statement::bind_values!(
                    sqlx::query(sqlx::AssertSqlSafe(statement.sql.clone())),
                    &statement.values
                );
                let result = match query.execute(&mut *tx).await {
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                        ok = false;
                        break;
                    }
                    other => other?,
                };
                if *gate && result.rows_affected() != 1 {
                    ok = false;
                    break;
                }
            }
            if ok {
                crate::audit::append_audit!(tx, &self.audit_key, write.audit, write.recorded_at)?;
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            ok
        });
        if written {
            return Ok(());
        }
        // Something changed under us: report the first stream whose version moved.
        for append in &write.appends {
            let actual = self.person_version(append.person_id).await?.unwrap_or(0);
            if actual != append.expected_version {
                return Err(StoreError::VersionConflict {
                    expected: append.expected_version,
                    actual,
                });
            }
        }
        Err(StoreError::VersionConflict {
            expected: 0,
            actual: 1,
        })
    }

    /// What the committer's answer `written` for a change to one person means: done, or the
    /// person changed under it (for a new person: the id was taken).
    pub(crate) async fn person_written(
        &self,
        append: &PersonAppend<'_>,
        written: bool,
    ) -> Result<(), StoreError> {
        if written {
            return Ok(());
        }
        let actual = self.person_version(append.person_id).await?.unwrap_or(0);
        Err(StoreError::VersionConflict {
            expected: append.expected_version,
            actual: if actual == append.expected_version {
                actual + 1
            } else {
                actual
            },
        })
    }

    /// A person's current version, if they exist.
    pub async fn person_version(&self, person: PersonId) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM persons WHERE person_id = $1")
                .bind(person.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(v.map(u64_of))
    }

    /// A person's whole stream, with its head's version, in one read (one snapshot).
    pub async fn load_person(&self, person: PersonId) -> Result<Option<LoadedPerson>, StoreError> {
        type Row = (
            i64,
            Option<i64>,
            Option<String>,
            Option<Uuid>,
            Option<Uuid>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT p.version AS head, e.version, e.body, e.actor_user, e.actor_organisation, e.recorded_at FROM persons p LEFT JOIN person_events e ON e.person_id = p.person_id WHERE p.person_id = $1 ORDER BY e.version",
            )
            .bind(person.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("head")?,
                        row.try_get("version")?,
                        row.try_get("body")?,
                        row.try_get("actor_user")?,
                        row.try_get("actor_organisation")?,
                        row.try_get("recorded_at")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        let Some(&(head, ..)) = rows.first() else {
            return Ok(None);
        };
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            // A person with no events yet (never written so) joins to one row of nulls.
            let (_, Some(v), Some(body), Some(user), Some(organisation), Some(recorded_at)) = row
            else {
                continue;
            };
            let event = serde_json::from_str(&body).map_err(|_| {
                StoreError::Corrupt(format!("event {v} of person {} does not parse", person.0))
            })?;
            events.push(StoredPersonEvent {
                version: u64_of(v),
                event,
                actor: Actor {
                    user: UserId(user),
                    organisation: OrganisationId(organisation),
                },
                recorded_at,
            });
        }
        Ok(Some(LoadedPerson {
            person_id: person,
            version: u64_of(head),
            events,
        }))
    }

    /// The person a referral is part of now.
    pub async fn person_of_case(&self, case: CaseId) -> Result<Option<PersonId>, StoreError> {
        let v: Option<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT person_id FROM person_referrals WHERE case_id = $1")
                .bind(case.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(v.map(PersonId))
    }

    /// A person's referrals in the order they were submitted.
    pub async fn person_referrals(
        &self,
        person: PersonId,
    ) -> Result<Vec<PersonReferralRow>, StoreError> {
        let rows: Vec<(Uuid, String, NaiveDate)> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT case_id, reference, submitted_on FROM person_referrals WHERE person_id = $1 ORDER BY submitted_on, reference",
            )
            .bind(person.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((row.try_get("case_id")?, row.try_get("reference")?, row.try_get("submitted_on")?))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows
            .into_iter()
            .map(|(c, reference, submitted_on)| PersonReferralRow {
                case_id: CaseId(c),
                person_id: person,
                reference,
                submitted_on,
            })
            .collect())
    }

    /// The referrals (with their persons) that share at least one of `tokens`, other than
    /// `except`, each with how many of the tokens it shares, most shared first (then the most
    /// recent); at most [`TOKEN_CANDIDATE_LIMIT`] per token, the most recently recorded.
    ///
    /// Bounded at any size: each token's holders are read from the end of its range of the
    /// key `(rule, token, case_id)` (case ids are time-ordered) and the read stops at the
    /// limit, so a token a million referrals hold costs what one of 500 does. Reading every
    /// holder and keeping each token's most recent by referral date read ~1,250 key entries a
    /// referral with 20,000 people stored, growing with the store.
    pub async fn link_candidates(
        &self,
        tokens: &[(u8, u64)],
        except: CaseId,
    ) -> Result<Vec<(PersonReferralRow, u32)>, StoreError> {
        let mut out: Vec<(PersonReferralRow, u32)> = Vec::new();
        if tokens.is_empty() {
            return Ok(out);
        }
        // Every token's holders in one statement (one round trip, one hand-off to SQLite's
        // worker thread): a bounded read of the key per token, each in its own subquery so
        // both planners stop at the limit, each holder's person looked up by key. A token
        // given twice is read once (and counted twice below).
        let mut distinct: Vec<(u8, u64)> = Vec::with_capacity(tokens.len());
        for t in tokens {
            if !distinct.contains(t) {
                distinct.push(*t);
            }
        }
        let sql = candidates_sql(distinct.len());
        let mut rows: Vec<(Uuid, Uuid, String, NaiveDate, i64, i64)> = on_pool!(self, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(except.0);
            for (rule, token) in &distinct {
                query = query.bind(i64::from(*rule)).bind(*token as i64);
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("case_id")?,
                        row.try_get("person_id")?,
                        row.try_get("reference")?,
                        row.try_get("submitted_on")?,
                        row.try_get("rule")?,
                        row.try_get("token")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        // In the order the tokens were given, each token's the most recent first (then the
        // latest recorded), so that ties keep the order they had when each token was read on
        // its own.
        let position = |rule: i64, token: i64| {
            tokens
                .iter()
                .position(|(r, t)| i64::from(*r) == rule && *t as i64 == token)
                .unwrap_or(usize::MAX)
        };
        rows.sort_by(|a, b| {
            position(a.4, a.5)
                .cmp(&position(b.4, b.5))
                .then(b.3.cmp(&a.3))
                .then(b.0.cmp(&a.0))
        });
        // A token given twice (two of the person's names making the same key) counts twice,
        // as it did when each was read on its own.
        let times = |rule: i64, token: i64| {
            tokens
                .iter()
                .filter(|(r, t)| i64::from(*r) == rule && *t as i64 == token)
                .count() as u32
        };
        for (c, p, reference, submitted_on, rule, token) in rows {
            let k = times(rule, token);
            match out.iter_mut().find(|(r, _)| r.case_id.0 == c) {
                Some((_, shared)) => *shared += k,
                None => out.push((
                    PersonReferralRow {
                        case_id: CaseId(c),
                        person_id: PersonId(p),
                        reference,
                        submitted_on,
                    },
                    k,
                )),
            }
        }
        out.sort_by(|(a, x), (b, y)| y.cmp(x).then(b.submitted_on.cmp(&a.submitted_on)));
        Ok(out)
    }

    /// The referrals to compare for the search by name and date of birth: those holding at
    /// least one of `tokens` (linked to a person or not), each with how many of the tokens it
    /// holds, best first. The tokens are keyed, so the store never sees a name.
    ///
    /// Bounded at any size, as intake's blocking bounds an oversized block: each token's
    /// holders are read up to `per_token`. A token held by more (a common name at a million
    /// referrals) is oversized: its holders are not read, but the candidates the rarer tokens
    /// bring are looked up in it by key (an intersection in SQL, one probe each), so those
    /// sharing it still count it. Only when every token is oversized are the first
    /// `per_token` holders of each taken as they are. Best first: most tokens shared, then
    /// the rarest token held, then the case id.
    pub async fn token_candidates(
        &self,
        tokens: &[(u8, u64)],
        per_token: i64,
    ) -> Result<TokenCandidates, StoreError> {
        let per_token = per_token.max(1);
        let cap = usize::try_from(per_token).unwrap_or(usize::MAX);
        let mut read: Vec<((u8, u64), Vec<Uuid>)> = Vec::with_capacity(tokens.len());
        for &(rule, token) in tokens {
            let rows: Vec<Uuid> = on_pool!(self, pool => {
                sqlx::query_scalar(
                    // Ordered as the primary key (rule, token, case_id) is, so both planners
                    // read its range and stop: ordered by the case id alone, PostgreSQL may
                    // walk the case id index instead, past every other token's rows.
                    "SELECT case_id FROM person_link_tokens WHERE rule = $1 AND token = $2 ORDER BY rule, token, case_id LIMIT $3",
                )
                .bind(i64::from(rule))
                .bind(token as i64)
                .bind(per_token.saturating_add(1))
                .fetch_all(pool)
                .await?
            });
            read.push(((rule, token), rows));
        }
        let oversized = read.iter().filter(|(_, rows)| rows.len() > cap).count();
        let all_oversized = oversized == read.len();
        // case id -> (tokens shared, holders of the rarest token held)
        let mut found: std::collections::HashMap<Uuid, (u32, usize)> =
            std::collections::HashMap::new();
        for (_, rows) in &read {
            if rows.len() > cap && !all_oversized {
                continue;
            }
            let holders = rows.len();
            for c in rows.iter().take(cap) {
                let entry = found.entry(*c).or_insert((0, usize::MAX));
                entry.0 += 1;
                entry.1 = entry.1.min(holders);
            }
        }
        if !all_oversized && !found.is_empty() {
            let ids: Vec<Uuid> = found.keys().copied().collect();
            for ((rule, token), rows) in &read {
                if rows.len() <= cap {
                    continue;
                }
                for chunk in ids.chunks(500) {
                    let rows: Vec<Uuid> = on_pool!(self, pool => {
                        let mut b = QueryBuilder::new(
                            "SELECT case_id FROM person_link_tokens WHERE rule = ",
                        );
                        b.push_bind(i64::from(*rule))
                            .push(" AND token = ")
                            .push_bind(*token as i64)
                            .push(" AND case_id IN (");
                        let mut list = b.separated(", ");
                        for id in chunk {
                            list.push_bind(*id);
                        }
                        b.push(")");
                        b.build_query_scalar().fetch_all(pool).await?
                    });
                    for c in rows {
                        if let Some(entry) = found.get_mut(&c) {
                            entry.0 += 1;
                        }
                    }
                }
            }
        }
        let mut holders: Vec<(Uuid, (u32, usize))> = found.into_iter().collect();
        holders.sort_by(|(a, (x, r)), (b, (y, s))| y.cmp(x).then(r.cmp(s)).then(a.cmp(b)));
        Ok(TokenCandidates {
            holders: holders
                .into_iter()
                .map(|(c, (shared, _))| (CaseId(c), shared))
                .collect(),
            oversized,
        })
    }

    /// How many referrals hold each of the keyed names `tokens` (for term frequencies: how
    /// common a name is), in the order given, 0 for a name nobody holds; and how many tokens of
    /// the rule `indexed_by` are stored (see [`Store::name_total`]). Only the rules of
    /// [`COUNTED_NAME_RULES`] are counted (the others answer 0). Each is one row of the counts
    /// the triggers on `person_link_tokens` keep (migration 0039), whatever the name's holders;
    /// all of them in one statement (one hand-over to SQLite's worker thread a referral).
    pub async fn name_counts(
        &self,
        tokens: &[(u8, u64)],
        indexed_by: u8,
    ) -> Result<NameCounts, StoreError> {
        let mut holders = Vec::with_capacity(tokens.len());
        let mut indexed = 0;
        // Two values a token, far below both engines' limits on bound values. The total is
        // read with the first chunk (a referral's names are one chunk).
        let chunks: Vec<&[(u8, u64)]> = if tokens.is_empty() {
            vec![&[]]
        } else {
            tokens.chunks(1000).collect()
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            let with_total = i == 0;
            let sql = name_counts_sql(chunk.len(), with_total);
            let rows: Vec<(i64, i64, i64, i64)> = on_pool!(self, pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for (rule, token) in chunk {
                    query = query.bind(i64::from(*rule)).bind(*token as i64);
                }
                if with_total {
                    query = query.bind(i64::from(indexed_by));
                }
                query.fetch_all(pool).await?
            });
            for &(part, _, _, n) in &rows {
                if part == 1 {
                    indexed = u64_of(n);
                }
            }
            holders.extend(chunk.iter().map(|&(rule, token)| {
                rows.iter()
                    .find(|&&(part, r, t, _)| {
                        part == 0 && r == i64::from(rule) && t == token as i64
                    })
                    .map_or(0, |&(_, _, _, n)| u64_of(n))
            }));
        }
        Ok(NameCounts { holders, indexed })
    }

    /// How many tokens of the counted name rule `rule` are stored: with a rule every referral
    /// has once (the family name), the number of referrals indexed. One row, kept by the same
    /// triggers; 0 for a rule not counted.
    pub async fn name_total(&self, rule: u8) -> Result<u64, StoreError> {
        let n: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(NAME_TOTAL_SQL)
                .bind(i64::from(rule))
                .fetch_optional(pool)
                .await?
        });
        Ok(n.map_or(0, u64_of))
    }

    /// The plans of intake's linkage reads (the candidates of three tokens, the holders of two
    /// names, the total), by name, as each engine runs them (PostgreSQL's generic plan): a
    /// test checks each reads its key's range and stops, whatever the store's size.
    pub async fn linkage_read_plans(&self) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        use crate::plans::Param;
        let mut candidates = vec![Param::Id(Uuid::nil())];
        for t in 0..3 {
            candidates.extend([Param::Int(1), Param::Int(t)]);
        }
        let reads: [(&'static str, String, Vec<Param>); 3] = [
            ("candidates", candidates_sql(3), candidates),
            (
                "name holders",
                name_counts_sql(2, true),
                vec![
                    Param::Int(6),
                    Param::Int(1),
                    Param::Int(7),
                    Param::Int(2),
                    Param::Int(7),
                ],
            ),
            ("name total", NAME_TOTAL_SQL.to_owned(), vec![Param::Int(7)]),
        ];
        let mut plans = Vec::new();
        for (name, sql, params) in reads {
            plans.push((name, self.plan_of(&sql, &params, true).await?));
        }
        Ok(plans)
    }

    /// Up to `limit` adult and child referrals with no linkage tokens at all (bulk-loaded or
    /// imported ones): what the search by name cannot find yet. In the order of their case
    /// ids, after `after` (the last one of the previous batch), so a run over a million cases
    /// walks the table once instead of past every referral it has already indexed each batch.
    pub async fn referrals_without_tokens(
        &self,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<CaseId>, StoreError> {
        let after = after.map_or(Uuid::nil(), |c| c.0);
        let rows: Vec<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT s.case_id FROM case_summaries s WHERE s.case_id > $1 AND s.kind <> 'duty_to_notify' AND NOT EXISTS (SELECT 1 FROM person_link_tokens t WHERE t.case_id = s.case_id) ORDER BY s.case_id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(CaseId).collect())
    }

    /// How many linkage tokens a referral has.
    pub async fn link_token_count(&self, case: CaseId) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM person_link_tokens WHERE case_id = $1")
                .bind(case.0)
                .fetch_one(pool)
                .await?
        });
        Ok(u64_of(n))
    }

    /// Every adult and child referral, oldest first, with whether it is linked to a person
    /// (for `nrm link rebuild`).
    pub async fn referrals_for_linkage(&self) -> Result<Vec<(CaseId, bool)>, StoreError> {
        let rows: Vec<(Uuid, Option<Uuid>)> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT s.case_id, r.person_id FROM case_summaries s LEFT JOIN person_referrals r ON r.case_id = s.case_id WHERE s.kind <> 'duty_to_notify' ORDER BY s.referred_on, s.reference",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((row.try_get("case_id")?, row.try_get("person_id")?))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows
            .into_iter()
            .map(|(c, p)| (CaseId(c), p.is_some()))
            .collect())
    }

    /// Review rows with `status`, oldest first (at most [`REVIEW_LIST_LIMIT`]).
    pub async fn match_reviews(&self, status: &str) -> Result<Vec<MatchReviewRow>, StoreError> {
        self.review_rows(
            "SELECT review_id, case_id, candidate_case, probability_permille, levels, status, created_at, decided_at, decided_by FROM person_match_reviews WHERE status = $1 ORDER BY created_at, review_id LIMIT $2",
            ReviewKey::Status(status.to_owned()),
        )
        .await
    }

    /// One review row.
    pub async fn match_review(
        &self,
        review: ReviewId,
    ) -> Result<Option<MatchReviewRow>, StoreError> {
        Ok(self
            .review_rows(
                "SELECT review_id, case_id, candidate_case, probability_permille, levels, status, created_at, decided_at, decided_by FROM person_match_reviews WHERE review_id = $1 LIMIT $2",
                ReviewKey::Id(review.0),
            )
            .await?
            .into_iter()
            .next())
    }

    /// The review rows of a referral (as the new or the earlier one).
    pub async fn match_reviews_of_case(
        &self,
        case: CaseId,
    ) -> Result<Vec<MatchReviewRow>, StoreError> {
        self.review_rows(
            "SELECT review_id, case_id, candidate_case, probability_permille, levels, status, created_at, decided_at, decided_by FROM person_match_reviews WHERE case_id = $1 OR candidate_case = $1 ORDER BY created_at, review_id LIMIT $2",
            ReviewKey::Id(case.0),
        )
        .await
    }

    async fn review_rows(
        &self,
        sql: &'static str,
        key: ReviewKey,
    ) -> Result<Vec<MatchReviewRow>, StoreError> {
        type Raw = (
            Uuid,
            Uuid,
            Uuid,
            i64,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<Uuid>,
        );
        let rows: Vec<Raw> = on_pool!(self, pool => {
            let query = sqlx::query(sql);
            let query = match &key {
                ReviewKey::Status(s) => query.bind(s.clone()),
                ReviewKey::Id(id) => query.bind(*id),
            };
            let rows = query.bind(REVIEW_LIST_LIMIT).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<Raw, sqlx::Error> {
                    Ok((
                        row.try_get("review_id")?,
                        row.try_get("case_id")?,
                        row.try_get("candidate_case")?,
                        row.try_get("probability_permille")?,
                        row.try_get("levels")?,
                        row.try_get("status")?,
                        row.try_get("created_at")?,
                        row.try_get("decided_at")?,
                        row.try_get("decided_by")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows
            .into_iter()
            .map(|r| MatchReviewRow {
                review_id: ReviewId(r.0),
                case_id: CaseId(r.1),
                candidate_case: CaseId(r.2),
                probability_permille: u16::try_from(r.3.clamp(0, 1000)).unwrap_or(0),
                levels: r.4,
                status: r.5,
                created_at: r.6,
                decided_at: r.7,
                decided_by: r.8.map(UserId),
            })
            .collect())
    }
}

enum ReviewKey {
    Status(String),
    Id(Uuid),
}

/// The statements that write `write`, each with whether it is a gate (it must change exactly
/// one row, else the write is stale).
pub(crate) fn person_statements(
    write: &PersonWrite<'_>,
) -> Result<Vec<(Statement, bool)>, StoreError> {
    let mut statements: Vec<(Statement, bool)> = Vec::new();
    for append in &write.appends {
        let person = append.person_id.0;
        let new_version = append.expected_version + append.events.len() as u64;
        if append.expected_version == 0 {
            statements.push((
                Statement::new(
                    NEW_PERSON,
                    vec![
                        Value::Uuid(person),
                        Value::I64(to_i64(new_version)),
                        Value::I64(append.state_after.referrals.len() as i64),
                        Value::OptUuid(append.state_after.joined_into.map(|p| p.0)),
                        Value::Timestamp(write.recorded_at),
                        Value::Timestamp(write.recorded_at),
                    ],
                ),
                true,
            ));
        } else {
            statements.push((
                Statement::new(
                    "UPDATE persons SET version = $1 WHERE person_id = $2 AND version = $3",
                    vec![
                        Value::I64(to_i64(new_version)),
                        Value::Uuid(person),
                        Value::I64(to_i64(append.expected_version)),
                    ],
                ),
                true,
            ));
        }
        for (i, event) in append.events.iter().enumerate() {
            let version = append.expected_version + 1 + i as u64;
            let body = serde_json::to_string(event)
                .map_err(|_| StoreError::Corrupt("a person event did not serialise".to_owned()))?;
            statements.push((
                Statement::new(
                    "INSERT INTO person_events (person_id, version, kind, body, actor_user, actor_organisation, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    vec![
                        Value::Uuid(person),
                        Value::I64(to_i64(version)),
                        Value::Text(event.kind().to_owned()),
                        Value::Text(body),
                        Value::Uuid(write.actor.user.0),
                        Value::Uuid(write.actor.organisation.0),
                        Value::Timestamp(write.recorded_at),
                    ],
                ),
                false,
            ));
        }
        for s in projection(append, new_version, write.recorded_at) {
            statements.push((s, false));
        }
    }
    if let Some(d) = write.decision {
        statements.push((
            Statement::new(
                "UPDATE person_match_reviews SET status = $1, decided_at = $2, decided_by = $3 WHERE review_id = $4 AND status = 'open'",
                vec![
                    Value::Text(if d.confirmed { "confirmed" } else { "rejected" }.to_owned()),
                    Value::Timestamp(write.recorded_at),
                    Value::Uuid(d.decided_by.0),
                    Value::Uuid(d.review_id.0),
                ],
            ),
            true,
        ));
    }
    for case in &write.replace_tokens_of {
        statements.push((
            Statement::new(
                "DELETE FROM person_link_tokens WHERE case_id = $1",
                vec![Value::Uuid(case.0)],
            ),
            false,
        ));
    }
    // The tokens in multi-row INSERTs: a referral has a few dozen, and each statement is a
    // round trip (PostgreSQL) or a hand-over to SQLite's connection thread.
    for chunk in write.tokens.chunks(TOKENS_PER_INSERT) {
        let sql = crate::group::merge::multi_row(TOKEN_INSERT, 3, chunk.len())
            .ok_or_else(|| StoreError::Corrupt("the token INSERT is not single-row".to_owned()))?;
        let values = chunk
            .iter()
            .flat_map(|(case, rule, token)| {
                [
                    Value::I64(i64::from(*rule)),
                    Value::I64(*token as i64),
                    Value::Uuid(case.0),
                ]
            })
            .collect();
        statements.push((Statement::new(sql, values), false));
    }
    for r in &write.reviews {
        statements.push((
            Statement::new(
                "INSERT INTO person_match_reviews (review_id, case_id, candidate_case, probability_permille, levels, status, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6) ON CONFLICT DO NOTHING",
                vec![
                    Value::Uuid(r.review_id.0),
                    Value::Uuid(r.case_id.0),
                    Value::Uuid(r.candidate_case.0),
                    Value::I64(i64::from(r.probability_permille.min(1000))),
                    Value::Text(r.levels.clone()),
                    Value::Timestamp(write.recorded_at),
                ],
            ),
            false,
        ));
    }
    Ok(statements)
}

/// What the group committer writes for a change to one person (`append`, the only one of
/// `write`, with no review decision).
pub(crate) fn person_job(
    append: &PersonAppend<'_>,
    statements: Vec<Statement>,
    write: &PersonWrite<'_>,
) -> Gated {
    Gated {
        statements,
        gate_at: 0,
        id: append.person_id.0,
        new_stream: (append.expected_version == 0).then_some("person_id"),
        claim_at: None,
        audit: Some((write.audit.clone(), write.recorded_at)),
    }
}
