//! Who is asking: sign-in and sign-out, sessions, API tokens, CSRF tokens and the sign-in
//! rate limit; and the [`Viewer`] every page and API answer is narrowed by.
//!
//! Each request's viewer is resolved once, by the [`resolve`] middleware: an
//! `Authorization: Bearer` token, else the `opis_session` cookie, else anonymous. It is kept
//! for the request in a task-local, and [`crate::blocking`] hands it to the blocking thread, so
//! store and index calls anywhere in a handler see it through [`visibility`]. Whatever does not
//! find a viewer gets the anonymous one: forgetting to pass it can only hide, never reveal.
//!
//! The session cookie is `HttpOnly; SameSite=Strict; Path=/`, and `Secure` when the site is
//! reached over TLS (`OPIS_BASE_URL` is `https://…`, or the proxy says `X-Forwarded-Proto:
//! https`). A form that changes anything carries a CSRF token: for a session, SHA-256 of
//! `csrf:` and the session id (never stored); for the sign-in form, a random value also set in
//! a cookie (double submit). Both are compared in constant time.
//!
//! Sign-in failures are counted per account name and per client address; from the fifth
//! failure each further attempt must wait twice as long as the last (1 s, 2 s, 4 s, … at most
//! 15 minutes), and is refused with 429 before the password is looked at. Every sign-in,
//! failed sign-in, refusal and sign-out is written to the audit log, without the password.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use opis_store::access::Visibility;
use opis_store::auth::{Principal, Role, random_hex, same_secret, secret_hash};
use serde::Deserialize;

use crate::{AppState, Shared, WebError, blocking, layout};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "opis_session";
/// The sign-in form's double-submit cookie.
const SIGNIN_CSRF_COOKIE: &str = "opis_signin";

/// Failures allowed before attempts are slowed.
const FREE_FAILURES: u32 = 4;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// Who a request acts as, and what it may see.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Option<Principal>,
    pub visibility: Visibility,
    /// The session id from the cookie (for the CSRF token), when signed in by cookie.
    session: Option<String>,
    /// Signed in by a bearer token (no CSRF token needed: no cookie is involved).
    by_token: bool,
}

impl Viewer {
    fn anonymous() -> Viewer {
        Viewer { principal: None, visibility: Visibility::anonymous(), session: None, by_token: false }
    }

    pub fn role(&self) -> Option<Role> {
        self.principal.as_ref().map(|p| p.role)
    }

    pub fn name(&self) -> &str {
        self.principal.as_ref().map_or("anonymous", |p| p.name.as_str())
    }

    /// The CSRF token forms of this session carry (empty without a session).
    pub fn csrf(&self) -> String {
        self.session.as_deref().map(csrf_for).unwrap_or_default()
    }

    /// Refuses a request that is not at least `role`: 401 without an account, 403 with too
    /// small a role.
    pub fn require(&self, role: Role) -> Result<&Principal, WebError> {
        match &self.principal {
            None => Err(WebError::Unauthorized),
            Some(p) if p.role >= role => Ok(p),
            Some(_) => Err(WebError::Forbidden(format!("this needs the {} role", role.as_str()))),
        }
    }

    /// Checks a form's CSRF token (a bearer-token request needs none).
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if self.by_token {
            return Ok(());
        }
        match &self.session {
            Some(id) if same_secret(&csrf_for(id), sent) => Ok(()),
            _ => Err(WebError::Forbidden("the form's CSRF token is missing or wrong; reload the page".into())),
        }
    }
}

fn csrf_for(session_id: &str) -> String {
    secret_hash(&format!("csrf:{session_id}"))
}

tokio::task_local! {
    static VIEWER: Arc<Viewer>;
}

thread_local! {
    static BLOCKING_VIEWER: std::cell::RefCell<Option<Arc<Viewer>>> = const { std::cell::RefCell::new(None) };
}

/// The current request's viewer (anonymous outside a request).
pub fn current() -> Arc<Viewer> {
    VIEWER
        .try_with(Arc::clone)
        .ok()
        .or_else(|| BLOCKING_VIEWER.with(|v| v.borrow().clone()))
        .unwrap_or_else(|| Arc::new(Viewer::anonymous()))
}

