//! Responses: the value a handler returns, and the writer that puts it on
//! the wire.
//!
//! Handlers describe *what* to send: a status, their own header fields, and a
//! body (bytes, part of a file, or any reader). The writer owns *how*
//! it writes the status line, `Date`, `Server`, the framing
//! (`Content-Length` or chunked), `Connection`, and drops the body for HEAD
//! and for statuses that cannot have one. A handler therefore cannot frame a
//! response wrongly or inject a header: names and values are checked when
//! they are added, and the framing names are refused.

use crate::http::date;
use crate::http::headers::{is_field_value_byte, is_token};
use crate::http::mime;
use crate::http::status::Status;
use crate::http::version::Version;
use crate::outgoing::Outgoing;
use crate::socket::Stream;
use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The product name and version sent in `Server`.
pub const SERVER_NAME: &str = concat!("http-from-scratch/", env!("CARGO_PKG_VERSION"));

/// Bodies up to this size travel in the same write as the head; a file this
/// small is read into the output buffer instead of streamed.
const INLINE_BODY_BYTES: u64 = 16 * 1024;

/// What `Retry-After` asks of a client refused with 503: a second is long
/// enough for a burst to pass and short enough that nobody notices.
const RETRY_AFTER_SECONDS: u32 = 1;

/// Header fields only the writer may set (see [`is_writer_owned`]).
const WRITER_OWNED: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "date",
    "server",
];

/// A function that writes a body as it is produced; see
/// [`Response::stream_with`].
pub type PushBody = Box<dyn FnOnce(&mut BodyWriter<'_>) -> io::Result<()> + Send>;

/// A function that takes the connection once a response's head is sent;
/// see [`Response::hand_over`].
pub type HandOver = Box<dyn FnOnce(Stream) + Send>;

/// What a response carries after its head.
pub enum ResponseBody {
    /// No content (`Content-Length: 0` where the status allows content).
    Empty,
    /// Bytes held in memory.
    Bytes(Cow<'static, [u8]>),
    /// `len` bytes of `file` from `offset`: read into the head's write when
    /// small, else sent by the connection as the socket takes it (with
    /// `sendfile` on Linux).
    File {
        /// The open file.
        file: File,
        /// Where the bytes start.
        offset: u64,
        /// How many bytes to send.
        len: u64,
    },
    /// A body of unknown length: chunked to HTTP/1.1 clients, delimited by
    /// closing the connection for HTTP/1.0 ones.
    Stream(Box<dyn Read + Send>),
    /// A body of unknown length that a function writes, framed as
    /// [`ResponseBody::Stream`] is (see [`Response::stream_with`]).
    Push(PushBody),
    /// Bytes shared with a cache.
    Shared(Arc<[u8]>),
    /// Nothing from the writer: after the head the connection belongs to
    /// the function given to [`Response::hand_over`], and the body is
    /// what it writes until it closes the connection.
    HandedOver,
    /// A reader that yields exactly `len` bytes (a multipart range body).
    Sized {
        /// Where the bytes come from.
        reader: Box<dyn Read + Send>,
        /// How many bytes it yields.
        len: u64,
    },
}

impl ResponseBody {
    /// The body's length, or `None` for a stream, whose length is known
    /// only once it has all been produced.
    pub fn known_len(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Bytes(b) => Some(b.len() as u64),
            ResponseBody::Shared(b) => Some(b.len() as u64),
            ResponseBody::File { len, .. } | ResponseBody::Sized { len, .. } => Some(*len),
            ResponseBody::Stream(_) | ResponseBody::Push(_) | ResponseBody::HandedOver => None,
        }
    }
    /// The body as an [`Outgoing`] that the connection sends without
    /// waiting, or back as it was if it is a stream (only a blocking writer
    /// can send a body whose length is unknown).
    fn into_outgoing(self) -> Result<Outgoing, ResponseBody> {
        match self {
            ResponseBody::File { file, offset, len } => Ok(Outgoing::File {
                file,
                offset,
                remaining: len,
            }),
            ResponseBody::Bytes(bytes) => Ok(Outgoing::Bytes { bytes, sent: 0 }),
            ResponseBody::Shared(bytes) => Ok(Outgoing::Shared { bytes, sent: 0 }),
            ResponseBody::Sized { reader, len } => Ok(Outgoing::reader(reader, len)),
            other => Err(other),
        }
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            ResponseBody::File { offset, len, .. } => write!(f, "File({offset}+{len})"),
            ResponseBody::Stream(_) => f.write_str("Stream"),
            ResponseBody::Push(_) => f.write_str("Push"),
            ResponseBody::Sized { len, .. } => write!(f, "Sized({len})"),
            ResponseBody::Shared(b) => write!(f, "Shared({} bytes)", b.len()),
            ResponseBody::HandedOver => f.write_str("HandedOver"),
        }
    }
}

