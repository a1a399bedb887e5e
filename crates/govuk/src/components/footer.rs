//! The GOV.UK footer component: optional navigation sections, meta links, the content
//! licence and the Crown copyright.

use askama::Template;
use serde::Deserialize;
use serde::de::Deserializer;

use super::Attributes;
use super::header::Logo;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukFooter`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "footer.html")]
pub struct Footer {
    /// Sections of links above the meta area.
    #[serde(deserialize_with = "page_de::items")]
    pub navigation: Vec<FooterNavigation>,
    /// The meta area's links and text.
    pub meta: Option<FooterMeta>,
    /// The content licence; in JSON, `null` hides it.
    #[serde(deserialize_with = "content_licence")]
    pub content_licence: FooterContentLicence,
    /// The copyright notice, "© Crown copyright" when not given.
    pub copyright: Option<FooterText>,
    pub container_classes: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// A navigation section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FooterNavigation {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub title: Option<String>,
    /// The number of columns the links are laid out in.
    #[serde(deserialize_with = "page_de::opt_number")]
    pub columns: Option<u32>,
    /// The section's width, such as `one-half` (`full` when not given).
    pub width: Option<String>,
    /// The links; one without `href` or `text` is left out.
    #[serde(deserialize_with = "page_de::items")]
    pub items: Vec<FooterLink>,
}

/// The meta area.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FooterMeta {
    /// The links' hidden heading, "Support links" when not given.
    pub visually_hidden_title: Option<String>,
    #[serde(deserialize_with = "page_de::items")]
    pub items: Vec<FooterLink>,
    /// Text or HTML after the links.
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
}

/// A footer link.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FooterLink {
    pub href: Option<String>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub attributes: Attributes,
}

/// Text or HTML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FooterText {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
}

/// Which content licence the footer shows.
#[derive(Debug, Clone, Default)]
pub enum FooterContentLicence {
    /// The Open Government Licence v3.0 statement.
    #[default]
    Standard,
    /// No licence.
    Hidden,
    /// Our own statement (the standard one when it has neither text nor HTML).
    Custom(FooterText),
}

fn content_licence<'de, D: Deserializer<'de>>(d: D) -> Result<FooterContentLicence, D::Error> {
    Ok(match Option::<FooterText>::deserialize(d)? {
        None => FooterContentLicence::Hidden,
        Some(text) => FooterContentLicence::Custom(text),
    })
}

impl Footer {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-footer");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn container_class_names(&self) -> String {
        let mut names = String::from("govuk-width-container");
        page_de::push_classes(&mut names, &self.container_classes);
        names
    }

    fn crown(&self) -> Logo {
        Logo {
            classes: "govuk-footer__crown",
            aria_label_text: None,
            use_logotype: false,
        }
    }

    fn shows_licence(&self) -> bool {
        !matches!(self.content_licence, FooterContentLicence::Hidden)
    }

    /// The custom licence statement, when there is one.
    fn custom_licence(&self) -> Option<String> {
        match &self.content_licence {
            FooterContentLicence::Custom(text) => text.content(),
            _ => None,
        }
    }

    fn copyright(&self) -> String {
        self.copyright
            .as_ref()
            .and_then(FooterText::content)
            .unwrap_or_else(|| String::from("© Crown copyright"))
    }
}

impl FooterNavigation {
    fn section_class_names(&self) -> String {
        format!(
            "govuk-footer__section govuk-grid-column-{}",
            self.width.given().unwrap_or("full")
        )
    }

    fn list_class_names(&self) -> String {
        match self.columns {
            Some(columns) => format!("govuk-footer__list govuk-footer__list--columns-{columns}"),
            None => String::from("govuk-footer__list"),
        }
    }
}

impl FooterMeta {
    fn title(&self) -> &str {
        self.visually_hidden_title
            .given()
            .unwrap_or("Support links")
    }

    fn custom(&self) -> Option<String> {
        FooterText {
            text: self.text.clone(),
            html: self.html.clone(),
        }
        .content()
    }
}

impl FooterLink {
    /// A link.
    pub fn new(href: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            href: Some(href.into()),
            text: Some(text.into()),
            attributes: Attributes::default(),
        }
    }

    fn is_complete(&self) -> bool {
        self.href.given().is_some() && self.text.given().is_some()
    }
}

impl FooterText {
    /// The HTML, or the text escaped; `None` when neither is given.
    fn content(&self) -> Option<String> {
        (self.html.given().is_some() || self.text.given().is_some())
            .then(|| html_or_text(&self.html, &self.text))
    }
}
