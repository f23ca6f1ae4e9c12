//! Citations over HTTP: one document's citation as a download in each format researchers use,
//! a whole search's documents as one file, and the `citation_*` / `DC.*` meta tags of the
//! reading view (the formats themselves are written by `opis-cite`).
//!
//! - `/doc/{id}/cite.json` CSL-JSON (`application/vnd.citationstyles.csl+json`), `cite.bib`
//!   BibTeX, `cite.ris` RIS, `cite.txt` a Chicago full note; each an attachment named after the
//!   document.
//! - `/search/cite.{json,bib,ris}?q=…&sort=…` the documents of a search's hits, each once, in
//!   the order of their first hit, at most [`EXPORT_LIMIT`]; the response says how many with
//!   `X-Opis-Export-Count` and sets `X-Opis-Export-Truncated: true` when the search found more.
//!
//! URLs in citations are absolute: the reading room's address is taken from the request's
//! `Host` (and `X-Forwarded-Proto: https` behind a proxy).

use std::collections::HashSet;
use std::sync::OnceLock;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use opis_cite::Citation;
use opis_cite::chicago::ChicagoNotes;
use opis_index::{MAX_LIMIT, MAX_OFFSET, SearchOptions, Sort};
use opis_model::Document;
use opis_store::Store;
use serde::Deserialize;

use crate::layout::enc;
use crate::{AppState, Shared, WebError, blocking};

/// Documents in one result-set export at most.
pub(crate) const EXPORT_LIMIT: usize = 500;
/// Hits read at most to find them (a search whose hits are mostly turns of few documents).
const EXPORT_SCAN: usize = 10 * MAX_LIMIT;

const CSL_JSON: &str = "application/vnd.citationstyles.csl+json";
const BIBTEX: &str = "application/x-bibtex; charset=utf-8";
const RIS: &str = "application/x-research-info-systems; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// The reading room's address as the client reached it: `http://{Host}` (https behind a proxy
/// that says so); `http://localhost` when the Host header is missing or not a host name.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

fn attachment(content_type: &'static str, file_name: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let mut res = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

async fn load(state: &Shared, id: String) -> Result<Document, WebError> {
    blocking(state, move |s| {
        s.with_store(|st| match st.document(&id)?.filter(crate::auth::sees) {
            Some(stored) => Ok(stored.document),
            None => Err(WebError::NotFound(format!("document {id:?}"))),
        })
    })
    .await
}

pub(crate) async fn doc_csl_json(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let c = Citation::new(&load(&state, id).await?, &base_url(&headers));
    let body = serde_json::to_string_pretty(&opis_cite::csl::items([&c])).unwrap_or_default();
    Ok(attachment(CSL_JSON, &c.file_name("json"), body))
}

pub(crate) async fn doc_bibtex(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let c = Citation::new(&load(&state, id).await?, &base_url(&headers));
    Ok(attachment(BIBTEX, &c.file_name("bib"), opis_cite::bibtex::entry(&c)))
}

pub(crate) async fn doc_ris(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let c = Citation::new(&load(&state, id).await?, &base_url(&headers));
    Ok(attachment(RIS, &c.file_name("ris"), opis_cite::ris::record(&c)))
}

/// The Chicago styles parsed once per process.
fn chicago() -> Result<&'static ChicagoNotes, String> {
    static CHICAGO: OnceLock<Result<ChicagoNotes, String>> = OnceLock::new();
    CHICAGO.get_or_init(|| ChicagoNotes::new().map_err(|e| e.to_string())).as_ref().map_err(Clone::clone)
}

/// Notes rendered lately, keyed by everything the note is made from (the whole [`Citation`]),
/// so a changed document or another base URL is a different key. Rendering through the CSL
/// processor costs about a millisecond and every reading view carries the note in its meta tags.
fn cached_note(c: &Citation) -> Result<String, String> {
    const CAPACITY: usize = 4096;
    static NOTES: OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> = OnceLock::new();
    let notes = NOTES.get_or_init(Default::default);
    let key = format!("{c:?}");
    if let Some(n) = notes.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(n.clone());
    }
    let note = chicago()?.note(c).map_err(|e| e.to_string())?;
    let mut map = notes.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CAPACITY {
        // Drop an arbitrary entry: the map's own order is as good as random here.
        if let Some(k) = map.keys().next().cloned() {
            map.remove(&k);
        }
    }
    map.insert(key, note.clone());
    Ok(note)
}