/// What a handler closure may return: a [`Response`], or a `Result` whose
/// error is a response too, so that a handler can stop early with `?` (a
/// malformed parameter, a body that is too large).
pub trait IntoResponse {
    /// The response to send.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Result<Response, Response> {
    fn into_response(self) -> Response {
        match self {
            Ok(response) | Err(response) => response,
        }
    }
}

/// A header a handler tried to add that the writer will not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader {
    /// The field's name, as given.
    pub name: String,
    /// What is wrong with it.
    pub problem: HeaderProblem,
}

/// Why a header field cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The name is not a token.
    BadName,
    /// The writer sets this field itself (see [`is_writer_owned`]).
    WriterOwned,
    /// The value holds CR, LF or another control byte.
    BadValue,
}

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.problem {
            HeaderProblem::BadName => "the name is not a token",
            HeaderProblem::WriterOwned => "the writer sets it",
            HeaderProblem::BadValue => "the value holds a control byte",
        };
        write!(f, "response header {} refused: {why}", self.name)
    }
}

impl std::error::Error for InvalidHeader {}

/// An HTTP response, before it is written.
#[derive(Debug)]
pub struct Response {
    status: Status,
    headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// Header lines rendered ahead of time by trusted code in this crate.
    header_lines: Option<Arc<[u8]>>,
    body: ResponseBody,
    close: bool,
    /// A router's own 404: nothing matched (see [`Response::unmatched`]).
    unmatched: bool,
    /// Left out of the access log (see [`Response::unlogged`]).
    unlogged: bool,
    /// Who takes the connection after the head (see
    /// [`Response::hand_over`]).
    receiver: Option<Receiver>,
    /// Why the server refused, for the logs (see [`Response::error_because`]).
    reason: Option<Cow<'static, str>>,
}

/// A [`HandOver`] function, held by a response until its head is sent.
struct Receiver(HandOver);

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver")
    }
}

