//! Helpers for the page components (skip link to footer): tolerant deserialisers for options
//! the package's fixtures give loosely (numbers where text is expected, `null`/`false`/`""`
//! entries in lists), and the Nunjucks truthiness and `html if html else text` rules the
//! templates rely on.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde_json::Value;

use super::attributes::escape;

/// Whether a JSON value is truthy the way Nunjucks (JavaScript) sees it.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Text as Nunjucks prints a scalar: strings as they are, numbers and booleans in their JSON
/// spelling; `null` is absent.
fn scalar_text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// An optional text option that may be given as a string, number or boolean.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(Value::deserialize(d)?))
}

/// An optional number that may be given as a number or a numeric string; falsy is absent.
pub(crate) fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .map(|n| u32::try_from(n).map_err(D::Error::custom))
            .transpose()
            .map(|n| n.filter(|n| *n != 0)),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse().map(Some).map_err(D::Error::custom),
        Value::Null | Value::Bool(false) => Ok(None),
        other => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// A boolean option taken by Nunjucks truthiness.
pub(crate) fn truthy<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(is_truthy(&Value::deserialize(d)?))
}

/// A list whose falsy entries (`null`, `false`, `""`, `0`), which the templates skip, are
/// dropped; a `null` list is empty.
pub(crate) fn items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let list = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    list.into_iter()
        .filter(is_truthy)
        .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
        .collect()
}

/// Nunjucks truthiness for optional text: present and not empty.
pub(crate) trait Given {
    /// The text when it is present and not empty.
    fn given(&self) -> Option<&str>;
}

impl Given for Option<String> {
    fn given(&self) -> Option<&str> {
        self.as_deref().filter(|s| !s.is_empty())
    }
}

/// `html | safe if html else text`: the HTML as it is when given, else the text escaped.
pub(crate) fn html_or_text(html: &Option<String>, text: &Option<String>) -> String {
    match html.given() {
        Some(html) => html.to_owned(),
        None => escape(text.as_deref().unwrap_or_default()),
    }
}

/// Appends ` extra` to `names` when `extra` is given.
pub(crate) fn push_classes(names: &mut String, extra: &Option<String>) {
    if let Some(extra) = extra.given() {
        names.push(' ');
        names.push_str(extra);
    }
}

/// A list whose falsy entries (`null`, `false`, `""`, `0`) are kept as `None`, for templates
/// that skip them but still count them (in `loop.index`); a `null` list is empty.
pub(crate) fn slots<'de, D, T>(d: D) -> Result<Vec<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let list = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    list.into_iter()
        .map(|v| {
            if is_truthy(&v) {
                serde_json::from_value(v)
                    .map(Some)
                    .map_err(D::Error::custom)
            } else {
                Ok(None)
            }
        })
        .collect()
}