pub(crate) async fn doc_chicago(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let c = Citation::new(&load(&state, id).await?, &base_url(&headers));
    let note = tokio::task::spawn_blocking(move || {
        let note = cached_note(&c)?;
        Ok::<_, String>((note, c.file_name("txt")))
    })
    .await
    .map_err(|e| WebError::Task(e.to_string()))?;
    match note {
        Ok((note, file)) => Ok(attachment(TEXT, &file, format!("{note}\n"))),
        Err(e) => {
            tracing::error!(error = %e, "rendering a Chicago note failed");
            Ok((
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, TEXT)],
                "The citation could not be rendered.\n",
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ExportParams {
    q: Option<String>,
    sort: Option<String>,
}

/// The documents of a search's hits, each once, in the order of their first hit; and whether
/// the search found more than [`EXPORT_LIMIT`] (or more hits than were read).
fn export_documents(state: &AppState, query: &str, sort: Sort) -> Result<(Vec<Document>, bool), WebError> {
    let mut ids: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0;
    let truncated = loop {
        let opts = SearchOptions { limit: MAX_LIMIT, offset, sort, facets: false };
        let results = state
            .index()
            .search_as(query, &opts, &crate::auth::visibility())
            .map_err(|e| WebError::from_search(e, query))?;
        for hit in &results.hits {
            if !seen.contains(&hit.id) {
                if ids.len() == EXPORT_LIMIT {
                    break;
                }
                seen.insert(hit.id.clone());
                ids.push(hit.id.clone());
            }
        }
        offset += results.hits.len();
        let more = (offset as u64) < results.total;
        if ids.len() == EXPORT_LIMIT || results.hits.is_empty() || !more || offset >= EXPORT_SCAN.min(MAX_OFFSET) {
            // Whether a document not exported stands among the hits not yet read is not known
            // without reading them: say "truncated" when hits are left over.
            break more;
        }
    };
    let docs = state.with_store(|st| {
        let mut docs = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(stored) = st.document(id)?.filter(crate::auth::sees) {
                docs.push(stored.document);
            }
        }
        Ok(docs)
    })?;
    Ok((docs, truncated))
}

async fn export(state: Shared, p: ExportParams, headers: &HeaderMap) -> Result<(Vec<Citation>, bool), WebError> {
    let q = p.q.unwrap_or_default();
    let sort = match p.sort.as_deref() {
        Some("date") => Sort::DateAsc,
        Some("-date") => Sort::DateDesc,
        _ => Sort::Relevance,
    };
    let (docs, truncated) = blocking(&state, move |s| export_documents(s, &q, sort)).await?;
    let base = base_url(headers);
    Ok((docs.iter().map(|d| Citation::new(d, &base)).collect(), truncated))
}

fn export_response(content_type: &'static str, ext: &str, body: String, count: usize, truncated: bool) -> Response {
    let mut res = attachment(content_type, &format!("opis-search.{ext}"), body);
    let h = res.headers_mut();
    h.insert("x-opis-export-count", HeaderValue::from(count));
    h.insert("x-opis-export-limit", HeaderValue::from(EXPORT_LIMIT));
    if truncated {
        h.insert("x-opis-export-truncated", HeaderValue::from_static("true"));
    }
    res
}

pub(crate) async fn search_csl_json(
    State(state): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (cites, truncated) = export(state, p, &headers).await?;
    let body = serde_json::to_string_pretty(&opis_cite::csl::items(&cites)).unwrap_or_default();
    Ok(export_response(CSL_JSON, "json", body, cites.len(), truncated))
}

pub(crate) async fn search_bibtex(
    State(state): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (cites, truncated) = export(state, p, &headers).await?;
    Ok(export_response(BIBTEX, "bib", opis_cite::bibtex::entries(&cites), cites.len(), truncated))
}

pub(crate) async fn search_ris(
    State(state): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (cites, truncated) = export(state, p, &headers).await?;
    Ok(export_response(RIS, "ris", opis_cite::ris::records(&cites), cites.len(), truncated))
}

/// What the reading view adds to `<head>`: the Dublin Core schema links, the Highwire and
/// Dublin Core meta tags, the Chicago note as `DCTERMS.bibliographicCitation`, and the
/// citation downloads as alternates.
pub(crate) fn head(doc: &Document, headers: &HeaderMap) -> Markup {
    let c = Citation::new(doc, &base_url(headers));
    let base = format!("/doc/{}", enc(&doc.id));
    let note = cached_note(&c).ok();
    html! {
        link rel="schema.DC" href="http://purl.org/dc/elements/1.1/";
        link rel="schema.DCTERMS" href="http://purl.org/dc/terms/";
        @for tag in opis_cite::meta::tags(&c) {
            meta name=(tag.name) content=(tag.content);
        }
        @if let Some(n) = note {
            meta name="DCTERMS.bibliographicCitation" content=(n);
        }
        link rel="alternate" type="application/x-research-info-systems" href=(format!("{base}/cite.ris")) title="RIS";
        link rel="alternate" type="application/x-bibtex" href=(format!("{base}/cite.bib")) title="BibTeX";
        link rel="alternate" type=(CSL_JSON) href=(format!("{base}/cite.json")) title="CSL-JSON";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_base_url_is_the_host_the_client_reached_and_nothing_else() {
        assert_eq!(base_url(&headers(&[("host", "archive.example:8080")])), "http://archive.example:8080");
        assert_eq!(
            base_url(&headers(&[("host", "archive.example"), ("x-forwarded-proto", "https")])),
            "https://archive.example"
        );
        assert_eq!(base_url(&headers(&[("host", "[::1]:7700")])), "http://[::1]:7700");
        // A Host that is not a host name cannot put markup or a path into citations.
        assert_eq!(base_url(&headers(&[("host", "evil.example/\"><script>")])), "http://localhost");
        assert_eq!(base_url(&headers(&[("host", "a b")])), "http://localhost");
        assert_eq!(base_url(&HeaderMap::new()), "http://localhost");
    }
}
