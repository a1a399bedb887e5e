//! Suppressed tables cannot be reversed from their margins: for any table, after disclosure
//! control no withheld cell's value follows from the published cells and the table's totals.
//! Checked by linear algebra (the withheld cell's unit vector is not in the row space of the
//! equations over the withheld cells), independently of the graph argument the module uses.

use nrm_stats::disclosure::{Policy, Shown, Symbol, protect, suppress};
use nrm_stats::tables::{Cell, Column, ColumnKind, Row, Table};
use proptest::prelude::*;

fn table(values: &[Vec<u64>], total_column: bool, total_row: bool) -> Table {
    let width = values.first().map_or(0, Vec::len);
    let mut columns: Vec<Column> = (0..width)
        .map(|c| Column {
            heading: format!("c{c}"),
            kind: ColumnKind::Count,
        })
        .collect();
    if total_column {
        columns.push(Column {
            heading: "Total".to_owned(),
            kind: ColumnKind::Total,
        });
    }
    let mut rows: Vec<Row> = values
        .iter()
        .enumerate()
        .map(|(r, v)| {
            let mut cells: Vec<Cell> = v.iter().map(|n| Cell::Count(*n)).collect();
            if total_column {
                cells.push(Cell::Count(v.iter().sum()));
            }
            Row {
                label: format!("r{r}"),
                cells,
            }
        })
        .collect();
    if total_row {
        let sums: Vec<Cell> = (0..columns.len())
            .map(|c| Cell::Count(rows.iter().filter_map(|r| r.cells[c].count()).sum()))
            .collect();
        rows.push(Row {
            label: "Total".to_owned(),
            cells: sums,
        });
    }
    Table {
        id: "t".to_owned(),
        title: "t".to_owned(),
        definition: String::new(),
        row_heading: "r".to_owned(),
        columns,
        rows,
        total_row,
    }
}

/// The equations a reader knows, over the withheld cells only (one coefficient per withheld
/// cell): each row's parts minus its total, each column's rows minus its total.
fn equations(t: &Table, withheld: &[(usize, usize)]) -> Vec<Vec<f64>> {
    let total_column = t.columns.iter().position(|c| c.kind == ColumnKind::Total);
    let rows = t.rows.len();
    let body_rows = if t.total_row { rows - 1 } else { rows };
    let mut out = Vec::new();
    let coefficient = |cells: &[((usize, usize), f64)]| -> Vec<f64> {
        withheld
            .iter()
            .map(|w| {
                cells
                    .iter()
                    .find(|(at, _)| at == w)
                    .map_or(0.0, |(_, k)| *k)
            })
            .collect()
    };
    if let Some(tc) = total_column {
        for r in 0..rows {
            let mut cells: Vec<((usize, usize), f64)> = (0..t.columns.len())
                .filter(|c| *c != tc)
                .map(|c| ((r, c), 1.0))
                .collect();
            cells.push(((r, tc), -1.0));
            out.push(coefficient(&cells));
        }
    }
    if t.total_row {
        for c in 0..t.columns.len() {
            let mut cells: Vec<((usize, usize), f64)> =
                (0..body_rows).map(|r| ((r, c), 1.0)).collect();
            cells.push(((rows - 1, c), -1.0));
            out.push(coefficient(&cells));
        }
    }
    out
}

fn rank(mut m: Vec<Vec<f64>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..m.len()).find(|r| m[*r][c].abs() > 1e-9) else {
            continue;
        };
        m.swap(rank, p);
        let pivot = m[rank][c];
        for r in 0..m.len() {
            if r != rank && m[r][c].abs() > 1e-9 {
                let k = m[r][c] / pivot;
                let pivot_row = m[rank].clone();
                for (x, p) in m[r].iter_mut().zip(&pivot_row) {
                    *x -= k * p;
                }
            }
        }
        rank += 1;
    }
    rank
}

/// The withheld cells whose value a reader can work out exactly.
fn reversible(t: &Table, withheld: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let a = equations(t, withheld);
    let base = rank(a.clone());
    withheld
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let mut with = a.clone();
            with.push(
                (0..withheld.len())
                    .map(|j| f64::from(u8::from(j == *k)))
                    .collect(),
            );
            rank(with) == base
        })
        .map(|(_, w)| *w)
        .collect()
}