/// What the current request's viewer may see.
pub fn visibility() -> Visibility {
    current().visibility.clone()
}

/// Whether the current request's viewer may see this stored document.
pub fn sees(d: &opis_store::StoredDocument) -> bool {
    current().visibility.sees(&d.document.id, d.document.collection.as_deref(), d.access_until)
}

/// Runs `f` on a blocking thread with the current request's viewer.
pub(crate) fn with_viewer<T>(viewer: Option<Arc<Viewer>>, f: impl FnOnce() -> T) -> T {
    BLOCKING_VIEWER.with(|v| *v.borrow_mut() = viewer);
    let out = f();
    BLOCKING_VIEWER.with(|v| *v.borrow_mut() = None);
    out
}

/// The viewer to hand to a blocking thread.
pub(crate) fn for_blocking() -> Option<Arc<Viewer>> {
    VIEWER.try_with(Arc::clone).ok()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Resolves the request's viewer and runs the rest of the request with it.
pub(crate) async fn resolve(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let session = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned);
    // Under /api an error is the API's JSON error object, elsewhere a page.
    let api = req.uri().path().starts_with("/api/");
    let refuse = |e: WebError| if api { crate::api::Failure(e).into_response() } else { e.into_response() };
    let resolved = if bearer.is_none() && session.is_none() {
        // Anonymous: nothing to look up, so no trip to a blocking thread.
        Ok(Ok(Some(Viewer::anonymous())))
    } else {
        let (bearer, session) = (bearer.clone(), session.clone());
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || resolve_blocking(&state, bearer, session)).await
    };
    let viewer = match resolved {
        Ok(Ok(Some(v))) => v,
        Ok(Ok(None)) => {
            // A bearer token that opens nothing is refused, not treated as anonymous.
            return refuse(WebError::Unauthorized);
        }
        Ok(Err(e)) => return refuse(e),
        Err(e) => return refuse(WebError::Task(e.to_string())),
    };
    let viewer = Arc::new(viewer);
    req.extensions_mut().insert(Arc::clone(&viewer));
    VIEWER.scope(viewer, next.run(req)).await
}

/// `Ok(None)`: a bearer token was sent and is not valid.
fn resolve_blocking(
    state: &AppState,
    bearer: Option<String>,
    session: Option<String>,
) -> Result<Option<Viewer>, WebError> {
    state.with_store(|st| {
        let (principal, session, by_token) = match (bearer, session) {
            (Some(token), _) => match st.token_principal(&token)? {
                Some(p) => (Some(p), None, true),
                None => return Ok(None),
            },
            (None, Some(id)) => match st.session_principal(&id)? {
                Some(p) => (Some(p), Some(id), false),
                None => (None, None, false),
            },
            (None, None) => (None, None, false),
        };
        let visibility = match &principal {
            Some(p) if p.role >= Role::Editor => Visibility::Everything,
            Some(Principal { user_id: Some(uid), .. }) => st.reader_visibility(*uid)?,
            _ => Visibility::anonymous(),
        };
        Ok(Some(Viewer { principal, visibility, session, by_token }))
    })
}

/// Failed sign-ins per key (`user:NAME`, `ip:ADDR`): how many, and when the last was.
#[derive(Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInLimiter {
    /// How long the caller must still wait before trying `keys` again (zero: go ahead).
    fn wait(&self, keys: &[String]) -> Duration {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| map.get(k))
            .map(|&(n, last)| backoff(n).saturating_sub(last.elapsed()))
            .max()
            .unwrap_or_default()
    }

    fn failed(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (n, last)| last.elapsed() < backoff(*n).max(Duration::from_secs(60)));
        }
        for k in keys {
            let e = map.entry(k.clone()).or_insert((0, Instant::now()));
            e.0 = e.0.saturating_add(1);
            e.1 = Instant::now();
        }
    }

    fn succeeded(&self, name_key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(name_key);
    }
}

/// The wait after `failures` failures.
fn backoff(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_FAILURES - 1).min(20);
    Duration::from_secs(1u64 << exp).min(MAX_BACKOFF)
}

