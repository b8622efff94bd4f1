//! One client connection, from its first byte to its close: read a head
//! within its deadline, parse it, run the handler, drain what the handler did
//! not read of the body, write the response, and go round again while the
//! connection may persist.
//!
//! The connection owns the socket and two buffers that live as long as it
//! does: `buf` for what the client sends (heads, and the body bytes that
//! arrive with them) and `out` for the response head. No request allocates a
//! buffer of its own. The parser, the handler and the writer each get a
//! borrow of exactly what they need.

use crate::http::body::BodyFraming;
use crate::http::headers::FieldSpan;
use crate::http::method::Method;
use crate::http::parse::{parse_request, Parsed, RequestHead, TargetForm};
use crate::http::status::Status;
use crate::http::version::Version;
use crate::log::AccessRecord;
use crate::request::{Body, Request};
use crate::response::{write_response, Response, WriteContext, Written};
use crate::server::registry::Membership;
use crate::server::ServerShared;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of batched pipelined answers held before writing.
const MAX_PENDING_BYTES: usize = 64 * 1024;

/// Room after the largest head for body bytes and chunk lines.
const BODY_SLACK: usize = 4096;

/// The read buffer a connection starts with. Almost every request head fits;
/// the buffer grows once, to the head limit plus [`BODY_SLACK`], for the
/// connection that needs more. Idle keep-alive connections thus cost 4 KiB
/// of buffer rather than 20 KiB.
const INITIAL_BUFFER: usize = 4096;

/// Serves `stream` until it closes. Never panics outward for client input;
/// I/O errors simply end the connection.
pub fn serve(stream: TcpStream, peer: SocketAddr, shared: &ServerShared) {
    shared.active.fetch_add(1, Ordering::Relaxed);
    let stream = Arc::new(stream);
    let membership = shared.registry.join(&stream);
    let mut connection = Connection::new(stream, peer, shared, membership);
    connection.run();
    drop(connection);
    shared.active.fetch_sub(1, Ordering::Relaxed);
}

struct Connection<'s> {
    /// Shared with the registry, which may shut it down while idle.
    stream: Arc<TcpStream>,
    /// Lets the server close this connection while it is idle.
    membership: Membership<'s>,
    peer: SocketAddr,
    shared: &'s ServerShared,
    buf: Vec<u8>,
    /// `buf[..filled]` holds bytes received but not yet used.
    filled: usize,
    spans: Vec<FieldSpan>,
    out: Vec<u8>,
    /// Answers to pipelined requests waiting to leave in one write.
    pending: Vec<u8>,
    read_timeout: Option<Duration>,
}

/// What happens to the connection after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Read the next request.
    KeepAlive,
    /// Close; everything the client sent so far was read.
    Close,
    /// Close, but the client may still be sending: linger first.
    Linger,
}

/// What waiting for the next head came to.
enum HeadWait {
    /// A complete head occupies `buf[..len]`.
    Ready(usize),
    /// The client closed, went idle, or the socket failed: close quietly.
    Closed,
    /// Answer with this status and close.
    Reject(Status),
}

