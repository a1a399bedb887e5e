//! The phase banner component: the service's phase as a tag, and a line of text.

use askama::Template;
use serde::Deserialize;

use super::page_de::{self, html_or_text};
use super::{Attributes, Tag};

/// Options of `govukPhaseBanner`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "phase-banner.html")]
pub struct PhaseBanner {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The phase tag; only its `text`, `html` and `classes` are used.
    pub tag: Option<Tag>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl PhaseBanner {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-phase-banner govuk-width-container");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn tag(&self) -> Tag {
        let given = self.tag.clone().unwrap_or_default();
        let mut classes = String::from("govuk-phase-banner__content__tag");
        page_de::push_classes(&mut classes, &given.classes);
        Tag {
            text: given.text,
            html: given.html,
            classes: Some(classes),
            attributes: Attributes::default(),
        }
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
