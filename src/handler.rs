//! The one interface between the server and what it serves: a [`Handler`]
//! turns a request into a response.
//!
//! It has its own module because both sides depend on it and neither owns
//! it: the server calls a handler without knowing about routes, and the
//! router and the file server are handlers without knowing about sockets.
//! This module owns the trait, the adapter that lets a plain closure be a
//! handler ([`HandlerFn`]), and wrapping: since a handler is one method, a
//! wrapper is a handler that holds another and calls it ([`around`],
//! [`Timed`], [`HealthCheck`]). Choosing between handlers is the router's
//! job.

use crate::request::Request;
use crate::response::{IntoResponse, Response};
use std::time::Instant;

/// Anything that turns a request into a response. Closures
/// `Fn(&mut Request) -> Response` are handlers.
pub trait Handler: Send + Sync {
    /// Answers one request.
    fn handle(&self, request: &mut Request<'_>) -> Response;
}

impl<F> Handler for F
where
    F: Fn(&mut Request<'_>) -> Response + Send + Sync,
{
    fn handle(&self, request: &mut Request<'_>) -> Response {
        self(request)
    }
}

/// A boxed handler is a handler: for choosing at run time what to wrap
/// around what (as the binary does with its options).
impl Handler for Box<dyn Handler> {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        (**self).handle(request)
    }
}

/// A closure as a handler, whatever it returns that can become a response
/// (a [`Response`], or `Result<Response, Response>` so that `?` works).
///
/// [`crate::router::Router::get`] and its siblings wrap closures in this
/// for you. Their bound is what lets Rust infer a closure's argument type,
/// so `|req| ...` compiles without spelling out `&mut Request<'_>`.
pub struct HandlerFn<F>(pub F);

impl<F, R> Handler for HandlerFn<F>
where
    F: Fn(&mut Request<'_>) -> R + Send + Sync,
    R: IntoResponse,
{
    fn handle(&self, request: &mut Request<'_>) -> Response {
        (self.0)(request).into_response()
    }
}

/// A closure as a handler, anywhere one is taken ([`crate::Server::bind`],
/// [`crate::Router::mount`], [`crate::testing::TestRequest::send`],
/// [`around`]): the bound lets Rust infer the closure's argument type, so
/// `from_fn(|req| ...)` needs no annotation.
pub fn from_fn<F, R>(handler: F) -> HandlerFn<F>
where
    F: Fn(&mut Request<'_>) -> R + Send + Sync,
    R: IntoResponse,
{
    HandlerFn(handler)
}

/// Wraps `inner` so that every request goes through `wrapper` first, which
/// decides whether and how to call `inner` and may change what it answers:
/// logging, timing, adding fields, refusing early.
///
/// ```
/// use http_from_scratch::handler::{around, Handler};
/// use http_from_scratch::{Response, Router, Status};
///
/// let app = Router::new().get("/", |_req| Response::text(Status::OK, "hi\n"));
/// let app = around(app, |req, inner| {
///     inner.handle(req).with_header("X-Served-By", "example")
/// });
/// # let _ = app;
/// ```
pub fn around<H, W>(inner: H, wrapper: W) -> Around<H, W>
where
    H: Handler,
    W: Fn(&mut Request<'_>, &H) -> Response + Send + Sync,
{
    Around { inner, wrapper }
}

/// A handler wrapped by [`around`].
pub struct Around<H, W> {
    inner: H,
    wrapper: W,
}

impl<H, W> Handler for Around<H, W>
where
    H: Handler,
    W: Fn(&mut Request<'_>, &H) -> Response + Send + Sync,
{
    fn handle(&self, request: &mut Request<'_>) -> Response {
        (self.wrapper)(request, &self.inner)
    }
}

/// Adds how long the inner handler took to every response, as a
/// `Server-Timing: handler;dur=MILLISECONDS` field (W3C Server Timing),
/// which browsers' developer tools show beside the request. For a streamed
/// body that is the time to build the response, not to produce the stream
/// (the field leaves with the head, before the body is written).
pub struct Timed<H>(pub H);

impl<H: Handler> Handler for Timed<H> {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        let started = Instant::now();
        let response = self.0.handle(request);
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        response.with_header("Server-Timing", format!("handler;dur={millis:.3}"))
    }
}

/// Answers `200 ok` on one path, before `inner` sees the request and
/// without touching anything else (the file system included): for a load
/// balancer asking whether this instance is up. Being in front, it is
/// answered without credentials when `inner` asks for them. Its answers
/// stay out of the access log unless `logged`.
pub struct HealthCheck<H> {
    /// The path answered, such as `/healthz`.
    pub path: String,
    /// Whether its answers go in the access log.
    pub logged: bool,
    /// What every other request goes to.
    pub inner: H,
}

impl<H: Handler> Handler for HealthCheck<H> {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        if request.path() != self.path {
            return self.inner.handle(request);
        }
        let ok = Response::text(crate::http::status::Status::OK, "ok\n");
        if self.logged {
            ok
        } else {
            ok.unlogged()
        }
    }
}
