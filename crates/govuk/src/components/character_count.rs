//! The character count component: a textarea that tells the user how many characters or
//! words they have left (a hint under it states the limit until the script takes over).

use std::collections::BTreeMap;

use askama::Template;
use serde::Deserialize;

use super::attributes::{AttributeValue, OptionalValue};
use super::de::{self, Truthy};
use super::form_group::{FormGroup, FormGroupContent};
use super::{Attributes, ErrorMessage, Hint, Label, Textarea};

/// Options of `govukCharacterCount`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "character-count.html")]
pub struct CharacterCount {
    /// Defaults to `name`.
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub rows: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    /// The most characters allowed.
    #[serde(deserialize_with = "de::text")]
    pub maxlength: Option<String>,
    /// The most words allowed (counts words instead of characters).
    #[serde(deserialize_with = "de::text")]
    pub maxwords: Option<String>,
    /// The percentage of the limit at which the count appears.
    #[serde(deserialize_with = "de::text")]
    pub threshold: Option<String>,
    pub count_type: Option<String>,
    #[serde(deserialize_with = "de::object")]
    pub label: Option<Label>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    #[serde(deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    pub form_group: FormGroup,
    pub classes: Option<String>,
    pub attributes: Attributes,
    pub spellcheck: Option<bool>,
    pub count_message: CountMessage,
    /// The limit message; `%{count}` stands for the limit.
    pub textarea_description_text: Option<String>,
    pub characters_under_limit_text: Option<BTreeMap<String, String>>,
    pub characters_at_limit_text: Option<String>,
    pub characters_over_limit_text: Option<BTreeMap<String, String>>,
    pub words_under_limit_text: Option<BTreeMap<String, String>>,
    pub words_at_limit_text: Option<String>,
    pub words_over_limit_text: Option<BTreeMap<String, String>>,
}

/// The character count's `countMessage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CountMessage {
    pub classes: Option<String>,
}

/// Appends `data-i18n.<key>.<rule>` for each plural form, or else `data-i18n.<key>` for a
/// single message.
fn i18n(
    attributes: &mut Vec<(String, AttributeValue)>,
    key: &str,
    messages: Option<&BTreeMap<String, String>>,
    message: Option<&str>,
) {
    if let Some(messages) = messages {
        for (rule, text) in messages {
            attributes.push((
                format!("data-i18n.{key}.{rule}"),
                AttributeValue::Text(text.clone()),
            ));
        }
    } else if let Some(message) = message.filter(|m| !m.is_empty()) {
        attributes.push((
            format!("data-i18n.{key}"),
            AttributeValue::Text(message.to_owned()),
        ));
    }
}

impl CharacterCount {
    fn control_id(&self) -> Option<&str> {
        self.id.truthy().or(self.name.as_deref())
    }

    fn count_type(&self) -> Option<&str> {
        self.count_type
            .truthy()
            .or_else(|| self.maxwords.truthy().map(|_| "words"))
    }

    /// The hint under the textarea stating the limit (empty without one).
    fn count_message(&self) -> String {
        let id = de::or_undefined(self.control_id());
        let limit = self.maxwords.truthy().or(self.maxlength.truthy());
        let text = limit.map(|limit| {
            let description = match self.textarea_description_text.truthy() {
                Some(text) => text.to_owned(),
                None if self.count_type() == Some("words") => {
                    "You can enter up to %{count} words".to_owned()
                }
                None => "You can enter up to %{count} characters".to_owned(),
            };
            description.replace("%{count}", limit)
        });
        let hint = Hint {
            text,
            id: Some(format!("{id}-info")),
            classes: Some(de::with_classes(
                "govuk-character-count__message",
                &self.count_message.classes,
            )),
            ..Hint::default()
        };
        let mut html = hint.to_string();
        if let Some(after) = &self.form_group.after_input {
            html.push_str(&after.content());
        }
        html
    }

    /// The form group's attributes: the script's settings and messages, then the caller's.
    fn form_group_attributes(&self) -> Attributes {
        let optional = |value: Option<&str>| {
            AttributeValue::Optional(value.map(|v| OptionalValue::Text(v.to_owned())))
        };
        let mut attributes = vec![
            (
                "data-module".to_owned(),
                AttributeValue::Text("govuk-character-count".to_owned()),
            ),
            (
                "data-maxlength".to_owned(),
                optional(self.maxlength.as_deref()),
            ),
            (
                "data-maxwords".to_owned(),
                optional(self.maxwords.as_deref()),
            ),
            (
                "data-threshold".to_owned(),
                optional(self.threshold.as_deref()),
            ),
            ("data-count-type".to_owned(), optional(self.count_type())),
        ];
        let no_limit = self.maxwords.truthy().is_none() && self.maxlength.truthy().is_none();
        if no_limit && let Some(text) = self.textarea_description_text.truthy() {
            attributes.push((
                "data-i18n.textarea-description.other".to_owned(),
                AttributeValue::Text(text.to_owned()),
            ));
        }
        let messages = [
            (
                "characters-under-limit",
                self.characters_under_limit_text.as_ref(),
                None,
            ),
            (
                "characters-at-limit",
                None,
                self.characters_at_limit_text.as_deref(),
            ),
            (
                "characters-over-limit",
                self.characters_over_limit_text.as_ref(),
                None,
            ),
            (
                "words-under-limit",
                self.words_under_limit_text.as_ref(),
                None,
            ),
            ("words-at-limit", None, self.words_at_limit_text.as_deref()),
            (
                "words-over-limit",
                self.words_over_limit_text.as_ref(),
                None,
            ),
        ];
        for (key, plural, single) in messages {
            i18n(&mut attributes, key, plural, single);
        }
        attributes.extend(self.form_group.attributes.0.iter().cloned());
        Attributes(attributes)
    }

    /// The textarea this renders as.
    fn textarea(&self) -> Textarea {
        let id = self.control_id().map(str::to_owned);
        Textarea {
            described_by: Some(format!("{}-info", de::or_undefined(id.as_deref()))),
            id,
            name: self.name.clone(),
            rows: self.rows.clone(),
            spellcheck: self.spellcheck,
            value: self.value.clone(),
            form_group: FormGroup {
                classes: Some(de::with_classes(
                    "govuk-character-count",
                    &self.form_group.classes,
                )),
                attributes: self.form_group_attributes(),
                before_input: self.form_group.before_input.clone(),
                after_input: Some(FormGroupContent {
                    html: Some(self.count_message()),
                    text: None,
                }),
            },
            classes: Some(de::with_classes("govuk-js-character-count", &self.classes)),
            label: self.label.clone(),
            hint: self.hint.clone(),
            error_message: self.error_message.clone(),
            attributes: self.attributes.clone(),
            ..Textarea::default()
        }
    }
}
