//! Testing handlers without a socket: build a request, run it through any
//! handler (a router, the file server, a wrapped closure) and look at the
//! answer as a client would receive it.
//!
//! The request goes through the same parser as on a real connection, and
//! the response through the same writer, so what a test sees is what goes
//! on the wire: `Content-Length` or chunked framing, no body for HEAD, the
//! writer's own fields. What it skips is the connection: no timeouts, no
//! keep-alive, and none of the answers the server gives before a handler
//! runs (501 for unknown methods, 204 for `OPTIONS *`, 503 when
//! overloaded). For those, start a
//! [`crate::Server`] on port 0 and talk to it.
//!
//! ```
//! use http_from_scratch::testing::TestRequest;
//! use http_from_scratch::{Response, Router, Status};
//!
//! let app = Router::new().get("/hello/:name", |req| {
//!     Response::text(Status::OK, format!("hello {}\n", req.param("name").unwrap_or("?")))
//! });
//! let response = TestRequest::get("/hello/ada").send(&app);
//! assert_eq!(response.status(), Status::OK);
//! assert_eq!(response.text(), "hello ada\n");
//! assert_eq!(response.header("content-type"), Some("text/plain; charset=utf-8"));
//! ```

use crate::config::Limits;
use crate::handler::Handler;
use crate::http::headers::FieldSpan;
use crate::http::method::Method;
use crate::http::parse::{parse_request, Parsed};
use crate::http::status::Status;
use crate::http::version::Version;
use crate::request::{Body, Request};
use crate::response::{write_response, Response, WriteContext};
use crate::socket::Peer;
use std::net::{Ipv4Addr, SocketAddr};

/// A request to run through a handler: a method, a target, header fields
/// and a body, or the exact bytes a client would send.
#[derive(Debug, Clone)]
pub struct TestRequest {
    shape: Shape,
    peer: Peer,
}

#[derive(Debug, Clone)]
enum Shape {
    /// Put together by the builder methods, rendered when sent.
    Parts {
        method: Method,
        target: String,
        fields: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    },
    /// Sent exactly as given.
    Bytes(Vec<u8>),
}

impl TestRequest {
    /// `METHOD target HTTP/1.1`, with `Host: test` unless a `Host` field is
    /// added; add fields and a body with [`TestRequest::header`] and
    /// [`TestRequest::body`], in any order.
    pub fn new(method: Method, target: &str) -> TestRequest {
        TestRequest {
            shape: Shape::Parts {
                method,
                target: target.to_string(),
                fields: Vec::new(),
                body: None,
            },
            peer: loopback(),
        }
    }

    /// A GET request.
    pub fn get(target: &str) -> TestRequest {
        TestRequest::new(Method::Get, target)
    }

    /// A HEAD request.
    pub fn head(target: &str) -> TestRequest {
        TestRequest::new(Method::Head, target)
    }

    /// A POST request.
    pub fn post(target: &str) -> TestRequest {
        TestRequest::new(Method::Post, target)
    }

    /// A PUT request.
    pub fn put(target: &str) -> TestRequest {
        TestRequest::new(Method::Put, target)
    }

    /// A PATCH request.
    pub fn patch(target: &str) -> TestRequest {
        TestRequest::new(Method::Patch, target)
    }

    /// A DELETE request.
    pub fn delete(target: &str) -> TestRequest {
        TestRequest::new(Method::Delete, target)
    }

    /// An OPTIONS request.
    pub fn options(target: &str) -> TestRequest {
        TestRequest::new(Method::Options, target)
    }

    /// Exactly these bytes, head and body, as a client would send them.
    pub fn from_bytes(bytes: &[u8]) -> TestRequest {
        TestRequest {
            shape: Shape::Bytes(bytes.to_vec()),
            peer: loopback(),
        }
    }

