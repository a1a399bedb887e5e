//! Merging the statements of several appends into fewer database calls. Pure.
//!
//! Every statement is a round trip (PostgreSQL) or a hand-over to SQLite's connection thread,
//! and under load those, not the disk, are what a batch waits on. When the appends of a batch
//! touch different cases, their statements commute: each append's own must keep their order,
//! but another append's may run before, after or together with them. So the batch runs in
//! rounds: round `r` is the `r`-th statement of every append, and single-row INSERTs of the
//! same table in a round become one multi-row INSERT.
//!
//! Only placeholders are generated here; values are always bound.

use std::borrow::Cow;

use crate::statement::{Statement, Value};

/// Bound values in one statement, kept below both engines' limits (SQLite 32,766; PostgreSQL
/// 65,535).
const MAX_VALUES: usize = 30_000;

/// One database call: SQL and the values to bind, in order.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub sql: Cow<'static, str>,
    pub values: Vec<Value>,
}

/// The placeholder list `$from, $from+1, …` of `count` values.
fn placeholders(from: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 5);
    for i in 0..count {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&(from + i).to_string());
    }
    out
}

/// `sql` as an INSERT of `rows` rows, if it is a single-row `INSERT … VALUES ($1, …, $k) …`
/// of exactly `columns` placeholders in order (anything after the list, such as `ON CONFLICT
/// DO NOTHING`, is kept); `None` for any other statement.
pub(crate) fn multi_row(sql: &str, columns: usize, rows: usize) -> Option<String> {
    if !sql.starts_with("INSERT INTO ") || columns == 0 {
        return None;
    }
    let open = sql.find(" VALUES (")? + " VALUES (".len();
    let close = open + sql.get(open..)?.find(')')?;
    if sql.get(open..close)? != placeholders(1, columns) {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + rows * columns * 6);
    out.push_str(sql.get(..open - 1)?);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        out.push_str(&placeholders(row * columns + 1, columns));
        out.push(')');
    }
    out.push_str(sql.get(close + 1..)?);
    Some(out)
}

/// Groups `statements` (all with the same SQL) into calls: multi-row INSERTs when the SQL is
/// one, else one call each.
fn group(statements: &[&Statement]) -> Vec<Call> {
    let Some(first) = statements.first() else {
        return Vec::new();
    };
    let columns = first.values.len();
    let fits = statements.iter().all(|s| s.values.len() == columns);
    let per_call = (MAX_VALUES / columns.max(1)).max(1);
    if fits && statements.len() > 1 && multi_row(&first.sql, columns, 1).is_some() {
        return statements
            .chunks(per_call)
            .map(|chunk| Call {
                sql: match chunk.len() {
                    1 => first.sql.clone(),
                    n => Cow::Owned(multi_row(&first.sql, columns, n).unwrap_or_default()),
                },
                values: chunk
                    .iter()
                    .flat_map(|s| s.values.iter().cloned())
                    .collect(),
            })
            .collect();
    }
    statements
        .iter()
        .map(|s| Call {
            sql: s.sql.clone(),
            values: s.values.clone(),
        })
        .collect()
}

/// The calls that run `appends` (each a list of statements to run in order), given that no
/// two of them touch the same rows: round by round, statements of the same SQL together, in
/// the order each SQL first appears in the round.
pub(crate) fn rounds(appends: &[&[Statement]]) -> Vec<Call> {
    let longest = appends.iter().map(|a| a.len()).max().unwrap_or(0);
    let mut calls = Vec::new();
    for round in 0..longest {
        let mut by_sql: Vec<(&str, Vec<&Statement>)> = Vec::new();
        for statement in appends.iter().filter_map(|a| a.get(round)) {
            match by_sql
                .iter_mut()
                .find(|(sql, _)| *sql == statement.sql.as_ref())
            {
                Some((_, same)) => same.push(statement),
                None => by_sql.push((statement.sql.as_ref(), vec![statement])),
            }
        }
        for (_, same) in by_sql {
            calls.extend(group(&same));
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(n: i64) -> Statement {
        Statement::new(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![Value::I64(n), Value::I64(-n)],
        )
    }

    fn update(n: i64) -> Statement {
        Statement::new(
            "UPDATE t SET b = $1 WHERE a = $2",
            vec![Value::I64(0), Value::I64(n)],
        )
    }

    fn numbers(call: &Call) -> Vec<i64> {
        call.values
            .iter()
            .map(|v| match v {
                Value::I64(n) => *n,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn a_single_row_insert_becomes_a_multi_row_one_keeping_what_follows_the_values() {
        assert_eq!(
            multi_row(
                "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                2,
                3
            )
            .as_deref(),
            Some("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING")
        );
        assert_eq!(
            multi_row("INSERT INTO t (a) VALUES ($1)", 1, 2).as_deref(),
            Some("INSERT INTO t (a) VALUES ($1), ($2)")
        );
    }

    #[test]
    fn anything_but_a_plain_single_row_insert_is_left_alone() {
        for sql in [
            "UPDATE t SET a = $1 WHERE b = $2",
            "INSERT INTO t (a, b) VALUES ($2, $1)",
            "INSERT INTO t (a, b) VALUES ($1, 'x')",
            "INSERT INTO t (a, b) SELECT $1, $2",
            "DELETE FROM t WHERE a = $1",
        ] {
            assert_eq!(multi_row(sql, 2, 2), None, "{sql}");
        }
        // The placeholder count must match the values.
        assert_eq!(
            multi_row("INSERT INTO t (a, b) VALUES ($1, $2)", 3, 2),
            None
        );
    }

    #[test]
    fn rounds_keep_each_appends_order_and_merge_the_same_insert_across_appends() {
        let a = [insert(1), update(1), insert(10)];
        let b = [insert(2), update(2)];
        let c = [insert(3)];
        let calls = rounds(&[&a, &b, &c]);
        let shape: Vec<(&str, Vec<i64>)> = calls
            .iter()
            .map(|call| (call.sql.as_ref(), numbers(call)))
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)",
                    vec![1, -1, 2, -2, 3, -3]
                ),
                ("UPDATE t SET b = $1 WHERE a = $2", vec![0, 1]),
                ("UPDATE t SET b = $1 WHERE a = $2", vec![0, 2]),
                ("INSERT INTO t (a, b) VALUES ($1, $2)", vec![10, -10]),
            ]
        );
    }

    #[test]
    fn every_statement_is_run_exactly_once() {
        let appends: Vec<Vec<Statement>> = (0..50)
            .map(|i| (0..(i % 4)).map(|j| insert(i * 10 + j)).collect())
            .collect();
        let slices: Vec<&[Statement]> = appends.iter().map(Vec::as_slice).collect();
        let mut seen: Vec<i64> = rounds(&slices)
            .iter()
            .flat_map(numbers)
            .filter(|n| *n >= 0)
            .collect();
        seen.sort_unstable();
        let mut expected: Vec<i64> = (0..50)
            .flat_map(|i| (0..(i % 4)).map(move |j| i * 10 + j))
            .collect();
        expected.sort_unstable();
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_very_large_round_is_split_below_the_bound_value_limit() {
        let many: Vec<Vec<Statement>> = (0..20_000).map(|i| vec![insert(i)]).collect();
        let slices: Vec<&[Statement]> = many.iter().map(Vec::as_slice).collect();
        let calls = rounds(&slices);
        assert_eq!(calls.len(), 2);
        assert!(calls.iter().all(|c| c.values.len() <= MAX_VALUES));
        assert_eq!(calls.iter().map(|c| c.values.len()).sum::<usize>(), 40_000);
    }
}
