//! The service navigation component: the service's name and its main navigation links, below
//! the GOV.UK header.

use askama::Template;
use serde::Deserialize;
use serde::de::Deserializer;

use super::Attributes;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukServiceNavigation`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "service-navigation.html")]
pub struct ServiceNavigation {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub service_name: Option<String>,
    /// Makes the service name a link.
    pub service_url: Option<String>,
    /// The navigation links.
    #[serde(deserialize_with = "page_de::items")]
    pub navigation: Vec<ServiceNavigationItem>,
    /// Collapses the navigation into a menu on mobile; by default, when it has more than one
    /// link.
    pub collapse_navigation_on_mobile: Option<bool>,
    /// The label of the `<section>` when there is a service name, "Service information" when
    /// not given.
    pub aria_label: Option<String>,
    /// The text of the mobile menu's toggle, "Menu" when not given.
    pub menu_button_text: Option<String>,
    /// The accessible label of the mobile menu's toggle, when it differs from its text.
    pub menu_button_label: Option<String>,
    /// The navigation's accessible label, the menu button's text when not given.
    pub navigation_label: Option<String>,
    /// The navigation list's id, `navigation` when not given.
    pub navigation_id: Option<String>,
    pub navigation_classes: Option<String>,
    /// HTML injected at fixed points.
    pub slots: ServiceNavigationSlots,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One navigation link (or text, without an `href`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceNavigationItem {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub href: Option<String>,
    /// The user is on this page (`aria-current="page"`).
    #[serde(deserialize_with = "page_de::truthy")]
    pub current: bool,
    /// The user is in this section (`aria-current="true"`).
    #[serde(deserialize_with = "page_de::truthy")]
    pub active: bool,
    pub attributes: Attributes,
}

/// HTML injected into the service navigation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceNavigationSlots {
    /// Before the container.
    pub start: Option<String>,
    /// After the container.
    #[serde(deserialize_with = "end_slot")]
    pub end: Option<ServiceNavigationEndSlot>,
    /// At the start of the navigation list.
    pub navigation_start: Option<String>,
    /// At the end of the navigation list.
    pub navigation_end: Option<String>,
}

/// The end slot: its HTML, and `align: "inline"` to put it on the navigation's line. The
/// macro also takes a plain string, read as the HTML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceNavigationEndSlot {
    pub html: Option<String>,
    pub align: Option<String>,
}

fn end_slot<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ServiceNavigationEndSlot>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Html(String),
        Slot(ServiceNavigationEndSlot),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => None,
        Some(Either::Html(html)) => Some(ServiceNavigationEndSlot {
            html: Some(html),
            align: None,
        }),
        Some(Either::Slot(slot)) => Some(slot),
    })
}

impl ServiceNavigation {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-service-navigation");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn end_html(&self) -> Option<&str> {
        self.slots.end.as_ref().and_then(|end| end.html.given())
    }

    fn end_inline(&self) -> bool {
        self.slots
            .end
            .as_ref()
            .is_some_and(|end| end.align.as_deref() == Some("inline"))
    }

    fn is_section(&self) -> bool {
        self.service_name.given().is_some()
            || self.slots.start.given().is_some()
            || self.end_html().is_some()
    }

    fn aria_label(&self) -> &str {
        self.aria_label.as_deref().unwrap_or("Service information")
    }

    fn menu_button_text(&self) -> &str {
        self.menu_button_text.given().unwrap_or("Menu")
    }

    fn menu_button_label(&self) -> Option<&str> {
        self.menu_button_label
            .given()
            .filter(|label| *label != self.menu_button_text())
    }

    fn navigation_label(&self) -> &str {
        self.navigation_label
            .given()
            .unwrap_or_else(|| self.menu_button_text())
    }

    fn navigation_id(&self) -> &str {
        self.navigation_id.given().unwrap_or("navigation")
    }

    fn navigation_class_names(&self) -> String {
        let mut names = String::from("govuk-service-navigation__wrapper");
        page_de::push_classes(&mut names, &self.navigation_classes);
        names
    }

    fn has_navigation(&self) -> bool {
        !self.navigation.is_empty()
            || self.slots.navigation_start.given().is_some()
            || self.slots.navigation_end.given().is_some()
    }

    fn collapses(&self) -> bool {
        self.collapse_navigation_on_mobile
            .unwrap_or(self.navigation.len() > 1)
    }
}

impl ServiceNavigationItem {
    /// A link.
    pub fn link(href: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            href: Some(href.into()),
            text: Some(text.into()),
            ..Default::default()
        }
    }

    fn is_active(&self) -> bool {
        self.active || self.current
    }

    fn aria_current(&self) -> &str {
        if self.current { "page" } else { "true" }
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }

    fn has_content(&self) -> bool {
        self.html.given().is_some() || self.text.given().is_some()
    }
}
