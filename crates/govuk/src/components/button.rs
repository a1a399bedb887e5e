//! The button component: a `<button>`, or a link styled as one when `href` is given.

use askama::Template;
use serde::Deserialize;

use super::Attributes;

/// Options of `govukButton`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "button.html")]
pub struct Button {
    pub element: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub value: Option<String>,
    pub disabled: bool,
    pub href: Option<String>,
    pub prevent_double_click: Option<bool>,
    pub is_start_button: bool,
    pub id: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Button {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-button");
        if let Some(classes) = &self.classes {
            names.push(' ');
            names.push_str(classes);
        }
        if self.is_start_button {
            names.push_str(" govuk-button--start");
        }
        names
    }
}
