//! Merging the statements of several appends into fewer database calls. Pure.
//!
//! Every statement is a round trip (PostgreSQL) or a hand-over to SQLite's connection thread,
//! and under load those, not the disk, are what a batch waits on. When the appends of a batch
//! touch different cases, their statements commute: each append's own must keep their order,
//! but another append's may run before, after or together with them. So the batch runs table
//! by table ([`schedule`]): the INSERTs of one table and columns become one multi-row INSERT
//! (whatever rows each carried), the same one-key DELETEs one `DELETE … IN (…)`.
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

/// How a statement is merged with others.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `INSERT … VALUES (…), (…) …` of single rows of `columns` placeholders, in order: merged
    /// with every INSERT of the same single-row form (`single`), whatever their row counts.
    Insert { single: String, columns: usize },
    /// `DELETE FROM t WHERE c = $1`: merged with the same DELETEs as one `WHERE c IN (…)`.
    DeleteOne,
    /// Anything else: one call of its own.
    Other,
}

impl Shape {
    fn of(statement: &Statement) -> Self {
        if let Some((single, columns)) = insert_rows(&statement.sql, statement.values.len()) {
            return Shape::Insert { single, columns };
        }
        if delete_one(&statement.sql, statement.values.len()).is_some() {
            return Shape::DeleteOne;
        }
        Shape::Other
    }

    /// What statements are grouped by: the same key, the same shape.
    fn key<'a>(&'a self, statement: &'a Statement) -> &'a str {
        match self {
            Shape::Insert { single, .. } => single,
            Shape::DeleteOne | Shape::Other => statement.sql.as_ref(),
        }
    }
}

/// For `INSERT … VALUES ($1, …, $c), ($c+1, …), … rest` with `values` values in all: its
/// single-row form `INSERT … VALUES ($1, …, $c) rest` and `c`. `None` for anything else.
fn insert_rows(sql: &str, values: usize) -> Option<(String, usize)> {
    if !sql.starts_with("INSERT INTO ") {
        return None;
    }
    let open = sql.find(" VALUES (")? + " VALUES ".len();
    let bytes = sql.as_bytes();
    let mut at = open;
    let mut next = 1usize;
    let mut columns: Option<usize> = None;
    loop {
        if bytes.get(at) != Some(&b'(') {
            return None;
        }
        at += 1;
        let mut count = 0usize;
        loop {
            if bytes.get(at) != Some(&b'$') {
                return None;
            }
            at += 1;
            let digits = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if sql.get(digits..at)?.parse::<usize>().ok()? != next {
                return None;
            }
            next += 1;
            count += 1;
            if sql.get(at..at + 2) == Some(", ") {
                at += 2;
            } else if bytes.get(at) == Some(&b')') {
                at += 1;
                break;
            } else {
                return None;
            }
        }
        if *columns.get_or_insert(count) != count {
            return None;
        }
        if sql.get(at..at + 3) == Some(", (") {
            at += 2;
        } else {
            break;
        }
    }
    let columns = columns?;
    if next - 1 != values {
        return None;
    }
    let single = format!(
        "{}({}){}",
        sql.get(..open)?,
        placeholders(1, columns),
        sql.get(at..)?
    );
    Some((single, columns))
}

/// For `DELETE FROM t WHERE c = $1` (one bound value, plain names): `DELETE FROM t WHERE c`.
fn delete_one(sql: &str, values: usize) -> Option<&str> {
    let head = sql.strip_suffix(" = $1").filter(|_| values == 1)?;
    let (table, column) = head.strip_prefix("DELETE FROM ")?.split_once(" WHERE ")?;
    let plain = |name: &str| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    (plain(table) && plain(column)).then_some(head)
}

/// Groups `statements` (all with the same key and `shape`) into calls: multi-row INSERTs, one
/// DELETE of a list, else one call each.
fn group(shape: &Shape, statements: &[&Statement]) -> Vec<Call> {
    let Some(first) = statements.first() else {
        return Vec::new();
    };
    match shape {
        Shape::Insert { single, columns } => {
            let columns = *columns;
            let values: Vec<&Value> = statements.iter().flat_map(|s| s.values.iter()).collect();
            let rows_per_call = (MAX_VALUES / columns).max(1);
            values
                .chunks(rows_per_call * columns)
                .map(|chunk| Call {
                    sql: match chunk.len() / columns {
                        1 => Cow::Owned(single.clone()),
                        n => Cow::Owned(multi_row(single, columns, n).unwrap_or_default()),
                    },
                    values: chunk.iter().map(|v| (*v).clone()).collect(),
                })
                .collect()
        }
        Shape::DeleteOne if statements.len() > 1 => {
            let head = delete_one(&first.sql, 1).unwrap_or_default();
            let values: Vec<&Value> = statements.iter().flat_map(|s| s.values.iter()).collect();
            values
                .chunks(MAX_VALUES)
                .map(|chunk| Call {
                    sql: Cow::Owned(format!("{head} IN ({})", placeholders(1, chunk.len()))),
                    values: chunk.iter().map(|v| (*v).clone()).collect(),
                })
                .collect()
        }
        Shape::DeleteOne | Shape::Other => statements
            .iter()
            .map(|s| Call {
                sql: s.sql.clone(),
                values: s.values.clone(),
            })
            .collect(),
    }
}

