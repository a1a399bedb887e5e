//! Backend-neutral SQL statements: static SQL with `$N` placeholders plus typed values.
//!
//! Write paths build a list of these (pure, testable) and [`execute_all!`] runs them inside
//! one transaction on whichever engine is configured.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Bool(bool),
    I64(i64),
    Timestamp(DateTime<Utc>),
    OptTimestamp(Option<DateTime<Utc>>),
    Bytes(Vec<u8>),
}

/// One SQL statement and its values. The SQL is static or built from a fixed set of
/// column names (never from data), so it is safe to run as is.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub sql: Cow<'static, str>,
    pub values: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<Cow<'static, str>>, values: Vec<Value>) -> Self {
        Self {
            sql: sql.into(),
            values,
        }
    }
}

/// Binds `$values` (a `&[Value]` or `&Vec<Value>`) to `$query`, in order.
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            use $crate::statement::Value;
            query = match value {
                Value::Uuid(v) => query.bind(*v),
                Value::OptUuid(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.clone()),
                Value::OptText(v) => query.bind(v.clone()),
                Value::Date(v) => query.bind(*v),
                Value::OptDate(v) => query.bind(*v),
                Value::Bool(v) => query.bind(*v),
                Value::I64(v) => query.bind(*v),
                Value::Timestamp(v) => query.bind(*v),
                Value::OptTimestamp(v) => query.bind(*v),
                Value::Bytes(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}
pub(crate) use bind_values;

/// Executes statements in order on an open transaction `$tx`, returning the rows affected by
/// each, or the first error.
macro_rules! execute_all {
    ($tx:expr, $statements:expr) => {{
        let mut affected: Vec<u64> = Vec::new();
        let mut failure: Option<sqlx::Error> = None;
        for statement in $statements {
            let query = $crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(statement.sql.clone())),
                &statement.values
            );
            match query.execute(&mut *$tx).await {
                Ok(result) => affected.push(result.rows_affected()),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(affected),
        }
    }};
}
pub(crate) use execute_all;

/// `sql` with its `$1, $2, … $n` written as SQLite's anonymous `?`, when each appears once
/// and in order (as in the multi-row statements the store builds: the group committer's
/// merged statements, [`Store::write_each`](crate::Store::write_each)'s); otherwise `sql` as
/// it is.
///
/// SQLite keeps numbered and named parameters in a list it searches from the start for each
/// one, when the statement is parsed and again when sqlx asks each parameter's name to bind
/// it: work that grows with the square of the parameters. A batch's merged INSERT of link
/// tokens has thousands, and at intake's concurrency that search was the committer's largest
/// single cost. Anonymous parameters are numbered as they are met and have no name to find.
pub(crate) fn anonymous_placeholders(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1u64;
    let mut copied = 0;
    let mut i = 0;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let number = sql
                    .get(i + 1..i + 1 + digits)
                    .and_then(|d| d.parse::<u64>().ok());
                if number != Some(expected) {
                    return Cow::Borrowed(sql);
                }
                expected += 1;
                out.push_str(&sql[copied..i]);
                out.push('?');
                i += 1 + digits;
                copied = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if expected == 1 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

/// A statement's SQL as the pool's engine is best given it (see [`anonymous_placeholders`]).
pub(crate) trait Dialect {
    fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str>;
}

impl Dialect for sqlx::SqlitePool {
    fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        anonymous_placeholders(sql)
    }
}

impl Dialect for sqlx::PgPool {
    fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::anonymous_placeholders;

    #[test]
    fn placeholders_in_order_become_anonymous_and_any_other_form_is_kept() {
        assert_eq!(
            anonymous_placeholders("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            anonymous_placeholders("UPDATE t SET s = 'a$1' WHERE id = $1 AND v = $2"),
            "UPDATE t SET s = 'a$1' WHERE id = ? AND v = ?"
        );
        // A parameter used twice, or out of order, keeps its number.
        for kept in [
            "SELECT * FROM t WHERE a = $1 OR b = $1",
            "SELECT * FROM t WHERE a = $2 AND b = $1",
            "SELECT * FROM t WHERE a = $1 AND b = $3",
            "SELECT 1",
        ] {
            assert!(matches!(
                anonymous_placeholders(kept),
                std::borrow::Cow::Borrowed(s) if s == kept
            ));
        }
    }
}
