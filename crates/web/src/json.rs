//! The JSON body extractor: size-limited, strict, and precise about what is wrong.
//!
//! Unlike `axum::Json`, a rejection here is a problem-details body naming the field (as a JSON
//! pointer) and the problem: malformed JSON, a missing or unknown field, an unknown enumeration
//! value, a wrong type, or a body over the size limit. Values are never echoed back.

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
        let pointer = pointer_of(e.path());
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
                // serde reports a missing field at its parent: point at the field itself.
                let pointer = match message.strip_prefix("missing field `") {
                    Some(rest) => {
                        format!("{pointer}/{}", rest.split('`').next().unwrap_or_default())
                    }
                    None => pointer,
                };
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "The request has invalid fields",
                );
                p.errors = vec![InvalidField {
                    pointer,
                    detail: describe(&message),
                }];
                p
            }
        }
    })
}

/// serde's path (`victim.other_names[0]`) as a JSON pointer (`/victim/other_names/0`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// serde's message without the position suffix and without any echoed input value: messages
/// like "invalid type: string \"Jane\", expected a date" could carry personal data.
fn describe(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("`{field}` is not a field of this request");
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("`{field}` is required");
    }
    if message.starts_with("unknown variant") {
        let expected = message
            .split("expected ")
            .nth(1)
            .unwrap_or("one of the listed values");
        return format!("Not an allowed value: expected {expected}");
    }
    if message.starts_with("invalid type") {
        let expected = message.split("expected ").nth(1).unwrap_or("another type");
        return format!("Wrong type: expected {expected}");
    }
    if message.contains("premature end of input")
        || message.contains("input contains invalid characters")
        || message.contains("input is out of range")
        || message.contains("trailing input")
    {
        return "Not a real date: use YYYY-MM-DD".to_owned();
    }
    "Not a valid value".to_owned()
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
        assert!(p.errors[0].detail.contains("extra"));
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
}
