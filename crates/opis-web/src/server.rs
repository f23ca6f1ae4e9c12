//! The HTTP server loop and its limits: what a client may send and how long it may take.
//!
//! axum's own `serve` sets no timer, so a client that sends half a request head and waits holds
//! a connection for ever. This loop drives each connection with hyper's HTTP/1 builder, with
//! - [`HEADER_READ_TIMEOUT`]: a request head must arrive whole within it, else the connection
//!   is closed (slow clients, idle keep-alive connections);
//! - [`MAX_HEADER_BYTES`] of request line and headers, [`MAX_HEADERS`] headers: more gives
//!   `431 Request Header Fields Too Large`;
//! - [`MAX_BODY_BYTES`] of request body (only `POST /oai` reads one): more gives `413`;
//! - [`REQUEST_TIMEOUT`] for reading the body and answering: a request that takes longer gets
//!   `408` (body not received) or `503`, and its connection is closed;
//! - [`WRITE_TIMEOUT`]: a client that stops reading its answer (the socket's buffers full, not
//!   one byte taken) for that long is cut off, so it cannot hold a connection and its answer.
//!
//! Every answer of the limits carries the security headers (except `431`, which hyper writes
//! itself). A closed connection lingers: the server reads what the client still sends for up to
//! [`LINGER_TIME`] so that a refusal is not destroyed by a TCP reset (see `linger`).
//!
//! Graceful shutdown: when the shutdown future completes, the listener closes, every connection
//! finishes the request it is serving (a keep-alive connection between requests is closed), and
//! the loop returns when the last connection has ended, or after [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;

use crate::WebError;

/// A request's head (request line and headers) must arrive within this time.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of request line and headers.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Headers in one request.
pub const MAX_HEADERS: usize = 64;
/// Bytes of request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Time to receive a request's body and answer it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write may wait for the client to take any of it.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The server's limits; [`Limits::default`] holds the constants above (tests shorten the times).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub write_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_header_bytes: MAX_HEADER_BYTES,
            max_headers: MAX_HEADERS,
            max_body_bytes: MAX_BODY_BYTES,
            request_timeout: REQUEST_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// The router with the body limit and the request timeout.
pub(crate) fn limited(router: Router, limits: Limits) -> Router {
    router
        .layer(middleware::from_fn(move |req: Request, next: Next| within_limits(limits, req, next)))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
}

/// Answers `413` at once when the declared body is too large (a chunked body is cut off by the
/// body limit as it arrives), and `408`/`503` when a request takes longer than the timeout.
async fn within_limits(limits: Limits, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        tracing::info!(method = %req.method(), path = %req.uri().path(), status = 413, "request body too large");
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large\n");
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let timeout = limits.request_timeout;
    let reads_body =
        req.headers().contains_key(header::CONTENT_LENGTH) || req.headers().contains_key(header::TRANSFER_ENCODING);
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            let status = if reads_body { StatusCode::REQUEST_TIMEOUT } else { StatusCode::SERVICE_UNAVAILABLE };
            tracing::warn!(%method, %path, status = status.as_u16(), "request took longer than {timeout:?}");
            refusal(status, "the request took too long\n")
        }
    }
}

/// An answer of the limits: plain text, the security headers, and the connection closed.
fn refusal(status: StatusCode, text: &'static str) -> Response {
    let mut res = (status, text).into_response();
    crate::set_security_headers(res.headers_mut());
    res.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    res
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Each connection holds a receiver of `open_rx`; `open_tx.closed()` waits for the last.
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // The peer address as axum's `ConnectInfo`, as `axum::serve` would give it.
        let service = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .map_request(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                })
                .service(app.clone()),
        );
        let (mut stop_rx, open_rx) = (stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .max_header_size(limits.max_header_bytes)
                .max_headers(limits.max_headers);
            let io = TokioIo::new(ClientConnection::new(stream, limits.write_timeout));
            let mut conn = std::pin::pin!(builder.serve_connection(io, service));
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!("connection: {e}");
                    }
                }
                () = async { let _ = stop_rx.wait_for(|stop| *stop).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
            }
            drop(open_rx);
        });
    }
    drop(listener);
    drop(open_rx);
    let _ = stop_tx.send(true);
    tracing::info!("shutting down: finishing the requests in flight");
    if tokio::time::timeout(limits.shutdown_grace, open_tx.closed()).await.is_err() {
        tracing::warn!("requests still open after {:?} at shutdown; stopping anyway", limits.shutdown_grace);
    }
    Ok(())
}

