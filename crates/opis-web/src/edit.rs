//! Corrections from the web: the editor's forms in the reading view (under each turn: its
//! speakers, split it, merge it with the next; for the document: a metadata field, a section's
//! heading, and any patch as JSON), the form handler, and the API endpoint
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

/// The hidden fields every correction form carries: the token, the operation, and the version
/// it corrects (a newer version by the time it is sent is a conflict, not overwritten).
fn op_fields(csrf: &str, op: &str, version: u32) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="op" value=(op);
        input type="hidden" name="version" value=(version);
    }
}

/// The hidden fields every form of a turn carries: the token, the operation and the turn.
fn turn_fields(csrf: &str, op: &str, version: u32, n: u32, block: &Block) -> Markup {
    html! {
        (op_fields(csrf, op, version))
        input type="hidden" name="turn" value=(n);
        input type="hidden" name="anchor" value=(anchor_of(&block.text));
    }
}

/// A reason field (every correction needs one) and the submit button.
fn reason_and_submit(id: &str, button: &str) -> Markup {
    html! {
        p {
            label for=(id) { "Reason" } " "
            input id=(id) name="reason" required;
        }
        p { button type="submit" { (button) } }
    }
}

/// The forms under a turn, for editors: its speakers, split it, merge it with the next.
pub(crate) fn turn_form(doc_id: &str, version: u32, block: &Block, n: u32) -> Markup {
    let viewer = auth::current();
    if viewer.role() < Some(Role::Editor) {
        return html! {};
    }
    let csrf = viewer.csrf();
    let action = format!("{}/correct", doc_url(doc_id));
    html! {
        details.correct {
            summary { "Correct turn " (n + 1) }
            form method="post" action=(action) { fieldset {
                legend { "Speakers" }
                (turn_fields(&csrf, "set_speakers", version, n, block))
                p {
                    label for=(format!("speakers-{n}")) { "Speakers (separated by ;)" } " "
                    input id=(format!("speakers-{n}")) name="speakers" value=(block.speakers.join("; ")) required;
                }
                (reason_and_submit(&format!("reason-{n}"), "Save the speakers"))
            } }
            form method="post" action=(action) { fieldset {
                legend { "Split this turn in two" }
                (turn_fields(&csrf, "split_turn", version, n, block))
                p {
                    label for=(format!("split-at-{n}")) { "Split where this text begins" } " "
                    input id=(format!("split-at-{n}")) name="at" required;
                }
                p {
                    label for=(format!("split-speakers-{n}")) { "The second part is spoken by (separated by ;)" } " "
                    input id=(format!("split-speakers-{n}")) name="speakers" required;
                }
                (reason_and_submit(&format!("split-reason-{n}"), "Split the turn"))
            } }
            form method="post" action=(action) { fieldset {
                legend { "Join with the next turn" }
                (turn_fields(&csrf, "merge_with_next", version, n, block))
                (reason_and_submit(&format!("merge-reason-{n}"), "Merge with the next turn"))
            } }
        }
    }
}

/// The metadata fields an editor may set (`Patch::SetField`).
const FIELDS: [&str; 6] = ["title", "summary", "place", "classification", "citation", "original_language"];

