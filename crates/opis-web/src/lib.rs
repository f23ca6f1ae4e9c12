//! The opis reading room: server-rendered HTML over the store and the search index.
//!
//! Only this crate knows HTTP. [`router`] builds the axum [`Router`] for a data folder (the
//! tests drive it directly); [`serve`] binds an address and serves it until Ctrl-C.
//!
//! The server mostly reads: the store through a small pool of connections (SQLite, or
//! PostgreSQL and optionally its streaming replica: see [`Site`]), the index through one
//! reader that picks up commits made by `opis ingest` in another process — or, on a store
//! other machines write (PostgreSQL), commits of this node's own follower, which applies the
//! store's change log to the node's index every [`Site::follow`] interval. Every
//! page is rendered with maud, which escapes every value it is given; document text never
//! passes through `PreEscaped`. Store and index calls run on blocking threads.
//!
//! Modules: [`error`] (errors and their HTTP status), `api` (the JSON API and its OpenAPI
//! description), `assets` (the stylesheet and script),
//! `layout` (the page shell and shared helpers), `pages` (home, search, people, archives,
//! timeline), `reading` (the reading view of one document), `cite` (citation downloads and
//! the reading view's citation meta tags).

mod admin;
mod api;
mod assets;
pub mod auth;
mod authority;
mod cite;
mod edit;
pub mod error;
mod layout;
pub mod oai;
mod pages;
mod reading;
mod upload;
pub use upload::MAX_UPLOAD_BYTES;
pub mod server;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use opis_index::Index;
use opis_store::{SqlStore, StoreAt};

pub use error::WebError;

/// Connections kept open for reuse; more are opened under load and closed after.
const POOL_IDLE: usize = 8;

/// Where a reading room finds its store and keeps its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The data folder: this node's search index (and the store, when it is embedded).
    pub data: PathBuf,
    /// The store that is written (corrections, sign-ins, uploads).
    pub store: StoreAt,
    /// Where reads go when not to `store`: a streaming replica of it.
    pub replica: Option<StoreAt>,
    /// Apply the store's change log to this node's index this often (a store that other
    /// processes and machines write: PostgreSQL). `None`: the index is kept by whoever writes
    /// (the embedded store's `opis ingest`).
    pub follow: Option<Duration>,
}

impl Site {
    /// The embedded store and index in `data`.
    pub fn embedded(data: &Path) -> Site {
        Site { data: data.to_owned(), store: StoreAt::Folder(data.to_owned()), replica: None, follow: None }
    }

    /// Where reads go.
    fn read_at(&self) -> &StoreAt {
        self.replica.as_ref().unwrap_or(&self.store)
    }
}

/// What every handler shares: where things are, pools of store connections, the index.
pub(crate) struct AppState {
    site: Site,
    idle: Mutex<Vec<SqlStore>>,
    idle_writers: Mutex<Vec<SqlStore>>,
    index: Index,
    /// This node's index writer when it follows the store's change log (see [`Site::follow`]).
    follower: Option<Mutex<Index>>,
    /// Failed sign-ins, for the rate limit.
    limiter: auth::SignInLimiter,
    /// The people authority's generation the index was last handed (-1: none yet).
    people_generation: std::sync::atomic::AtomicI64,
}

