//! The back link component: a link back to the previous page.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, Given};

/// Options of `govukBackLink`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "back-link.html")]
pub struct BackLink {
    /// The link text, "Back" when neither it nor `html` is given.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The target, `#` when not given.
    pub href: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl BackLink {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-back-link");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn href(&self) -> &str {
        self.href.given().unwrap_or("#")
    }

    fn content(&self) -> String {
        match (self.html.given(), self.text.given()) {
            (Some(html), _) => html.to_owned(),
            (None, Some(text)) => super::attributes::escape(text),
            (None, None) => String::from("Back"),
        }
    }
}
