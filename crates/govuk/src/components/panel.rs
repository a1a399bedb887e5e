//! The panel component: a confirmation panel, or with the `govuk-panel--interruption` class an
//! interruption panel that may carry actions.

use askama::Template;
use serde::Deserialize;

use super::page_de::{self, Given, html_or_text};
use super::{Attributes, Button};

/// Options of `govukPanel`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "panel.html")]
pub struct Panel {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub title_text: Option<String>,
    pub title_html: Option<String>,
    /// The title's heading level, 1 when not given.
    #[serde(deserialize_with = "page_de::opt_number")]
    pub heading_level: Option<u32>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// Actions, shown only on an interruption panel.
    pub actions: Option<PanelActions>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// The actions of an interruption panel.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PanelActions {
    #[serde(deserialize_with = "page_de::items")]
    pub items: Vec<PanelAction>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One action: a button, or a link when it has an `href` and is not of type `button`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PanelAction {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub href: Option<String>,
    /// The button's type (`button` when not given), or `button` to make a link a button.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Panel {
    fn is_interruption(&self) -> bool {
        self.classes
            .given()
            .is_some_and(|c| c.contains("govuk-panel--interruption"))
    }

    fn class_names(&self) -> String {
        let mut names = String::from("govuk-panel");
        if !self.is_interruption() {
            names.push_str(" govuk-panel--confirmation");
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn level(&self) -> u32 {
        self.heading_level.unwrap_or(1)
    }

    fn title(&self) -> String {
        html_or_text(&self.title_html, &self.title_text)
    }

    fn has_body(&self) -> bool {
        self.html.given().is_some() || self.text.given().is_some()
    }

    fn body(&self) -> String {
        html_or_text(&self.html, &self.text)
    }

    fn shown_actions(&self) -> Option<&PanelActions> {
        self.actions.as_ref().filter(|_| self.is_interruption())
    }
}

impl PanelActions {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-panel__actions");
        page_de::push_classes(&mut names, &self.classes);
        names
    }
}

impl PanelAction {
    /// The action as a button, when it is one.
    fn button(&self) -> Option<Button> {
        if self.href.given().is_some() && self.type_.as_deref() != Some("button") {
            return None;
        }
        let mut classes = String::from("govuk-button--inverse");
        page_de::push_classes(&mut classes, &self.classes);
        Some(Button {
            text: self.text.clone(),
            type_: Some(self.type_.given().unwrap_or("button").to_owned()),
            classes: Some(classes),
            href: self.href.given().map(str::to_owned),
            attributes: self.attributes.clone(),
            ..Default::default()
        })
    }

    fn link_class_names(&self) -> String {
        let mut names = String::from("govuk-link govuk-link--inverse");
        page_de::push_classes(&mut names, &self.classes);
        names
    }
}
