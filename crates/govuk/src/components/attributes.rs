//! The `attributes` option every component takes, rendered the way the package's
//! `govukAttributes` macro renders it: ` name="value"` pairs in the order given, values
//! escaped; an `{ value, optional: true }` entry is left out when empty or false and rendered
//! bare when true.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// Extra HTML attributes for a component, in the order they were given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(pub Vec<(String, AttributeValue)>);

/// One attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// Rendered as `name="text"` (`null` renders `name=""`).
    Text(String),
    /// `{ value, optional: true }`: omitted when `None`, rendered bare when `Some(true)`.
    Optional(Option<OptionalValue>),
}

/// The value of an optional attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionalValue {
    Bool(bool),
    Text(String),
}

impl Attributes {
    /// Builds attributes from plain `name="value"` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(n, v)| (n.to_owned(), AttributeValue::Text(v.to_owned())))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Escapes text for an HTML attribute value or element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.0 {
            let name = escape(name);
            match value {
                AttributeValue::Text(text) => write!(f, " {name}=\"{}\"", escape(text))?,
                AttributeValue::Optional(None | Some(OptionalValue::Bool(false))) => {}
                AttributeValue::Optional(Some(OptionalValue::Bool(true))) => write!(f, " {name}")?,
                AttributeValue::Optional(Some(OptionalValue::Text(text))) => {
                    write!(f, " {name}=\"{}\"", escape(text))?;
                }
            }
        }
        Ok(())
    }
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attribute names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut pairs = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
                    let value = match &value {
                        serde_json::Value::Object(object) if object.contains_key("value") => {
                            let inner = &object["value"];
                            if object.get("optional") == Some(&serde_json::Value::Bool(true)) {
                                AttributeValue::Optional(match inner {
                                    serde_json::Value::Null => None,
                                    serde_json::Value::Bool(b) => Some(OptionalValue::Bool(*b)),
                                    other => scalar_text(other).map(OptionalValue::Text),
                                })
                            } else {
                                AttributeValue::Text(scalar_text(inner).unwrap_or_default())
                            }
                        }
                        other => AttributeValue::Text(scalar_text(other).unwrap_or_default()),
                    };
                    pairs.push((name, value));
                }
                Ok(Attributes(pairs))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Attributes, E> {
                Ok(Attributes::default())
            }
        }
        deserializer.deserialize_any(Ordered)
    }
}
