//! The JSON body extractor: size-limited, strict, and precise about what is wrong.
//!
//! Unlike `axum::Json`, a rejection here is a problem-details body naming the field (as a JSON
//! pointer) and the problem: malformed JSON, a missing or unknown field, an unknown enumeration
//! value, a wrong type, or a body over the size limit. Nothing from the body is echoed back:
//! no value, no unknown field's name.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::problem::{InvalidField, Problem};

/// Largest accepted request body. A referral with a long narrative is well under this.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON request body parsed strictly into `T`.
#[derive(Debug)]
pub struct StrictJson<T>(pub T);

impl<S, T> FromRequest<S> for StrictJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_bytes(req).await?;
        let _ = state;
        parse(&bytes).map(StrictJson)
    }
}

/// Checks the media type and the size limit and reads the body.
async fn read_json_bytes(req: Request) -> Result<Bytes, Problem> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().ends_with("+json")
        });
    if !is_json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the request body as application/json",
        ));
    }
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The request body is too large",
        )
        .detail(format!("The limit is {MAX_BODY_BYTES} bytes"))
    };
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > MAX_BODY_BYTES
    {
        return Err(too_large());
    }
    let limited = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
    let bytes: Bytes = match limited {
        Ok(bytes) => bytes,
        Err(_) => return Err(too_large()),
    };
    Ok(bytes)
}

/// A JSON request body checked for media type and size, not yet parsed. Handlers parse it
/// after the access decision, so a caller who may not act learns nothing from validation.
#[derive(Debug)]
pub struct JsonBody(Bytes);

impl JsonBody {
    /// Parses the body strictly into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        parse(&self.0)
    }
}

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_bytes(req).await?;
        let _ = state;
        Ok(Self(bytes))
    }
}

/// Parses `bytes` as `T`, turning any failure into a problem naming where it happened.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let segments = segments_of(e.path());
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                "The request body is not valid JSON",
            )
            .detail(format!(
                "Parsing stopped at line {} column {}",
                inner.line(),
                inner.column()
            )),
            Category::Data => {
                let message = inner.to_string();
                let (pointer, detail) = describe(segments, &message);
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "The request has invalid fields",
                );
                p.errors = vec![InvalidField { pointer, detail }];
                p
            }
        }
    })
}

/// serde's path (`victim.other_names[0]`) as JSON pointer segments (`victim`, `other_names`,
/// `0`), still raw: an unknown field's own name is its last segment.
fn segments_of(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => Some(key.clone()),
            Segment::Unknown => None,
        })
        .collect()
}

/// The segments as a JSON pointer holding only array indexes and names of the shape request
/// types declare: a key of any other shape (which could only have come from the input) ends
/// the pointer at its parent.
fn pointer_of(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        if !is_declared_name(segment) {
            break;
        }
        out.push('/');
        out.push_str(segment);
    }
    out
}

/// The pointer and detail for one of serde's data errors, built only from this service's own
/// words and its request types' field and value names, never from the input.
///
/// serde's messages carry the input: `invalid type: string "Jane", expected a date`,
/// `unknown variant `Jane``, `unknown field `Jane``. Each known shape is recognised by its
/// fixed prefix, and only the part serde appends from the *type* (what was expected, which
/// comes last, so it is split off from the right) is kept; anything else gets a fixed text.
fn describe(mut segments: Vec<String>, message: &str) -> (String, String) {
    // serde_json appends " at line L column C"; the input never follows it.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
    // What the type expected: serde puts it last, after the input.
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected);
    let pointer = pointer_of(&segments);
    if message.starts_with("unknown field `") {
        // The path ends with the unknown field's own name: report it at its parent.
        segments.pop();
        let pointer = pointer_of(&segments);
        let detail = if pointer.is_empty() {
            "Unknown field at the top level: remove it".to_owned()
        } else {
            format!("Unknown field at {pointer}: remove it")
        };
        return (pointer, detail);
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(field) = rest.strip_suffix('`')
        && is_declared_name(field)
    {
        // serde reports a missing field at its parent: point at the field itself.
        return (
            format!("{pointer}/{field}"),
            format!("`{field}` is required"),
        );
    }
    if message.starts_with("duplicate field `") {
        return (pointer, "A field appears more than once".to_owned());
    }
    if message.starts_with("unknown variant `") {
        let detail = match expected.filter(|e| e.starts_with("one of ") || e.starts_with('`')) {
            Some(expected) => format!("Not an allowed value: expected {expected}"),
            None => "Not an allowed value".to_owned(),
        };
        return (pointer, detail);
    }
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        let detail = match expected.and_then(plain_expectation) {
            Some(expected) => format!("Wrong type or value: expected {expected}"),
            None => "Not a valid value".to_owned(),
        };
        return (pointer, detail);
    }
    if message.starts_with("invalid length ") {
        return (pointer, "Wrong number of items".to_owned());
    }
    // chrono's date parser: its messages are fixed and never quote the input.
    if matches!(
        message,
        "premature end of input"
            | "input contains invalid characters"
            | "input is out of range"
            | "trailing input"
            | "input is not enough for unique date and time"
            | "no possible date and time matching input"
            | "impossible"
            | "bad or unsupported format string"
    ) {
        return (pointer, "Not a real date: use YYYY-MM-DD".to_owned());
    }
    (pointer, "Not a valid value".to_owned())
}