/// The client's address, for the sign-in limit and the audit log: the socket's peer, or — when
/// the peer is a proxy named in `OPIS_TRUSTED_PROXIES` (addresses, comma-separated) — the
/// address that proxy saw, from `X-Forwarded-For`.
fn client_addr(req_ext: &axum::http::Extensions, headers: &HeaderMap) -> String {
    let Some(peer) = req_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".to_owned();
    };
    let trusted: Vec<std::net::IpAddr> = std::env::var("OPIS_TRUSTED_PROXIES")
        .map(|v| v.split(',').filter_map(|a| a.trim().parse().ok()).collect())
        .unwrap_or_default();
    forwarded_client(peer, headers, &trusted).to_string()
}

/// The client behind trusted proxies: walking `X-Forwarded-For` from the right (each proxy
/// appends the address it was reached from), the first address that is not a trusted proxy.
/// A peer that is not trusted is the client, whatever it claims; an unparsable entry stops the
/// walk at the last trusted hop (a client can write anything to the left of what proxies add).
fn forwarded_client(peer: std::net::IpAddr, headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    for hop in hops.iter().rev().flat_map(|v| v.rsplit(',')) {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => client = addr,
            Ok(addr) => return addr,
            Err(_) => return client,
        }
    }
    client
}

/// Whether cookies must be `Secure` (the site is reached over TLS).
fn over_tls(headers: &HeaderMap) -> bool {
    std::env::var("OPIS_BASE_URL").is_ok_and(|u| u.starts_with("https://"))
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if over_tls(headers) { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("opis_invalid=1"))
}

/// GET /signin: the form, with a fresh double-submit CSRF value.
pub(crate) async fn signin_form(headers: HeaderMap) -> Result<Response, WebError> {
    let token = random_hex(32)?;
    let mut res = signin_page(&token, None).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, SIGNIN_CSRF_COOKIE, &token, 3600));
    Ok(res)
}

