//! The stylesheet and the script, compiled into the binary and served with a cache lifetime.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../static/opis.css");
const JS: &str = include_str!("../static/opis.js");

pub(crate) async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

pub(crate) async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], JS)
}
