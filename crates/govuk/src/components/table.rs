//! The table component.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukTable`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "table.html")]
pub struct Table {
    /// The caption's text.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub caption: Option<String>,
    pub caption_classes: Option<String>,
    /// The header row's cells; no header row when empty.
    #[serde(deserialize_with = "page_de::items")]
    pub head: Vec<TableCell>,
    /// The body's rows of cells.
    #[serde(deserialize_with = "page_de::items")]
    pub rows: Vec<Vec<TableCell>>,
    /// Makes each row's first cell a row header (`<th scope="row">`).
    #[serde(deserialize_with = "page_de::truthy")]
    pub first_cell_is_header: bool,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One cell, in the header row or the body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TableCell {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// `numeric` to right-align the cell.
    pub format: Option<String>,
    #[serde(deserialize_with = "page_de::opt_number")]
    pub colspan: Option<u32>,
    #[serde(deserialize_with = "page_de::opt_number")]
    pub rowspan: Option<u32>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Table {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-table");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn caption_class_names(&self) -> String {
        let mut names = String::from("govuk-table__caption");
        page_de::push_classes(&mut names, &self.caption_classes);
        names
    }
}

impl TableCell {
    /// The class names for a cell whose base class is `base` (`govuk-table__header` or
    /// `govuk-table__cell`), with the format modifier when `formatted`.
    fn class_names(&self, base: &str, formatted: bool) -> String {
        let mut names = String::from(base);
        if formatted && let Some(format) = self.format.given() {
            names.push_str(&format!(" {base}--{format}"));
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    /// ` colspan`, ` rowspan` and the extra attributes.
    fn common_attributes(&self) -> String {
        let mut out = String::new();
        if let Some(colspan) = self.colspan {
            out.push_str(&format!(" colspan=\"{colspan}\""));
        }
        if let Some(rowspan) = self.rowspan {
            out.push_str(&format!(" rowspan=\"{rowspan}\""));
        }
        out.push_str(&self.attributes.to_string());
        out
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