#[test]
fn the_checker_finds_a_cell_left_alone_in_its_row() {
    // Withholding only the 3 leaves it equal to the total minus the rest.
    let t = table(&[vec![3, 10, 12], vec![20, 30, 40]], true, true);
    assert_eq!(reversible(&t, &[(0, 0)]), vec![(0, 0)]);
    // Two in a row and two in a column (a rectangle) protect each other.
    let rect = [(0, 0), (0, 1), (1, 0), (1, 1)];
    assert!(reversible(&t, &rect).is_empty());
}

#[test]
fn a_small_count_is_withheld_with_a_partner_in_its_row_and_column() {
    let t = table(&[vec![3, 10, 12], vec![20, 30, 40]], true, true);
    let published = protect(
        &t,
        Policy {
            threshold: 5,
            rounding_base: 1,
        },
    );
    let c = Shown::Symbol(Symbol::Confidential);
    assert_eq!(published.rows[0].cells[0], c);
    assert_eq!(published.primary_suppressed, 1);
    assert!(published.secondary_suppressed >= 3, "{published:?}");
    let withheld: Vec<(usize, usize)> = published
        .rows
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.cells
                .iter()
                .enumerate()
                .filter(|(_, s)| **s == c)
                .map(move |(col, _)| (r, col))
        })
        .collect();
    assert!(reversible(&t, &withheld).is_empty());
}

#[test]
fn rounding_and_percentages_follow_the_published_counts() {
    let mut t = table(&[vec![13, 7], vec![22, 0]], true, true);
    t.columns.push(Column {
        heading: "Positive (%)".to_owned(),
        kind: ColumnKind::Percent {
            numerator: 0,
            denominator: 2,
        },
    });
    for row in &mut t.rows {
        row.cells.push(Cell::Derived);
    }
    let p = protect(
        &t,
        Policy {
            threshold: 0,
            rounding_base: 5,
        },
    );
    assert_eq!(p.rows[0].cells[0], Shown::Count(15));
    assert_eq!(p.rows[0].cells[1], Shown::Count(5));
    assert_eq!(p.rows[0].cells[2], Shown::Count(20));
    assert_eq!(p.rows[0].cells[3], Shown::Percent(75));
    assert_eq!(p.rows[1].cells[1], Shown::Count(0));
    let p = protect(&t, Policy::NONE);
    assert_eq!(p.rows[0].cells[3], Shown::Percent(65));
    let p = protect(&t, Policy::default());
    // Nothing here is below the default threshold of 5.
    assert_eq!(p.rows[0].cells[3], Shown::Percent(65));
}

fn tables() -> impl Strategy<Value = (Vec<Vec<u64>>, bool, bool, u64)> {
    (1usize..7, 1usize..6).prop_flat_map(|(rows, cols)| {
        (
            prop::collection::vec(
                prop::collection::vec(prop_oneof![0u64..4, 0u64..12, 0u64..60], cols),
                rows,
            ),
            any::<bool>(),
            any::<bool>(),
            2u64..11,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_withheld_cell_can_be_worked_out_from_the_published_cells(
        (values, total_column, total_row, threshold) in tables()
    ) {
        let t = table(&values, total_column, total_row);
        let (primary, secondary) = suppress(&t, threshold);
        // Every small count is withheld.
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.cells.iter().enumerate() {
                if let Cell::Count(n) = cell
                    && *n > 0 && *n < threshold
                {
                    prop_assert!(primary.contains(&(r, c)), "{r},{c} = {n}");
                }
            }
        }
        let withheld: Vec<(usize, usize)> = primary.iter().chain(&secondary).copied().collect();
        let open = reversible(&t, &withheld);
        prop_assert!(open.is_empty(), "reversible: {open:?} of {withheld:?} in {values:?}");
        // The published table shows [c] exactly where cells are withheld.
        let p = protect(&t, Policy { threshold, rounding_base: 1 });
        for (r, row) in p.rows.iter().enumerate() {
            for (c, shown) in row.cells.iter().enumerate() {
                prop_assert_eq!(
                    *shown == Shown::Symbol(Symbol::Confidential),
                    withheld.contains(&(r, c))
                );
                if let Shown::Count(n) = shown {
                    prop_assert_eq!(Some(*n), t.count(r, c));
                }
            }
        }
    }
}
