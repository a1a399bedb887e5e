//! Disclosure control: what may be published of a table.
//!
//! 1. Primary suppression: a count from 1 to `threshold - 1` is withheld (`[c]`).
//! 2. Secondary suppression: a table's totals are linear equations over its cells (each row's
//!    counts add up to its total column; each column's rows add up to the total row). Take a
//!    graph with a node per equation and an edge per withheld cell joining the two equations it
//!    is in (a shared "no equation" node where it is in only one). A withheld cell can be worked
//!    out from the published cells exactly when its edge is a bridge of that graph; otherwise
//!    it lies on a cycle, and adding one to it and taking one away round the cycle gives another
//!    table with the same published cells. So cells are withheld, smallest first from the
//!    bridge's own row or column, until no withheld cell is a bridge. (The equations, signed so
//!    that each cell has the same sign in both of its equations, are the incidence equations
//!    of that graph, whose solutions are its cycles.)
//! 3. Rounding: every count still shown is rounded to the nearest multiple of `rounding_base`
//!    (halves up); totals are rounded on their own, so rounded tables need not add up.
//! 4. Percentages are worked out from the published counts, and withheld (`[c]`) when either
//!    is; medians are withheld when fewer than `threshold` cases are behind them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::period::Period;
use crate::tables::{Cell, Column, ColumnKind, Table, Tables};

/// The disclosure-control settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Counts from 1 to `threshold - 1` are withheld; 0 or 1 turns suppression off.
    pub threshold: u64,
    /// Counts shown are rounded to a multiple of this; 1 turns rounding off.
    pub rounding_base: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            threshold: 5,
            rounding_base: 1,
        }
    }
}

impl Policy {
    /// No suppression and no rounding: the analysts' own working tables.
    pub const NONE: Self = Self {
        threshold: 0,
        rounding_base: 1,
    };
}

/// The standard symbols of the Government Statistical Service's guidance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Symbol {
    /// `[c]`: confidential, withheld to protect confidentiality.
    #[serde(rename = "[c]")]
    Confidential,
    /// `[x]`: not available (nothing to work it out from).
    #[serde(rename = "[x]")]
    NotAvailable,
}

impl Symbol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "[c]",
            Self::NotAvailable => "[x]",
        }
    }
}

/// A published cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    Count(u64),
    /// A whole percentage.
    Percent(u64),
    Days(f64),
    Symbol(Symbol),
}

impl Shown {
    /// The cell as text: digits, or the symbol.
    pub fn text(self) -> String {
        match self {
            Self::Count(n) | Self::Percent(n) => n.to_string(),
            Self::Days(d) => format_days(d),
            Self::Symbol(s) => s.as_str().to_owned(),
        }
    }

    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            _ => None,
        }
    }
}

fn format_days(d: f64) -> String {
    if d.fract() == 0.0 {
        format!("{d:.0}")
    } else {
        format!("{d:.1}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRow {
    pub label: String,
    pub cells: Vec<Shown>,
}

/// A table as it may be published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedTable {
    pub id: String,
    pub title: String,
    pub definition: String,
    pub row_heading: String,
    pub columns: Vec<Column>,
    pub rows: Vec<PublishedRow>,
    pub total_row: bool,
    /// Cells withheld by the threshold, and to protect them.
    pub primary_suppressed: usize,
    pub secondary_suppressed: usize,
}

/// Every table of a period, as it may be published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    pub period: Period,
    pub as_at: NaiveDate,
    pub policy: Policy,
    pub tables: Vec<PublishedTable>,
}

