//! One OpenDocument spreadsheet for a publication, laid out as the Government Statistical
//! Service's guidance on releasing statistics in spreadsheets asks: a cover sheet, a contents
//! sheet, a notes sheet, then one table per sheet; no merged cells; no blank rows inside a
//! table; every table's header row marked as such (`table:table-header-rows`) and in the
//! heading style; a title in cell A1 of every sheet; numbers stored as numbers and symbols as
//! text. The container is a zip with every entry stored (the `mimetype` entry first).

use std::io::Write as _;

use crate::disclosure::{Publication, PublishedTable, Shown};

/// The ODS could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the spreadsheet could not be written: {0}")]
pub struct OdsError(String);

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// The sheet name of the table at `index` (0-based): `Table_1`, `Table_2`…
pub fn sheet_name(index: usize) -> String {
    format!("Table_{}", index + 1)
}

#[derive(Default)]
struct Sheet {
    xml: String,
}

impl Sheet {
    fn open(name: &str) -> Self {
        let mut s = Self::default();
        s.xml.push_str(&format!(
            "<table:table table:name=\"{}\"><table:table-column table:style-name=\"wide\"/><table:table-column table:number-columns-repeated=\"16\" table:style-name=\"normal\"/>",
            escape(name)
        ));
        s
    }

    fn text_cell(&mut self, text: &str, style: Option<&str>) {
        let style = style
            .map(|s| format!(" table:style-name=\"{s}\""))
            .unwrap_or_default();
        self.xml.push_str(&format!(
            "<table:table-cell office:value-type=\"string\"{style}><text:p>{}</text:p></table:table-cell>",
            escape(text)
        ));
    }

    fn link_cell(&mut self, text: &str, sheet: &str) {
        self.xml.push_str(&format!(
            "<table:table-cell office:value-type=\"string\"><text:p><text:a xlink:type=\"simple\" xlink:href=\"#{}.A1\">{}</text:a></text:p></table:table-cell>",
            escape(sheet),
            escape(text)
        ));
    }

    fn number_cell(&mut self, value: f64) {
        self.xml.push_str(&format!(
            "<table:table-cell office:value-type=\"float\" office:value=\"{value}\"><text:p>{value}</text:p></table:table-cell>"
        ));
    }

    fn row(&mut self, cells: impl FnOnce(&mut Self)) {
        self.xml.push_str("<table:table-row>");
        cells(self);
        self.xml.push_str("</table:table-row>");
    }

    fn line(&mut self, text: &str, style: Option<&str>) {
        self.row(|s| s.text_cell(text, style));
    }

    fn close(mut self) -> String {
        self.xml.push_str("</table:table>");
        self.xml
    }
}

fn cover(p: &Publication, title: &str) -> String {
    let mut s = Sheet::open("Cover_sheet");
    s.line(title, Some("title"));
    s.line(
        &format!(
            "Referrals of potential victims of modern slavery to the National Referral Mechanism, Duty to Notify reports, and the decisions made on them, for {} ({} to {}).",
            p.period.describe(),
            p.period.start(),
            p.period.end()
        ),
        None,
    );
    s.line(
        &format!(
            "Source: NRM Digital case file as at the end of {}.",
            p.as_at
        ),
        None,
    );
    s.line(
        "This workbook has a contents sheet, a notes sheet, and one table per sheet. The same tables are published as CSV files.",
        None,
    );
    s.line(
        "Contains no personal data; small counts are withheld as the notes describe.",
        None,
    );
    s.close()
}

fn contents(p: &Publication) -> String {
    let mut s = Sheet::open("Contents");
    s.line("Contents", Some("title"));
    s.line("This worksheet contains one table.", None);
    s.xml.push_str("<table:table-header-rows>");
    s.row(|s| {
        s.text_cell("Sheet", Some("heading"));
        s.text_cell("Table title", Some("heading"));
    });
    s.xml.push_str("</table:table-header-rows>");
    for (i, t) in p.tables.iter().enumerate() {
        let name = sheet_name(i);
        s.row(|s| {
            s.link_cell(&name, &name);
            s.text_cell(&t.title, None);
        });
    }
    s.row(|s| {
        s.link_cell("Notes", "Notes");
        s.text_cell("Notes, symbols and disclosure control", None);
    });
    s.close()
}

