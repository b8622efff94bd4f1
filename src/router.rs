//! The router: (method, path) -> handler.
//!
//! Routes are patterns of `/`-separated segments: literals (`users`), named
//! parameters (`:id`) and a final wildcard (`*path`) that takes the rest.
//! A mount hands a whole sub-tree (`/static`, or `/` for a file server) to
//! one handler, which sees the rest of the path in
//! [`Request::route_rest`]. What the router answers itself: 404 when nothing
//! matches, 405 with an `Allow` listing the methods that would have matched,
//! OPTIONS from the route table, and HEAD by running the GET route (the
//! writer drops the body); a [`Router::fallback`] replaces the 404.
//! Conflicting routes are refused when they are added, not discovered at
//! request time.
//!
//! A router is a handler, so routers nest: `mount("/api", api)` hands
//! `/api/...` to `api`, whose routes, 405s and mounts all see the path
//! after `/api` (its [`Request::route_rest`]).

use crate::handler::{Handler, HandlerFn};
use crate::http::method::Method;
use crate::http::status::Status;
use crate::http::uri::percent_decode_str;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use std::any::Any;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

impl Segment {
    /// Literals beat parameters beat wildcards when several routes match.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 2,
            Segment::Param(_) => 1,
            Segment::Rest(_) => 0,
        }
    }

    /// Two segments that would match the same input text.
    fn same_shape(&self, other: &Segment) -> bool {
        match (self, other) {
            (Segment::Literal(a), Segment::Literal(b)) => a == b,
            (Segment::Param(_), Segment::Param(_)) | (Segment::Rest(_), Segment::Rest(_)) => true,
            _ => false,
        }
    }
}

struct Route {
    method: Method,
    pattern: String,
    segments: Vec<Segment>,
    handler: Box<dyn Handler>,
}

impl Route {
    fn ends_in_wildcard(&self) -> bool {
        matches!(self.segments.last(), Some(Segment::Rest(_)))
    }
}

struct Mount {
    /// Without a trailing slash; empty for the root.
    prefix: String,
    handler: Box<dyn Handler>,
}

/// Routes requests to handlers by method and path.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
    mounts: Vec<Mount>,
    fallback: Option<Box<dyn Handler>>,
    states: Vec<Arc<dyn Any + Send + Sync>>,
}

impl Router {
    /// An empty router: every request gets 404.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route.
    ///
    /// # Panics
    ///
    /// If the pattern does not start with `/`, has a wildcard before its last
    /// segment or an unnamed parameter, or conflicts with a route already
    /// added for the same method (same shape, whatever the parameter names).
    /// These are programming errors, caught when the router is built.
    pub fn route(
        mut self,
        method: Method,
        pattern: &str,
        handler: impl Handler + 'static,
    ) -> Router {
        let segments = parse_pattern(pattern);
        if let Some(existing) = self.routes.iter().find(|r| {
            r.method == method
                && r.segments.len() == segments.len()
                && r.segments
                    .iter()
                    .zip(&segments)
                    .all(|(a, b)| a.same_shape(b))
        }) {
            panic!(
                "route {method} {pattern} conflicts with {} {}",
                existing.method, existing.pattern
            );
        }
        self.routes.push(Route {
            method,
            pattern: pattern.to_string(),
            segments,
            handler: Box::new(handler),
        });
        self
    }