/// How long a closed connection is still read from before its socket closes.
pub const LINGER_TIME: Duration = Duration::from_secs(2);
/// How much of what a client still sends is read and thrown away before closing anyway.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// The lingering close (as nginx and Apache do it): once hyper has let go of the connection,
/// send our end-of-stream and read what the client still sends for a moment before closing.
/// Closing a socket with unread input makes the kernel send a reset, and a reset can destroy
/// the answer before the client reads it — a client whose request was refused (431, 413) while
/// it was still sending would see "connection reset" instead of the refusal, and its writes
/// would fail.
async fn linger(socket: tokio::net::TcpStream) {
    let Ok(socket) = socket.into_std() else { return };
    let _ = socket.shutdown(std::net::Shutdown::Write);
    let Ok(socket) = tokio::net::TcpStream::from_std(socket) else { return };
    let drain = async {
        let mut buf = [0u8; 8192];
        let mut read = 0;
        while read < LINGER_BYTES {
            if socket.readable().await.is_err() {
                break;
            }
            match socket.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => break,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// A client's connection as hyper serves it: its writes fail with `TimedOut` when the client
/// takes none of the bytes for `timeout` (hyper has no write timeout of its own; reads wait as
/// long as the header and request timeouts allow), and dropping it closes the socket with a
/// [`linger`] on a task of its own.
struct ClientConnection {
    /// `None` only once dropped.
    stream: Option<tokio::net::TcpStream>,
    timeout: Duration,
    /// Armed when a write finds the socket full; disarmed by any write that goes through.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// hyper's own 431 answer with the security headers added: the bytes still to send, and
    /// how many of hyper's bytes they stand for.
    rewritten: Option<(Vec<u8>, usize)>,
}

/// The start of the one answer hyper writes itself, without the application's headers: a
/// request head over the limits.
const HYPER_431: &[u8] = b"HTTP/1.1 431 ";

/// hyper's 431 head with the security headers every other answer carries, after its status line.
fn with_security_headers(head: &[u8]) -> Vec<u8> {
    let mut headers = axum::http::HeaderMap::new();
    crate::set_security_headers(&mut headers);
    let line_end = head.windows(2).position(|w| w == b"\r\n").map_or(head.len(), |p| p + 2);
    let mut out = head[..line_end].to_vec();
    for (name, value) in &headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&head[line_end..]);
    out
}

impl ClientConnection {
    fn new(stream: tokio::net::TcpStream, timeout: Duration) -> Self {
        ClientConnection { stream: Some(stream), timeout, stalled: None, rewritten: None }
    }

    fn stream(&mut self) -> std::pin::Pin<&mut tokio::net::TcpStream> {
        std::pin::Pin::new(self.stream.as_mut().expect("a connection in use has its stream"))
    }

    /// What to answer for a write that is still pending: wait, or give up after the timeout.
    fn pending<R>(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<R>> {
        use std::task::Poll;
        let timeout = self.timeout;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client took nothing of the answer for {timeout:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// A write's outcome: a stalled write waits for the deadline, a write that went through
    /// disarms it.
    fn written<R>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: std::task::Poll<std::io::Result<R>>,
    ) -> std::task::Poll<std::io::Result<R>> {
        match poll {
            std::task::Poll::Pending => self.pending(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl Drop for ClientConnection {
    fn drop(&mut self) {
        if let (Some(stream), Ok(runtime)) = (self.stream.take(), tokio::runtime::Handle::try_current()) {
            runtime.spawn(linger(stream));
        }
    }
}

impl tokio::io::AsyncRead for ClientConnection {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.stream().poll_read(cx, buf)
    }
}

impl ClientConnection {
    /// Sends hyper's 431 head (`buf`) with the security headers added; reports all of `buf` as
    /// written once the longer head is.
    fn write_431(&mut self, cx: &mut std::task::Context<'_>, buf: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        use tokio::io::AsyncWrite;
        if self.rewritten.is_none() {
            tracing::info!(status = 431, "request head too large");
            self.rewritten = Some((with_security_headers(buf), buf.len()));
        }
        loop {
            let Some((bytes, stands_for)) = self.rewritten.take() else { return Poll::Ready(Ok(0)) };
            let poll = self.stream().poll_write(cx, &bytes);
            match self.written(cx, poll) {
                Poll::Ready(Ok(n)) if n < bytes.len() && n > 0 => {
                    self.rewritten = Some((bytes[n..].to_vec(), stands_for))
                }
                Poll::Ready(Ok(_)) => return Poll::Ready(Ok(stands_for)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.rewritten = Some((bytes, stands_for));
                    return Poll::Pending;
                }
            }
        }
    }
}

impl tokio::io::AsyncWrite for ClientConnection {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.rewritten.is_some() || buf.starts_with(HYPER_431) {
            return self.write_431(cx, buf);
        }
        let poll = self.stream().poll_write(cx, buf);
        self.written(cx, poll)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && (self.rewritten.is_some() || first.starts_with(HYPER_431))
        {
            return self.write_431(cx, first);
        }
        let poll = self.stream().poll_write_vectored(cx, bufs);
        self.written(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.stream().poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.stream().poll_shutdown(cx)
    }
}
