//! Tolerant deserialisers for the form components' options, and the few pieces of Nunjucks
//! value semantics the templates rely on.
//!
//! The package's fixtures (and callers used to the Nunjucks macros) give some options in
//! more than one JSON type: a `value` or `rows` as a number, a conditional's `html` as
//! `false`, an item list with `null`, `false` or `""` holes. The deserialisers here accept
//! those and turn them into the Rust types the components use, keeping what the Nunjucks
//! template would have done with them: a number renders as JavaScript prints it, a falsy
//! value counts as absent.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::attributes::escape;

/// A number as JavaScript's `String(n)` prints it, for the integers and simple decimals
/// options carry.
fn js_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or_default();
    if f.fract() == 0.0 && f.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let whole = f as i64;
        whole.to_string()
    } else {
        f.to_string()
    }
}

/// How Nunjucks prints a scalar, or `None` for `null`, `false` (when `false_is_absent`) and
/// objects or arrays (which no text option should be).
fn scalar(value: &Value, false_is_absent: bool) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(js_number(n)),
        Value::Bool(false) if false_is_absent => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Whether a JSON value is truthy in JavaScript.
fn truthy_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Text given as a string, number or `true`; `null` and `false` are absent.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(scalar(&Value::deserialize(deserializer)?, true))
}

/// Like [`text`], but `false` prints as `"false"` (an `<option value>` is printed whenever
/// it is given, whatever it is).
pub fn text_keeping_false<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(scalar(&Value::deserialize(deserializer)?, false))
}

/// A list of texts (strings or numbers); `null` is an empty list and holes are dropped.
pub fn text_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(values) => values.iter().filter_map(|v| scalar(v, true)).collect(),
        other => scalar(&other, true).into_iter().collect(),
    })
}

/// A map of names to texts (strings or numbers); `null` entries are left out.
pub fn text_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| scalar(v, true).map(|v| (k.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    })
}

/// An optional object: a falsy value (`null`, `false`, `""`, `0`) is absent, as a Nunjucks
/// `{% if x %}` would have it.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    entry(Value::deserialize(deserializer)?)
}

/// An object option whose absence and falsiness mean different things (the date input's
/// `day`, `month` and `year`: left out for the default, `false` or `null` to drop the field):
/// a missing field stays `None` through `#[serde(default)]`, a falsy one is `Some(None)`.
pub fn present_object<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    entry(Value::deserialize(deserializer)?).map(Some)
}

/// A list of items in which falsy entries (`null`, `false`, `""`) are holes the templates
/// skip but still count. A truthy non-object entry is an item with every option unset.
pub fn items<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    deserializer: D,
) -> Result<Vec<Option<T>>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Array(values) => values.into_iter().map(entry).collect(),
        _ => Ok(Vec::new()),
    }
}

fn entry<E: serde::de::Error, T: DeserializeOwned + Default>(value: Value) -> Result<Option<T>, E> {
    if !truthy_value(&value) {
        Ok(None)
    } else if value.is_object() {
        serde_json::from_value(value).map(Some).map_err(E::custom)
    } else {
        Ok(Some(T::default()))
    }
}

/// Nunjucks truthiness for optional text.
pub trait Truthy {
    /// The text when it is given and not empty.
    fn truthy(&self) -> Option<&str>;
}

impl Truthy for Option<String> {
    fn truthy(&self) -> Option<&str> {
        self.as_deref().filter(|s| !s.is_empty())
    }
}

/// The content of an element given as `html` (inserted raw, trimmed) or `text` (escaped):
/// `html` wins when it is not empty.
pub fn html_or_text(html: &Option<String>, text: &Option<String>) -> String {
    match html.truthy() {
        Some(html) => html.trim().to_owned(),
        None => escape(text.as_deref().unwrap_or_default()),
    }
}

/// `base`, then `extra` after a space when it is given.
pub fn with_classes(base: &str, extra: &Option<String>) -> String {
    match extra.truthy() {
        Some(extra) => format!("{base} {extra}"),
        None => base.to_owned(),
    }
}

/// How JavaScript concatenates a possibly undefined string: `undefined` prints as such.
pub fn or_undefined(value: Option<&str>) -> &str {
    value.unwrap_or("undefined")
}