    /// Adds a GET route (HEAD is answered by it too). The handler is a
    /// closure, `|req| ...`, returning a [`Response`] or a
    /// `Result<Response, Response>`; for a handler type, use
    /// [`Router::route`] or [`Router::mount`].
    pub fn get<F, R>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Get, pattern, HandlerFn(handler))
    }

    /// Adds a POST route; the handler as for [`Router::get`].
    pub fn post<F, R>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Post, pattern, HandlerFn(handler))
    }

    /// Adds a PUT route; the handler as for [`Router::get`].
    pub fn put<F, R>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Put, pattern, HandlerFn(handler))
    }

    /// Adds a PATCH route; the handler as for [`Router::get`].
    pub fn patch<F, R>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Patch, pattern, HandlerFn(handler))
    }

    /// Adds a DELETE route; the handler as for [`Router::get`].
    pub fn delete<F, R>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Delete, pattern, HandlerFn(handler))
    }

    /// Answers what no route or mount matches with `handler` instead of a
    /// plain 404: a custom not-found page, or a catch-all. It sees the
    /// request as routes do, so it may answer 404 with its own body, or
    /// anything else. It also answers for routers mounted beneath this one
    /// that have no fallback of their own. (A path that routes match for
    /// other methods still gets the router's 405 with `Allow`.)
    pub fn fallback<F, R>(mut self, handler: F) -> Router
    where
        F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse + 'static,
    {
        self.fallback = Some(Box::new(HandlerFn(handler)));
        self
    }

    /// Shares `state` with every handler behind this router (nested
    /// routers included), which reach it with [`Request::state`]`::<T>()`
    /// for the very type given here (`with_state(Arc<A>)` is found as
    /// `Arc<A>`, not `A`): one value for the whole application instead of a
    /// clone per route. Several states of different types may be given,
    /// here and by nested routers; for two of the same type, the innermost
    /// router's wins.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: T) -> Router {
        self.states.push(Arc::new(state));
        self
    }

    /// Hands every path under `prefix` (on a segment boundary), whatever the
    /// method, to `handler`, which sees the rest of the path in
    /// [`Request::route_rest`]. A route for the same path and method wins,
    /// unless it matched only through its `*wildcard`.
    ///
    /// # Panics
    ///
    /// If `prefix` does not start with `/`, holds a `:param` or `*wildcard`
    /// (a prefix is literal text), or is already mounted.
    pub fn mount(mut self, prefix: &str, handler: impl Handler + 'static) -> Router {
        assert!(
            prefix.starts_with('/'),
            "mount prefix {prefix:?} must start with /"
        );
        assert!(
            !prefix
                .split('/')
                .any(|s| s.starts_with(':') || s.starts_with('*')),
            "mount prefix {prefix:?} is literal: it cannot hold :params or *wildcards"
        );
        let prefix = prefix.trim_end_matches('/').to_string();
        assert!(
            self.mounts.iter().all(|m| m.prefix != prefix),
            "mount {prefix:?} added twice"
        );
        self.mounts.push(Mount {
            prefix,
            handler: Box::new(handler),
        });
        // Longest prefix first, so /static/img wins over /static and /.
        self.mounts
            .sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        self
    }

    /// The methods routes allow on `path`, HEAD added wherever GET is.
    fn allowed_methods(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Method::KNOWN
            .into_iter()
            .filter(|&m| {
                self.routes.iter().any(|r| {
                    (r.method == m || (m == Method::Head && r.method == Method::Get))
                        && match_segments(&r.segments, path).is_some()
                })
            })
            .collect();
        if !allowed.is_empty() && !allowed.contains(&Method::Options) {
            allowed.push(Method::Options);
        }
        allowed
    }

    fn best_route(&self, method: Method, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        let candidates = |wanted: Method| {
            self.routes
                .iter()
                .filter(move |r| r.method == wanted)
                .filter_map(|r| match_segments(&r.segments, path).map(|p| (r, p)))
                .max_by_key(|(r, _)| r.segments.iter().map(Segment::rank).collect::<Vec<_>>())
        };
        candidates(method).or_else(|| {
            if method == Method::Head {
                candidates(Method::Get)
            } else {
                None
            }
        })
    }
}

impl Handler for Router {
    /// Routes in this order: a route for the method (HEAD runs GET's);
    /// else a mount whose prefix the path is under (a mount also beats a
    /// route that matched only through its `*wildcard`: it claims that
    /// sub-tree explicitly); else 405 or OPTIONS when routes match for other
    /// methods; else the fallback, or 404.
    fn handle(&self, request: &mut Request<'_>) -> Response {
        for state in &self.states {
            request.add_state(Arc::clone(state));
        }
        // Under a mount, the part of the path after the mount's prefix.
        let path = request.route_rest();
        let route = self.best_route(request.method(), path);
        let mount = self
            .mounts
            .iter()
            .find_map(|mount| Some((mount, strip_mount(&mount.prefix, path)?)));
        match (route, mount) {
            (Some((route, params)), mount) if mount.is_none() || !route.ends_in_wildcard() => {
                return run_route(route, params, request);
            }
            (_, Some((mount, rest))) => {
                request.set_route_rest(rest);
                let response = mount.handler.handle(request);
                return match &self.fallback {
                    // A router mounted here found nothing: this router's
                    // fallback answers, as if the mount were not there.
                    Some(fallback) if response.is_unmatched() => fallback.handle(request),
                    _ => response,
                };
            }
            _ => {}
        }
        let allowed = self.allowed_methods(path);
        if !allowed.is_empty() {
            let allow = allowed
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if request.method() == Method::Options {
                return Response::options(allow);
            }
            return Response::method_not_allowed(allow);
        }
        match &self.fallback {
            Some(fallback) => fallback.handle(request),
            None => Response::unmatched(),
        }
    }
}

