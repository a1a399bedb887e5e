//! The pagination component: previous and next links, with or without numbered page links.

use askama::Template;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

use super::Attributes;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukPagination`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "pagination.html")]
pub struct Pagination {
    /// The numbered pages and ellipses; without them the links are shown as blocks.
    #[serde(deserialize_with = "page_items")]
    pub items: Vec<PaginationItem>,
    pub previous: Option<PaginationLink>,
    pub next: Option<PaginationLink>,
    /// The `<nav>`'s label, "Pagination" when not given.
    pub landmark_label: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One numbered page, or an ellipsis.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaginationItem {
    /// The page number (or other text) shown.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub number: Option<String>,
    /// The link's accessible label, "Page {number}" when not given.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub visually_hidden_text: Option<String>,
    pub href: Option<String>,
    /// Marks the current page.
    #[serde(deserialize_with = "page_de::truthy")]
    pub current: bool,
    /// Shows an ellipsis instead of a link.
    #[serde(deserialize_with = "page_de::truthy")]
    pub ellipsis: bool,
    pub attributes: Attributes,
}

/// The previous or next link; not shown without an `href`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaginationLink {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// A label under the link, such as the title of the page linked; block links only.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub label_text: Option<String>,
    pub href: Option<String>,
    pub attributes: Attributes,
}

/// The items, leaving out `null`s and empty objects as the template does.
fn page_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PaginationItem>, D::Error> {
    let list = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    list.into_iter()
        .filter(|v| match v {
            Value::Null => false,
            Value::Object(o) => !o.is_empty(),
            other => page_de::is_truthy(other),
        })
        .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
        .collect()
}

impl Pagination {
    fn block_level(&self) -> bool {
        self.items.is_empty() && (self.next.is_some() || self.previous.is_some())
    }

    fn class_names(&self) -> String {
        let mut names = String::from("govuk-pagination");
        if self.block_level() {
            names.push_str(" govuk-pagination--block");
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn landmark_label(&self) -> &str {
        self.landmark_label.given().unwrap_or("Pagination")
    }

    fn shown_previous(&self) -> Option<&PaginationLink> {
        self.previous.as_ref().filter(|l| l.href.given().is_some())
    }

    fn shown_next(&self) -> Option<&PaginationLink> {
        self.next.as_ref().filter(|l| l.href.given().is_some())
    }
}

impl PaginationLink {
    /// The link's title; `fallback` ("Previous" or "Next") with a hidden " page" when neither
    /// `text` nor `html` is given.
    fn title(&self, fallback: &str) -> String {
        if self.html.given().is_some() || self.text.given().is_some() {
            html_or_text(&self.html, &self.text)
        } else {
            format!("{fallback}<span class=\"govuk-visually-hidden\"> page</span>")
        }
    }

    fn title_class_names(&self, block_level: &bool) -> &'static str {
        if *block_level && self.label_text.given().is_none() {
            "govuk-pagination__link-title govuk-pagination__link-title--decorated"
        } else {
            "govuk-pagination__link-title"
        }
    }
}

impl PaginationItem {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-pagination__item");
        if self.current {
            names.push_str(" govuk-pagination__item--current");
        }
        if self.ellipsis {
            names.push_str(" govuk-pagination__item--ellipsis");
        }
        names
    }

    fn label(&self) -> String {
        match &self.visually_hidden_text {
            Some(text) => text.clone(),
            None => format!("Page {}", self.number.as_deref().unwrap_or_default()),
        }
    }
}
