//! The Human Trafficking Case Data Standard (HTCDS 2.0) exchange: its field names and code
//! lists ([`codes`]), the k-anonymous export of NRM facts ([`export`]), and what an import
//! needs that is not a store's business: reading an HTCDS CSV file ([`read_csv`]) and turning
//! HTCDS value names back into the service's categories ([`import`]). The mapping and what it
//! loses are in `docs/htcds.md`.

pub mod codes;
pub mod export;
pub mod import;

pub use export::{COLUMNS, HtcdsRecord, HtcdsReport, Quasi, export, report_text, to_csv};

/// A CSV file that cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct BadCsv {
    pub line: usize,
    pub problem: &'static str,
}

/// One record of a CSV file: the 1-based line it starts on and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Reads RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks; CRLF or LF line
/// ends; a byte-order mark is skipped). Blank lines are skipped. The first record is the
/// header.
pub fn read_csv(text: &str) -> Result<Vec<CsvRecord>, BadCsv> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut line = 1usize;
    let mut start = 1usize;
    let mut chars = text.chars().peekable();
    let end_record = |fields: &mut Vec<String>,
                      field: &mut String,
                      start: usize,
                      records: &mut Vec<CsvRecord>,
                      was_quoted: bool| {
        fields.push(std::mem::take(field));
        let f = std::mem::take(fields);
        if !(f.len() == 1 && f[0].is_empty() && !was_quoted) {
            records.push(CsvRecord {
                line: start,
                fields: f,
            });
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(BadCsv {
                    line,
                    problem: "a quote inside an unquoted field",
                });
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(&mut fields, &mut field, start, &mut records, was_quoted);
                was_quoted = false;
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(BadCsv {
            line: start,
            problem: "a quoted field is not closed",
        });
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        end_record(&mut fields, &mut field, start, &mut records, was_quoted);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_line_ends() {
        let text = "\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\r\n\"multi\nline\",,\n";
        let records = read_csv(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].fields, vec!["a", "b", "c"]);
        assert_eq!(records[1].fields, vec!["1", "x, \"y\"", "3"]);
        assert_eq!(records[2].line, 4);
        assert_eq!(records[2].fields, vec!["multi\nline", "", ""]);
        assert!(read_csv("a\n\"open").is_err());
        assert!(read_csv("a\nb\"c\n").is_err());
    }
}