/// Any patch as JSON, and the document's corrections so far, for editors.
pub(crate) fn document_form(doc: &Document, version: u32) -> Markup {
    let viewer = auth::current();
    if viewer.role() < Some(Role::Editor) {
        return html! {};
    }
    html! {
        details.correct #correct-document {
            summary { "Correct this document" }
            form method="post" action=(format!("{}/correct", doc_url(&doc.id))) { fieldset {
                legend { "A metadata field" }
                (op_fields(&viewer.csrf(), "set_field", version))
                p {
                    label for="field-name" { "Field" } " "
                    select #field-name name="field" {
                        @for f in FIELDS { option value=(f) { (f.replace('_', " ")) } }
                    }
                    " "
                    label for="field-value" { "Value (empty clears it)" } " "
                    input #field-value name="value";
                }
                (reason_and_submit("field-reason", "Set the field"))
            } }
            @if !doc.sections.is_empty() {
                form method="post" action=(format!("{}/correct", doc_url(&doc.id))) { fieldset {
                    legend { "A section's heading" }
                    (op_fields(&viewer.csrf(), "set_heading", version))
                    p {
                        label for="heading-section" { "Section" } " "
                        select #heading-section name="section" {
                            @for (i, section) in doc.sections.iter().enumerate() {
                                option value=(i) {
                                    (i + 1) ". " (section.heading.as_deref().unwrap_or("(no heading)").chars().take(60).collect::<String>())
                                }
                            }
                        }
                        " "
                        label for="heading-text" { "Heading (empty removes it)" } " "
                        input #heading-text name="heading";
                    }
                    (reason_and_submit("heading-reason", "Set the heading"))
                } }
            }
            form method="post" action=(format!("{}/correct", doc_url(&doc.id))) { fieldset {
                legend { "Any correction, as JSON" }
                p.n {
                    "Names attached to a person, diagnostics resolved, or any of the above, e.g. "
                    code { r#"{"op":"attach_mention","name":"…","person":"…"}"# } ", "
                    code { r#"{"op":"resolve_diagnostic","code":"…","line":null}"# } "."
                }
                (op_fields(&viewer.csrf(), "json", version))
                p { label for="patch-json" { "Patch" } " " textarea #patch-json name="patch" rows="3" cols="60" required {} }
                (reason_and_submit("patch-reason", "Save the correction"))
            } }
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
    at: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    heading: String,
    #[serde(default)]
    patch: String,
    #[serde(default)]
    reason: String,
    /// The version the form was shown for (empty: not checked).
    #[serde(default)]
    version: String,
}

/// Names separated by `;`, trimmed, empty ones left out.
fn names(list: &str) -> Vec<String> {
    list.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

fn number(value: &str, what: &str) -> Result<u32, WebError> {
    value.trim().parse().map_err(|_| WebError::BadParameter(format!("{what} is a number")))
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
    /// The version the correction was made on. When given and the document has a newer
    /// version by now, the correction is refused (409 `conflict`) rather than laid over
    /// changes its author never saw.
    #[serde(default)]
    base_version: Option<u32>,
}

/// What a correction did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CorrectionResult {
    pub correction: i64,
    /// The document's version after the correction.
    pub version: u32,
}

/// Stores a correction as the current viewer (who must be an editor) and updates the index.
fn apply(
    state: &AppState,
    id: &str,
    patch: &Patch,
    reason: &str,
    base_version: Option<u32>,
) -> Result<(i64, u32), WebError> {
    let viewer = auth::current();
    let author = viewer.require(Role::Editor)?.name.clone();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(WebError::BadParameter("a correction needs a reason".into()));
    }
    let (cid, version) = state.with_store_mut(|st| {
        let Some(done) = st.correct(id, patch, &author, reason, base_version)? else {
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
            turn: number(&form.turn, "turn")?,
            anchor: form.anchor,
            speakers: names(&form.speakers),
        },
        "split_turn" => Patch::SplitTurn {
            turn: number(&form.turn, "turn")?,
            anchor: form.anchor,
            at: form.at.trim().to_owned(),
            speakers: names(&form.speakers),
        },
        "merge_with_next" => Patch::MergeWithNext { turn: number(&form.turn, "turn")?, anchor: form.anchor },
        "set_field" => Patch::SetField { field: form.field, value: form.value.trim().to_owned() },
        "set_heading" => Patch::SetHeading {
            section: number(&form.section, "section")?,
            heading: Some(form.heading.trim().to_owned()).filter(|h| !h.is_empty()),
        },
        "json" => serde_json::from_str(&form.patch).map_err(|e| WebError::BadParameter(format!("the patch: {e}")))?,
        other => return Err(WebError::BadParameter(format!("unknown correction {other:?}"))),
    };
    let target = id.clone();
    let base_version = form.version.trim().parse().ok();
    blocking(&state, move |s| apply(s, &target, &patch, &form.reason, base_version)).await?;
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
        (status = 409, description = "The document has a newer version than `base_version`: reload and correct again"),
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
    let (correction, version) =
        blocking(&state, move |s| apply(s, &id, &req.patch, &req.reason, req.base_version)).await?;
    Ok(Json(CorrectionResult { correction, version }))
}
