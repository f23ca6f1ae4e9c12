//! The JSON API under `/api/v1`, and its OpenAPI 3.1 description at `/api/openapi.json`.
//!
//! The description is generated from these handlers and the model's types (`utoipa`), so it
//! cannot drift from what is served. Every error is an [`ApiError`] object whose `code` and
//! HTTP status come from the one table in [`crate::error`]; malformed parameters are
//! `bad_parameter` (400), never a bare framework rejection.
//!
//! Lists page with a keyset cursor (`next_cursor`, the last id of the page), so a client
//! walking the collection meets every document once even while ingest adds more.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use opis_index::{MAX_LIMIT, MAX_OFFSET, SearchOptions, SearchResults, Sort};
use opis_model::Document;
use opis_store::{CollectionSummary, DocumentFilter, DocumentSummary, Stats, Store, VersionInfo};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::WebError;
use crate::layout::quoted;
use crate::{Shared, blocking};

/// Most documents one list page returns.
pub const MAX_PAGE: usize = 500;
/// Most people `/api/v1/people` returns.
const MAX_PEOPLE: usize = 1000;

/// The API's routes, to be nested under `/api` by [`crate::router`] (unknown paths there get a
/// JSON 404, not the reading room's page).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/documents", get(list_documents))
        .route("/v1/documents/{id}", get(get_document))
        .route("/v1/documents/{id}/versions", get(list_versions))
        .route("/v1/documents/{id}/versions/{version}", get(get_version))
        .route("/v1/search", get(search))
        .route("/v1/people", get(list_people))
        .route("/v1/people/{name}", get(get_person))
        .route("/v1/persons", get(list_persons))
        .route("/v1/persons/{id}", get(get_authority_person))
        .route("/v1/archives", get(list_archives))
        .route("/v1/collections", get(list_collections))
        .route("/v1/stats", get(stats))
        .route("/v1/documents/{id}/corrections", axum::routing::post(crate::edit::correct_api))
        .fallback(api_not_found)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "opis API",
        version = "1",
        description = "Documents, search, people, archives and collections of an opis archive. \
                       Errors are `ApiError` objects; lists page with `next_cursor`."
    ),
    paths(
        list_documents,
        get_document,
        list_versions,
        get_version,
        search,
        list_people,
        get_person,
        list_persons,
        get_authority_person,
        list_archives,
        list_collections,
        stats,
        crate::edit::correct_api
    ),
    components(schemas(ApiError, ErrorBody))
)]
struct ApiDoc;

/// The OpenAPI 3.1 description of this API.
async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error, as every API endpoint returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `not_found`, `bad_query`, `bad_parameter`, `internal`.
    pub code: String,
    /// For people.
    pub message: String,
    /// For `bad_query`: the 0-based character offset in `q` where the query goes wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// A [`WebError`] answered as JSON.
pub(crate) struct Failure(pub(crate) WebError);

impl From<WebError> for Failure {
    fn from(e: WebError) -> Self {
        Failure(e)
    }
}

impl From<opis_store::StoreError> for Failure {
    fn from(e: opis_store::StoreError) -> Self {
        Failure(WebError::Store(e))
    }
}

impl From<QueryRejection> for Failure {
    fn from(e: QueryRejection) -> Self {
        Failure(WebError::BadParameter(e.body_text()))
    }
}

impl From<PathRejection> for Failure {
    fn from(e: PathRejection) -> Self {
        Failure(WebError::BadParameter(e.body_text()))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(error = %e, "an API request failed");
        }
        let (message, position) = match &e {
            WebError::BadQuery { message, position, .. } => (message.clone(), Some(*position)),
            e if status.is_server_error() => {
                let _ = e;
                ("the server could not answer this request; it has been logged".to_owned(), None)
            }
            e => (e.to_string(), None),
        };
        let body = ApiError { error: ErrorBody { code: e.code().to_owned(), message, position } };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, Failure>;

async fn api_not_found(uri: axum::http::Uri) -> Failure {
    // Nested under /api, the path seen here has lost its prefix.
    Failure(WebError::NotFound(format!("no API endpoint at /api{}", uri.path())))
}

fn bad(message: impl Into<String>) -> Failure {
    Failure(WebError::BadParameter(message.into()))
}

/// A `limit` parameter: `default` when absent, else between 1 and `max`.
fn limit_within(limit: Option<usize>, default: usize, max: usize) -> Result<usize, Failure> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(bad(format!("limit must be between 1 and {max}")));
    }
    Ok(limit)
}

