//! An accessible SVG bar chart of one table: a title and a text alternative inside the SVG
//! (`role="img"`, `aria-labelledby` both), and the same figures in the data table beside it.
//! No script and no style attribute (the pages' Content-Security-Policy allows neither).

use nrm_govuk::components::attributes::escape;
use nrm_stats::disclosure::{PublishedTable, Shown};
use nrm_stats::tables::ColumnKind;

const BAR_HEIGHT: usize = 24;
const GAP: usize = 8;
const LABEL_WIDTH: usize = 300;
const PLOT_WIDTH: usize = 360;

/// The chart's SVG and its text alternative (also shown under it).
pub fn bars(t: &PublishedTable) -> (String, String) {
    // The column charted: the total when there is one, else the first count.
    let column = t
        .columns
        .iter()
        .position(|c| c.kind == ColumnKind::Total)
        .or_else(|| t.columns.iter().position(|c| c.kind == ColumnKind::Count))
        .unwrap_or(0);
    let heading = t.columns.get(column).map_or("", |c| c.heading.as_str());
    let rows: Vec<(&str, Shown)> = t
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| !(t.total_row && i + 1 == t.rows.len()))
        .filter_map(|(_, r)| r.cells.get(column).map(|c| (r.label.as_str(), *c)))
        .collect();
    let max = rows
        .iter()
        .filter_map(|(_, c)| c.count())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = rows.len() * (BAR_HEIGHT + GAP) + GAP;
    let width = LABEL_WIDTH + PLOT_WIDTH + 80;
    let title = format!(
        "{} ({}) by {}",
        t.title,
        heading.to_lowercase(),
        t.row_heading.to_lowercase()
    );
    let mut largest: Vec<(&str, u64)> = rows
        .iter()
        .filter_map(|(l, c)| c.count().map(|n| (*l, n)))
        .collect();
    largest.sort_by_key(|l| std::cmp::Reverse(l.1));
    let withheld: Vec<&str> = rows
        .iter()
        .filter(|(_, c)| matches!(c, Shown::Symbol(_)))
        .map(|(l, _)| *l)
        .collect();
    let mut summary = format!(
        "Horizontal bar chart of {} by {}, one bar per row of the table.",
        heading.to_lowercase(),
        t.row_heading.to_lowercase()
    );
    if largest.iter().all(|(_, n)| *n == 0) {
        summary.push_str(" Every figure shown is zero.");
    } else {
        let top: Vec<String> = largest
            .iter()
            .take(3)
            .map(|(l, n)| format!("{l} ({n})"))
            .collect();
        summary.push_str(&format!(" Largest: {}.", top.join(", ")));
    }
    if !withheld.is_empty() {
        summary.push_str(&format!(
            " Withheld to protect confidentiality, so not drawn: {}.",
            withheld.join(", ")
        ));
    }
    summary.push_str(" The table beside the chart has every figure.");
    let mut svg = format!(
        "<svg class=\"nrm-chart\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>",
        escape(&title),
        escape(&summary)
    );
    for (i, (label, cell)) in rows.iter().enumerate() {
        let y = GAP + i * (BAR_HEIGHT + GAP);
        let text_y = y + BAR_HEIGHT / 2 + 5;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" font-size=\"14\" fill=\"#0b0c0c\">{}</text>",
            LABEL_WIDTH - 8,
            escape(label)
        ));
        let (bar, value) = match cell {
            Shown::Count(n) => ((*n as usize * PLOT_WIDTH) / max as usize, n.to_string()),
            other => (0, other.text()),
        };
        if bar > 0 {
            svg.push_str(&format!(
                "<rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{bar}\" height=\"{BAR_HEIGHT}\" fill=\"#1d70b8\"/>"
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{text_y}\" font-size=\"14\" fill=\"#0b0c0c\">{}</text>",
            LABEL_WIDTH + bar + 6,
            escape(&value)
        ));
    }
    svg.push_str("</svg>");
    (svg, summary)
}
