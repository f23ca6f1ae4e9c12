//! Upload from the web: an editor sends one file (`POST /upload?filename=NAME[&collection=C]`,
//! the file as the request body), which is read as `opis ingest` reads a file — the reader
//! detected from the content, the same diagnostics — stored (corrections re-applied, access
//! rules applied), indexed and written to the audit log. The answer is JSON: the reader, and
//! for each document its id, what storing did and its diagnostics. The page at `GET /upload`
//! sends the chosen file with a few lines of script (`static/opis.js`) and shows the answer.
//!
//! Limits: [`MAX_UPLOAD_BYTES`] (or `OPIS_UPLOAD_MAX_BYTES`); the editor role; a CSRF token in
//! `X-CSRF-Token` for a signed-in session (a bearer token needs none).

use std::path::Path;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use maud::{Markup, html};
use opis_model::Diagnostic;
use opis_store::auth::Role;
use opis_store::{PreparedDocument, Provenance, PutOutcome, Store};
use serde::{Deserialize, Serialize};

use crate::{Shared, WebError, auth, blocking, layout};

/// The largest file taken by default: 32 MB.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// The size limit in force.
pub(crate) fn max_bytes() -> usize {
    std::env::var("OPIS_UPLOAD_MAX_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MAX_UPLOAD_BYTES)
}

#[derive(Deserialize)]
pub(crate) struct UploadParams {
    #[serde(default)]
    filename: String,
    collection: Option<String>,
}

/// One stored document of an upload.
#[derive(Serialize)]
pub(crate) struct UploadedDocument {
    id: String,
    title: String,
    /// `new`, `changed` or `unchanged`.
    outcome: &'static str,
    version: Option<u32>,
    diagnostics: Vec<Diagnostic>,
}

/// What an upload did.
#[derive(Serialize)]
pub(crate) struct UploadResult {
    reader: String,
    documents: Vec<UploadedDocument>,
    /// Diagnostics about the file as a whole.
    diagnostics: Vec<Diagnostic>,
}

/// GET /upload: the form (editors only).
pub(crate) async fn upload_form() -> Result<Markup, WebError> {
    let viewer = auth::current();
    viewer.require(Role::Editor)?;
    Ok(layout::page(
        "Upload",
        None,
        html! {
            h1 { "Upload a document" }
            p.lede {
                "A file in any format opis reads (a Wilson Center record or export, FRUS or other TEI, ParlaMint, \
                 Akoma Ntoso, opis JSON Lines), at most " (max_bytes() / (1024 * 1024)) " MB. It is read as "
                code { "opis ingest" } " reads it, with the same diagnostics."
            }
            form #upload-form method="post" action="/upload" data-csrf=(viewer.csrf()) {
                p { label for="upload-file" { "File" } " " input #upload-file type="file" name="file" required; }
                p { label for="upload-collection" { "Collection (optional)" } " " input #upload-collection name="collection"; }
                p { button type="submit" { "Upload" } }
            }
            pre #upload-result aria-live="polite" {}
        },
    ))
}

/// POST /upload.
pub(crate) async fn upload(
    State(state): State<Shared>,
    Query(p): Query<UploadParams>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<UploadResult>, crate::api::Failure> {
    let viewer = auth::current();
    let who = viewer.require(Role::Editor)?.name.clone();
    viewer.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or(""))?;
    let name = Path::new(p.filename.trim()).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.is_empty() {
        return Err(WebError::BadParameter("name the file: ?filename=NAME".into()).into());
    }
    if body.is_empty() {
        return Err(WebError::Rejected(format!("{name} is empty")).into());
    }
    let collection = p.collection.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let result = blocking(&state, move |s| {
        let parsed =
            opis_formats::parse_bytes(Path::new(&name), &body, None).map_err(|e| WebError::Rejected(e.to_string()))?;
        let reader = format!("{:?}", parsed.reader).to_lowercase();
        let batch: Vec<(PreparedDocument, Provenance)> = parsed
            .documents
            .into_iter()
            .map(|mut d| {
                if let Some(c) = &collection {
                    d.collection = Some(c.clone());
                }
                (PreparedDocument::new(d), Provenance { source_path: format!("upload:{name}") })
            })
            .collect();
        let receipt = s.with_store_mut(|st| {
            let receipt = st.put_prepared(&batch)?;
            let count = |o: fn(&PutOutcome) -> bool| receipt.outcomes.iter().filter(|x| o(x)).count();
            let detail = format!(
                "upload, {} bytes: {} new, {} changed, {} unchanged",
                body.len(),
                count(|o| matches!(o, PutOutcome::New)),
                count(|o| matches!(o, PutOutcome::Changed { .. })),
                count(|o| matches!(o, PutOutcome::Unchanged)),
            );
            st.audit(&who, "ingest", &name, &detail)?;
            Ok(receipt)
        })?;
        s.sync_index();
        let documents = batch
            .into_iter()
            .zip(receipt.outcomes)
            .map(|((d, _), outcome)| {
                let (outcome, version) = match outcome {
                    PutOutcome::New => ("new", Some(1)),
                    PutOutcome::Changed { version } => ("changed", Some(version)),
                    PutOutcome::Unchanged => ("unchanged", None),
                };
                let d = d.into_document();
                UploadedDocument { id: d.id, title: d.title, outcome, version, diagnostics: d.diagnostics }
            })
            .collect();
        Ok(UploadResult { reader, documents, diagnostics: parsed.diagnostics })
    })
    .await?;
    Ok(Json(result))
}