impl Publication {
    /// The notes every output carries: the symbols and the disclosure control.
    pub fn notes(&self) -> Vec<(String, String)> {
        let mut notes = vec![
            (
                "Symbols".to_owned(),
                "[c] means the figure is withheld to protect confidentiality; [x] means it is not available (nothing to work it out from).".to_owned(),
            ),
            (
                "As at".to_owned(),
                format!(
                    "The figures are from the case file as it stood at the end of {}. Decisions arrive late and cases are corrected, so later releases revise them.",
                    self.as_at
                ),
            ),
        ];
        let p = self.policy;
        if p.threshold > 1 {
            notes.push((
                "Suppression".to_owned(),
                format!(
                    "Counts from 1 to {} are withheld ([c]), and so are other cells wherever a withheld count could otherwise be worked out from the totals (secondary suppression). Percentages are withheld when a count they are worked out from is, and medians when fewer than {} cases are behind them.",
                    p.threshold - 1,
                    p.threshold
                ),
            ));
        }
        if p.rounding_base > 1 {
            notes.push((
                "Rounding".to_owned(),
                format!(
                    "Counts are rounded to the nearest {}; totals are rounded separately, so figures may not add up to them. Percentages are worked out from the rounded counts.",
                    p.rounding_base
                ),
            ));
        }
        notes.push((
            "Percentages".to_owned(),
            "Percentages are rounded to whole numbers.".to_owned(),
        ));
        notes
    }
}

/// Applies `policy` to every table.
pub fn publish(tables: &Tables, policy: Policy) -> Publication {
    Publication {
        period: tables.period,
        as_at: tables.as_at,
        policy,
        tables: tables.tables.iter().map(|t| protect(t, policy)).collect(),
    }
}

/// Where a table's count cells sit in its equations.
struct Structure {
    /// (row, column) of every count cell, and its two equation nodes.
    cells: Vec<(usize, usize, usize, usize)>,
    nodes: usize,
}

fn is_count(kind: ColumnKind) -> bool {
    matches!(kind, ColumnKind::Count | ColumnKind::Total)
}

fn structure(table: &Table) -> Structure {
    let rows = table.rows.len();
    let cols = table.columns.len();
    let row_equations = table.columns.iter().any(|c| c.kind == ColumnKind::Total);
    let column_equations = table.total_row;
    let ground = rows + cols;
    let mut cells = Vec::new();
    for r in 0..rows {
        for (c, column) in table.columns.iter().enumerate() {
            if !is_count(column.kind) || table.count(r, c).is_none() {
                continue;
            }
            let a = if row_equations { r } else { ground };
            let b = if column_equations { rows + c } else { ground };
            cells.push((r, c, a, b));
        }
    }
    Structure {
        cells,
        nodes: ground + 1,
    }
}

/// Whether removing edge `skip` disconnects its ends, in the graph of `edges` (node pairs).
fn is_bridge(edges: &[(usize, usize)], skip: usize, nodes: usize) -> bool {
    let (from, to) = edges[skip];
    if from == to {
        return false;
    }
    let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (i, (a, b)) in edges.iter().enumerate() {
        if i != skip {
            adjacent[*a].push(*b);
            adjacent[*b].push(*a);
        }
    }
    let mut seen = vec![false; nodes];
    let mut stack = vec![from];
    seen[from] = true;
    while let Some(n) = stack.pop() {
        if n == to {
            return false;
        }
        for m in &adjacent[n] {
            if !seen[*m] {
                seen[*m] = true;
                stack.push(*m);
            }
        }
    }
    true
}

/// Cells by (row, column).
pub type Cells = Vec<(usize, usize)>;

