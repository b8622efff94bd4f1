//! The one interface between the server and what it serves: a [`Handler`]
//! turns a request into a response.
//!
//! It has its own module because both sides depend on it and neither owns
//! it: the server calls a handler without knowing about routes, and the
//! router and the file server are handlers without knowing about sockets.
//! This module owns the trait only; composing handlers is the router's job.

use crate::request::Request;
use crate::response::Response;

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
