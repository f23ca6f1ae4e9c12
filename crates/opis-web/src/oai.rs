//! OAI-PMH 2.0 at `/oai` (GET, or POST `application/x-www-form-urlencoded`): the six verbs over
//! the current documents of the store, for harvesters and aggregators.
//!
//! - Identifiers are `oai:REPOSITORY:ID`, the document id percent-encoded where it holds
//!   characters an OAI identifier may not; the repository identifier is declared in Identify
//!   (an `oai-identifier` description).
//! - Metadata formats: `oai_dc` (Dublin Core mapped from the document: title, creator,
//!   contributor, subject, description, date, type, identifier, source, language, relation,
//!   coverage, rights) and `tei` (the document as [`opis_formats::tei::write_tei`] writes it).
//! - Sets are the collections: `setSpec` is a slug of the name (collections whose names give
//!   the same slug share one set), `setName` the name. With no collection, set requests answer
//!   `noSetHierarchy`.
//! - Datestamps are when the current version was written (`documents.updated_at`), at seconds
//!   granularity; `from`/`until` take days or seconds (both the same granularity) and are
//!   inclusive.
//! - Lists are paged by a keyset cursor `(updated_at, id)` carried in the resumption token with
//!   the request's arguments and its issue time, so a page boundary stays put while documents
//!   are ingested (a document changed during a harvest comes again at the end, with its new
//!   datestamp). A token expires [`OaiSettings::token_ttl_secs`] after it was issued; an expired,
//!   garbled or foreign token is `badResumptionToken`.
//! - `deletedRecord` is `no`: opis never deletes a document (a changed one keeps its
//!   identifier and gets a new datestamp), so there is nothing to report as deleted.
//!
//! Settings come from the environment, read once ([`OaiSettings::from_env`]): `OPIS_OAI_PAGE_SIZE`
//! (records per list response, default 100), `OPIS_OAI_REPOSITORY_ID` (default `opis.local`),
//! `OPIS_OAI_REPOSITORY_NAME`, `OPIS_OAI_ADMIN_EMAIL`, `OPIS_OAI_TOKEN_TTL` (seconds, default a
//! day) and `OPIS_BASE_URL` (the site's public root; otherwise `http://` + the request's Host).
//! A router given an [`axum::Extension`] of [`OaiSettings`] uses that instead (the tests do).
//!
//! Protocol errors are answered with HTTP 200 and `<error code=…>`, as the protocol says; only a
//! failing store is a 500.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use opis_model::Document;
use opis_store::listing::{ChangeCursor, ChangeFilter};
use opis_store::{SqlStore, Store};
use serde::{Deserialize, Serialize};

use crate::{AppState, Shared, WebError, blocking};

const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const GRANULARITY: &str = "YYYY-MM-DDThh:mm:ssZ";

/// The metadata formats: prefix, schema, namespace.
const FORMATS: [(&str, &str, &str); 2] = [
    ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    ("tei", "https://tei-c.org/release/xml/tei/custom/schema/xsd/tei_all.xsd", "http://www.tei-c.org/ns/1.0"),
];

/// How the provider presents itself and pages its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiSettings {
    /// Records (or headers) per ListRecords/ListIdentifiers response.
    pub page_size: usize,
    /// The `repositoryIdentifier` of `oai:REPOSITORY:ID` (a domain-like name).
    pub repository_id: String,
    pub repository_name: String,
    pub admin_email: String,
    /// The site's public root (`https://archive.example.org`); `None`: from the request's Host.
    pub base_url: Option<String>,
    /// How long a resumption token stays valid after it was issued.
    pub token_ttl_secs: u64,
}

impl Default for OaiSettings {
    fn default() -> Self {
        OaiSettings {
            page_size: 100,
            repository_id: "opis.local".into(),
            repository_name: "opis".into(),
            admin_email: "admin@opis.local".into(),
            base_url: None,
            token_ttl_secs: 24 * 3600,
        }
    }
}