impl Response {
    /// A response with no header fields and an empty body.
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Vec::new(),
            header_lines: None,
            body: ResponseBody::Empty,
            close: false,
            unmatched: false,
            unlogged: false,
            receiver: None,
            reason: None,
        }
    }

    /// Keeps this answer out of the access log: for requests that come
    /// every few seconds and say nothing (a load balancer's health check).
    /// The server's request count still includes it.
    pub fn unlogged(mut self) -> Response {
        self.unlogged = true;
        self
    }

    /// Whether the answer goes in the access log.
    pub fn is_logged(&self) -> bool {
        !self.unlogged
    }

    /// The 404 a router gives when nothing matched, marked so that a router
    /// it is mounted under knows to try its own fallback.
    pub(crate) fn unmatched() -> Response {
        let mut response = Response::error_because(Status::NOT_FOUND, "nothing answers this path");
        response.unmatched = true;
        response
    }

    /// Whether this is a router's "nothing matched" 404.
    pub(crate) fn is_unmatched(&self) -> bool {
        self.unmatched
    }

    /// `text/plain; charset=utf-8`.
    pub fn text(status: Status, text: impl Into<Cow<'static, str>>) -> Response {
        Response::typed(status, mime::TEXT, text.into())
    }

    /// `text/html; charset=utf-8`.
    pub fn html(status: Status, html: impl Into<Cow<'static, str>>) -> Response {
        Response::typed(status, mime::HTML, html.into())
    }

    /// `application/json`; the caller provides the JSON text (see
    /// [`crate::json`] for escaping strings in it).
    pub fn json(status: Status, json: impl Into<Cow<'static, str>>) -> Response {
        Response::typed(status, mime::JSON, json.into())
    }

    /// The server's own error page saying why: `431: a header line is
    /// longer than 8 KiB (the limit for one field line)`. The reason also
    /// goes to the logs: a line on stderr, and the JSON access log's
    /// `reason`.
    pub fn error_because(status: Status, reason: &str) -> Response {
        Response::text(status, format!("{}: {reason}\n", status.code()))
            .with_reason(reason.to_string())
    }

    /// Marks this answer as a refusal and says why, for the logs (a line on
    /// stderr, the JSON access log's `reason`); the body is unchanged.
    /// For answers whose text is written out ahead of time, so that giving
    /// the reason allocates nothing.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Response {
        self.reason = Some(reason.into());
        self
    }

    /// Why this answer refuses the request, when it says
    /// ([`Response::error_because`]).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Takes the reason out, for the log line written after the response
    /// has gone to the writer.
    pub(crate) fn take_reason(&mut self) -> Option<Cow<'static, str>> {
        self.reason.take()
    }

    /// 503 Service Unavailable with `Retry-After`: the server is
    /// overloaded, or a file changed under it, and a retry in a moment is
    /// likely to work.
    pub fn service_unavailable() -> Response {
        Response::error(Status::SERVICE_UNAVAILABLE)
            .with_header("Retry-After", RETRY_AFTER_SECONDS.to_string())
    }

    /// 405 Method Not Allowed, with `Allow` listing the methods the target
    /// does take (RFC 9110 §15.5.6 requires it).
    pub fn method_not_allowed(allow: impl Into<Cow<'static, str>>) -> Response {
        let allow = allow.into();
        let reason = format!("this resource takes {allow}");
        Response::error_because(Status::METHOD_NOT_ALLOWED, &reason).with_header("Allow", allow)
    }

    /// The answer to OPTIONS on a resource: 204 with `Allow`.
    pub fn options(allow: impl Into<Cow<'static, str>>) -> Response {
        Response::new(Status::NO_CONTENT).with_header("Allow", allow)
    }

    /// Bytes with the given content type (a `&'static str` or a `String`
    /// built at run time, such as `image/png` from a file's name).
    ///
    /// # Panics
    ///
    /// If the content type holds CR, LF or another control byte, as
    /// [`Response::with_header`].
    pub fn bytes(
        status: Status,
        content_type: impl Into<Cow<'static, str>>,
        bytes: impl Into<Cow<'static, [u8]>>,
    ) -> Response {
        Response::new(status)
            .with_header("Content-Type", content_type)
            .with_body(ResponseBody::Bytes(bytes.into()))
    }

    fn typed(status: Status, content_type: &'static str, text: Cow<'static, str>) -> Response {
        let bytes: Cow<'static, [u8]> = match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Response::bytes(status, content_type, bytes)
    }

    /// A whole file, streamed, with `Content-Type` from its extension and
    /// `Last-Modified`. For conditional requests, ranges and the rest, mount
    /// a [`crate::files::FileServer`] instead.
    ///
    /// # Errors
    ///
    /// The error from opening the file or reading its metadata, or
    /// `InvalidInput` if the path is not a regular file.
    pub fn file(path: impl AsRef<std::path::Path>) -> io::Result<Response> {
        let path = path.as_ref();
        // Check before opening: opening a FIFO would block, and a directory
        // opens fine but cannot be read.
        if !std::fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let mut response = Response::new(Status::OK)
            .with_header("Content-Type", mime::content_type_for(name))
            .with_body(ResponseBody::File {
                file,
                offset: 0,
                len: metadata.len(),
            });
        if let Ok(modified) = metadata.modified() {
            let secs = date::unix_seconds(modified);
            response = response.with_header("Last-Modified", date::format_imf_fixdate(secs));
        }
        Ok(response)
    }

    /// A redirect to `location` (which the caller has encoded).
    pub fn redirect(status: Status, location: impl Into<Cow<'static, str>>) -> Response {
        Response::text(status, format!("{status}\n")).with_header("Location", location)
    }

    /// A body that `write` produces as it goes, for answers that come in
    /// pieces (progress, live lines, a long export). Whatever it writes is
    /// sent when it calls `flush` (or every 16 KiB, and at the end), as one
    /// chunk to an HTTP/1.1 client; an HTTP/1.0 client gets the bytes as
    /// they are and the connection closes after them. The head (status 200
    /// or whatever was given) leaves before `write` runs, so an error it
    /// returns, or a panic, can only cut the response off: an HTTP/1.1
    /// client then sees a chunked body without its last chunk, an HTTP/1.0
    /// client a close that it cannot tell from the end; check what can fail
    /// before returning the response. The worker that runs the handler runs
    /// `write` too, for as long as it takes; once the server's drain
    /// timeout has passed, its next write fails.
    ///
    /// ```
    /// use http_from_scratch::{Response, Status};
    /// use std::io::Write;
    ///
    /// let response = Response::stream_with(Status::OK, "text/plain", |out| {
    ///     for i in 1..=3 {
    ///         writeln!(out, "line {i}")?;
    ///         out.flush()?;
    ///     }
    ///     Ok(())
    /// });
    /// # let _ = response;
    /// ```
    pub fn stream_with(
        status: Status,
        content_type: impl Into<Cow<'static, str>>,
        write: impl FnOnce(&mut BodyWriter<'_>) -> io::Result<()> + Send + 'static,
    ) -> Response {
        Response::new(status)
            .with_header("Content-Type", content_type)
            .with_body(ResponseBody::Push(Box::new(write)))
    }

    /// A streaming body read to its end from `reader`; each read is sent
    /// as it comes (framed as for [`Response::stream_with`]).
    pub fn stream(
        status: Status,
        content_type: impl Into<Cow<'static, str>>,
        reader: impl Read + Send + 'static,
    ) -> Response {
        Response::new(status)
            .with_header("Content-Type", content_type)
            .with_body(ResponseBody::Stream(Box::new(reader)))
    }

    /// A response whose body is written by someone else, later: once the
    /// head is sent, the server hands the connection's socket to `receiver`
    /// and forgets it (no worker waits on it). The body ends when the
    /// receiver closes the socket, so the head announces no length and the
    /// connection is not reused. Meant for long-lived streams such as
    /// server-sent events, which `receiver` keeps with others and writes
    /// to when there is news.
    ///
    /// `receiver` runs on the worker that wrote the head, so it should
    /// only store the socket. It does not run for a HEAD request, nor when
    /// there is no socket ([`crate::testing::TestRequest`] shows the head).
    /// The socket comes as the connection left it: blocking, with the
    /// server's write timeout (and the body's read timeout, if the request
    /// had a body), so a receiver that must never wait writes without
    /// waiting, as live reload's streams do (`sys::send_now`).
    pub fn hand_over(
        status: Status,
        content_type: impl Into<Cow<'static, str>>,
        receiver: impl FnOnce(Stream) + Send + 'static,
    ) -> Response {
        let mut response = Response::new(status)
            .with_header("Content-Type", content_type)
            .with_body(ResponseBody::HandedOver);
        response.receiver = Some(Receiver(Box::new(receiver)));
        response
    }

    /// Takes the function that [`Response::hand_over`] gave, for the
    /// connection to call once the head is sent.
    pub(crate) fn take_receiver(&mut self) -> Option<HandOver> {
        self.receiver.take().map(|Receiver(receiver)| receiver)
    }

    /// The plain-text error page the server uses for its own errors: the
    /// status line's words ("404 Not Found"). For the statuses this crate
    /// knows that text is static, so answering an error allocates nothing.
    pub fn error(status: Status) -> Response {
        let text: Cow<'static, str> = match status.text() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(format!("{}\n", status.code())),
        };
        Response::text(status, text)
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: ResponseBody) -> Response {
        self.body = body;
        self
    }

    /// Adds a header field.
    ///
    /// # Panics
    ///
    /// If the name is not a token, the value holds CR, LF or another control
    /// byte, or the name is one the writer owns (`Content-Length`,
    /// `Transfer-Encoding`, `Connection`, `Date`, `Server`). A handler that
    /// panics is answered with 500, so the bad header never reaches the wire;
    /// use [`Response::try_header`] to handle the error instead.
    pub fn with_header(
        self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Response {
        match self.try_header(name, value) {
            Ok(response) => response,
            Err(e) => panic!("{e}"),
        }
    }

    /// Adds a header field, or says why it cannot be sent.
    ///
    /// # Errors
    ///
    /// [`InvalidHeader`] for the cases listed under [`Response::with_header`].
    pub fn try_header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Result<Response, InvalidHeader> {
        let name = name.into();
        let value = value.into();
        check_header(&name, &value)?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// Adds header lines rendered ahead of time (`Name: value\r\n`...).
    /// Crate-only: the lines are not validated here, so only code that built
    /// them from validated values (the file cache) may use it.
    pub(crate) fn with_header_lines(mut self, lines: Arc<[u8]>) -> Response {
        self.header_lines = Some(lines);
        self
    }

    /// Asks the writer to close the connection after this response.
    pub fn with_close(mut self) -> Response {
        self.close = true;
        self
    }

    /// Whether the whole answer is small and in hand (no stream, no large
    /// file), so it can wait in a buffer with others.
    pub fn is_small(&self) -> bool {
        let in_hand = !matches!(self.body, ResponseBody::Sized { .. });
        in_hand
            && self
                .body
                .known_len()
                .is_some_and(|len| len <= INLINE_BODY_BYTES)
    }

    /// Whether the body is a stream, produced as it is written.
    pub fn is_streamed(&self) -> bool {
        matches!(self.body, ResponseBody::Stream(_) | ResponseBody::Push(_))
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The first value of header `name` set by the handler.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The body.
    pub fn body(&self) -> &ResponseBody {
        &self.body
    }
}

/// What the writer needs to know about the request being answered.
#[derive(Debug, Clone, Copy)]
pub struct WriteContext<'a> {
    /// The request's version; HTTP/1.0 clients get no chunked encoding.
    pub version: Version,
    /// HEAD: send the head that GET would, without the body.
    pub head_request: bool,
    /// Whether the connection may carry another request afterwards.
    pub keep_alive: bool,
    /// Header lines added to every response, already rendered as
    /// `Name: value\r\n` (the binary's `-H`); empty for none.
    pub extra_headers: &'a [u8],
    /// Once set, a streamed body's next write fails: the server is cutting
    /// connections off at the end of its drain, and a stream that holds its
    /// bytes, or writes slowly, must not keep it waiting.
    pub stop: Option<&'a AtomicBool>,
}

/// What was written, for the access log and the connection loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Body bytes sent (not counting the head or chunk framing).
    pub body_bytes: u64,
    /// Whether the connection may be reused.
    pub keep_alive: bool,
}