impl AppState {
    /// Runs `f` with a store connection from the pool (opening one if none is idle).
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&SqlStore) -> Result<T, WebError>) -> Result<T, WebError> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let store = match taken {
            Some(s) => s,
            None => SqlStore::open_at(self.site.read_at())?,
        };
        let out = f(&store);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_IDLE {
            idle.push(store);
        }
        out
    }

    /// The index, handed the people authority's spellings first when `opis ingest` or
    /// `opis reindex` has rebuilt the authority since (one small query to know).
    pub(crate) fn index(&self) -> &Index {
        use std::sync::atomic::Ordering;
        let refreshed = self.with_store(|store| {
            let generation = store.people_generation()?;
            if generation != self.people_generation.load(Ordering::Acquire) {
                self.index.set_people(&store.person_names()?);
                self.people_generation.store(generation, Ordering::Release);
            }
            Ok(())
        });
        if let Err(e) = refreshed {
            tracing::warn!("people authority not loaded: {e}");
        }
        &self.index
    }

    /// Runs `f` with a store connection it may write with (the primary, never the replica).
    pub(crate) fn with_store_mut<T>(
        &self,
        f: impl FnOnce(&mut SqlStore) -> Result<T, WebError>,
    ) -> Result<T, WebError> {
        let taken = self.idle_writers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut store = match taken {
            Some(s) => s,
            None => SqlStore::open_at(&self.site.store)?,
        };
        let out = f(&mut store);
        // A connection left inside a failed transaction is not reused.
        if out.is_ok() {
            let mut idle = self.idle_writers.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < 2 {
                idle.push(store);
            }
        }
        out
    }

    /// Brings the index up to the store after a write from the web (a correction): through
    /// the follower when this node follows the store, else with a writer held only for this
    /// (when `opis ingest` holds the writer, the next ingest or search catches up from the
    /// change log instead).
    pub(crate) fn sync_index(&self) {
        if self.follower.is_some() {
            self.follow_once();
            return;
        }
        let synced = SqlStore::open_at(&self.site.store).map_err(WebError::from).and_then(|store| {
            let mut writer = Index::open(&self.site.data)?;
            writer.sync(&store)?;
            Ok(())
        });
        match synced {
            Ok(()) => {
                if let Err(e) = self.index.reload() {
                    tracing::warn!(error = %e, "reloading the index reader failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the index will catch up with the correction later"),
        }
    }
}

impl AppState {
    /// One step of the follower: applies what the store's change log holds beyond this node's
    /// index (read where reads go, so a replica's log and the index never disagree about what
    /// came first) and reloads the reader when anything changed.
    fn follow_once(&self) {
        let Some(follower) = &self.follower else { return };
        let mut writer = follower.lock().unwrap_or_else(|e| e.into_inner());
        let synced = self.with_store(|store| Ok(writer.sync(store)?));
        match synced {
            Ok(report) if report.applied > 0 || report.documents > 0 => {
                tracing::info!(applied = report.applied, documents = report.documents, "followed the store");
                if let Err(e) = self.index.reload() {
                    tracing::warn!(error = %e, "reloading the index reader failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "following the store failed; trying again"),
        }
    }
}

/// Follows the store every `every` for as long as the state lives.
fn start_follower(state: &Arc<AppState>, every: Duration) {
    let weak = Arc::downgrade(state);
    let spawned = std::thread::Builder::new().name("opis-follower".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            let Some(state) = weak.upgrade() else { return };
            state.follow_once();
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the follower did not start: this node's index will not follow the store");
    }
}

pub(crate) type Shared = Arc<AppState>;

/// Runs blocking store and index work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let state = Arc::clone(state);
    let viewer = auth::for_blocking();
    tokio::task::spawn_blocking(move || auth::with_viewer(viewer, || f(&state)))
        .await
        .map_err(|e| WebError::Task(e.to_string()))?
}

/// The reading room's routes over the data folder `data` (store and index must exist or are
/// created empty). The index is opened for reading only: bring it up to date before (as
/// `opis serve` does with `Index::sync`).
pub fn router(data: &Path) -> Result<Router, WebError> {
    router_for(Site::embedded(data))
}

/// The reading room's routes for a [`Site`]; starts the follower when the site follows its
/// store (it stops when the router is dropped).
pub fn router_for(site: Site) -> Result<Router, WebError> {
    let store = SqlStore::open_at(site.read_at())?;
    let index = Index::open(&site.data)?;
    let follower = match site.follow {
        Some(_) => Some(Mutex::new(Index::open(&site.data)?)),
        None => None,
    };
    let follow = site.follow;
    let state = Arc::new(AppState {
        site,
        idle: Mutex::new(vec![store]),
        idle_writers: Mutex::new(Vec::new()),
        index,
        follower,
        limiter: auth::SignInLimiter::default(),
        people_generation: std::sync::atomic::AtomicI64::new(-1),
    });
    if let Some(every) = follow {
        start_follower(&state, every);
    }
    Ok(Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/doc/{id}", get(reading::document))
        .route("/doc/{id}/cite.json", get(cite::doc_csl_json))
        .route("/doc/{id}/cite.bib", get(cite::doc_bibtex))
        .route("/doc/{id}/cite.ris", get(cite::doc_ris))
        .route("/doc/{id}/cite.txt", get(cite::doc_chicago))
        .route("/search/cite.json", get(cite::search_csl_json))
        .route("/search/cite.bib", get(cite::search_bibtex))
        .route("/search/cite.ris", get(cite::search_ris))
        .route("/person/{name}", get(pages::person))
        .route("/people", get(pages::people))
        .route("/archive", get(pages::archives))
        .route("/archive/{*path}", get(pages::archive))
        .route("/timeline", get(pages::timeline))
        .route("/oai", get(oai::get).post(oai::post))
        .route("/static/opis.css", get(assets::css))
        .route("/static/opis.js", get(assets::js))
        .route("/static/favicon.svg", get(assets::icon))
        .route("/favicon.ico", get(assets::icon))
        .route("/signin", get(auth::signin_form).post(auth::signin))
        .route("/signout", post(auth::signout))
        .route("/doc/{id}/correct", post(edit::correct_form))
        .route(
            "/upload",
            get(upload::upload_form)
                .post(upload::upload)
                .layer(axum::extract::DefaultBodyLimit::max(upload::max_bytes())),
        )
        .route("/admin/audit", get(admin::audit_page))
        .nest("/api", api::routes())
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), auth::resolve))
        .layer(middleware::from_fn(log_and_secure))
        .with_state(state))
}