/// `YYYY-MM-DD`, checked as a calendar day.
fn day(name: &str, value: &Option<String>) -> Result<Option<String>, Failure> {
    let Some(v) = value else { return Ok(None) };
    let ok = v.len() == 10
        && v.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    if ok { Ok(Some(v.clone())) } else { Err(bad(format!("{name} must be a day as YYYY-MM-DD, not {v:?}"))) }
}

// ---------------------------------------------------------------------------------------------
// Documents

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Only documents of this collection.
    collection: Option<String>,
    /// Only documents of this kind ("memorandum", "telegram", …).
    kind: Option<String>,
    /// Only documents in this language (ISO 639-1).
    language: Option<String>,
    /// Only documents whose date range ends on or after this day.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    from: Option<String>,
    /// Only documents whose date range starts on or before this day.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    until: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Documents per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// One page of documents.
#[derive(Debug, Serialize, ToSchema)]
struct DocumentPage {
    items: Vec<DocumentSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// Lists documents in id order, narrowed by collection, kind, language and date.
#[utoipa::path(get, path = "/api/v1/documents", params(ListParams), tag = "documents",
    responses(
        (status = 200, description = "A page of documents", body = DocumentPage),
        (status = 400, description = "A malformed parameter", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_documents(
    State(state): State<Shared>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<DocumentPage> {
    let Query(p) = params?;
    let limit = limit_within(p.limit, 50, MAX_PAGE)?;
    let filter = DocumentFilter {
        collection: p.collection,
        kind: p.kind,
        language: p.language,
        from: day("from", &p.from)?,
        until: day("until", &p.until)?,
        visibility: Some(crate::auth::visibility()),
    };
    let cursor = p.cursor;
    let items =
        blocking(&state, move |s| s.with_store(|st| Ok(st.list_documents(&filter, cursor.as_deref(), limit + 1)?)))
            .await?;
    let mut items = items;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|d| d.id.clone())
    } else {
        None
    };
    Ok(Json(DocumentPage { items, next_cursor }))
}

/// A document as stored: its current version and the model JSON.
#[derive(Debug, Serialize, ToSchema)]
struct DocumentRecord {
    id: String,
    version: u32,
    content_hash: String,
    /// When this version was stored (UTC, RFC 3339).
    updated_at: String,
    document: Document,
}

/// One document, its current version.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document", body = DocumentRecord),
        (status = 404, description = "No such document", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn get_document(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<DocumentRecord> {
    let Path(id) = id?;
    let record = blocking(&state, move |s| {
        let stored = s.with_store(|st| Ok(st.document(&id)?))?;
        stored
            .filter(crate::auth::sees)
            .map(|d| DocumentRecord {
                id: d.document.id.clone(),
                version: d.version,
                content_hash: d.content_hash,
                updated_at: d.updated_at,
                document: d.document,
            })
            .ok_or_else(|| WebError::NotFound(format!("document {id:?}")))
    })
    .await?;
    Ok(Json(record))
}

/// Every version of a document, oldest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = String, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The versions", body = Vec<VersionInfo>),
        (status = 404, description = "No such document", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_versions(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Vec<VersionInfo>> {
    let Path(id) = id?;
    let versions = blocking(&state, move |s| {
        let v = s.with_store(|st| {
            if !st.visible(&id, &crate::auth::visibility())? {
                return Ok(Vec::new());
            }
            Ok(st.versions(&id)?)
        })?;
        if v.is_empty() { Err(WebError::NotFound(format!("document {id:?}"))) } else { Ok(v) }
    })
    .await?;
    Ok(Json(versions))
}

/// One version of a document, as it was stored then.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}", tag = "documents",
    params(
        ("id" = String, Path, description = "The document's id"),
        ("version" = u32, Path, minimum = 1, description = "The version number (1 is the first)")
    ),
    responses(
        (status = 200, description = "That version of the document", body = Document),
        (status = 400, description = "A malformed version number", body = ApiError),
        (status = 404, description = "No such document or version", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn get_version(
    State(state): State<Shared>,
    path: Result<Path<(String, u32)>, PathRejection>,
) -> ApiResult<Document> {
    let Path((id, version)) = path?;
    if version == 0 {
        return Err(bad("versions are numbered from 1"));
    }
    let doc = blocking(&state, move |s| {
        s.with_store(|st| {
            if !st.visible(&id, &crate::auth::visibility())? {
                return Ok(None);
            }
            Ok(st.version(&id, version)?)
        })?
        .ok_or_else(|| WebError::NotFound(format!("document {id:?} version {version}")))
    })
    .await?;
    Ok(Json(doc))
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The query: words, "phrases", AND/OR/NOT, -word, and the fields speaker:, person:,
    /// archive:, kind:, lang:, collection:, date:1956-11-01..1956-11-05. Empty matches all.
    q: Option<String>,
    /// Hits to return (default 10; 0 returns only `total` and facets).
    #[param(minimum = 0, maximum = 1000)]
    limit: Option<usize>,
    /// Hits to skip.
    #[param(minimum = 0, maximum = 100000)]
    offset: Option<usize>,
    /// `relevance` (default), `date_asc` or `date_desc`.
    #[param(inline)]
    sort: Option<SortParam>,
    /// Count facets (kind, language, collection, year, person, archive, speaker).
    facets: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum SortParam {
    Relevance,
    DateAsc,
    DateDesc,
}

/// Searches documents and turns; a hit inside a turn names the turn and its speakers.
#[utoipa::path(get, path = "/api/v1/search", params(SearchParams), tag = "search",
    responses(
        (status = 200, description = "Ranked hits, the total, and facets when asked", body = SearchResults),
        (status = 400, description = "A query that does not parse (`bad_query`, with its position) or a malformed \
                                      parameter", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn search(
    State(state): State<Shared>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> ApiResult<SearchResults> {
    let Query(p) = params?;
    let limit = p.limit.unwrap_or(10);
    let offset = p.offset.unwrap_or(0);
    if limit > MAX_LIMIT {
        return Err(bad(format!("limit must be at most {MAX_LIMIT}")));
    }
    if offset > MAX_OFFSET {
        return Err(bad(format!("offset must be at most {MAX_OFFSET}")));
    }
    let sort = match p.sort.unwrap_or(SortParam::Relevance) {
        SortParam::Relevance => Sort::Relevance,
        SortParam::DateAsc => Sort::DateAsc,
        SortParam::DateDesc => Sort::DateDesc,
    };
    let opts = SearchOptions { limit, offset, sort, facets: p.facets.unwrap_or(false) };
    let q = p.q.unwrap_or_default();
    let results = blocking(&state, move |s| {
        s.index().search_as(&q, &opts, &crate::auth::visibility()).map_err(|e| WebError::from_search(e, &q))
    })
    .await?;
    Ok(Json(results))
}

// ---------------------------------------------------------------------------------------------
// People, archives, collections, stats

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PeopleParams {
    /// Only names containing this text (case-insensitive).
    contains: Option<String>,
    /// Most names to return (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A person as the collection knows them.
#[derive(Debug, Serialize, ToSchema)]
struct PersonSummary {
    name: String,
    /// Turns this person speaks.
    turns: u64,
    /// Documents that name this person.
    documents: u64,
}

/// People who speak or are named, most turns first, then most documents.
#[utoipa::path(get, path = "/api/v1/people", params(PeopleParams), tag = "people",
    responses(
        (status = 200, description = "People", body = Vec<PersonSummary>),
        (status = 400, description = "A malformed parameter", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_people(
    State(state): State<Shared>,
    params: Result<Query<PeopleParams>, QueryRejection>,
) -> ApiResult<Vec<PersonSummary>> {
    let Query(p) = params?;
    let limit = limit_within(p.limit, 100, MAX_PEOPLE)?;
    let facets = blocking(&state, facet_counts).await?;
    let contains = p.contains.map(|c| c.to_lowercase());
    let mut people: std::collections::BTreeMap<String, PersonSummary> = Default::default();
    for (facet, is_turns) in [("speaker", true), ("person", false)] {
        for (name, n) in facets.facets.get(facet).into_iter().flatten() {
            if contains.as_ref().is_some_and(|c| !name.to_lowercase().contains(c.as_str())) {
                continue;
            }
            let p = people.entry(name.clone()).or_insert_with(|| PersonSummary {
                name: name.clone(),
                turns: 0,
                documents: 0,
            });
            if is_turns {
                p.turns = *n;
            } else {
                p.documents = *n;
            }
        }
    }
    let mut people: Vec<PersonSummary> = people.into_values().collect();
    people.sort_by(|a, b| b.turns.cmp(&a.turns).then(b.documents.cmp(&a.documents)).then(a.name.cmp(&b.name)));
    people.truncate(limit);
    Ok(Json(people))
}

fn facet_counts(s: &crate::AppState) -> Result<SearchResults, WebError> {
    s.index()
        .search_as(
            "",
            &SearchOptions { limit: 0, offset: 0, sort: Sort::Relevance, facets: true },
            &crate::auth::visibility(),
        )
        .map_err(WebError::from)
}

/// One person: their turns across the collection, in date order, and how many documents name them.
#[derive(Debug, Serialize, ToSchema)]
struct PersonRecord {
    name: String,
    /// Documents that name this person (attendance, mentions, metadata).
    documents: u64,
    /// Every turn this person speaks (up to 1000), in date order.
    turns: Vec<opis_index::Hit>,
}

/// One person's turns and mentions.
#[utoipa::path(get, path = "/api/v1/people/{name}", tag = "people",
    params(("name" = String, Path, description = "The name, as the people list gives it")),
    responses(
        (status = 200, description = "The person", body = PersonRecord),
        (status = 404, description = "Nobody of that name", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn get_person(State(state): State<Shared>, name: Result<Path<String>, PathRejection>) -> ApiResult<PersonRecord> {
    let Path(name) = name?;
    let record = blocking(&state, move |s| {
        let who = quoted(name.trim());
        if who == "\"\"" {
            return Err(WebError::NotFound(format!("person {name:?}")));
        }
        let all = |q: String, limit| {
            s.index()
                .search_as(
                    &q,
                    &SearchOptions { limit, offset: 0, sort: Sort::DateAsc, facets: false },
                    &crate::auth::visibility(),
                )
                .map_err(|e| match e {
                    // A name with nothing to search for ("£") names nobody.
                    opis_index::IndexError::Query { .. } => WebError::NotFound(format!("person {name:?}")),
                    e => WebError::from(e),
                })
        };
        let turns: Vec<_> =
            all(format!("speaker:{who}"), MAX_LIMIT)?.hits.into_iter().filter(|h| h.turn.is_some()).collect();
        let documents = all(format!("person:{who}"), 0)?.total;
        if turns.is_empty() && documents == 0 {
            return Err(WebError::NotFound(format!("person {name:?}")));
        }
        Ok(PersonRecord { name: name.trim().to_owned(), documents, turns })
    })
    .await?;
    Ok(Json(record))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PersonsParams {
    /// Only persons whose preferred name or a spelling contains this text.
    contains: Option<String>,
    /// Most persons to return (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Persons to skip (for the next page).
    #[param(minimum = 0, maximum = 100000)]
    offset: Option<usize>,
}

/// A page of the people authority.
#[derive(Debug, Serialize, ToSchema)]
struct PersonsPage {
    /// Persons matching, on every page.
    total: u64,
    persons: Vec<opis_model::people::Person>,
}

/// The people authority: one entry per person however spelled (variants with script and
/// romanization, life dates, roles, sources, why merged), most documents first. Persons named
/// only in documents the caller may not see are left out.
#[utoipa::path(get, path = "/api/v1/persons", params(PersonsParams), tag = "people",
    responses(
        (status = 200, description = "Persons", body = PersonsPage),
        (status = 400, description = "A malformed parameter", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_persons(
    State(state): State<Shared>,
    params: Result<Query<PersonsParams>, QueryRejection>,
) -> ApiResult<PersonsPage> {
    let Query(p) = params?;
    let limit = limit_within(p.limit, 100, MAX_PEOPLE)?;
    let offset = p.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(bad(format!("offset must be at most {MAX_OFFSET}")));
    }
    let contains = p.contains.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let page = blocking(&state, move |s| {
        s.with_store(|store| {
            let visibility = crate::auth::visibility();
            let (total, persons) = store.people_page(contains.as_deref(), &visibility, limit, offset)?;
            let mut shown = Vec::with_capacity(persons.len());
            for person in persons {
                shown.extend(crate::authority::for_viewer(store, person, &visibility)?);
            }
            Ok(PersonsPage { total, persons: shown })
        })
    })
    .await?;
    Ok(Json(page))
}

/// One person of the authority with the documents that name them.
#[derive(Debug, Serialize, ToSchema)]
struct AuthorityPerson {
    person: opis_model::people::Person,
    /// Each (document, spelling) linked to the person: turns spoken, mentions, how it was linked.
    links: Vec<opis_model::people::PersonLink>,
}

/// One person of the people authority, by id (as `/api/v1/persons` gives it).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "people",
    params(("id" = String, Path, description = "The person's id in the authority")),
    responses(
        (status = 200, description = "The person", body = AuthorityPerson),
        (status = 404, description = "No such person", body = ApiError),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn get_authority_person(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<AuthorityPerson> {
    let Path(id) = id?;
    let found = blocking(&state, move |s| {
        s.with_store(|store| {
            let visibility = crate::auth::visibility();
            let missing = || WebError::NotFound(format!("person {id:?}"));
            let person = store.person(&id)?.ok_or_else(missing)?;
            let person = crate::authority::for_viewer(store, person, &visibility)?.ok_or_else(missing)?;
            let links = crate::authority::visible_links(store, &id, &visibility)?;
            Ok(AuthorityPerson { person, links })
        })
    })
    .await?;
    Ok(Json(found))
}

/// One archive, fond, opis or file, with the documents that cite it.
#[derive(Debug, Serialize, ToSchema)]
struct ArchiveNode {
    /// Archive, then fond, opis and file as far as known, e.g. ["TsKhSD", "F. 3", "Op. 12", "D. 1006"].
    path: Vec<String>,
    /// Documents whose archival references fall under this node.
    documents: u64,
}

/// Every archive and file the collection's archival references name, as a flat list of paths.
#[utoipa::path(get, path = "/api/v1/archives", tag = "archives",
    responses(
        (status = 200, description = "Archive nodes, in path order", body = Vec<ArchiveNode>),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_archives(State(state): State<Shared>) -> ApiResult<Vec<ArchiveNode>> {
    let facets = blocking(&state, facet_counts).await?;
    let nodes = facets
        .facets
        .get("archive")
        .into_iter()
        .flatten()
        .map(|(path, n)| ArchiveNode { path: path.split(", ").map(str::to_owned).collect(), documents: *n })
        .collect();
    Ok(Json(nodes))
}

/// Collections with their counts and date spans.
#[utoipa::path(get, path = "/api/v1/collections", tag = "collections",
    responses(
        (status = 200, description = "Collections by name", body = Vec<CollectionSummary>),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn list_collections(State(state): State<Shared>) -> ApiResult<Vec<CollectionSummary>> {
    Ok(Json(blocking(&state, |s| s.with_store(|st| Ok(st.collections_visible(&crate::auth::visibility())?))).await?))
}

/// Counts over the whole store.
#[utoipa::path(get, path = "/api/v1/stats", tag = "collections",
    responses(
        (status = 200, description = "Documents, turns, notes, persons, and documents per collection", body = Stats),
        (status = 500, description = "A server error", body = ApiError)
    ))]
async fn stats(State(state): State<Shared>) -> ApiResult<Stats> {
    Ok(Json(blocking(&state, |s| s.with_store(|st| Ok(st.stats_visible(&crate::auth::visibility())?))).await?))
}
