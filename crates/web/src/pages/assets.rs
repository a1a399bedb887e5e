//! Serves the embedded GOV.UK Frontend files. Fingerprinted files are cached for a year and
//! marked immutable; the few files at fixed names (icons, manifest) for a day.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use nrm_govuk::assets;

pub async fn serve(uri: Uri) -> Response {
    let Some(asset) = assets::by_url(uri.path()) else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.body,
    )
        .into_response()
}