fn signin_page(csrf: &str, problem: Option<&str>) -> Markup {
    layout::page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            @if let Some(p) = problem { p.problem role="alert" { (p) } }
            form.signin method="post" action="/signin" {
                input type="hidden" name="csrf" value=(csrf);
                p { label for="signin-name" { "Name" } " " input #signin-name name="name" autocomplete="username" required; }
                p {
                    label for="signin-password" { "Password" } " "
                    input #signin-password name="password" type="password" autocomplete="current-password" required;
                }
                p { button type="submit" { "Sign in" } }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// POST /signin.
pub(crate) async fn signin(State(state): State<Shared>, req: Request) -> Result<Response, WebError> {
    let headers = req.headers().clone();
    let addr = client_addr(req.extensions(), &headers);
    let body = axum::body::to_bytes(req.into_body(), 16 * 1024)
        .await
        .map_err(|_| WebError::BadParameter("the form is too large".into()))?;
    let form: SignInForm = serde_urlencoded_form(&body)?;
    let expected = cookie(&headers, SIGNIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &form.csrf) {
        return Err(WebError::Forbidden("the sign-in form expired; reload it".into()));
    }
    let name = form.name.trim().to_owned();
    let keys = vec![format!("user:{name}"), format!("ip:{addr}")];
    let wait = state.limiter.wait(&keys);
    if !wait.is_zero() {
        let (n, a) = (name.clone(), addr.clone());
        blocking(&state, move |s| {
            s.with_store_mut(|st| Ok(st.audit(&n, "sign_in_throttled", &n, &format!("from {a}"))?))
        })
        .await?;
        tracing::warn!(user = %name, client = %addr, "sign-in refused: too many failures");
        return Err(WebError::TooManyRequests { retry_after: wait.as_secs().max(1) });
    }
    let password = form.password;
    let (n, a) = (name.clone(), addr.clone());
    let signed_in = blocking(&state, move |s| {
        s.with_store_mut(|st| match st.check_password(&n, &password)? {
            Some(user) => {
                let session = st.create_session(user.id)?;
                st.audit(&user.name, "sign_in", &user.name, &format!("from {a}"))?;
                Ok(Some(session))
            }
            None => {
                st.audit(&n, "sign_in_failed", &n, &format!("from {a}"))?;
                Ok(None)
            }
        })
    })
    .await?;
    match signed_in {
        Some(session) => {
            state.limiter.succeeded(&keys[0]);
            tracing::info!(user = %name, client = %addr, "signed in");
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&headers, SESSION_COOKIE, &session, opis_store::auth::SESSION_SECONDS),
            );
            h.append(header::SET_COOKIE, set_cookie(&headers, SIGNIN_CSRF_COOKIE, "", 0));
            Ok(res)
        }
        None => {
            state.limiter.failed(&keys);
            tracing::warn!(user = %name, client = %addr, "sign-in failed");
            let mut res =
                (StatusCode::UNAUTHORIZED, signin_page(expected, Some("Wrong name or password."))).into_response();
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
    }
}

/// Parses an `application/x-www-form-urlencoded` body into `T`.
pub(crate) fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    let pairs: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(pairs)).map_err(|e| WebError::BadParameter(e.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// POST /signout.
pub(crate) async fn signout(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let viewer = current();
    let form: CsrfForm = serde_urlencoded_form(&body)?;
    let who = viewer.require(Role::Reader)?.name.clone();
    viewer.check_csrf(&form.csrf)?;
    if let Some(id) = viewer.session.clone() {
        blocking(&state, move |s| {
            s.with_store_mut(|st| {
                st.end_session(&id)?;
                Ok(st.audit(&who, "sign_out", &who, "")?)
            })
        })
        .await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, "", 0));
    Ok(res)
}

/// The header's account area: a sign-in link, or the name and a sign-out button.
pub(crate) fn account_area() -> Markup {
    let viewer = current();
    html! {
        @match &viewer.principal {
            Some(p) => {
                form.account method="post" action="/signout" {
                    span.who { (p.name) " (" (p.role.as_str()) ")" }
                    @if p.role >= Role::Admin { " " a href="/admin/audit" { "Audit" } }
                    @if p.role >= Role::Editor { " " a href="/upload" { "Upload" } }
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    " " button type="submit" { "Sign out" }
                }
            }
            None => { a.account href="/signin" { "Sign in" } }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_forwarded_client_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let headers = |xff: &[&str]| {
            let mut h = HeaderMap::new();
            for v in xff {
                h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
            }
            h
        };
        let proxy = [ip("10.0.0.1"), ip("10.0.0.2")];
        // No proxies trusted: the peer, whatever the header says.
        assert_eq!(forwarded_client(ip("203.0.113.9"), &headers(&["198.51.100.7"]), &[]), ip("203.0.113.9"));
        // A peer that is not a trusted proxy cannot claim another address.
        assert_eq!(forwarded_client(ip("203.0.113.9"), &headers(&["198.51.100.7"]), &proxy), ip("203.0.113.9"));
        // Through one trusted proxy.
        assert_eq!(forwarded_client(ip("10.0.0.1"), &headers(&["198.51.100.7"]), &proxy), ip("198.51.100.7"));
        // Through two, the client's forged entry on the left ignored.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &headers(&["1.2.3.4, 198.51.100.7, 10.0.0.2"]), &proxy),
            ip("198.51.100.7")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &headers(&["1.2.3.4", "198.51.100.7, 10.0.0.2"]), &proxy),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last trusted hop; no header: the proxy itself.
        assert_eq!(forwarded_client(ip("10.0.0.1"), &headers(&["junk, 10.0.0.2"]), &proxy), ip("10.0.0.2"));
        assert_eq!(forwarded_client(ip("10.0.0.1"), &headers(&[]), &proxy), ip("10.0.0.1"));
        // IPv6.
        assert_eq!(forwarded_client(ip("10.0.0.1"), &headers(&["2001:db8::5"]), &proxy), ip("2001:db8::5"));
    }

    use super::*;

    #[test]
    fn backoff_starts_after_the_free_failures_and_doubles_to_a_cap() {
        assert_eq!(backoff(FREE_FAILURES), Duration::ZERO);
        assert_eq!(backoff(FREE_FAILURES + 1), Duration::from_secs(1));
        assert_eq!(backoff(FREE_FAILURES + 3), Duration::from_secs(4));
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }
}
