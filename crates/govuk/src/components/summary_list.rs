//! The summary list component: rows of key, value and optional actions (such as "Change"
//! links), optionally wrapped in a summary card with a title and actions of its own.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::attributes::escape;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukSummaryList`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "summary-list.html")]
pub struct SummaryList {
    #[serde(deserialize_with = "page_de::items")]
    pub rows: Vec<SummaryListRow>,
    /// Wraps the list in a summary card when given.
    pub card: Option<SummaryCard>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One row: a key, its value and its actions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryListRow {
    pub key: SummaryListCell,
    pub value: SummaryListCell,
    pub actions: Option<SummaryListActions>,
    pub classes: Option<String>,
}

/// A row's key or value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryListCell {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub classes: Option<String>,
}

/// The actions of a row or of a card.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryListActions {
    #[serde(deserialize_with = "page_de::items")]
    pub items: Vec<SummaryListAction>,
    pub classes: Option<String>,
}

/// One action link.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryListAction {
    pub href: Option<String>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// Completes the link text for screen readers, such as "name" for "Change name".
    #[serde(deserialize_with = "page_de::opt_text")]
    pub visually_hidden_text: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// The summary card around a list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryCard {
    pub title: Option<SummaryCardTitle>,
    pub actions: Option<SummaryListActions>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// A summary card's title.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryCardTitle {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The heading level, 2 when not given.
    #[serde(deserialize_with = "page_de::opt_number")]
    pub heading_level: Option<u32>,
    pub classes: Option<String>,
}

impl SummaryListRow {
    /// A row of plain-text key and value, without actions.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: SummaryListCell::text(key),
            value: SummaryListCell::text(value),
            ..Default::default()
        }
    }

    /// The row with one more action.
    #[must_use]
    pub fn with_action(mut self, action: SummaryListAction) -> Self {
        self.actions
            .get_or_insert_with(SummaryListActions::default)
            .items
            .push(action);
        self
    }

    fn action_items(&self) -> &[SummaryListAction] {
        self.actions.as_ref().map_or(&[], |a| &a.items)
    }

    fn class_names(&self, any_row_has_actions: bool) -> String {
        let mut names = String::from("govuk-summary-list__row");
        if any_row_has_actions && self.action_items().is_empty() {
            names.push_str(" govuk-summary-list__row--no-actions");
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn actions_class_names(&self) -> String {
        let mut names = String::from("govuk-summary-list__actions");
        if let Some(actions) = &self.actions {
            page_de::push_classes(&mut names, &actions.classes);
        }
        names
    }
}

impl SummaryListCell {
    /// Plain text, escaped when rendered.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// HTML, rendered as it is.
    pub fn html(html: impl Into<String>) -> Self {
        Self {
            html: Some(html.into()),
            ..Default::default()
        }
    }

    fn class_names(&self, base: &str) -> String {
        let mut names = String::from(base);
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}

impl SummaryListAction {
    /// A link with `text`, completed for screen readers by `visually_hidden_text`.
    pub fn link(
        href: impl Into<String>,
        text: impl Into<String>,
        visually_hidden_text: impl Into<String>,
    ) -> Self {
        Self {
            href: Some(href.into()),
            text: Some(text.into()),
            visually_hidden_text: Some(visually_hidden_text.into()),
            ..Default::default()
        }
    }

    /// The link's HTML; a card's title, when there is a card, is added to the hidden text.
    fn render(&self, card_title: Option<&SummaryCardTitle>) -> String {
        let mut classes = String::from("govuk-link");
        page_de::push_classes(&mut classes, &self.classes);
        let mut out = format!(
            "<a class=\"{}\" href=\"{}\"{}>{}",
            escape(&classes),
            escape(self.href.as_deref().unwrap_or_default()),
            self.attributes,
            html_or_text(&self.html, &self.text),
        );
        let hidden = self.visually_hidden_text.given();
        if hidden.is_some() || card_title.is_some() {
            out.push_str("<span class=\"govuk-visually-hidden\">");
            if let Some(hidden) = hidden {
                out.push(' ');
                out.push_str(&escape(hidden));
            }
            if let Some(title) = card_title {
                out.push_str(" (");
                out.push_str(&html_or_text(&title.html, &title.text));
                out.push(')');
            }
            out.push_str("</span>");
        }
        out.push_str("</a>");
        out
    }
}

impl SummaryList {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-summary-list");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn any_row_has_actions(&self) -> bool {
        self.rows.iter().any(|row| !row.action_items().is_empty())
    }

    fn card_title(&self) -> Option<&SummaryCardTitle> {
        self.card.as_ref().and_then(|card| card.title.as_ref())
    }
}

impl SummaryCard {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-summary-card");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn action_items(&self) -> &[SummaryListAction] {
        self.actions.as_ref().map_or(&[], |a| &a.items)
    }

    fn actions_class_names(&self) -> String {
        let mut names = String::from("govuk-summary-card__actions");
        if let Some(actions) = &self.actions {
            page_de::push_classes(&mut names, &actions.classes);
        }
        names
    }
}

impl SummaryCardTitle {
    fn level(&self) -> u32 {
        self.heading_level.unwrap_or(2)
    }

    fn class_names(&self) -> String {
        let mut names = String::from("govuk-summary-card__title");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