impl OaiSettings {
    /// The defaults, overridden by `OPIS_OAI_PAGE_SIZE`, `OPIS_OAI_REPOSITORY_ID`,
    /// `OPIS_OAI_REPOSITORY_NAME`, `OPIS_OAI_ADMIN_EMAIL`, `OPIS_OAI_TOKEN_TTL` and
    /// `OPIS_BASE_URL`; a value that does not fit is ignored with a warning.
    pub fn from_env() -> OaiSettings {
        let mut s = OaiSettings::default();
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(v) = var("OPIS_OAI_PAGE_SIZE") {
            match v.parse::<usize>() {
                Ok(n) if (1..=10_000).contains(&n) => s.page_size = n,
                _ => tracing::warn!("OPIS_OAI_PAGE_SIZE={v:?} is not a number from 1 to 10000; using {}", s.page_size),
            }
        }
        if let Some(v) = var("OPIS_OAI_REPOSITORY_ID") {
            if is_repository_id(&v) {
                s.admin_email = format!("admin@{v}");
                s.repository_id = v;
            } else {
                tracing::warn!("OPIS_OAI_REPOSITORY_ID={v:?} is not a domain-like name; using {}", s.repository_id);
            }
        }
        if let Some(v) = var("OPIS_OAI_REPOSITORY_NAME") {
            s.repository_name = v;
        }
        if let Some(v) = var("OPIS_OAI_ADMIN_EMAIL") {
            s.admin_email = v;
        }
        if let Some(v) = var("OPIS_OAI_TOKEN_TTL") {
            match v.parse::<u64>() {
                Ok(n) if n > 0 => s.token_ttl_secs = n,
                _ => tracing::warn!("OPIS_OAI_TOKEN_TTL={v:?} is not a positive number of seconds"),
            }
        }
        s.base_url = var("OPIS_BASE_URL").map(|v| v.trim_end_matches('/').to_owned());
        s
    }
}

/// The settings from the environment, read on first use.
fn env_settings() -> &'static OaiSettings {
    static SETTINGS: OnceLock<OaiSettings> = OnceLock::new();
    SETTINGS.get_or_init(OaiSettings::from_env)
}

/// `[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+`, as the oai-identifier schema says.
fn is_repository_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `GET /oai?verb=…`.
pub(crate) async fn get(
    State(state): State<Shared>,
    settings: Option<Extension<OaiSettings>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    answer(state, settings, &headers, Ok(pairs)).await
}

/// `POST /oai` with the arguments form-encoded in the body.
pub(crate) async fn post(
    State(state): State<Shared>,
    settings: Option<Extension<OaiSettings>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let pairs = if form {
        Ok(form_urlencoded::parse(&body).into_owned().collect())
    } else {
        Err(OaiError::bad_argument("a POST request must be application/x-www-form-urlencoded"))
    };
    answer(state, settings, &headers, pairs).await
}

async fn answer(
    state: Shared,
    settings: Option<Extension<OaiSettings>>,
    headers: &HeaderMap,
    pairs: Result<Vec<(String, String)>, OaiError>,
) -> Response {
    let settings = settings.map(|Extension(s)| s).unwrap_or_else(|| env_settings().clone());
    let root = match &settings.base_url {
        Some(root) => root.clone(),
        None => format!("http://{}", request_host(headers)),
    };
    let result = blocking(&state, move |st| Ok(respond(st, &settings, &root, pairs, now_secs()))).await;
    match result.and_then(|r| r) {
        Ok(xml) => {
            let mut res = xml.into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The Host header when it looks like a host (and port), else `localhost`.
fn request_host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)))
        .unwrap_or("localhost")
        .to_owned()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A protocol error: its code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OaiError {
    code: &'static str,
    message: String,
}

impl OaiError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        OaiError { code, message: message.into() }
    }
    fn bad_argument(message: impl Into<String>) -> Self {
        OaiError::new("badArgument", message)
    }
    fn bad_token(message: impl Into<String>) -> Self {
        OaiError::new("badResumptionToken", message)
    }
    fn no_records() -> Self {
        OaiError::new("noRecordsMatch", "no record matches the arguments given")
    }
}

/// Why a request got no regular answer: a protocol error, or the server's own failure.
enum Failure {
    Protocol(OaiError),
    Server(WebError),
}

impl From<OaiError> for Failure {
    fn from(e: OaiError) -> Self {
        Failure::Protocol(e)
    }
}

