//! The notification banner component: important information, or with type `success` the
//! outcome of the user's last action.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::attributes::escape;
use super::page_de::{self, Given};

/// Options of `govukNotificationBanner`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "notification-banner.html")]
pub struct NotificationBanner {
    /// `success` for a success banner; anything else is the standard banner.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The title, "Important" (or "Success") when neither it nor `title_html` is given.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub title_text: Option<String>,
    pub title_html: Option<String>,
    /// The title's heading level, 2 when not given.
    #[serde(deserialize_with = "page_de::opt_number")]
    pub title_heading_level: Option<u32>,
    /// The title's id, `govuk-notification-banner-title` when not given.
    pub title_id: Option<String>,
    /// The banner's role, `alert` for success and `region` otherwise when not given.
    pub role: Option<String>,
    /// Rendered as `data-disable-auto-focus` when given.
    pub disable_auto_focus: Option<bool>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl NotificationBanner {
    fn is_success(&self) -> bool {
        self.type_.as_deref() == Some("success")
    }

    fn class_names(&self) -> String {
        let mut names = String::from("govuk-notification-banner");
        if self.is_success() {
            names.push_str(" govuk-notification-banner--success");
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn role(&self) -> &str {
        match self.role.given() {
            Some(role) => role,
            None if self.is_success() => "alert",
            None => "region",
        }
    }

    fn title_id(&self) -> &str {
        self.title_id
            .given()
            .unwrap_or("govuk-notification-banner-title")
    }

    fn level(&self) -> u32 {
        self.title_heading_level.unwrap_or(2)
    }

    fn title(&self) -> String {
        if let Some(html) = self.title_html.given() {
            html.to_owned()
        } else if let Some(text) = self.title_text.given() {
            escape(text)
        } else if self.is_success() {
            String::from("Success")
        } else {
            String::from("Important")
        }
    }
}