fn notes(p: &Publication) -> String {
    let mut s = Sheet::open("Notes");
    s.line("Notes", Some("title"));
    s.line("This worksheet contains one table.", None);
    s.xml.push_str("<table:table-header-rows>");
    s.row(|s| {
        s.text_cell("Note", Some("heading"));
        s.text_cell("Note text", Some("heading"));
    });
    s.xml.push_str("</table:table-header-rows>");
    for (heading, text) in p.notes() {
        s.row(|s| {
            s.text_cell(&heading, None);
            s.text_cell(&text, None);
        });
    }
    for (i, t) in p.tables.iter().enumerate() {
        s.row(|s| {
            s.text_cell(&sheet_name(i), None);
            s.text_cell(&t.definition, None);
        });
    }
    s.close()
}

fn table_sheet(index: usize, t: &PublishedTable) -> String {
    let mut s = Sheet::open(&sheet_name(index));
    s.line(&t.title, Some("title"));
    s.line(
        "This worksheet contains one table. Some cells refer to notes, found on the Notes sheet.",
        None,
    );
    s.line(&t.definition, None);
    s.xml.push_str("<table:table-header-rows>");
    s.row(|s| {
        s.text_cell(&t.row_heading, Some("heading"));
        for c in &t.columns {
            s.text_cell(&c.heading, Some("heading"));
        }
    });
    s.xml.push_str("</table:table-header-rows>");
    for row in &t.rows {
        s.row(|s| {
            s.text_cell(&row.label, None);
            for cell in &row.cells {
                match cell {
                    Shown::Count(n) | Shown::Percent(n) => s.number_cell(*n as f64),
                    Shown::Days(d) => s.number_cell(*d),
                    Shown::Symbol(sym) => s.text_cell(sym.as_str(), None),
                }
            }
        });
    }
    s.close()
}

const NAMESPACES: &str = "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\"";

const STYLES: &str = "<office:automatic-styles>\
<style:style style:name=\"wide\" style:family=\"table-column\"><style:table-column-properties style:column-width=\"8cm\"/></style:style>\
<style:style style:name=\"normal\" style:family=\"table-column\"><style:table-column-properties style:column-width=\"4cm\"/></style:style>\
<style:style style:name=\"title\" style:family=\"table-cell\"><style:text-properties fo:font-size=\"16pt\" fo:font-weight=\"bold\"/></style:style>\
<style:style style:name=\"heading\" style:family=\"table-cell\"><style:table-cell-properties fo:wrap-option=\"wrap\"/><style:text-properties fo:font-weight=\"bold\"/></style:style>\
</office:automatic-styles>";

/// The `content.xml` of the workbook.
pub fn content_xml(p: &Publication, title: &str) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content {NAMESPACES} office:version=\"1.3\">{STYLES}<office:body><office:spreadsheet>"
    );
    xml.push_str(&cover(p, title));
    xml.push_str(&contents(p));
    xml.push_str(&notes(p));
    for (i, t) in p.tables.iter().enumerate() {
        xml.push_str(&table_sheet(i, t));
    }
    xml.push_str("</office:spreadsheet></office:body></office:document-content>");
    xml
}

/// The workbook's title: "Modern slavery: NRM and Duty to Notify statistics, <period>".
pub fn title(p: &Publication) -> String {
    format!(
        "Modern slavery: National Referral Mechanism and Duty to Notify statistics, {}",
        p.period.describe()
    )
}

/// The whole workbook as the bytes of an `.ods` file.
pub fn workbook(p: &Publication) -> Result<Vec<u8>, OdsError> {
    let title = title(p);
    let content = content_xml(p, &title);
    let meta = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-meta {NAMESPACES} office:version=\"1.3\"><office:meta><dc:title>{}</dc:title><dc:language>en-GB</dc:language></office:meta></office:document-meta>",
        escape(&title)
    );
    let styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-styles {NAMESPACES} office:version=\"1.3\"><office:styles/></office:document-styles>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\
<manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
<manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>\
<manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>\
</manifest:manifest>";
    let fail = |e: &dyn std::fmt::Display| OdsError(e.to_string());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
        ("styles.xml", styles.as_str()),
        ("meta.xml", meta.as_str()),
    ] {
        zip.start_file(name, stored).map_err(|e| fail(&e))?;
        zip.write_all(body.as_bytes()).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}
