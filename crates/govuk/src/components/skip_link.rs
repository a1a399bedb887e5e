//! The skip link component: a link, visible on focus, to the page's main content.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, html_or_text};

/// Options of `govukSkipLink`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "skip-link.html")]
pub struct SkipLink {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The target, `#content` when not given.
    pub href: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl SkipLink {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-skip-link");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn href(&self) -> &str {
        page_de::Given::given(&self.href).unwrap_or("#content")
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
