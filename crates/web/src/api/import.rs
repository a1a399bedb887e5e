//! `POST /api/v1/legacy-import`: the legacy import (`docs/legacy-import.md`) for a
//! system-to-system client whose API token has the `import` scope. The body is JSON Lines
//! (`application/x-ndjson`), streamed to the service as it arrives (no size limit: memory stays
//! flat; each line is limited by the service). The answer reports imported, already present
//! and refused counts, with the first [`LISTED_REFUSALS`] refusals (line, rule, message).

use std::io::{BufRead, Read};
use std::pin::Pin;

use axum::body::{Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use nrm_access::Operation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::actor::Caller;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import))
}

/// How many refusals the answer lists (all are counted and audited).
pub const LISTED_REFUSALS: usize = 1000;

/// A refused line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefusedLine {
    /// 1-based line number in the body.
    pub line: u64,
    pub legacy_id: Option<String>,
    /// The step (0-based index into `steps`) that broke the rule, if a step did.
    pub step: Option<usize>,
    /// The rule's code.
    pub rule: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResponse {
    /// The run's id in the audit log (`import:<run>`).
    pub run: uuid::Uuid,
    pub lines: u64,
    pub imported: u64,
    pub already_present: u64,
    pub refused: u64,
    /// The first refusals, in line order within each batch.
    pub refusals: Vec<RefusedLine>,
}

/// Import legacy cases, each step decided by the rules of its own date.
#[utoipa::path(
    post, path = "/api/v1/legacy-import", tag = "operations",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One legacy case per line (docs/legacy-import.md)"),
    responses((status = 200, description = "Imported; refused lines are listed", body = ImportResponse))
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<axum::Json<ImportResponse>, Problem> {
    let capability =
        crate::access::authorise(&state, &caller, Operation::ImportLegacyCases).await?;
    let is_ndjson = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            v == "application/x-ndjson" || v == "application/jsonl"
        });
    if !is_ndjson {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the legacy cases as application/x-ndjson, one case a line",
        ));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let mut body = request.into_body();
    let pump = tokio::spawn(async move {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            let item = match frame {
                None => break,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_) => continue, // trailers
                },
                Some(Err(_)) => Err(std::io::Error::other("the request body broke off")),
            };
            let failed = item.is_err();
            if sender.send(item).await.is_err() || failed {
                break;
            }
        }
        drop(body);
    });
    let mut refusals = Vec::new();
    let result = state
        .cases
        .import_legacy(
            &capability,
            BodyReader {
                receiver,
                current: Bytes::new(),
            },
            state.now(),
            |_| {},
            |r| {
                if refusals.len() < LISTED_REFUSALS {
                    refusals.push(RefusedLine {
                        line: r.line,
                        legacy_id: r.legacy_id.clone(),
                        step: r.step,
                        rule: r.rule.clone(),
                        message: r.message.clone(),
                    });
                }
            },
        )
        .await;
    pump.abort();
    let report = result?;
    Ok(axum::Json(ImportResponse {
        run: report.run,
        lines: report.lines,
        imported: report.imported,
        already_present: report.already_present,
        refused: report.refused,
        refusals,
    }))
}

/// The request body as a blocking reader for the service's reading thread.
struct BodyReader {
    receiver: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for BodyReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        Ok(&self.current)
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.current.len());
        let _ = self.current.split_to(amt);
    }
}
