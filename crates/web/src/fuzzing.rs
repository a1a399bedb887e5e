//! The parsers that read untrusted input, each behind one function of bytes that panics when
//! an invariant breaks. The cargo-fuzz targets in `fuzz/` call these; `tests/fuzz_corpus.rs`
//! replays the committed corpus through them on the stable toolchain, so CI runs every input
//! the fuzzer ever kept. They add no behaviour: each calls the code a request reaches.

use chrono::NaiveDate;

use crate::api::submissions::{AdultReferralRequest, ChildReferralRequest, DutyToNotifyRequest};
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::referrals::journey;
use crate::problem::Problem;

/// The canary the corpus and the fuzz dictionaries plant in field names and values. A problem
/// that contains it has echoed input.
pub const CANARY: &str = "CANARY7Q3Z";

/// An API submission body, parsed as each of the three submission types and converted into the
/// domain's `Submission`. A refusal must be a 400 or 422 problem that echoes nothing.
pub fn submission_body(data: &[u8]) {
    check(crate::json::parse::<AdultReferralRequest>(data).and_then(|r| r.into_submission()));
    check(crate::json::parse::<ChildReferralRequest>(data).and_then(|r| r.into_submission()));
    check(crate::json::parse::<DutyToNotifyRequest>(data).and_then(|r| r.into_submission()));
}

fn check<T>(result: Result<T, Problem>) {
    if let Err(problem) = result {
        assert!(
            matches!(problem.status, 400 | 422),
            "status {}",
            problem.status
        );
        let body = serde_json::to_string(&problem).unwrap_or_default();
        assert!(!body.contains(CANARY), "the problem echoed input: {body}");
    }
}

/// A posted page form, parsed and checked by every question page of the referral journeys and
/// by the exploitation entry page, in both languages.
pub fn page_form(data: &[u8]) {
    let posted = form::parse(data);
    let today = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default();
    for lang in [Lang::En, Lang::Cy] {
        for question in journey::QUESTIONS {
            match journey::check_page(question, &posted, lang, today) {
                Ok(values) => {
                    // What a page stores are its own fields only.
                    assert!(
                        values
                            .keys()
                            .all(|k| question.fields.iter().any(|f| f.name == k))
                    );
                }
                Err((errors, _)) => assert!(!errors.is_empty()),
            }
        }
        let _ = journey::check_exploitation(&posted, lang);
    }
}

/// A rulebook document: parsed and checked; one that is accepted must survive a round trip
/// through its own serialisation unchanged.
pub fn rulebook(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = nrm_domain::rules::RulebookData::parse(text) {
        let again = serde_json::to_string(&parsed)
            .map_err(|e| e.to_string())
            .and_then(|json| nrm_domain::rules::RulebookData::parse(&json));
        assert_eq!(
            again.as_ref(),
            Ok(&parsed),
            "the rulebook did not round-trip"
        );
    }
}

/// A `next=` path (after signing in, after switching language): whatever it accepts must be a
/// same-site relative path that a browser cannot resolve to another site and that is a valid
/// `Location` header value.
pub fn next_path(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Some(next) = crate::pages::session::safe_next(input) else {
        return;
    };
    assert!(next.starts_with('/'), "{next:?}");
    assert!(!next.starts_with("//") && !next.contains('\\'), "{next:?}");
    assert!(next.chars().all(|c| c.is_ascii_graphic()), "{next:?}");
    assert!(
        axum::http::HeaderValue::from_str(next).is_ok(),
        "not a header value: {next:?}"
    );
    let uri: axum::http::Uri = next
        .parse()
        .unwrap_or_else(|e| panic!("{next:?} is not a URI: {e}"));
    assert!(
        uri.scheme().is_none() && uri.authority().is_none(),
        "{next:?} names another site"
    );
    // Dot segments matter in the path only: a browser never resolves `..` in the query.
    let path = next.split_once('?').map_or(next, |(path, _)| path);
    assert!(
        !path.split('/').any(|s| s == ".." || s == "."),
        "{next:?} has a dot segment"
    );
}
