//! Comma-separated values (RFC 4180): one file per table, the header row first.

use crate::disclosure::PublishedTable;

/// One field, quoted when it has to be.
pub(crate) fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The table as CSV: a header row (the row heading and every column heading), then a line
/// per row with the symbols as they are published. Lines end in CRLF.
pub fn table(t: &PublishedTable) -> String {
    let mut out = String::new();
    let header: Vec<String> = std::iter::once(field(&t.row_heading))
        .chain(t.columns.iter().map(|c| field(&c.heading)))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in &t.rows {
        let line: Vec<String> = std::iter::once(field(&row.label))
            .chain(row.cells.iter().map(|c| field(&c.text())))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