impl From<opis_store::StoreError> for Failure {
    fn from(e: opis_store::StoreError) -> Self {
        Failure::Server(e.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Identify,
    ListMetadataFormats,
    ListSets,
    ListIdentifiers,
    ListRecords,
    GetRecord,
}

impl Verb {
    fn from_name(name: &str) -> Option<Verb> {
        Some(match name {
            "Identify" => Verb::Identify,
            "ListMetadataFormats" => Verb::ListMetadataFormats,
            "ListSets" => Verb::ListSets,
            "ListIdentifiers" => Verb::ListIdentifiers,
            "ListRecords" => Verb::ListRecords,
            "GetRecord" => Verb::GetRecord,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Verb::Identify => "Identify",
            Verb::ListMetadataFormats => "ListMetadataFormats",
            Verb::ListSets => "ListSets",
            Verb::ListIdentifiers => "ListIdentifiers",
            Verb::ListRecords => "ListRecords",
            Verb::GetRecord => "GetRecord",
        }
    }

    /// (required, optional, exclusive) arguments besides `verb`.
    fn arguments(self) -> (&'static [&'static str], &'static [&'static str], Option<&'static str>) {
        match self {
            Verb::Identify => (&[], &[], None),
            Verb::ListMetadataFormats => (&[], &["identifier"], None),
            Verb::ListSets => (&[], &[], Some("resumptionToken")),
            Verb::ListIdentifiers | Verb::ListRecords => {
                (&["metadataPrefix"], &["from", "until", "set"], Some("resumptionToken"))
            }
            Verb::GetRecord => (&["identifier", "metadataPrefix"], &[], None),
        }
    }
}

/// A request whose arguments are legal for its verb.
struct Request {
    verb: Verb,
    args: BTreeMap<String, String>,
}

impl Request {
    fn arg(&self, name: &str) -> Option<&str> {
        self.args.get(name).map(String::as_str)
    }
}

/// Checks the arguments: one verb that exists, each argument once, those the verb takes and
/// none it does not, the required ones present (or the exclusive one alone).
fn parse_request(pairs: Vec<(String, String)>) -> Result<Request, OaiError> {
    let mut args = BTreeMap::new();
    let mut verb = None;
    for (key, value) in pairs {
        if key == "verb" {
            if verb.replace(value).is_some() {
                return Err(OaiError::new("badVerb", "the verb argument is repeated"));
            }
        } else {
            match args.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    return Err(OaiError::bad_argument(format!("the argument {} is repeated", e.key())));
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(value);
                }
            }
        }
    }
    let verb = match verb {
        None => return Err(OaiError::new("badVerb", "the verb argument is missing")),
        Some(v) => {
            Verb::from_name(&v).ok_or_else(|| OaiError::new("badVerb", format!("{v:?} is not an OAI-PMH verb")))?
        }
    };
    let (required, optional, exclusive) = verb.arguments();
    for key in args.keys() {
        let known = required.contains(&key.as_str()) || optional.contains(&key.as_str()) || exclusive == Some(key);
        if !known {
            return Err(OaiError::bad_argument(format!("{} does not take the argument {key}", verb.name())));
        }
    }
    if let Some(ex) = exclusive.filter(|ex| args.contains_key(*ex)) {
        if args.len() > 1 {
            return Err(OaiError::bad_argument(format!(
                "{ex} is an exclusive argument: nothing else may come with it"
            )));
        }
    } else if let Some(missing) = required.iter().find(|r| !args.contains_key(**r)) {
        return Err(OaiError::bad_argument(format!("{} requires the argument {missing}", verb.name())));
    }
    Ok(Request { verb, args })
}

/// The whole response document for one request.
fn respond(
    state: &AppState,
    settings: &OaiSettings,
    root: &str,
    pairs: Result<Vec<(String, String)>, OaiError>,
    now: u64,
) -> Result<String, WebError> {
    let ctx = Context { settings, root, now };
    let request = match pairs.and_then(parse_request) {
        Ok(r) => r,
        // With badVerb and badArgument the request element carries no attributes.
        Err(e) => return Ok(ctx.envelope(&[], &error_xml(&e))),
    };
    let mut attrs: Vec<(&str, &str)> = vec![("verb", request.verb.name())];
    attrs.extend(request.args.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let body = state.with_store(|store| match ctx.dispatch(store, &request) {
        Ok(body) => Ok(Ok(body)),
        Err(Failure::Protocol(e)) => Ok(Err(e)),
        Err(Failure::Server(e)) => Err(e),
    })?;
    Ok(match body {
        Ok(body) => ctx.envelope(&attrs, &body),
        Err(e) if matches!(e.code, "badArgument" | "badVerb") => ctx.envelope(&[], &error_xml(&e)),
        Err(e) => ctx.envelope(&attrs, &error_xml(&e)),
    })
}

fn error_xml(e: &OaiError) -> String {
    let mut x = Xml::default();
    x.leaf("error", &[("code", e.code)], &e.message);
    x.out
}

/// What every part of a response needs.
struct Context<'a> {
    settings: &'a OaiSettings,
    /// The site's root URL, without a trailing slash.
    root: &'a str,
    now: u64,
}