impl<'s> Connection<'s> {
    fn new(
        stream: Arc<TcpStream>,
        peer: SocketAddr,
        shared: &'s ServerShared,
        membership: Membership<'s>,
    ) -> Connection<'s> {
        let limits = &shared.config.limits;
        // Small responses go out in one write; no reason to wait for more.
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(shared.config.timeouts.write));
        Connection {
            stream,
            membership,
            peer,
            shared,
            buf: vec![0u8; INITIAL_BUFFER.min(limits.max_head_bytes + BODY_SLACK)],
            filled: 0,
            spans: Vec::new(),
            out: Vec::with_capacity(1024),
            pending: Vec::new(),
            read_timeout: None,
        }
    }

    fn run(&mut self) {
        loop {
            let after = match self.wait_for_head() {
                HeadWait::Ready(len) => self.serve_one(len),
                HeadWait::Closed => After::Close,
                HeadWait::Reject(status) => {
                    self.reject(status);
                    After::Linger
                }
            };
            let stopping = self.shared.stopping.load(Ordering::Relaxed);
            if after != After::KeepAlive || stopping {
                // Answers batched for pipelined requests go out before any close.
                if flush(&self.stream, &mut self.pending).is_err() {
                    return;
                }
            }
            match after {
                After::KeepAlive if !stopping => {}
                // Closing with every byte read: nothing for a reset to destroy.
                After::KeepAlive | After::Close if self.filled == 0 => return,
                After::KeepAlive | After::Close | After::Linger => {
                    self.linger_close();
                    return;
                }
            }
        }
    }

    /// Closes after a response when the client may still be sending (a body
    /// we did not read, a request we refused). Closing a socket with unread
    /// bytes makes the kernel send a reset, which can destroy the response
    /// before the client reads it; so we stop writing, then read and discard
    /// briefly until the client closes its side (nginx's "lingering close").
    fn linger_close(&mut self) {
        const LINGER: Duration = Duration::from_millis(500);
        const LINGER_BYTES: usize = 64 * 1024;
        if self.stream.shutdown(std::net::Shutdown::Write).is_err() {
            return;
        }
        if self.stream.set_read_timeout(Some(LINGER)).is_err() {
            return;
        }
        let deadline = Instant::now() + LINGER;
        let mut discarded = 0;
        while discarded < LINGER_BYTES && Instant::now() < deadline {
            match (&*self.stream).read(&mut self.buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => discarded += n,
            }
        }
    }

    /// Reads until `buf` starts with a complete head. The keep-alive timeout
    /// applies while no byte has come; from the first byte, the whole head
    /// must arrive within the head deadline, however it is trickled.
    fn wait_for_head(&mut self) -> HeadWait {
        let shared = self.shared;
        let timeouts = &shared.config.timeouts;
        let idle_wait = if shared.stopping.load(Ordering::Relaxed) {
            // Queued before a shutdown: serve what was already sent, no more.
            Duration::from_millis(100)
        } else if shared.under_pressure() {
            timeouts.keep_alive_under_pressure
        } else {
            timeouts.keep_alive
        };
        let idle_deadline = Instant::now() + idle_wait;
        // While stopping, a half-sent head gets a second, not the full
        // deadline: it must not hold up the drain.
        let head_limit = if shared.stopping.load(Ordering::Relaxed) {
            timeouts.head.min(Duration::from_secs(1))
        } else {
            timeouts.head
        };
        let mut head_deadline = None;
        loop {
            self.skip_leading_empty_lines();
            if self.filled == 0 {
                // Only empty lines so far: the next byte starts the head (and
                // marks the connection busy) afresh.
                head_deadline = None;
            }
            if self.filled > 0 {
                if head_deadline.is_none() && !self.set_busy() {
                    return HeadWait::Closed;
                }
                if let Some(end) = find_head_end(&self.buf[..self.filled]) {
                    return HeadWait::Ready(end);
                }
                // No end yet: let the parser judge the prefix, so garbage and
                // overlong lines are refused now, not when a buffer fills.
                let limits = &self.shared.config.limits;
                match parse_request(&self.buf[..self.filled], limits, &mut self.spans) {
                    Err(e) => return HeadWait::Reject(e.status()),
                    Ok(Parsed::Complete { len, .. }) => return HeadWait::Ready(len),
                    Ok(Parsed::Incomplete) => {}
                }
                head_deadline.get_or_insert_with(|| Instant::now() + head_limit);
            }
            // About to wait for the client: nothing may wait with us.
            if flush(&self.stream, &mut self.pending).is_err() {
                return HeadWait::Closed;
            }
            if self.filled == 0 {
                // Only now, with nothing read and nothing unsent, may the
                // server close this connection to make room.
                self.membership.set_idle();
            }
            let deadline = head_deadline.unwrap_or(idle_deadline);
            match self.read_more(deadline) {
                Ok(true) => {}
                Ok(false) => return HeadWait::Closed,
                Err(e) if is_timeout(&e) && self.filled > 0 => {
                    return HeadWait::Reject(Status::REQUEST_TIMEOUT)
                }
                Err(_) => return HeadWait::Closed,
            }
        }
    }

    /// Marks the connection busy; false if the server already chose it for
    /// closing while it was idle.
    fn set_busy(&self) -> bool {
        self.membership.set_busy()
    }

    /// RFC 9112 §2.2: empty lines before a request line are ignored. Old
    /// clients send a CRLF after a POST body; dropping it here keeps the
    /// search for the end of the head simple.
    fn skip_leading_empty_lines(&mut self) {
        let mut skip = 0;
        while self.filled >= skip + 2 && &self.buf[skip..skip + 2] == b"\r\n" {
            skip += 2;
        }
        if skip > 0 {
            self.buf.copy_within(skip..self.filled, 0);
            self.filled -= skip;
        }
    }

    /// Reads more bytes into `buf`, waiting no later than `deadline`.
    /// `Ok(false)` means the client closed.
    fn read_more(&mut self, deadline: Instant) -> io::Result<bool> {
        if self.filled == self.buf.len() && !self.grow_buffer() {
            // The parser refuses a head this long before we get here.
            return Err(io::Error::other("read buffer full"));
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.set_read_timeout(remaining)?;
        loop {
            match (&*self.stream).read(&mut self.buf[self.filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Grows the read buffer to its full size; false if it already is.
    fn grow_buffer(&mut self) -> bool {
        let full = self.shared.config.limits.max_head_bytes + BODY_SLACK;
        if self.buf.len() >= full {
            return false;
        }
        self.buf.resize(full, 0);
        true
    }

    /// Sets the socket's read timeout, skipping the system call when a
    /// close enough value is already set (the keep-alive wait repeats).
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        let close_enough = self
            .read_timeout
            .is_some_and(|t| t.abs_diff(timeout) < Duration::from_millis(50));
        if !close_enough {
            self.stream.set_read_timeout(Some(timeout))?;
            self.read_timeout = Some(timeout);
        }
        Ok(())
    }

    /// Answers the head in `buf[..len]`. Returns whether the connection may
    /// carry another request.
    fn serve_one(&mut self, len: usize) -> After {
        let shared = self.shared;
        let limits = &shared.config.limits;
        if self.buf.len() - len < BODY_SLACK && mentions_transfer_encoding(&self.buf[..len]) {
            // A chunked body needs room after the head for its size lines.
            // (A false positive only costs the growth.)
            self.grow_buffer();
        }
        let (head_bytes, rest) = self.buf.split_at_mut(len);
        let head = match parse_request(head_bytes, limits, &mut self.spans) {
            Ok(Parsed::Complete { head, len: parsed }) if parsed == len => head,
            // The quick scan found CRLF CRLF, so the parser must agree that
            // the head ends there; anything else is a malformed head.
            Ok(_) => {
                self.reject(Status::BAD_REQUEST);
                return After::Linger;
            }
            Err(e) => {
                self.reject(e.status());
                return After::Linger;
            }
        };
        if head.body != BodyFraming::None {
            let body_timeout = shared.config.timeouts.body_read;
            if self.read_timeout != Some(body_timeout) {
                let _ = self.stream.set_read_timeout(Some(body_timeout));
                self.read_timeout = Some(body_timeout);
            }
        }
        if head.body != BodyFraming::None {
            // Reading a body (or sending 100 Continue) talks to the client:
            // answers batched for earlier pipelined requests must go first.
            if flush(&self.stream, &mut self.pending).is_err() {
                return After::Close;
            }
        }
        let body = Body::new(&self.stream, rest, self.filled - len, &head, limits);
        let mut request = Request::new(head, self.peer, body);
        let (response, handler_panicked) = answer(&mut request, shared);
        let leftover = request.into_body().finish(limits.max_drain_bytes);
        if head.body != BodyFraming::None {
            // Reading the body may have changed the socket's read timeout.
            self.read_timeout = None;
        }

        let ctx = WriteContext {
            version: head.version,
            head_request: head.method == Method::Head,
            keep_alive: head.keep_alive
                && leftover.is_some()
                && !handler_panicked
                && !shared.stopping.load(Ordering::Relaxed),
            extra_headers: &shared.extra_headers,
        };
        let status = response.status().code();
        // Pipelining: while the next request is already here, small answers
        // wait in `pending` and leave together in one write.
        let next_is_here = leftover
            .as_ref()
            .is_some_and(|(_, bytes)| find_head_end(bytes).is_some());
        let batch = ctx.keep_alive
            && response.is_small()
            && (next_is_here || !self.pending.is_empty())
            && self.pending.len() < MAX_PENDING_BYTES;
        let written = if batch {
            let written = write_response(&mut self.pending, &mut self.out, response, ctx);
            match written {
                Ok(w) if !next_is_here => flush(&self.stream, &mut self.pending).map(|()| w),
                other => other,
            }
        } else {
            let flushed = flush(&self.stream, &mut self.pending);
            let mut writer: &TcpStream = &self.stream;
            flushed.and_then(|()| write_response(&mut writer, &mut self.out, response, ctx))
        };
        log_request(shared, self.peer, &head, status, written.as_ref().ok());

        let leftover = leftover.map(|(range, _)| range);
        match (written, leftover) {
            (Ok(written), Some(range)) => {
                let (start, end) = (len + range.start, len + range.end);
                self.buf.copy_within(start..end, 0);
                self.filled = end - start;
                if written.keep_alive {
                    After::KeepAlive
                } else {
                    After::Close
                }
            }
            // The client is gone: nothing to linger for.
            (Err(_), _) => After::Close,
            // Part of a body is still unread.
            (Ok(_), None) => After::Linger,
        }
    }

    /// Writes a plain error response and marks the connection for closing;
    /// every protocol error closes, since what follows cannot be trusted.
    fn reject(&mut self, status: Status) {
        // Earlier pipelined answers still waiting must go first.
        if flush(&self.stream, &mut self.pending).is_err() {
            return;
        }
        let ctx = WriteContext {
            version: Version::Http11,
            head_request: false,
            keep_alive: false,
            extra_headers: &self.shared.extra_headers,
        };
        let mut writer: &TcpStream = &self.stream;
        let written = write_response(&mut writer, &mut self.out, Response::error(status), ctx);
        let bytes = written.map_or(0, |w| w.body_bytes);
        self.shared
            .counters
            .requests
            .fetch_add(1, Ordering::Relaxed);
        self.shared.logger.access(&AccessRecord {
            peer: self.peer.ip(),
            request_line: ("", "", ""),
            status: status.code(),
            bytes,
        });
    }
}

/// Runs the handler, turning what it cannot do into a status: unknown
/// methods get 501, a panic gets 500 (and the connection closes).
fn answer(request: &mut Request<'_>, shared: &ServerShared) -> (Response, bool) {
    let head = request.head();
    if head.method == Method::Unknown || head.method == Method::Connect {
        // RFC 9110 §9.1: an unrecognised method gets 501. CONNECT is a proxy's
        // method, which this origin server does not implement.
        return (Response::error(Status::NOT_IMPLEMENTED), false);
    }
    if head.form == TargetForm::Asterisk {
        return (
            Response::new(Status::NO_CONTENT).with_header("Allow", "GET, HEAD, OPTIONS"),
            false,
        );
    }
    match panic::catch_unwind(AssertUnwindSafe(|| shared.handler.handle(request))) {
        Ok(response) => (response, false),
        Err(_) => {
            shared.counters.panics.fetch_add(1, Ordering::Relaxed);
            shared.logger.error(&format!(
                "handler panicked on {} {}",
                request.method(),
                request.target()
            ));
            (Response::error(Status::INTERNAL_SERVER_ERROR), true)
        }
    }
}

fn log_request(
    shared: &ServerShared,
    peer: SocketAddr,
    head: &RequestHead<'_>,
    status: u16,
    written: Option<&Written>,
) {
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    shared.logger.access(&AccessRecord {
        peer: peer.ip(),
        request_line: (head.method_token, head.target, head.version.as_str()),
        status,
        bytes: written.map_or(0, |w| w.body_bytes),
    });
}

/// Whether a head contains `transfer-encoding` in any case: a cheap
/// over-approximation of "the body is chunked", checked before parsing.
fn mentions_transfer_encoding(head: &[u8]) -> bool {
    const NAME: &[u8] = b"transfer-encoding";
    head.windows(NAME.len())
        .any(|w| w.eq_ignore_ascii_case(NAME))
}

/// Writes the batched answers of pipelined requests, if any.
fn flush(mut stream: &TcpStream, pending: &mut Vec<u8>) -> io::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let result = stream.write_all(pending);
    pending.clear();
    result
}

/// Where the first `CRLF CRLF` ends, if the buffer holds one.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