/// Logs each request with its status and time, and sets the security headers every page carries.
async fn log_and_secure(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    set_security_headers(res.headers_mut());
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %path, status, ms, "request failed");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    res
}

/// The headers every answer carries: a Content-Security-Policy that allows no inline script or
/// style, no sniffing, no framing, the referrer only to ourselves.
pub(crate) fn set_security_headers(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Serves the reading room for `data` on `addr` until `shutdown` completes (in-flight requests
/// finish first). Builds its own multi-threaded runtime; call it from synchronous code.
pub fn serve_until(
    data: &Path,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    serve_with_limits(data, addr, server::Limits::default(), shutdown)
}

/// [`serve_until`] with other limits than [`server::Limits::default`] (tests shorten the timeouts).
pub fn serve_with_limits(
    data: &Path,
    addr: SocketAddr,
    limits: server::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    serve_site(Site::embedded(data), addr, limits, shutdown)
}

/// Serves a [`Site`] on `addr` until `shutdown` completes.
pub fn serve_site(
    site: Site,
    addr: SocketAddr,
    limits: server::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let data = site.data.clone();
    let store = site.store.describe();
    let app = router_for(site)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| WebError::Bind { addr, source })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| WebError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| WebError::Bind { addr, source })?;
        tracing::info!(data = %data.display(), store = %store, "the reading room is at http://{local}/");
        server::run(listener, server::limited(app, limits), limits, shutdown).await
    })
}

/// Serves the reading room for `data` on `addr` until Ctrl-C (or SIGTERM).
pub fn serve(data: &Path, addr: SocketAddr) -> Result<(), WebError> {
    serve_until(data, addr, shutdown_signal())
}

/// Serves a [`Site`] on `addr` until Ctrl-C (or SIGTERM).
pub fn serve_site_until_signal(site: Site, addr: SocketAddr) -> Result<(), WebError> {
    serve_site(site, addr, server::Limits::default(), shutdown_signal())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