/// Renders `(name, value)` pairs as header lines for
/// [`WriteContext::extra_headers`].
///
/// # Errors
///
/// [`InvalidHeader`] for a name that is not a token, a value with control
/// bytes, or a name the writer owns.
pub fn render_extra_headers(headers: &[(String, String)]) -> Result<Vec<u8>, InvalidHeader> {
    let mut block = Vec::new();
    for (name, value) in headers {
        check_header(name, value)?;
        push_field_line(&mut block, name, value);
    }
    Ok(block)
}

/// Checks a header field that a handler or the command line wants to add:
/// the name must be a token, the value free of CR, LF and other control
/// bytes (or it could end the head early and inject fields), and the name
/// not one the writer owns.
///
/// # Errors
///
/// [`InvalidHeader`] naming the field.
pub fn check_header(name: &str, value: &str) -> Result<(), InvalidHeader> {
    let problem = if !is_token(name.as_bytes()) {
        HeaderProblem::BadName
    } else if is_writer_owned(name) {
        HeaderProblem::WriterOwned
    } else if !value.bytes().all(is_field_value_byte) {
        HeaderProblem::BadValue
    } else {
        return Ok(());
    };
    Err(InvalidHeader {
        name: name.to_string(),
        problem,
    })
}

/// Whether `name` is a field only the writer sets: the framing
/// (`Content-Length`, `Transfer-Encoding`), `Connection`, `Date` and
/// `Server`. A second copy from a handler would contradict the writer's.
pub fn is_writer_owned(name: &str) -> bool {
    WRITER_OWNED
        .iter()
        .any(|owned| owned.eq_ignore_ascii_case(name))
}

