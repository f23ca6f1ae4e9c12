//! The stylesheet, the script and the icon, compiled into the binary and served with a cache
//! lifetime. Browsers ask for `/favicon.ico` whatever a page links; it gets the same icon.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../static/opis.css");
const JS: &str = include_str!("../static/opis.js");
const ICON: &str = include_str!("../static/favicon.svg");

pub(crate) async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

pub(crate) async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], JS)
}

pub(crate) async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON)
}
