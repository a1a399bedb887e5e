//! Posted forms: `application/x-www-form-urlencoded` bodies as name → values (checkboxes and
//! repeated names keep every value).

use std::collections::BTreeMap;

/// A posted form.
pub type Form = BTreeMap<String, Vec<String>>;

/// Parses a form body. Malformed percent-encoding is decoded leniently, as browsers do.
pub fn parse(body: &[u8]) -> Form {
    let mut form = Form::new();
    for (name, value) in form_urlencoded::parse(body) {
        form.entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    form
}

/// The first value posted under `name`, or "".
pub fn value<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}
