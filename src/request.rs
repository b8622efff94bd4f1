//! What a handler sees of a request: the parsed head, the path and query,
//! route parameters, the peer, and the body as a [`Read`].
//!
//! The head borrows the connection's read buffer; the body reads from the
//! bytes that arrived after the head and then from the socket, through the
//! framing decided by the parser (Content-Length or chunked), sending
//! `100 Continue` first if the client asked for it. The connection owns the
//! socket and the buffers; this module only borrows them for one request.

use crate::config::Limits;
use crate::http::body::{BodyFraming, ChunkError, ChunkedDecoder, Step};
use crate::http::headers::Fields;
use crate::http::method::Method;
use crate::http::parse::RequestHead;
use crate::http::status::Status;
use crate::http::version::Version;
use crate::response::Response;
use crate::socket::{Peer, Stream};
use std::any::Any;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request, as given to a handler.
pub struct Request<'a> {
    head: RequestHead<'a>,
    path: &'a str,
    query: Option<&'a str>,
    route_rest: &'a str,
    params: Vec<(String, String)>,
    states: Vec<Arc<dyn Any + Send + Sync>>,
    user: Option<String>,
    peer: Peer,
    body: Body<'a>,
}

impl<'a> Request<'a> {
    /// Puts a request together from its parsed head and its body reader.
    pub fn new(head: RequestHead<'a>, peer: Peer, body: Body<'a>) -> Request<'a> {
        let (path, query) = match head.path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (head.path_and_query, None),
        };
        // Absolute-form `http://host?q` has an empty path, which means `/`.
        let path = if path.is_empty() { "/" } else { path };
        Request {
            head,
            path,
            query,
            route_rest: path,
            params: Vec::new(),
            states: Vec::new(),
            user: None,
            peer,
            body,
        }
    }

    /// The parsed head.
    pub fn head(&self) -> &RequestHead<'a> {
        &self.head
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.head.method
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The request-target exactly as received.
    pub fn target(&self) -> &'a str {
        self.head.target
    }

    /// The path, still percent-encoded (`/` for an empty one).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The path percent-decoded, or `None` if it has a malformed escape or
    /// decodes to invalid UTF-8. (A decoded `/` is indistinguishable from a
    /// separator here; route on [`Request::path`] when that matters.)
    pub fn decoded_path(&self) -> Option<String> {
        crate::http::uri::percent_decode_str(self.path)
    }

    /// The query string without the `?`, still encoded, if there was one.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The query's `name=value` pairs, percent-decoded, `+` read as space.
    /// A pair whose text does not decode to UTF-8 (`%FF`) is left out. (A
    /// malformed escape such as `%zz` never gets this far: the parser
    /// answers 400 for the whole request.)
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .map(crate::http::uri::query_pairs)
            .unwrap_or_default()
    }

    /// The first value of query parameter `name`, percent-decoded (`+` read
    /// as space); `None` if absent (or not UTF-8, as for
    /// [`Request::query_pairs`]).
    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The header fields.
    pub fn fields(&self) -> Fields<'a> {
        self.head.fields
    }

    /// The first value of header `name` (case-insensitive), as bytes.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.head.fields.get(name)
    }

    /// Who sent the request: the client's address and port, or a client
    /// on this machine through a Unix socket ([`Peer::is_local`] is true for
    /// both that and loopback).
    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// The part of the path a mounted handler is responsible for: the whole
    /// path unless a router mount consumed a prefix.
    pub fn route_rest(&self) -> &'a str {
        self.route_rest
    }

    /// The part of the path a router's mounts consumed (`/static` for a
    /// handler mounted there; empty at the top, never ending in `/`): what
    /// goes before a path the handler builds for a URL of its own.
    pub fn mount_prefix(&self) -> &'a str {
        // A bare prefix (`/static`) reaches the handler as `/`, which is
        // not a suffix of the path: then all of it is prefix.
        let prefix = self.path.strip_suffix(self.route_rest).unwrap_or(self.path);
        prefix.trim_end_matches('/')
    }

    /// Whether this is an OPTIONS request a browser sends before a
    /// cross-origin one (Fetch standard): it carries `Origin` and
    /// `Access-Control-Request-Method`, and never credentials.
    pub fn is_cors_preflight(&self) -> bool {
        self.method() == Method::Options
            && self.header("origin").is_some()
            && self.header("access-control-request-method").is_some()
    }

    /// Set by the router when it hands the request to a mounted handler.
    pub fn set_route_rest(&mut self, rest: &'a str) {
        self.route_rest = rest;
    }

    /// A route parameter (`:id` or `*path`), percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A route parameter parsed as `T` with `T`'s `FromStr` (so for a
    /// number, `+5` and `05` read as 5): `req.param_as::<u64>("id")?` in a
    /// handler that returns `Result<Response, Response>`.
    ///
    /// # Errors
    ///
    /// A 400 response saying which parameter is malformed, ready to send.
    ///
    /// # Panics
    ///
    /// If the route has no parameter of that name: a mistake in the code,
    /// not in the request (the server answers 500 and logs it).
    pub fn param_as<T: FromStr>(&self, name: &str) -> Result<T, Response> {
        let value = self
            .param(name)
            .unwrap_or_else(|| panic!("the route has no parameter named {name:?}"));
        value.parse().map_err(|_| {
            Response::text(
                Status::BAD_REQUEST,
                format!("400: bad '{name}' in the path\n"),
            )
        })
    }

    /// The state of type `T` shared by
    /// [`crate::router::Router::with_state`] (the innermost router's, if
    /// several gave one of this type), or `None` if no router on the way
    /// gave a `T`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.states
            .iter()
            .rev()
            .find_map(|state| state.downcast_ref::<T>())
    }

    /// Gives handlers shared state; called by the router.
    pub fn add_state(&mut self, state: Arc<dyn Any + Send + Sync>) {
        self.states.push(state);
    }

    /// The user who authenticated, if a [`crate::auth::BasicAuth`] let the
    /// request through; the access log shows it.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Takes the user out, for the log once the handler is done.
    pub fn take_user(&mut self) -> Option<String> {
        self.user.take()
    }

    /// Records who authenticated; called by [`crate::auth::BasicAuth`].
    pub fn set_user(&mut self, user: String) {
        self.user = Some(user);
    }

    /// Replaces the route parameters; called by the router.
    pub fn set_params(&mut self, params: Vec<(String, String)>) {
        self.params = params;
    }

    /// The request body.
    pub fn body(&mut self) -> &mut Body<'a> {
        &mut self.body
    }

    /// Takes the body reader back once the handler is done.
    pub fn into_body(self) -> Body<'a> {
        self.body
    }
}

