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