/// Which count cells to withhold: `(primary, secondary)`.
pub fn suppress(table: &Table, threshold: u64) -> (Cells, Cells) {
    let s = structure(table);
    let value = |i: usize| {
        let (r, c, _, _) = s.cells[i];
        table.count(r, c).unwrap_or(0)
    };
    let mut withheld: Vec<bool> = (0..s.cells.len())
        .map(|i| {
            let v = value(i);
            v > 0 && v < threshold
        })
        .collect();
    let primary: Vec<usize> = (0..s.cells.len()).filter(|i| withheld[*i]).collect();
    loop {
        let ids: Vec<usize> = (0..s.cells.len()).filter(|i| withheld[*i]).collect();
        let edges: Vec<(usize, usize)> =
            ids.iter().map(|i| (s.cells[*i].2, s.cells[*i].3)).collect();
        let Some(bridge) = (0..edges.len()).find(|e| is_bridge(&edges, *e, s.nodes)) else {
            break;
        };
        let (_, _, a, b) = s.cells[ids[bridge]];
        let ground = s.nodes - 1;
        // The smallest shown cell in one of the bridge's equations; not zero if avoidable
        // (a zero withheld protects nothing in one direction).
        let candidate = (0..s.cells.len())
            .filter(|i| !withheld[*i])
            .filter(|i| {
                let (_, _, x, y) = s.cells[*i];
                (a != ground && (x == a || y == a)) || (b != ground && (x == b || y == b))
            })
            .min_by_key(|i| (value(*i) == 0, value(*i), *i));
        match candidate {
            Some(i) => withheld[i] = true,
            // Everything it shares an equation with is already withheld: nothing more can be
            // done for this table than withhold all of it.
            None => {
                for w in withheld.iter_mut() {
                    *w = true;
                }
                break;
            }
        }
    }
    let at = |i: usize| (s.cells[i].0, s.cells[i].1);
    let secondary = (0..s.cells.len())
        .filter(|i| withheld[*i] && !primary.contains(i))
        .map(at)
        .collect();
    (primary.into_iter().map(at).collect(), secondary)
}

fn round(n: u64, base: u64) -> u64 {
    if base <= 1 {
        n
    } else {
        (n + base / 2) / base * base
    }
}

/// One table as it may be published under `policy`.
pub fn protect(table: &Table, policy: Policy) -> PublishedTable {
    let (primary, secondary) = suppress(table, policy.threshold);
    let mut rows: Vec<PublishedRow> = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| PublishedRow {
            label: row.label.clone(),
            cells: row
                .cells
                .iter()
                .enumerate()
                .map(|(c, cell)| match cell {
                    Cell::Count(_) if primary.contains(&(r, c)) || secondary.contains(&(r, c)) => {
                        Shown::Symbol(Symbol::Confidential)
                    }
                    Cell::Count(n) => Shown::Count(round(*n, policy.rounding_base)),
                    Cell::Days(_) | Cell::Derived => Shown::Symbol(Symbol::NotAvailable),
                })
                .collect(),
        })
        .collect();
    // Derived cells, from the published counts.
    for (r, row) in table.rows.iter().enumerate() {
        for (c, column) in table.columns.iter().enumerate() {
            let shown = match (column.kind, row.cells.get(c)) {
                (
                    ColumnKind::Percent {
                        numerator,
                        denominator,
                    },
                    _,
                ) => {
                    let part = rows[r].cells.get(numerator).copied();
                    let whole = rows[r].cells.get(denominator).copied();
                    match (part, whole) {
                        (Some(Shown::Count(p)), Some(Shown::Count(w))) if w > 0 => {
                            Shown::Percent((p * 200 + w) / (2 * w))
                        }
                        (Some(Shown::Count(_)), Some(Shown::Count(_))) => {
                            Shown::Symbol(Symbol::NotAvailable)
                        }
                        _ => Shown::Symbol(Symbol::Confidential),
                    }
                }
                (ColumnKind::MedianDays { count }, Some(Cell::Days(days))) => {
                    let n = table.count(r, count).unwrap_or(0);
                    match (rows[r].cells.get(count), days) {
                        (Some(Shown::Symbol(Symbol::Confidential)), _) => {
                            Shown::Symbol(Symbol::Confidential)
                        }
                        (_, Some(_)) if n < policy.threshold => Shown::Symbol(Symbol::Confidential),
                        (_, Some(d)) => Shown::Days(*d),
                        (_, None) => Shown::Symbol(Symbol::NotAvailable),
                    }
                }
                _ => continue,
            };
            rows[r].cells[c] = shown;
        }
    }
    PublishedTable {
        id: table.id.clone(),
        title: table.title.clone(),
        definition: table.definition.clone(),
        row_heading: table.row_heading.clone(),
        columns: table.columns.clone(),
        rows,
        total_row: table.total_row,
        primary_suppressed: primary.len(),
        secondary_suppressed: secondary.len(),
    }
}