/// Why a body could not be read in full.
#[derive(Debug)]
pub enum BodyError {
    /// The chunked framing was broken or a limit was crossed.
    Chunk(ChunkError),
    /// More bytes than the caller's limit.
    TooLarge,
    /// The client closed or the socket failed mid-body.
    Io(io::Error),
    /// The body was asked for as text but is not UTF-8.
    NotUtf8,
}

impl BodyError {
    /// The status to answer with, if the response has not started: 413
    /// past a limit, 408 when the client stopped sending before the body
    /// ended (the body timeout passed), 400 for anything malformed.
    pub fn status(&self) -> Status {
        match self {
            BodyError::Chunk(e) => e.status(),
            BodyError::TooLarge => Status::CONTENT_TOO_LARGE,
            // A socket read timeout shows as WouldBlock on Unix.
            BodyError::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Status::REQUEST_TIMEOUT
            }
            BodyError::Io(_) | BodyError::NotUtf8 => Status::BAD_REQUEST,
        }
    }
}

/// The request body, read through its framing.
///
/// Reading it sends `100 Continue` first when the client asked (RFC 9110
/// §10.1.1): a handler that never reads the body never invites it.
pub struct Body<'a> {
    /// Where the rest of the body comes from: the client's socket, or
    /// nothing for a request built in memory (all of it is in `buf`).
    stream: Option<&'a Stream>,
    /// Bytes that arrived with or after the head: `buf[start..end]` unread.
    buf: &'a mut [u8],
    start: usize,
    end: usize,
    framing: BodyFraming,
    remaining: u64,
    chunked: ChunkedDecoder,
    /// The client asked for `100 Continue` and it has not been sent yet.
    continue_owed: bool,
    failed: bool,
    /// Set once the handler is done and the rest of the body is drained.
    drain_deadline: Option<Instant>,
    /// While draining: the longest wait for each read.
    drain_wait: Duration,
    limits: &'a Limits,
}