fn run_route(route: &Route, params: Vec<(String, String)>, request: &mut Request<'_>) -> Response {
    let Some(params) = params
        .into_iter()
        .map(decode_param)
        .collect::<Option<Vec<_>>>()
    else {
        return Response::error(Status::BAD_REQUEST);
    };
    request.set_params(params);
    route.handler.handle(request)
}

/// A parameter percent-decoded, or `None` (400) if it does not decode or
/// if it holds a `.` or `..` segment: `/files/..%2F..%2Fetc` must not give
/// a handler `../../etc` to join onto a directory.
fn decode_param((name, raw): (String, String)) -> Option<(String, String)> {
    let value = percent_decode_str(&raw)?;
    if value
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    Some((name, value))
}

/// `/static` mounted: `/static` -> `/`, `/static/a` -> `/a`, `/staticky` -> no.
fn strip_mount<'p>(prefix: &str, path: &'p str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    let body = pattern
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("route pattern {pattern:?} must start with /"));
    if body.is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = body.split('/').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if let Some(name) = part.strip_prefix(':') {
                assert!(!name.is_empty(), "unnamed parameter in {pattern:?}");
                Segment::Param(name.to_string())
            } else if let Some(name) = part.strip_prefix('*') {
                assert!(i + 1 == parts.len(), "wildcard must be last in {pattern:?}");
                assert!(!name.is_empty(), "unnamed wildcard in {pattern:?}");
                Segment::Rest(name.to_string())
            } else {
                Segment::Literal(part.to_string())
            }
        })
        .collect()
}

/// Matches `path` against a pattern, returning the raw parameter values.
fn match_segments(segments: &[Segment], path: &str) -> Option<Vec<(String, String)>> {
    let body = path.strip_prefix('/')?;
    let mut parts = if body.is_empty() {
        Vec::new()
    } else {
        body.split('/').collect::<Vec<_>>()
    };
    let mut params = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Rest(name) => {
                let rest = parts.get(i..).map(|p| p.join("/")).unwrap_or_default();
                params.push((name.clone(), rest));
                parts.clear();
                return Some(params);
            }
            Segment::Literal(text) => {
                if parts.get(i) != Some(&text.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = parts.get(i).filter(|v| !v.is_empty())?;
                params.push((name.clone(), value.to_string()));
            }
        }
    }
    (parts.len() == segments.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        match_segments(&parse_pattern(pattern), path)
    }

    #[test]
    fn patterns_match_literals_params_and_rest() {
        assert_eq!(shape("/", "/"), Some(vec![]));
        assert_eq!(
            shape("/users/:id", "/users/42"),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(shape("/users/:id", "/users/"), None);
        assert_eq!(shape("/users/:id", "/users/42/x"), None);
        assert_eq!(
            shape("/static/*path", "/static/a/b.css"),
            Some(vec![("path".into(), "a/b.css".into())])
        );
        assert_eq!(
            shape("/static/*path", "/static"),
            Some(vec![("path".into(), String::new())])
        );
        assert_eq!(shape("/a", "/b"), None);
    }

    #[test]
    #[should_panic(expected = "conflicts")]
    fn conflicting_routes_are_refused_when_built() {
        let h = |_: &mut Request<'_>| Response::new(Status::OK);
        let _ = Router::new().get("/users/:id", h).get("/users/:name", h);
    }

    #[test]
    fn mounts_strip_on_segment_boundaries() {
        assert_eq!(strip_mount("/static", "/static"), Some("/"));
        assert_eq!(strip_mount("/static", "/static/a"), Some("/a"));
        assert_eq!(strip_mount("/static", "/staticky"), None);
        assert_eq!(strip_mount("", "/anything"), Some("/anything"));
    }
}