/// Appends one `Name: value` line of a head, with its CRLF.
pub(crate) fn push_field_line(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes `response` to `out`, using `scratch` (cleared first) to build the
/// head so that the head and a small body leave in one write.
///
/// # Errors
///
/// Any I/O error from the socket or from reading a file or stream body; the
/// connection should then be closed.
pub fn write_response<W: Write>(
    out: &mut W,
    scratch: &mut Vec<u8>,
    response: Response,
    ctx: WriteContext<'_>,
) -> io::Result<Written> {
    write(out, scratch, response, ctx, false).map(|(written, _)| written)
}

/// Like [`write_response`], but a large body of a file, of bytes or of
/// multipart ranges is not
/// written: it is returned, for the connection to send without waiting (and
/// to park while the client is slow to read). `Written::body_bytes` is then
/// the length still to send.
///
/// # Errors
///
/// As [`write_response`].
pub fn write_response_deferring_body<W: Write>(
    out: &mut W,
    scratch: &mut Vec<u8>,
    response: Response,
    ctx: WriteContext<'_>,
) -> io::Result<(Written, Option<Outgoing>)> {
    write(out, scratch, response, ctx, true)
}

fn write<W: Write>(
    out: &mut W,
    scratch: &mut Vec<u8>,
    response: Response,
    ctx: WriteContext<'_>,
    defer_large_body: bool,
) -> io::Result<(Written, Option<Outgoing>)> {
    let Response {
        status,
        headers,
        header_lines,
        body,
        close,
        ..
    } = response;
    let framing = Framing::choose(status, &body, close, &ctx);
    scratch.clear();
    write_head(
        scratch,
        status,
        &headers,
        header_lines.as_deref(),
        &framing,
        &ctx,
    );
    let written = |body_bytes| Written {
        body_bytes,
        keep_alive: framing.keep_alive,
    };
    if !framing.send_body {
        out.write_all(scratch)?;
        out.flush()?;
        return Ok((written(0), None));
    }
    let body = if defer_large_body && is_large(&body) {
        match body.into_outgoing() {
            Ok(outgoing) => {
                out.write_all(scratch)?;
                out.flush()?;
                return Ok((written(outgoing.remaining()), Some(outgoing)));
            }
            Err(body) => body,
        }
    } else {
        body
    };
    let body_bytes = write_body(out, scratch, body, framing.chunked, ctx.stop)?;
    out.flush()?;
    Ok((written(body_bytes), None))
}

/// How a response is delimited and whether the connection outlives it.
struct Framing {
    /// Whether body bytes follow the head at all (not for HEAD, 1xx, 204 or
    /// 304).
    send_body: bool,
    /// The body's length, when it is known before it is sent.
    length: Option<u64>,
    /// A stream to an HTTP/1.1 client: sent in chunks.
    chunked: bool,
    /// Whether the connection may carry another request afterwards.
    keep_alive: bool,
}

impl Framing {
    fn choose(status: Status, body: &ResponseBody, close: bool, ctx: &WriteContext<'_>) -> Framing {
        let send_body = !ctx.head_request && !status.forbids_body();
        let length = body.known_len();
        // A stream to an HTTP/1.0 client has no chunked coding: the end of
        // its body is the end of the connection.
        // A handed-over body is the receiver's to write: never chunked.
        let handed_over = matches!(body, ResponseBody::HandedOver);
        let chunked = length.is_none() && ctx.version == Version::Http11 && !handed_over;
        let close_delimited = length.is_none() && !chunked && send_body;
        Framing {
            send_body,
            length,
            chunked,
            keep_alive: ctx.keep_alive && !close && !close_delimited,
        }
    }
}

/// Writes the body after the head that `scratch` holds: small bodies in the
/// same write as the head. Returns the body bytes sent.
fn write_body<W: Write>(
    out: &mut W,
    scratch: &mut Vec<u8>,
    body: ResponseBody,
    chunked: bool,
    stop: Option<&AtomicBool>,
) -> io::Result<u64> {
    match body {
        ResponseBody::Empty => {
            out.write_all(scratch)?;
            Ok(0)
        }
        ResponseBody::Bytes(bytes) => write_bytes(out, scratch, &bytes),
        ResponseBody::Shared(bytes) => write_bytes(out, scratch, &bytes),
        ResponseBody::File {
            mut file,
            offset,
            len,
        } => {
            if offset != 0 {
                file.seek(SeekFrom::Start(offset))?;
            }
            write_file(out, scratch, file, len)
        }
        ResponseBody::HandedOver => {
            out.write_all(scratch)?;
            Ok(0)
        }
        ResponseBody::Push(write) => {
            out.write_all(scratch)?;
            let mut writer = BodyWriter::new(out, chunked, stop);
            write(&mut writer)?;
            writer.finish()
        }
        ResponseBody::Stream(mut reader) => {
            out.write_all(scratch)?;
            let mut writer = BodyWriter::new(out, chunked, stop);
            copy_flushing(&mut reader, &mut writer)?;
            writer.finish()
        }
        ResponseBody::Sized { reader, len } => {
            out.write_all(scratch)?;
            let sent = io::copy(&mut reader.take(len), out)?;
            if sent != len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "body shorter than its length",
                ));
            }
            Ok(sent)
        }
    }
}