    /// Adds a header field (sent in the order added).
    ///
    /// # Panics
    ///
    /// On a request made with [`TestRequest::from_bytes`], which is sent
    /// exactly as given.
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        match &mut self.shape {
            Shape::Parts { fields, .. } => fields.push((name.to_string(), value.to_string())),
            Shape::Bytes(_) => panic!("a request from bytes is sent as given; add fields there"),
        }
        self
    }

    /// Sets the body (replacing one set before), sent with its
    /// `Content-Length`.
    ///
    /// # Panics
    ///
    /// On a request made with [`TestRequest::from_bytes`].
    pub fn body(mut self, bytes: impl AsRef<[u8]>) -> TestRequest {
        match &mut self.shape {
            Shape::Parts { body, .. } => *body = Some(bytes.as_ref().to_vec()),
            Shape::Bytes(_) => panic!("a request from bytes is sent as given; add the body there"),
        }
        self
    }

    /// Who the handler sees sending the request (127.0.0.1, port 0, unless
    /// set): another address, or [`Peer::Unix`] for a client of a Unix
    /// socket.
    pub fn peer(mut self, peer: Peer) -> TestRequest {
        self.peer = peer;
        self
    }

    /// The bytes a client would send.
    fn into_bytes(self) -> Vec<u8> {
        let (method, target, fields, body) = match self.shape {
            Shape::Bytes(bytes) => return bytes,
            Shape::Parts {
                method,
                target,
                fields,
                body,
            } => (method, target, fields, body),
        };
        let mut bytes = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
        if !fields
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            bytes.extend_from_slice(b"Host: test\r\n");
        }
        for (name, value) in &fields {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if let Some(body) = &body {
            bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(body.as_deref().unwrap_or_default());
        bytes
    }

    /// Runs the request through `handler` and returns the answer as it
    /// would arrive. A request the parser refuses gets the error the server
    /// would send (400, 413, 431, ...) without reaching the handler.
    ///
    /// # Panics
    ///
    /// If the bytes are not a whole request head (a test mistake), or if the
    /// handler panics (so that the test shows where).
    pub fn send(self, handler: &impl Handler) -> TestResponse {
        let peer = self.peer;
        let mut bytes = self.into_bytes();
        let limits = Limits::default();
        let head_len = match parse_request(&bytes, &limits, &mut Vec::new()) {
            Ok(Parsed::Complete { len, .. }) => len,
            Ok(_) => panic!(
                "not a whole request head: {:?}",
                String::from_utf8_lossy(&bytes)
            ),
            Err(e) => return TestResponse::of(Response::error(e.status()), refused()),
        };
        let (head_bytes, rest) = bytes.split_at_mut(head_len);
        let mut spans: Vec<FieldSpan> = Vec::new();
        let Ok(Parsed::Complete { head, .. }) = parse_request(head_bytes, &limits, &mut spans)
        else {
            unreachable!("the same bytes parsed a moment ago");
        };
        let filled = rest.len();
        let body = Body::new(None, rest, filled, &head, &limits);
        let mut request = Request::new(head, peer, body);
        let response = handler.handle(&mut request);
        let ctx = WriteContext {
            version: head.version,
            head_request: head.method == Method::Head,
            keep_alive: head.keep_alive,
            extra_headers: &[],
            stop: None,
        };
        TestResponse::of(response, ctx)
    }
}

/// The peer a test request comes from unless [`TestRequest::peer`] says.
fn loopback() -> Peer {
    Peer::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
}

/// An answer as a client received it: status, header fields and the body
/// with its framing removed.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: Status,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
    cut_off: bool,
}

impl TestResponse {
    /// Writes `response` as the server would and reads it back.
    fn of(response: Response, ctx: WriteContext<'_>) -> TestResponse {
        let mut wire = Vec::new();
        let written = write_response(&mut wire, &mut Vec::new(), response, ctx);
        let mut response = TestResponse::read(&wire);
        // A streamed body that failed part way: what was sent before it.
        response.cut_off = written.is_err();
        response
    }

    /// Reads a response off `wire`: the status line, the fields, then the
    /// body as its framing says.
    fn read(wire: &[u8]) -> TestResponse {
        let head_end = wire
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("the writer ends every head");
        let head = String::from_utf8_lossy(&wire[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let code = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let fields: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_string(), value.trim().to_string()))
            .collect();
        let rest = &wire[head_end + 4..];
        let chunked = fields
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
        let body = if chunked {
            unchunk(rest)
        } else {
            rest.to_vec()
        };
        TestResponse {
            status: Status(code),
            fields,
            body,
            cut_off: false,
        }
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The first value of field `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every field, in the order sent.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The body, without chunk framing.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the body was cut off: a streamed body's function returned an
    /// error after the head was sent, so the client got only part of it
    /// (and, over a real connection, a close).
    pub fn was_cut_off(&self) -> bool {
        self.cut_off
    }

    /// The body as text (invalid UTF-8 replaced, so a test can print it).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How the server answers a request it refused to parse: HTTP/1.1, and
/// the connection closes.
fn refused() -> WriteContext<'static> {
    WriteContext {
        version: Version::Http11,
        head_request: false,
        keep_alive: false,
        extra_headers: &[],
        stop: None,
    }
}

/// The data of a chunked body the writer produced (well-formed by
/// construction, so this reader trusts it).
fn unchunk(mut wire: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = wire.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&wire[..line_end]);
        let size = usize::from_str_radix(size_text.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        let data = line_end + 2;
        body.extend_from_slice(&wire[data..data + size]);
        wire = &wire[data + size + 2..];
    }
    body
}
