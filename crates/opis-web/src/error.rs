//! What can go wrong serving a page, and the one table that maps it to an HTTP status.
//!
//! A query the parser rejects is the reader's mistake (400, shown with its column on the
//! search page); an unknown document, person or archive file is 404; everything else is the
//! server's (500, logged, shown without internals).

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use opis_index::IndexError;
use opis_store::StoreError;

use crate::layout;

/// Errors of the reading room.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing at this address (an unknown document id, person, archive file or path).
    #[error("not found: {0}")]
    NotFound(String),
    /// The search query does not parse; `position` is the 0-based character offset.
    #[error("{message} at column {}", position + 1)]
    BadQuery { query: String, message: String, position: usize },
    /// A request parameter the API cannot take (malformed, out of range).
    #[error("bad parameter: {0}")]
    BadParameter(String),
    /// A write (or a page for accounts) asked for without signing in.
    #[error("sign in first")]
    Unauthorized,
    /// Signed in, but the account's role may not do this (or a CSRF token is wrong).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Too many failed sign-ins: try again after this many seconds.
    #[error("too many failed sign-ins; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// A request body the server will not take (too large, not a document).
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(IndexError),
    /// A blocking task failed to finish.
    #[error("a worker task failed: {0}")]
    Task(String),
    #[error("cannot serve on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl From<IndexError> for WebError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Query { message, position } => WebError::BadQuery { query: String::new(), message, position },
            e => WebError::Index(e),
        }
    }
}

impl WebError {
    /// A search error for `query`: a parse error keeps the query to show it with a caret.
    pub(crate) fn from_search(e: IndexError, query: &str) -> Self {
        match WebError::from(e) {
            WebError::BadQuery { message, position, .. } => {
                WebError::BadQuery { query: query.to_owned(), message, position }
            }
            other => other,
        }
    }

    /// The status table: every error's HTTP status and its stable code (the API's
    /// `error.code`), in one place.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            WebError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            WebError::BadQuery { .. } => (StatusCode::BAD_REQUEST, "bad_query"),
            WebError::BadParameter(_) => (StatusCode::BAD_REQUEST, "bad_parameter"),
            WebError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            WebError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            WebError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            WebError::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
            WebError::Store(StoreError::Correction(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "correction_does_not_apply")
            }
            WebError::Store(StoreError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            WebError::Store(_) | WebError::Index(_) | WebError::Task(_) | WebError::Bind { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let page = match &self {
            WebError::NotFound(what) => layout::error_page("Not found", &format!("There is nothing here: {what}.")),
            WebError::BadParameter(what) => {
                layout::error_page("Bad request", &format!("This request is not valid: {what}."))
            }
            WebError::BadQuery { query, message, position } => crate::pages::bad_query_page(query, message, *position),
            WebError::Unauthorized => layout::error_page("Sign in first", "This needs an account: sign in first."),
            WebError::Forbidden(why) => layout::error_page("Forbidden", why),
            WebError::TooManyRequests { retry_after } => layout::error_page(
                "Too many attempts",
                &format!("Too many failed sign-ins. Try again in {retry_after} seconds."),
            ),
            WebError::Rejected(why) => layout::error_page("Not accepted", why),
            WebError::Store(StoreError::Correction(why)) => layout::error_page("The correction does not apply", why),
            WebError::Store(StoreError::Conflict(why)) => layout::error_page("Changed meanwhile", why),
            other => {
                tracing::error!(error = %other, "serving a page failed");
                layout::error_page(
                    "Something went wrong",
                    "The server could not answer this request. It has been logged.",
                )
            }
        };
        let mut res = (status, page).into_response();
        if let WebError::TooManyRequests { retry_after } = &self {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, (*retry_after).into());
        }
        res
    }
}