/// Whether the body is one the connection sends itself: a file, bytes or a
/// multipart body larger than what travels with the head.
fn is_large(body: &ResponseBody) -> bool {
    body.known_len().is_some_and(|len| len > INLINE_BODY_BYTES)
}

/// Renders the head: status line, `Date`, `Server`, `nosniff`, the
/// handler's fields, the server-wide ones, the framing fields the writer
/// owns, and last the lines a cached file had rendered ahead of time.
fn write_head(
    scratch: &mut Vec<u8>,
    status: Status,
    headers: &[(Cow<'static, str>, Cow<'static, str>)],
    header_lines: Option<&[u8]>,
    framing: &Framing,
    ctx: &WriteContext<'_>,
) {
    // Writing to a Vec cannot fail; the results are ignored for that reason.
    let _ = write!(
        scratch,
        "HTTP/1.1 {} {}\r\n",
        status.code(),
        status.reason()
    );
    date::with_now_imf_fixdate(|now| push_field_line(scratch, "Date", now));
    push_field_line(scratch, "Server", SERVER_NAME);
    push_field_line(scratch, "X-Content-Type-Options", "nosniff");
    for (name, value) in headers {
        push_field_line(scratch, name, value);
    }
    scratch.extend_from_slice(ctx.extra_headers);
    // RFC 9110 §8.6: no Content-Length on 1xx or 204; on 304 it would have to
    // describe the selected representation, which we leave to the handler's
    // other validators, so we omit it there too.
    if !status.forbids_body() {
        if let Some(length) = framing.length {
            let _ = write!(scratch, "Content-Length: {length}\r\n");
        } else if framing.chunked {
            push_field_line(scratch, "Transfer-Encoding", "chunked");
        }
    }
    if !framing.keep_alive {
        push_field_line(scratch, "Connection", "close");
    } else if ctx.version == Version::Http10 {
        push_field_line(scratch, "Connection", "keep-alive");
    }
    if let Some(lines) = header_lines {
        scratch.extend_from_slice(lines);
    }
    scratch.extend_from_slice(b"\r\n");
}