/// Whether `name` could be a field name declared by a request type (snake_case ASCII): a
/// missing-field message names one of ours, never the input.
fn is_declared_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What a request type expected, in words for an API client. serde's own words for our types
/// (`struct VictimRequest`, `u64`) become plain ones; anything unrecognised gives `None`.
fn plain_expectation(expected: &str) -> Option<&'static str> {
    Some(match expected {
        e if e.starts_with("struct ") || e == "a map" => "an object",
        e if e.starts_with("enum ") => "one of the allowed values",
        "a sequence" => "a list",
        "a string" | "a borrowed string" | "a character" => "a string",
        "a boolean" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "a whole number"
        }
        "a formatted date string" | "a date" => "a date as YYYY-MM-DD",
        "UUID" | "a UUID string" => "a UUID",
        "unit" | "null" => "null",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Sample {
        born: chrono::NaiveDate,
        names: Vec<String>,
    }

    #[test]
    fn problems_point_at_fields_and_never_echo_values() {
        let p = parse::<Sample>(br#"{"born": "Jane Doe", "names": []}"#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert_eq!(p.errors[0].pointer, "/born");
        assert!(
            !serde_json::to_string(&p)
                .unwrap_or_default()
                .contains("Jane")
        );
        let p = parse::<Sample>(br#"{"born": "2020-02-30", "names": []}"#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert_eq!(p.errors[0].pointer, "/born");
        let p = parse::<Sample>(br#"{"born": "2020-02-03", "names": [], "extra": 1}"#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert_eq!(p.errors[0].pointer, "");
        assert!(!p.errors[0].detail.contains("extra"), "{:?}", p.errors);
        let p = parse::<Sample>(br#"{"born": "2020-02-03"}"#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert!(p.errors[0].detail.contains("names"), "{:?}", p.errors);
        let p = parse::<Sample>(br#"{"born": "#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert_eq!(p.status, 400);
        let p = parse::<Sample>(br#"{"born": "2020-02-03", "names": ["a", 3]}"#)
            .err()
            .unwrap_or_else(|| panic!("refused"));
        assert_eq!(p.errors[0].pointer, "/names/1");
    }

    // ASVS v5.0.0-16.5.1: input crafted to look like serde's own words is not echoed either.
    #[test]
    fn input_that_imitates_serde_messages_is_not_echoed() {
        for body in [
            r#"{"born": "x, expected SECRET", "names": []}"#,
            r#"{"born": "2020-01-01", "names": "SECRET at line 1 column 1"}"#,
            r#"{"born": "2020-01-01", "names": [], "SECRET, expected x": 1}"#,
            r#"{"born": "2020-01-01", "names": [], "secret_name": 1}"#,
            r#"{"born": {"SECRET": 1}, "names": []}"#,
        ] {
            let p = parse::<Sample>(body.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("refused"));
            let text = serde_json::to_string(&p).unwrap_or_default();
            assert!(!text.to_lowercase().contains("secret"), "{text}");
        }
    }
}
