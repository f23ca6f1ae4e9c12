//! Corrections from the web: the editor's forms in the reading view (a turn's speakers, and
//! any patch as JSON), the form handler, and the API endpoint
//! `POST /api/v1/documents/{id}/corrections` (bearer token or session with `X-CSRF-Token`).
//!
//! Every correction needs the editor role and a reason; it is stored as a patch with its
//! author and time, makes a new version, is written to the audit log, and is re-applied by
//! every later ingest of the document's source (see `opis_store::corrections`). The server
//! opens the index for reading only, so after a correction it brings the index up itself with
//! a short-lived writer (`Index::sync`); were `opis ingest` holding the writer, the next ingest
//! or search catches up from the change log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use opis_model::{Block, Document};
use opis_store::auth::Role;
use opis_store::corrections::{Patch, anchor_of};
use serde::{Deserialize, Serialize};

use crate::auth::{self, serde_urlencoded_form};
use crate::layout::doc_url;
use crate::{AppState, Shared, WebError, blocking};

/// The speakers form under a turn, for editors.
pub(crate) fn turn_form(doc_id: &str, block: &Block, n: u32) -> Markup {
    let viewer = auth::current();
    if viewer.role() < Some(Role::Editor) {
        return html! {};
    }
    html! {
        details.correct {
            summary { "Correct turn " (n + 1) }
            form method="post" action=(format!("{}/correct", doc_url(doc_id))) {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="op" value="set_speakers";
                input type="hidden" name="turn" value=(n);
                input type="hidden" name="anchor" value=(anchor_of(&block.text));
                p {
                    label for=(format!("speakers-{n}")) { "Speakers (separated by ;)" } " "
                    input id=(format!("speakers-{n}")) name="speakers" value=(block.speakers.join("; ")) required;
                }
                p {
                    label for=(format!("reason-{n}")) { "Reason" } " "
                    input id=(format!("reason-{n}")) name="reason" required;
                }
                p { button type="submit" { "Save the correction" } }
            }
        }
    }
}

/// Any patch as JSON, and the document's corrections so far, for editors.
pub(crate) fn document_form(doc: &Document) -> Markup {
    let viewer = auth::current();
    if viewer.role() < Some(Role::Editor) {
        return html! {};
    }
    html! {
        details.correct #correct-document {
            summary { "Correct this document" }
            p.n {
                "A patch as JSON, e.g. "
                code { r#"{"op":"set_heading","section":0,"heading":"…"}"# } ", "
                code { r#"{"op":"set_field","field":"title","value":"…"}"# } ", "
                code { r#"{"op":"attach_mention","name":"…","person":"…"}"# } ", "
                code { r#"{"op":"resolve_diagnostic","code":"…","line":null}"# } ", "
                code { "split_turn" } ", " code { "merge_with_next" } "."
            }
            form method="post" action=(format!("{}/correct", doc_url(&doc.id))) {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="op" value="json";
                p { label for="patch-json" { "Patch" } " " textarea #patch-json name="patch" rows="3" cols="60" required {} }
                p { label for="patch-reason" { "Reason" } " " input #patch-reason name="reason" required; }
                p { button type="submit" { "Save the correction" } }
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CorrectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    turn: String,
    #[serde(default)]
    anchor: String,
    #[serde(default)]
    speakers: String,
    #[serde(default)]
    patch: String,
    #[serde(default)]
    reason: String,
}

/// A correction asked for over the API.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CorrectionRequest {
    /// The patch: an object with `op` (`set_speakers`, `split_turn`, `merge_with_next`,
    /// `set_heading`, `set_field`, `attach_mention`, `resolve_diagnostic`) and its fields.
    #[schema(value_type = Object)]
    patch: Patch,
    /// Why (kept with the correction, shown in the audit log).
    reason: String,
}

/// What a correction did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CorrectionResult {
    pub correction: i64,
    /// The document's version after the correction.
    pub version: u32,
}

/// Stores a correction as the current viewer (who must be an editor) and updates the index.
fn apply(state: &AppState, id: &str, patch: &Patch, reason: &str) -> Result<(i64, u32), WebError> {
    let viewer = auth::current();
    let author = viewer.require(Role::Editor)?.name.clone();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(WebError::BadParameter("a correction needs a reason".into()));
    }
    let (cid, version) = state.with_store_mut(|st| {
        let Some(done) = st.correct(id, patch, &author, reason)? else {
            return Err(WebError::NotFound(format!("document {id:?}")));
        };
        st.audit(&author, "correction", id, &format!("#{} {} — {reason}", done.0, patch.describe()))?;
        Ok(done)
    })?;
    tracing::info!(user = %author, document = %id, correction = cid, "corrected");
    state.sync_index();
    Ok((cid, version))
}

/// POST /doc/{id}/correct: the reading view's forms.
pub(crate) async fn correct_form(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let viewer = auth::current();
    viewer.require(Role::Editor)?;
    let form: CorrectionForm = serde_urlencoded_form(&body)?;
    viewer.check_csrf(&form.csrf)?;
    let patch = match form.op.as_str() {
        "set_speakers" => Patch::SetSpeakers {
            turn: form.turn.parse().map_err(|_| WebError::BadParameter("turn is a number".into()))?,
            anchor: form.anchor,
            speakers: form.speakers.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        },
        "json" => serde_json::from_str(&form.patch).map_err(|e| WebError::BadParameter(format!("the patch: {e}")))?,
        other => return Err(WebError::BadParameter(format!("unknown correction {other:?}"))),
    };
    let target = id.clone();
    blocking(&state, move |s| apply(s, &target, &patch, &form.reason)).await?;
    Ok(Redirect::to(&doc_url(&id)).into_response())
}

/// Corrects a document.
#[utoipa::path(post, path = "/api/v1/documents/{id}/corrections", tag = "documents",
    params(("id" = String, Path, description = "The document's id")),
    request_body = CorrectionRequest,
    responses(
        (status = 200, description = "Stored; the document's new version", body = CorrectionResult),
        (status = 401, description = "No account or token"),
        (status = 403, description = "Not an editor"),
        (status = 404, description = "No such document"),
        (status = 422, description = "The patch does not apply")
    ))]
pub(crate) async fn correct_api(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<CorrectionResult>, crate::api::Failure> {
    let viewer = auth::current();
    viewer.require(Role::Editor)?;
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    viewer.check_csrf(csrf)?;
    let req: CorrectionRequest =
        serde_json::from_slice(&body).map_err(|e| WebError::BadParameter(format!("the request body: {e}")))?;
    let (correction, version) = blocking(&state, move |s| apply(s, &id, &req.patch, &req.reason)).await?;
    Ok(Json(CorrectionResult { correction, version }))
}