impl<'a> Body<'a> {
    /// A body reader over `buf[..filled]` (bytes already read after the head)
    /// and then the stream (`None`: there is nothing more to read, as for a
    /// request built in memory by [`crate::testing`]).
    pub fn new(
        stream: Option<&'a Stream>,
        buf: &'a mut [u8],
        filled: usize,
        head: &RequestHead<'_>,
        limits: &'a Limits,
    ) -> Body<'a> {
        let remaining = match head.body {
            BodyFraming::Length(n) => n,
            _ => 0,
        };
        Body {
            stream,
            buf,
            start: 0,
            end: filled,
            framing: head.body,
            remaining,
            chunked: ChunkedDecoder::new(),
            continue_owed: head.expect_continue && head.body != BodyFraming::None,
            failed: false,
            drain_deadline: None,
            drain_wait: Duration::ZERO,
            limits,
        }
    }

    /// Whether the request has a body at all.
    pub fn is_present(&self) -> bool {
        self.framing != BodyFraming::None
    }

    /// The declared length, for Content-Length bodies.
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            BodyFraming::Length(n) => Some(n),
            _ => None,
        }
    }

    /// Whether every byte of the body has been read.
    pub fn is_finished(&self) -> bool {
        match self.framing {
            BodyFraming::None => true,
            BodyFraming::Length(_) => self.remaining == 0,
            BodyFraming::Chunked => self.chunked.is_done(),
        }
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    ///
    /// # Errors
    ///
    /// [`BodyError::TooLarge`] past `limit`, or the framing or I/O error met.
    pub fn read_to_vec(&mut self, limit: u64) -> Result<Vec<u8>, BodyError> {
        if self.content_length().is_some_and(|n| n > limit) {
            return Err(BodyError::TooLarge);
        }
        let mut out = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = self.read_checked(&mut chunk)?;
            if n == 0 {
                return Ok(out);
            }
            if out.len() as u64 + n as u64 > limit {
                // What is left is unwanted; close rather than drain it.
                self.failed = true;
                return Err(BodyError::TooLarge);
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads the whole body as UTF-8 text, refusing more than `limit` bytes.
    ///
    /// # Errors
    ///
    /// As [`Body::read_to_vec`], and [`BodyError::NotUtf8`] for bytes that
    /// are not UTF-8.
    pub fn read_to_string(&mut self, limit: u64) -> Result<String, BodyError> {
        String::from_utf8(self.read_to_vec(limit)?).map_err(|_| BodyError::NotUtf8)
    }

    /// Reads and discards what is left of the body if it is at most `bound`
    /// bytes and keeps coming (each read waits at most `wait`, all of them
    /// together twice that), so the connection can carry another request.
    /// This changes the socket's read timeout. Returns where the bytes after
    /// the body (a pipelined request) sit in the buffer given to
    /// [`Body::new`], or `None` when the connection must close instead.
    pub fn finish(mut self, bound: u64, wait: Duration) -> Option<Range<usize>> {
        if self.failed || (self.continue_owed && !self.is_finished()) {
            return None;
        }
        // A declared length past the bound is not worth waiting for.
        if matches!(self.framing, BodyFraming::Length(_)) && self.remaining > bound {
            return None;
        }
        // The handler is done: from now on every socket read waits at most
        // `wait`, and all of them together twice that (checked before each
        // read, chunk framing included), so a client sending a byte a
        // second cannot hold the worker.
        self.drain_wait = wait;
        self.drain_deadline = Some(Instant::now() + wait * 2);
        let mut discarded = 0u64;
        let mut sink = [0u8; 4096];
        while !self.is_finished() {
            match self.read_checked(&mut sink) {
                Ok(0) => break,
                Ok(n) => discarded += n as u64,
                Err(_) => return None,
            }
            if discarded > bound {
                return None;
            }
        }
        if !self.is_finished() {
            return None;
        }
        Some(self.start..self.end)
    }

    /// Reads some of the body into `out`, as [`Read::read`] does, but
    /// keeps the reason a read failed ([`BodyError::status`] tells a
    /// timeout from a malformed chunk or a body over the limit), which the
    /// `Read` impl can only pass on as an `io::Error`. `Ok(0)` is the end.
    ///
    /// # Errors
    ///
    /// The framing or I/O error met; every later read fails too.
    pub fn read_checked(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        if self.failed {
            return Err(BodyError::Io(io::Error::other("body already failed")));
        }
        let result = match self.framing {
            BodyFraming::None => Ok(0),
            BodyFraming::Length(_) => self.read_length(out).map_err(BodyError::Io),
            BodyFraming::Chunked => self.read_chunked(out),
        };
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn ask_for_body(&mut self) -> io::Result<()> {
        if self.continue_owed {
            self.continue_owed = false;
            if let Some(mut stream) = self.stream {
                stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            }
        }
        Ok(())
    }

    fn read_length(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || out.is_empty() {
            return Ok(0);
        }
        let want = out
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = if self.start < self.end {
            let n = want.min(self.end - self.start);
            out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
            self.start += n;
            n
        } else {
            self.ask_for_body()?;
            self.before_socket_read()?;
            // Read straight into the caller's buffer, never past the body, so
            // a pipelined request behind it stays in the socket.
            read_more(self.stream, &mut out[..want])?
        };
        self.remaining -= n as u64;
        Ok(n)
    }

    fn read_chunked(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let input = &self.buf[self.start..self.end];
            match self
                .chunked
                .step(input, out.len(), self.limits)
                .map_err(BodyError::Chunk)?
            {
                Step::Skip(n) => self.start += n,
                Step::Data(n) => {
                    out[..n].copy_from_slice(&input[..n]);
                    self.start += n;
                    return Ok(n);
                }
                Step::Done(n) => {
                    self.start += n;
                    return Ok(0);
                }
                Step::NeedMore => self.fill().map_err(BodyError::Io)?,
            }
        }
    }

    /// While draining, bounds the coming socket read by what is left of the
    /// drain deadline (and by the wait for one read), or fails once it has
    /// passed.
    fn before_socket_read(&self) -> io::Result<()> {
        let Some(deadline) = self.drain_deadline else {
            return Ok(());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        match self.stream {
            Some(stream) => stream.set_read_timeout(Some(left.min(self.drain_wait))),
            None => Ok(()),
        }
    }

    /// Moves the unread bytes to the front and reads more after them.
    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "chunk line or trailers larger than the buffer",
            ));
        }
        self.ask_for_body()?;
        self.before_socket_read()?;
        self.end += read_more(self.stream, &mut self.buf[self.end..])?;
        Ok(())
    }
}

/// Reads more of a body from the socket; the client closing before the body
/// ends (or, in memory, a body shorter than declared) is `UnexpectedEof`.
fn read_more(stream: Option<&Stream>, into: &mut [u8]) -> io::Result<usize> {
    let n = match stream {
        Some(mut stream) => stream.read(into)?,
        None => 0,
    };
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(n)
}

impl Read for Body<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_checked(out).map_err(|e| match e {
            BodyError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
        })
    }
}
