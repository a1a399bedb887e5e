//! The GOV.UK header component: the GOV.UK logotype linking to the homepage, optionally
//! followed by a product name. (Since GOV.UK Frontend 6 the service's name and navigation
//! belong in [`super::ServiceNavigation`].)

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, Given};

/// Options of `govukHeader`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "header.html")]
pub struct Header {
    /// The logo's link, `//gov.uk` when not given.
    pub homepage_url: Option<String>,
    /// A product name after the logotype, as in "GOV.UK Pay".
    #[serde(deserialize_with = "page_de::opt_text")]
    pub product_name: Option<String>,
    /// Classes for the container, `govuk-width-container` when not given.
    pub container_classes: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Header {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-header");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn container_classes(&self) -> &str {
        self.container_classes
            .given()
            .unwrap_or("govuk-width-container")
    }

    fn homepage_url(&self) -> &str {
        self.homepage_url.given().unwrap_or("//gov.uk")
    }

    fn logo(&self) -> Logo {
        Logo {
            classes: "govuk-header__logotype",
            aria_label_text: Some("GOV.UK"),
            use_logotype: true,
        }
    }
}

/// The package's internal `govukLogo` macro: the crown, and optionally the GOV.UK logotype.
#[derive(Debug, Clone, Template)]
#[template(path = "header-logo.html")]
pub(crate) struct Logo {
    pub(crate) classes: &'static str,
    pub(crate) aria_label_text: Option<&'static str>,
    pub(crate) use_logotype: bool,
}

impl Logo {
    fn width(&self) -> u32 {
        if self.use_logotype { 162 } else { 32 }
    }
}
