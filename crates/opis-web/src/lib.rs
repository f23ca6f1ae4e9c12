//! The opis reading room: server-rendered HTML over the store and the search index.
//!
//! Only this crate knows HTTP. [`router`] builds the axum [`Router`] for a data folder (the
//! tests drive it directly); [`serve`] binds an address and serves it until Ctrl-C.
//!
//! The server only reads: the store through a small pool of SQLite connections, the index
//! through one reader that picks up commits made by `opis ingest` in another process. Every
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
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use opis_index::Index;
use opis_store::SqlStore;

pub use error::WebError;

/// Connections kept open for reuse; more are opened under load and closed after.
const POOL_IDLE: usize = 8;

/// What every handler shares: the data folder, a pool of store connections, the index.
pub(crate) struct AppState {
    data: PathBuf,
    idle: Mutex<Vec<SqlStore>>,
    index: Index,
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
            None => SqlStore::open(&self.data)?,
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

    /// Runs `f` with a store connection it may write with.
    pub(crate) fn with_store_mut<T>(
        &self,
        f: impl FnOnce(&mut SqlStore) -> Result<T, WebError>,
    ) -> Result<T, WebError> {
        let mut store = SqlStore::open(&self.data)?;
        f(&mut store)
    }

    /// Brings the index up to the store after a write from the web (a correction), with a
    /// writer held only for this; when `opis ingest` holds the writer, the next ingest or
    /// search catches up from the change log instead.
    pub(crate) fn sync_index(&self) {
        let synced = SqlStore::open(&self.data).map_err(WebError::from).and_then(|store| {
            let mut writer = Index::open(&self.data)?;
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
    let store = SqlStore::open(data)?;
    let index = Index::open(data)?;
    let state = Arc::new(AppState {
        data: data.to_owned(),
        idle: Mutex::new(vec![store]),
        index,
        limiter: auth::SignInLimiter::default(),
        people_generation: std::sync::atomic::AtomicI64::new(-1),
    });
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
    let app = router(data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| WebError::Bind { addr, source })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| WebError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| WebError::Bind { addr, source })?;
        tracing::info!(data = %data.display(), "the reading room is at http://{local}/");
        server::run(listener, server::limited(app, limits), limits, shutdown).await
    })
}

/// Serves the reading room for `data` on `addr` until Ctrl-C (or SIGTERM).
pub fn serve(data: &Path, addr: SocketAddr) -> Result<(), WebError> {
    serve_until(data, addr, shutdown_signal())
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
