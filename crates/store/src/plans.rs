//! Query plans as each engine would run them, as lists of steps, for the tests that hold a
//! query to its indexes: SQLite's `EXPLAIN QUERY PLAN` details, or PostgreSQL's JSON plan
//! flattened to one line per node (its type, table, index, whether it filters, its index
//! condition). On PostgreSQL a plan may be asked for as a prepared statement's generic plan,
//! the one made for any values, which statements run often end up using.

use chrono::NaiveDate;
use sqlx::Row;

use crate::{Store, StoreError};

/// A parameter of a query whose plan is asked for.
pub(crate) enum Param {
    Id(uuid::Uuid),
    Int(i64),
    Day(NaiveDate),
}

impl Store {
    /// The plan of one query with these parameters, as steps (the statistics walk's and the
    /// sweep pages' plan tests). `generic`: on PostgreSQL, the plan made for any parameters,
    /// which a prepared statement run often ends up using (SQLite's plans never depend on the
    /// values bound).
    pub(crate) async fn plan_of(
        &self,
        sql: &str,
        params: &[Param],
        generic: bool,
    ) -> Result<Vec<String>, StoreError> {
        macro_rules! bound {
            ($sql:expr) => {{
                let mut query = sqlx::query(sqlx::AssertSqlSafe($sql));
                for p in params {
                    query = match p {
                        Param::Id(v) => query.bind(*v),
                        Param::Int(v) => query.bind(*v),
                        Param::Day(v) => query.bind(*v),
                    };
                }
                query
            }};
        }
        Ok(match &self.pool {
            crate::Pool::Sqlite(pool) => {
                let rows = bound!(format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|row| row.try_get::<String, _>("detail"))
                    .collect::<Result<Vec<_>, _>>()?
            }
            crate::Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await?;
                let rows = if generic {
                    // A prepared statement's generic plan: the one made for any values (the
                    // parameters stay `$n`), which sqlx's cached statements end up running.
                    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!("PREPARE nrm_plan AS {sql}")))
                        .execute(&mut *tx)
                        .await?;
                    let values: Vec<String> = params
                        .iter()
                        .map(|p| match p {
                            Param::Id(v) => format!("'{v}'::uuid"),
                            Param::Int(v) => v.to_string(),
                            Param::Day(v) => format!("'{v}'::date"),
                        })
                        .collect();
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "EXPLAIN (FORMAT JSON) EXECUTE nrm_plan({})",
                        values.join(", ")
                    )))
                    .fetch_all(&mut *tx)
                    .await?;
                    // Prepared statements outlive transactions.
                    sqlx::query("DEALLOCATE nrm_plan").execute(&mut *tx).await?;
                    rows
                } else {
                    bound!(format!("EXPLAIN (FORMAT JSON) {sql}"))
                        .fetch_all(&mut *tx)
                        .await?
                };
                tx.rollback().await?;
                let mut steps = Vec::new();
                for row in &rows {
                    let json: String = row.try_get_unchecked(0)?;
                    let value: serde_json::Value = serde_json::from_str(&json)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                    postgres_steps(&value, &mut steps);
                }
                steps
            }
        })
    }
}

/// Flattens a PostgreSQL JSON plan into one line per node.
pub(crate) fn postgres_steps(value: &serde_json::Value, steps: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) => items.iter().for_each(|v| postgres_steps(v, steps)),
        serde_json::Value::Object(map) => {
            if let Some(plan) = map.get("Plan") {
                postgres_steps(plan, steps);
                return;
            }
            if let Some(node) = map.get("Node Type").and_then(|v| v.as_str()) {
                let mut line = node.to_owned();
                if let Some(rel) = map.get("Relation Name").and_then(|v| v.as_str()) {
                    line.push_str(&format!(" on {rel}"));
                }
                if let Some(index) = map.get("Index Name").and_then(|v| v.as_str()) {
                    line.push_str(&format!(" using {index}"));
                }
                if map.contains_key("Filter") {
                    line.push_str(" filtered");
                }
                if let Some(cond) = map.get("Index Cond").and_then(|v| v.as_str()) {
                    line.push_str(&format!(" where {cond}"));
                }
                steps.push(line);
            }
            if let Some(children) = map.get("Plans") {
                postgres_steps(children, steps);
            }
        }
        _ => {}
    }
}