impl Context<'_> {
    fn base_url(&self) -> String {
        format!("{}/oai", self.root)
    }

    fn envelope(&self, request_attrs: &[(&str, &str)], body: &str) -> String {
        let mut x = Xml::default();
        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let location = format!("{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd");
        x.open("OAI-PMH", &[("xmlns", OAI_NS), ("xmlns:xsi", XSI_NS), ("xsi:schemaLocation", &location)]);
        x.leaf("responseDate", &[], &format_utc(self.now));
        x.leaf("request", request_attrs, &self.base_url());
        x.raw(body);
        x.close("OAI-PMH");
        x.out.push('\n');
        x.out
    }

    fn dispatch(&self, store: &SqlStore, request: &Request) -> Result<String, Failure> {
        match request.verb {
            Verb::Identify => self.identify(store),
            Verb::ListMetadataFormats => self.list_metadata_formats(store, request.arg("identifier")),
            Verb::ListSets => self.list_sets(store, request.arg("resumptionToken")),
            Verb::GetRecord => self.get_record(
                store,
                request.arg("identifier").unwrap_or_default(),
                request.arg("metadataPrefix").unwrap_or_default(),
            ),
            Verb::ListIdentifiers | Verb::ListRecords => self.list(store, request),
        }
    }

    fn identify(&self, store: &SqlStore) -> Result<String, Failure> {
        let earliest = store.earliest_change()?.map(|at| datestamp(&at)).unwrap_or_else(|| format_utc(self.now));
        let s = self.settings;
        let mut x = Xml::default();
        x.open("Identify", &[]);
        x.leaf("repositoryName", &[], &s.repository_name);
        x.leaf("baseURL", &[], &self.base_url());
        x.leaf("protocolVersion", &[], "2.0");
        x.leaf("adminEmail", &[], &s.admin_email);
        x.leaf("earliestDatestamp", &[], &earliest);
        x.leaf("deletedRecord", &[], "no");
        x.leaf("granularity", &[], GRANULARITY);
        x.open("description", &[]);
        let ns = "http://www.openarchives.org/OAI/2.0/oai-identifier";
        let location = format!("{ns} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd");
        x.open("oai-identifier", &[("xmlns", ns), ("xsi:schemaLocation", &location)]);
        x.leaf("scheme", &[], "oai");
        x.leaf("repositoryIdentifier", &[], &s.repository_id);
        x.leaf("delimiter", &[], ":");
        let sample = store.list_changed(&ChangeFilter::default(), None, 1)?;
        let sample = sample.first().map_or("wilson-113647", |d| d.id.as_str());
        x.leaf("sampleIdentifier", &[], &self.oai_id(sample));
        x.close("oai-identifier");
        x.close("description");
        x.close("Identify");
        Ok(x.out)
    }

    fn list_metadata_formats(&self, store: &SqlStore, identifier: Option<&str>) -> Result<String, Failure> {
        if let Some(identifier) = identifier {
            self.document_for(store, identifier)?;
        }
        let mut x = Xml::default();
        x.open("ListMetadataFormats", &[]);
        for (prefix, schema, namespace) in FORMATS {
            x.open("metadataFormat", &[]);
            x.leaf("metadataPrefix", &[], prefix);
            x.leaf("schema", &[], schema);
            x.leaf("metadataNamespace", &[], namespace);
            x.close("metadataFormat");
        }
        x.close("ListMetadataFormats");
        Ok(x.out)
    }

    fn list_sets(&self, store: &SqlStore, token: Option<&str>) -> Result<String, Failure> {
        if token.is_some() {
            return Err(OaiError::bad_token("this repository issues no resumption tokens for ListSets").into());
        }
        let sets = sets(store)?;
        if sets.is_empty() {
            return Err(OaiError::new("noSetHierarchy", "this repository has no collections, so no sets").into());
        }
        let mut x = Xml::default();
        x.open("ListSets", &[]);
        for set in &sets {
            x.open("set", &[]);
            x.leaf("setSpec", &[], &set.spec);
            x.leaf("setName", &[], &set.names.join(" / "));
            x.close("set");
        }
        x.close("ListSets");
        Ok(x.out)
    }

    fn get_record(&self, store: &SqlStore, identifier: &str, prefix: &str) -> Result<String, Failure> {
        let stored = self.document_for(store, identifier)?;
        check_prefix(prefix)?;
        let mut x = Xml::default();
        x.open("GetRecord", &[]);
        self.record(&mut x, &stored.document, &stored.updated_at, prefix);
        x.close("GetRecord");
        Ok(x.out)
    }

    /// ListIdentifiers and ListRecords: one page, and the token for the next.
    fn list(&self, store: &SqlStore, request: &Request) -> Result<String, Failure> {
        let (query, position, total, after) = match request.arg("resumptionToken") {
            Some(token) => {
                let t = Token::decode(token, request.verb, self.now, self.settings.token_ttl_secs)?;
                let query = ListQuery {
                    prefix: t.prefix.clone(),
                    set: t.set.clone(),
                    from: t.from.clone(),
                    until: t.until.clone(),
                };
                let after = ChangeCursor { updated_at: t.after_at, id: t.after_id };
                (query, t.cursor, Some(t.total), Some(after))
            }
            None => {
                let query = ListQuery {
                    prefix: request.arg("metadataPrefix").unwrap_or_default().to_owned(),
                    set: request.arg("set").map(str::to_owned),
                    from: request.arg("from").map(str::to_owned),
                    until: request.arg("until").map(str::to_owned),
                };
                (query, 0, None, None)
            }
        };
        check_prefix(&query.prefix)?;
        let filter = query.filter(store)?;
        let total = match total {
            Some(t) => t,
            None => store.count_changed(&filter)?,
        };
        let page_size = self.settings.page_size.max(1);
        let with_records = request.verb == Verb::ListRecords;
        // One more than a page says whether another page follows.
        let mut x = Xml::default();
        x.open(request.verb.name(), &[]);
        let (count, last) = if with_records {
            let mut docs = store.list_changed_documents(&filter, after.as_ref(), page_size + 1)?;
            let more = docs.len() > page_size;
            docs.truncate(page_size);
            for d in &docs {
                self.record(&mut x, &d.document, &d.updated_at, &query.prefix);
            }
            let last =
                docs.last().map(|d| ChangeCursor { updated_at: d.updated_at.clone(), id: d.document.id.clone() });
            (docs.len(), last.filter(|_| more))
        } else {
            let mut heads = store.list_changed(&filter, after.as_ref(), page_size + 1)?;
            let more = heads.len() > page_size;
            heads.truncate(page_size);
            for h in &heads {
                self.header(&mut x, &h.id, &h.updated_at, h.collection.as_deref());
            }
            let last = heads.last().map(|h| ChangeCursor { updated_at: h.updated_at.clone(), id: h.id.clone() });
            (heads.len(), last.filter(|_| more))
        };
        if count == 0 {
            return Err(OaiError::no_records().into());
        }
        // Documents changed during a harvest come again at the end: the size grows with them.
        let total = total.max(position + count as u64 + u64::from(last.is_some()));
        let size = total.to_string();
        let cursor = position.to_string();
        match last {
            Some(last) => {
                let token = Token {
                    v: TOKEN_VERSION,
                    verb: request.verb.name().to_owned(),
                    prefix: query.prefix,
                    set: query.set,
                    from: query.from,
                    until: query.until,
                    issued: self.now,
                    cursor: position + count as u64,
                    total,
                    after_at: last.updated_at,
                    after_id: last.id,
                }
                .encode();
                let expires = format_utc(self.now + self.settings.token_ttl_secs);
                x.leaf(
                    "resumptionToken",
                    &[("expirationDate", &expires), ("completeListSize", &size), ("cursor", &cursor)],
                    &token,
                );
            }
            // The last page of a list that came in pages ends with an empty token.
            None if after.is_some() => {
                x.leaf("resumptionToken", &[("completeListSize", &size), ("cursor", &cursor)], "")
            }
            None => {}
        }
        x.close(request.verb.name());
        Ok(x.out)
    }

    /// The stored document an OAI identifier names, or `idDoesNotExist`.
    fn document_for(&self, store: &SqlStore, identifier: &str) -> Result<opis_store::StoredDocument, Failure> {
        let unknown =
            || OaiError::new("idDoesNotExist", format!("{identifier} is not an identifier of this repository"));
        let prefix = format!("oai:{}:", self.settings.repository_id);
        let local = identifier.strip_prefix(&prefix).ok_or_else(unknown)?;
        let id = percent_decode(local).ok_or_else(unknown)?;
        // A document the harvester may not see does not exist for it.
        let stored = store.document(&id)?.filter(crate::auth::sees);
        Ok(stored.ok_or_else(unknown)?)
    }

    fn oai_id(&self, id: &str) -> String {
        format!("oai:{}:{}", self.settings.repository_id, percent_encode(id))
    }

    fn header(&self, x: &mut Xml, id: &str, updated_at: &str, collection: Option<&str>) {
        x.open("header", &[]);
        x.leaf("identifier", &[], &self.oai_id(id));
        x.leaf("datestamp", &[], &datestamp(updated_at));
        if let Some(c) = collection {
            x.leaf("setSpec", &[], &set_spec(c));
        }
        x.close("header");
    }

    fn record(&self, x: &mut Xml, doc: &Document, updated_at: &str, prefix: &str) {
        x.open("record", &[]);
        self.header(x, &doc.id, updated_at, doc.collection.as_deref());
        x.open("metadata", &[]);
        if prefix == "tei" {
            let tei = opis_formats::tei::write_tei(doc);
            let body = match tei.strip_prefix("<?xml") {
                Some(rest) => rest.split_once("?>").map_or(rest, |(_, b)| b).trim_start(),
                None => tei.as_str(),
            };
            x.raw(&unique_tei_ids(body.trim_end(), &tei_id_prefix(&doc.id)));
        } else {
            self.dublin_core(x, doc);
        }
        x.close("metadata");
        x.close("record");
    }

    /// The document as simple Dublin Core.
    fn dublin_core(&self, x: &mut Xml, doc: &Document) {
        let ns = "http://www.openarchives.org/OAI/2.0/oai_dc/";
        let location = format!("{ns} http://www.openarchives.org/OAI/2.0/oai_dc.xsd");
        x.open(
            "oai_dc:dc",
            &[
                ("xmlns:oai_dc", ns),
                ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
                ("xmlns:xsi", XSI_NS),
                ("xsi:schemaLocation", &location),
            ],
        );
        let mut dc = |name: &str, value: &str| {
            if !value.trim().is_empty() {
                x.leaf(&format!("dc:{name}"), &[], value.trim());
            }
        };
        dc("title", &doc.title);
        doc.authors.iter().for_each(|a| dc("creator", a));
        doc.contributors.iter().for_each(|c| dc("contributor", c));
        if let Some(c) = &doc.compiler {
            dc("contributor", c);
        }
        doc.editors.iter().for_each(|e| dc("contributor", e));
        doc.subjects.iter().for_each(|s| dc("subject", s));
        if let Some(s) = &doc.summary {
            dc("description", s);
        }
        if let Some(d) = &doc.date {
            dc("date", &if d.from == d.to { d.from.clone() } else { format!("{}/{}", d.from, d.to) });
        }
        dc("type", "Text");
        dc("type", &doc.kind);
        dc("identifier", &format!("{}/doc/{}", self.root, percent_encode(&doc.id)));
        if let Some(url) = &doc.source_url {
            dc("identifier", url);
        }
        for r in &doc.archival_refs {
            dc("source", &r.text);
        }
        if doc.archival_refs.is_empty()
            && let Some(c) = &doc.citation
        {
            dc("source", c);
        }
        dc("language", &doc.language);
        if let Some(p) = &doc.published_in {
            dc("relation", p);
        }
        if let Some(p) = &doc.place {
            dc("coverage", p);
        }
        doc.places.iter().for_each(|p| dc("coverage", p));
        if let Some(r) = &doc.rights {
            dc("rights", r);
        }
        x.close("oai_dc:dc");
    }
}