/// Sends in-memory bytes, in the same write as the head when small.
fn write_bytes<W: Write>(out: &mut W, scratch: &mut Vec<u8>, bytes: &[u8]) -> io::Result<u64> {
    if bytes.len() as u64 <= INLINE_BODY_BYTES {
        scratch.extend_from_slice(bytes);
        out.write_all(scratch)?;
    } else {
        out.write_all(scratch)?;
        out.write_all(bytes)?;
    }
    Ok(bytes.len() as u64)
}

/// Sends `len` bytes of `file`: small files in the same write as the head,
/// larger ones in large pieces ([`copy_file`]). (The connection sends the
/// large files of ordinary responses itself, with `sendfile` where it can;
/// this blocking path is for writers that cannot park.)
fn write_file<W: Write>(
    out: &mut W,
    scratch: &mut Vec<u8>,
    file: File,
    len: u64,
) -> io::Result<u64> {
    if len <= INLINE_BODY_BYTES {
        let head_len = scratch.len();
        file.take(len).read_to_end(scratch)?;
        if (scratch.len() - head_len) as u64 != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while being sent",
            ));
        }
        out.write_all(scratch)?;
        return Ok(len);
    }
    out.write_all(scratch)?;
    let sent = copy_file(&mut file.take(len), out)?;
    if sent != len {
        // The length is already on the wire: the only honest end is a close.
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file shrank while being sent",
        ));
    }
    Ok(sent)
}