/// The calls that run `appends` (each a list of statements to run in order), given that no
/// two of them touch the same rows, so that only each append's own order matters.
///
/// Each step runs the next statement of every append whose next statement has one key (the
/// same SQL, or the same single-row INSERT), merged: first a key no append still has further
/// on (running it now never leaves one to run again later), of those the one most appends
/// are at, then the first met. Appends of one kind, at different points of their lists (a
/// new case and a new person, a new person and a person referred again), so meet at each
/// table once, where running them position by position met each table once per position.
pub(crate) fn schedule(appends: &[&[Statement]]) -> Vec<Call> {
    let shapes: Vec<Vec<Shape>> = appends
        .iter()
        .map(|a| a.iter().map(Shape::of).collect())
        .collect();
    let key = |i: usize, j: usize| shapes[i][j].key(&appends[i][j]);
    let mut next = vec![0usize; appends.len()];
    let mut calls = Vec::new();
    loop {
        // The keys appends are at, in the order first met, with how many are at each.
        let mut heads: Vec<(&str, usize)> = Vec::new();
        for (i, &at) in next.iter().enumerate() {
            if at < appends[i].len() {
                let k = key(i, at);
                match heads.iter_mut().find(|(h, _)| *h == k) {
                    Some((_, n)) => *n += 1,
                    None => heads.push((k, 1)),
                }
            }
        }
        let later = |k: &str| {
            next.iter()
                .enumerate()
                .any(|(i, &at)| (at + 1..appends[i].len()).any(|j| key(i, j) == k))
        };
        let Some(pick) = heads
            .iter()
            .enumerate()
            .max_by_key(|(order, (k, n))| (!later(k), *n, std::cmp::Reverse(*order)))
            .map(|(_, (k, _))| k.to_owned())
        else {
            break;
        };
        let mut same: Vec<&Statement> = Vec::new();
        let mut shape = &Shape::Other;
        for (i, at) in next.iter_mut().enumerate() {
            if *at < appends[i].len() && shapes[i][*at].key(&appends[i][*at]) == pick {
                shape = &shapes[i][*at];
                same.push(&appends[i][*at]);
                *at += 1;
            }
        }
        calls.extend(group(shape, &same));
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

    fn sql_and_numbers(calls: &[Call]) -> Vec<(&str, Vec<i64>)> {
        calls
            .iter()
            .map(|call| (call.sql.as_ref(), numbers(call)))
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
    fn each_appends_order_is_kept_and_the_same_insert_merged_across_appends() {
        let a = [insert(1), update(1), insert(10)];
        let b = [insert(2), update(2)];
        let c = [insert(3)];
        let calls = schedule(&[&a, &b, &c]);
        assert_eq!(
            sql_and_numbers(&calls),
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
        let mut seen: Vec<i64> = schedule(&slices)
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

    fn insert_rows_of(first: i64, rows: i64) -> Statement {
        let sql =
            multi_row("INSERT INTO t (a, b) VALUES ($1, $2)", 2, rows as usize).unwrap_or_default();
        Statement::new(
            sql,
            (first..first + rows)
                .flat_map(|n| [Value::I64(n), Value::I64(-n)])
                .collect(),
        )
    }

    fn delete(n: i64) -> Statement {
        Statement::new("DELETE FROM t WHERE a = $1", vec![Value::I64(n)])
    }

    #[test]
    fn inserts_of_one_table_merge_whatever_rows_each_carried() {
        let a = [insert_rows_of(1, 3)];
        let b = [insert(7)];
        let c = [insert_rows_of(20, 2)];
        let calls = schedule(&[&a, &b, &c]);
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].sql,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10), ($11, $12)"
        );
        assert_eq!(
            numbers(&calls[0]),
            vec![1, -1, 2, -2, 3, -3, 7, -7, 20, -20, 21, -21]
        );
    }

    #[test]
    fn the_same_one_key_deletes_become_one_delete_of_a_list() {
        let a = [delete(1), insert(1)];
        let b = [delete(2), insert(2)];
        let calls = schedule(&[&a, &b]);
        assert_eq!(
            sql_and_numbers(&calls),
            vec![
                ("DELETE FROM t WHERE a IN ($1, $2)", vec![1, 2]),
                (
                    "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)",
                    vec![1, -1, 2, -2]
                ),
            ]
        );
        // One DELETE alone is left as it was; other DELETEs are never merged.
        let lone = [delete(3)];
        assert_eq!(schedule(&[&lone])[0].sql, "DELETE FROM t WHERE a = $1");
        for sql in [
            "DELETE FROM t WHERE a = $1 AND b = $2",
            "DELETE FROM t WHERE a < $1",
            "DELETE FROM t",
        ] {
            assert_eq!(delete_one(sql, 1), None, "{sql}");
        }
    }

    #[test]
    fn appends_at_different_points_meet_at_each_table_once() {
        // A new person's list and a person referred again (one statement more first): run
        // position by position, every later table took two calls.
        let again = [update(1), insert(1), delete(1), insert_rows_of(100, 3)];
        let new = [insert(2), delete(2), insert_rows_of(200, 2)];
        let calls = schedule(&[&again, &new]);
        let shape: Vec<&str> = calls.iter().map(|c| c.sql.as_ref()).collect();
        assert_eq!(
            shape,
            vec![
                "UPDATE t SET b = $1 WHERE a = $2",
                "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)",
                "DELETE FROM t WHERE a IN ($1, $2)",
                "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10)",
            ]
        );
    }

    #[test]
    fn the_rows_of_an_insert_are_read_only_from_the_shape_made_here() {
        assert_eq!(
            insert_rows(
                "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING",
                4
            ),
            Some((
                "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING".to_owned(),
                2
            ))
        );
        for (sql, values) in [
            ("INSERT INTO t (a, b) VALUES ($1, $2), ($3)", 3),
            ("INSERT INTO t (a, b) VALUES ($1, $2), ($4, $3)", 4),
            ("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", 3),
            ("INSERT INTO t (a, b) SELECT $1, $2", 2),
            ("INSERT INTO t (a, b) VALUES ($1, now())", 1),
        ] {
            assert_eq!(insert_rows(sql, values), None, "{sql}");
        }
    }

    #[test]
    fn each_appends_statements_run_in_its_own_order() {
        // Values 1000·i + j: append i's j-th statement, of three kinds in turn, lists of
        // different lengths starting at different kinds.
        let appends: Vec<Vec<Statement>> = (0..20i64)
            .map(|i| {
                (0..(i % 5 + 1))
                    .map(|j| {
                        let n = 1000 * i + j;
                        match (i + j) % 3 {
                            0 => insert(n),
                            1 => update(n),
                            _ => delete(n),
                        }
                    })
                    .collect()
            })
            .collect();
        let slices: Vec<&[Statement]> = appends.iter().map(Vec::as_slice).collect();
        let order: Vec<i64> = schedule(&slices)
            .iter()
            .flat_map(|c| {
                let step = if c.sql.starts_with("INSERT") { 2 } else { 1 };
                let skip = usize::from(c.sql.starts_with("UPDATE"));
                numbers(c)
                    .into_iter()
                    .skip(skip)
                    .step_by(step)
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut expected: Vec<i64> = (0..20i64)
            .flat_map(|i| (0..(i % 5 + 1)).map(move |j| 1000 * i + j))
            .collect();
        let mut seen = order.clone();
        seen.sort_unstable();
        expected.sort_unstable();
        assert_eq!(seen, expected);
        for i in 0..20 {
            let mine: Vec<i64> = order.iter().copied().filter(|n| n / 1000 == i).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "append {i}: {mine:?}");
        }
    }

    #[test]
    fn a_very_large_round_is_split_below_the_bound_value_limit() {
        let many: Vec<Vec<Statement>> = (0..20_000).map(|i| vec![insert(i)]).collect();
        let slices: Vec<&[Statement]> = many.iter().map(Vec::as_slice).collect();
        let calls = schedule(&slices);
        assert_eq!(calls.len(), 2);
        assert!(calls.iter().all(|c| c.values.len() <= MAX_VALUES));
        assert_eq!(calls.iter().map(|c| c.values.len()).sum::<usize>(), 40_000);
    }
}