/// What a document's `xml:id`s are prefixed with in its TEI record: `xml:id` must be unique in
/// a whole response, and every document names its notes `note-1`, … and its speakers alike.
/// The id itself when it is a name XML allows, else `_` and the id, else `_x` and a hash.
fn tei_id_prefix(id: &str) -> String {
    let plain = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if plain && id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        format!("{id}.")
    } else if plain {
        format!("_{id}.")
    } else {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("_x{hash:016x}.")
    }
}

/// `tei` with every `xml:id` prefixed by `prefix` and every `#id` pointing at one of them (in
/// `who`, `target`, …) rewritten to match; text and everything else is copied as it stands.
/// opis's TEI reader does not read these ids, so the record still reads back into the document.
fn unique_tei_ids(tei: &str, prefix: &str) -> String {
    use quick_xml::events::{BytesStart, Event};
    let mut ids = std::collections::HashSet::new();
    let mut reader = quick_xml::Reader::from_str(tei);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                for a in e.attributes().flatten() {
                    if a.key.0 == "xml:id"
                        && let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    {
                        ids.insert(v.into_owned());
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if ids.is_empty() {
        return tei.to_owned();
    }
    let rewrite = |e: &BytesStart<'_>| -> Option<Vec<(String, String)>> {
        let mut changed = false;
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.ok()?;
            let key = a.key.0.to_owned();
            let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.into_owned();
            let new = if key == "xml:id" {
                format!("{prefix}{value}")
            } else if value.contains('#') {
                let tokens: Vec<String> = value
                    .split(' ')
                    .map(|t| match t.strip_prefix('#') {
                        Some(id) if ids.contains(id) => format!("#{prefix}{id}"),
                        _ => t.to_owned(),
                    })
                    .collect();
                tokens.join(" ")
            } else {
                value.clone()
            };
            changed |= new != value;
            attrs.push((key, new));
        }
        changed.then_some(attrs)
    };
    let mut out = String::with_capacity(tei.len() + 64 * ids.len());
    let mut reader = quick_xml::Reader::from_str(tei);
    let mut last = 0usize;
    loop {
        let event = reader.read_event();
        let pos = (reader.buffer_position() as usize).min(tei.len());
        let (e, empty) = match event {
            Ok(Event::Eof) => break,
            Err(_) => return tei.to_owned(),
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(_) => {
                out.push_str(&tei[last..pos]);
                last = pos;
                continue;
            }
        };
        match rewrite(&e) {
            Some(attrs) => {
                let mut x = Xml::default();
                let name = e.name().0.to_owned();
                let refs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                x.start(&name, &refs);
                x.raw(if empty { "/>" } else { ">" });
                out.push_str(&x.out);
            }
            None => out.push_str(&tei[last..pos]),
        }
        last = pos;
    }
    out.push_str(&tei[last..]);
    out
}