/// Copies a file body to the socket in large pieces.
///
/// `std::io::copy` would be the obvious choice, and older Rust turned a
/// `File` -> `TcpStream` copy into `sendfile`; current Rust deliberately no
/// longer does (a file changed during the send could alter bytes already
/// "written"), and falls back to 8 KiB reads and writes. Copying through a
/// 256 KiB buffer instead cuts the system calls by 32 and the cost to one
/// memory copy per byte, which the page cache keeps hot.
fn copy_file<W: Write>(file: &mut io::Take<File>, out: &mut W) -> io::Result<u64> {
    const PIECE: usize = 256 * 1024;
    let mut buf = vec![0u8; PIECE.min(file.limit() as usize)];
    let mut sent = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(sent),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        sent += n as u64;
    }
}

/// Where a body of unknown length goes: it gathers what is written and
/// sends it as one chunk on each `flush` (or every [`BodyWriter::PIECE`]
/// bytes), so that a `writeln!` made of several small writes does not
/// become several tiny chunks. Without chunked coding (an HTTP/1.0 client)
/// the bytes go as they are. A [`Response::stream_with`] function writes
/// to one; a [`Response::stream`] reader is copied into one.
pub struct BodyWriter<'o> {
    out: &'o mut dyn Write,
    held: Vec<u8>,
    chunked: bool,
    total: u64,
    stop: Option<&'o AtomicBool>,
}

impl<'o> BodyWriter<'o> {
    /// Bytes gathered before they are sent without waiting for a flush.
    pub const PIECE: usize = 16 * 1024;

    fn new(out: &'o mut dyn Write, chunked: bool, stop: Option<&'o AtomicBool>) -> BodyWriter<'o> {
        BodyWriter {
            out,
            held: Vec::new(),
            chunked,
            total: 0,
            stop,
        }
    }

    /// An error once the server has asked streams to stop.
    fn check_stop(&self) -> io::Result<()> {
        match self.stop {
            Some(stop) if stop.load(Ordering::Relaxed) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server stopped waiting for this response",
            )),
            _ => Ok(()),
        }
    }

    fn send_held(&mut self) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        if self.chunked {
            write!(self.out, "{:x}\r\n", self.held.len())?;
            self.out.write_all(&self.held)?;
            self.out.write_all(b"\r\n")?;
        } else {
            self.out.write_all(&self.held)?;
        }
        self.total += self.held.len() as u64;
        self.held.clear();
        Ok(())
    }

    /// Sends the rest and, when chunked, the last chunk. Returns the body
    /// bytes sent.
    fn finish(mut self) -> io::Result<u64> {
        self.send_held()?;
        if self.chunked {
            self.out.write_all(b"0\r\n\r\n")?;
        }
        Ok(self.total)
    }
}

impl Write for BodyWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.check_stop()?;
        self.held.extend_from_slice(bytes);
        if self.held.len() >= BodyWriter::PIECE {
            self.send_held()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_stop()?;
        self.send_held()?;
        self.out.flush()
    }
}

/// Copies a stream body into `writer`, flushing after every read: each
/// piece goes out as soon as it is produced, since streams are often live
/// (logs, clocks) and the client should see them as they come.
fn copy_flushing(reader: &mut dyn Read, writer: &mut BodyWriter<'_>) -> io::Result<()> {
    let mut buf = vec![0u8; BodyWriter::PIECE];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        writer.write_all(&buf[..n])?;
        writer.flush()?;
    }
}