fn check_prefix(prefix: &str) -> Result<(), OaiError> {
    if FORMATS.iter().any(|(p, _, _)| *p == prefix) {
        Ok(())
    } else {
        Err(OaiError::new(
            "cannotDisseminateFormat",
            format!("{prefix:?} is not a metadata format of this repository (oai_dc, tei)"),
        ))
    }
}

/// The arguments of a list request, as given (and carried in its tokens).
struct ListQuery {
    prefix: String,
    set: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

impl ListQuery {
    /// The store filter: the date bounds checked, the set resolved to its collections.
    fn filter(&self, store: &SqlStore) -> Result<ChangeFilter, Failure> {
        let from = self.from.as_deref().map(|f| parse_bound(f, "from")).transpose()?;
        let until = self.until.as_deref().map(|u| parse_bound(u, "until")).transpose()?;
        if let (Some(f), Some(u)) = (&from, &until) {
            if f.day_only != u.day_only {
                return Err(OaiError::bad_argument("from and until must have the same granularity").into());
            }
            if f.first > u.last {
                return Err(OaiError::bad_argument("from is later than until").into());
            }
        }
        let collections = match &self.set {
            None => None,
            Some(spec) => {
                let sets = sets(store)?;
                if sets.is_empty() {
                    return Err(
                        OaiError::new("noSetHierarchy", "this repository has no collections, so no sets").into()
                    );
                }
                let set = sets.into_iter().find(|s| s.spec == *spec).ok_or_else(OaiError::no_records)?;
                Some(set.names)
            }
        };
        Ok(ChangeFilter {
            from: from.map(|b| b.first),
            until: until.map(|b| b.last),
            collections,
            visibility: Some(crate::auth::visibility()),
        })
    }
}

/// A `from`/`until` value as the first and last `updated_at` it covers.
struct Bound {
    day_only: bool,
    first: String,
    last: String,
}

/// Reads `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`; anything else is `badArgument`.
fn parse_bound(s: &str, name: &str) -> Result<Bound, OaiError> {
    let bad =
        || OaiError::bad_argument(format!("{name}={s:?} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDThh:mm:ssZ)"));
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    if !(s.len() == 10 || s.len() == 20) || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (year, month, day) =
        (digits(0..4).ok_or_else(bad)?, digits(5..7).ok_or_else(bad)?, digits(8..10).ok_or_else(bad)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(bad());
    }
    if s.len() == 10 {
        return Ok(Bound {
            day_only: true,
            first: format!("{s}T00:00:00.000000Z"),
            last: format!("{s}T23:59:59.999999Z"),
        });
    }
    if b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return Err(bad());
    }
    let (h, m, sec) =
        (digits(11..13).ok_or_else(bad)?, digits(14..16).ok_or_else(bad)?, digits(17..19).ok_or_else(bad)?);
    if h > 23 || m > 59 || sec > 59 {
        return Err(bad());
    }
    let stem = &s[..19];
    Ok(Bound { day_only: false, first: format!("{stem}.000000Z"), last: format!("{stem}.999999Z") })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A set: its spec and the collections it holds (one, unless names share a slug).
struct SetInfo {
    spec: String,
    names: Vec<String>,
}

fn sets(store: &SqlStore) -> Result<Vec<SetInfo>, Failure> {
    let mut by_spec: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let visible = store.collections_visible(&crate::auth::visibility())?;
    for name in visible.into_iter().map(|c| c.name).filter(|n| !n.is_empty()) {
        by_spec.entry(set_spec(&name)).or_default().push(name);
    }
    Ok(by_spec.into_iter().map(|(spec, names)| SetInfo { spec, names }).collect())
}

/// A collection's setSpec: lower-case ASCII letters and digits joined by single dashes; a
/// name with none of those gets `collection-` and a hash of the name.
pub fn set_spec(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        // FNV-1a: stable across runs and builds.
        let hash =
            name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("collection-{hash:016x}")
    } else {
        out.to_owned()
    }
}

/// A datestamp at seconds granularity from the store's `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn datestamp(updated_at: &str) -> String {
    match updated_at.get(..19) {
        Some(stem) => format!("{stem}Z"),
        None => updated_at.to_owned(),
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ`.
fn format_utc(secs: u64) -> String {
    opis_store::time::format_unix_seconds(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Characters an OAI identifier's local part may hold unescaped (`%` is escaped itself, so
/// decoding gives the id back).
fn percent_encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

const TOKEN_VERSION: u8 = 1;

/// A resumption token: the list request it continues, where it stands, and when it was issued;
/// JSON, hex-encoded (opaque to harvesters, and safe in a URL unescaped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Token {
    v: u8,
    verb: String,
    prefix: String,
    #[serde(default)]
    set: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
    /// Seconds since the Unix epoch when it was issued.
    issued: u64,
    /// Records delivered before the page it asks for.
    cursor: u64,
    /// The complete list size reported so far.
    total: u64,
    after_at: String,
    after_id: String,
}

impl Token {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a token always serializes");
        json.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(s: &str, verb: Verb, now: u64, ttl: u64) -> Result<Token, OaiError> {
        let garbled = || OaiError::bad_token("the resumption token is not one this repository issued");
        if s.is_empty() || !s.len().is_multiple_of(2) || s.len() > 16_384 {
            return Err(garbled());
        }
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<_>>()
            .ok_or_else(garbled)?;
        let token: Token = serde_json::from_slice(&bytes).map_err(|_| garbled())?;
        if token.v != TOKEN_VERSION || token.verb != verb.name() || token.issued > now + 300 {
            return Err(garbled());
        }
        if now > token.issued.saturating_add(ttl) {
            return Err(OaiError::bad_token(format!(
                "the resumption token expired at {}; start the list again",
                format_utc(token.issued + ttl)
            )));
        }
        Ok(token)
    }
}

/// A small XML writer: every text and attribute value escaped, characters XML cannot carry
/// replaced by U+FFFD.
#[derive(Default)]
struct Xml {
    out: String,
}

impl Xml {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        if text.is_empty() {
            self.out.push_str("/>");
        } else {
            self.out.push('>');
            escape_into(&mut self.out, text);
            self.close(name);
        }
    }
}

fn escape_into(out: &mut String, s: &str) {
    // Tab, newline and carriage return go out as references: kept as characters they would be
    // normalised away in attribute values. Everything else is the one XML escape.
    let mut rest = s;
    while let Some(i) = rest.find(['\t', '\n', '\r']) {
        out.push_str(&opis_formats::xml::escape(&rest[..i]));
        let _ = write!(out, "&#{};", u32::from(rest.as_bytes()[i]));
        rest = &rest[i + 1..];
    }
    out.push_str(&opis_formats::xml::escape(rest));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_read_both_granularities_and_refuse_the_rest() {
        let day = parse_bound("1956-10-30", "from").unwrap();
        assert!(day.day_only);
        assert_eq!(
            (day.first.as_str(), day.last.as_str()),
            ("1956-10-30T00:00:00.000000Z", "1956-10-30T23:59:59.999999Z")
        );
        let sec = parse_bound("2024-02-29T23:59:59Z", "until").unwrap();
        assert_eq!(sec.last, "2024-02-29T23:59:59.999999Z");
        for bad in ["2023-02-29", "1956-13-01", "1956-10-30T24:00:00Z", "1956-10-30T12:00:00", "1956-1-30", "x"] {
            assert_eq!(parse_bound(bad, "from").err().map(|e| e.code), Some("badArgument"), "{bad}");
        }
    }

    #[test]
    fn utc_formatting_matches_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_827_696), "2000-02-29T12:34:56Z");
    }

    #[test]
    fn identifiers_and_tokens_round_trip() {
        for id in ["wilson-113647", "a b%c/ü", ""] {
            assert_eq!(percent_decode(&percent_encode(id)).as_deref(), Some(id));
        }
        let t = Token {
            v: TOKEN_VERSION,
            verb: "ListRecords".into(),
            prefix: "oai_dc".into(),
            set: Some("frus".into()),
            from: None,
            until: Some("2030-01-01".into()),
            issued: 1000,
            cursor: 3,
            total: 9,
            after_at: "2026-01-01T00:00:00.000001Z".into(),
            after_id: "d\"<&".into(),
        };
        let s = t.encode();
        assert_eq!(Token::decode(&s, Verb::ListRecords, 1000, 60), Ok(t.clone()));
        assert_eq!(Token::decode(&s, Verb::ListIdentifiers, 1000, 60).unwrap_err().code, "badResumptionToken");
        assert_eq!(Token::decode(&s, Verb::ListRecords, 1061, 60).unwrap_err().code, "badResumptionToken");
        assert_eq!(Token::decode(&s[1..], Verb::ListRecords, 1000, 60).unwrap_err().code, "badResumptionToken");
    }

    #[test]
    fn tei_ids_are_prefixed_with_their_references_and_nothing_else() {
        let tei = "<TEI><person xml:id=\"speaker-a\"/><sp who=\"#speaker-a #other\"><p>#speaker-a &amp; <ptr target=\"#note-1\"/></p></sp><note xml:id=\"note-1\">x</note></TEI>";
        assert_eq!(
            unique_tei_ids(tei, "d1."),
            "<TEI><person xml:id=\"d1.speaker-a\"/><sp who=\"#d1.speaker-a #other\"><p>#speaker-a &amp; <ptr target=\"#d1.note-1\"/></p></sp><note xml:id=\"d1.note-1\">x</note></TEI>"
        );
        assert_eq!(tei_id_prefix("wilson-113647"), "wilson-113647.");
        assert_eq!(tei_id_prefix("1957-03-21-kennan"), "_1957-03-21-kennan.");
        assert!(tei_id_prefix("a b").starts_with("_x"));
    }

    #[test]
    fn set_specs_are_slugs_that_fit_the_protocol() {
        assert_eq!(
            set_spec("Foreign Relations of the United States, 1955–1957, Eastern Europe, Volume XXV"),
            "foreign-relations-of-the-united-states-1955-1957-eastern-europe-volume-xxv"
        );
        let cyrillic = set_spec("Архив");
        assert!(cyrillic.starts_with("collection-") && cyrillic.len() == "collection-".len() + 16);
        assert_ne!(cyrillic, set_spec("Фонд"));
    }
}
