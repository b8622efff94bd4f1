//! One client connection, from its first byte to its close: read a head,
//! parse it, run the handler, drain what the handler did not read of the
//! body, write the response, and go round again while the connection may
//! persist.
//!
//! A connection holds a worker only while a request is in progress. When it
//! would wait (for a next request, for the rest of a head that is trickling
//! in, for room to send its answer to a slow reader, for a lingering close
//! to end) it parks in the poller and the worker goes back to the pool; when
//! the socket is ready, the poller hands it to a worker again, which picks
//! up where it stopped ([`Connection::resume`]). Everything it needs to pick
//! up is in this struct: the bytes read so far, when the head started (its
//! deadline does not move however it trickles), the output not yet sent,
//! and what it is waiting for.
//!
//! The connection owns the socket and its buffers: `buf` for what the
//! client sends, `out` for building response heads, and `pending` for
//! answers on their way out (sent without waiting; a large body follows
//! from `outgoing.rs`), reused from one request to the next. A connection
//! that parks idle with nothing buffered gives its buffers back to a small
//! shared stock ([`crate::server::buffers`]), so a waiting connection costs
//! a few hundred bytes, and takes a set again when it wakes.

use crate::http::body::BodyFraming;
use crate::http::error::ParseError;
use crate::http::headers::FieldSpan;
use crate::http::method::Method;
use crate::http::parse::{
    parse_request, valid_request_line, Parsed, RequestHead, RequestLine, TargetForm,
};
use crate::http::status::Status;
use crate::http::version::Version;
use crate::log::AccessRecord;
use crate::outgoing::{Outgoing, Progress};
use crate::request::{Body, Request};
use crate::response::{
    write_response, write_response_deferring_body, HandOver, Response, WriteContext, Written,
};
use crate::server::buffers::{Buffers, BODY_SLACK, MAX_PENDING_BYTES};
use crate::server::poller::{Park, Poller};
use crate::server::shared::ServerShared;
use crate::socket::{Peer, Stream};
use crate::sys::{self, Interest, Token};
use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a parked connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Nothing read of a next request: closed silently at the keep-alive
    /// timeout.
    Idle,
    /// Part of a head is here: 408 at the head deadline.
    Head,
    /// Closing: our side is shut; what the client still sends is read and
    /// thrown away until it closes or the linger time is up.
    Linger {
        /// Bytes thrown away so far.
        discarded: usize,
        /// When lingering ends, whatever the client does.
        until: Instant,
    },
    /// A response body is half sent and the client is slow to read: wait
    /// for room in the socket (the body waits in `Connection::sending`).
    Write,
}

/// The poller connections park in.
pub type ConnectionPoller = Poller<Box<Connection>>;

/// One client connection.
pub struct Connection {
    /// Shared with the registry, which may shut it down at the end of a
    /// drain.
    stream: Arc<Stream>,
    /// Registry id, for connections that count as open.
    id: Option<u64>,
    peer: Peer,
    shared: Arc<ServerShared>,
    poller: Arc<ConnectionPoller>,
    /// Empty while parked idle (given back to the stock).
    buffers: Buffers,
    /// `buffers.buf[..filled]` holds bytes received but not yet used.
    filled: usize,
    /// Answers waiting to be sent (several, for pipelined requests, leave
    /// in one write), and how much of them is sent.
    pending: Vec<u8>,
    pending_sent: usize,
    /// What to do once the output parked for room is all sent.
    after_output: After,
    /// When the first byte of the head being read arrived.
    head_started: Option<Instant>,
    /// What it waits for when parked.
    waiting: Waiting,
    /// Its place in the poller, for as long as it is open (`None` if the
    /// system would not watch its socket: it then closes at its first
    /// park).
    slot: Option<Token>,
    /// A large response body still being sent.
    sending: Option<Sending>,
    /// The poller said the client closed its side: read to the end.
    peer_closing: bool,
    /// The client has closed its side: serve what is buffered, then close.
    eof: bool,
    /// When it was last handed to the pool (the queue wait is measured
    /// from here).
    pub ready_at: Instant,
}

/// What a worker does with a connection when it can go no further.
enum Next {
    /// Park it until the socket is readable or the deadline passes.
    Park(Waiting, Instant),
    /// Close it now; everything the client sent was read.
    Close,
    /// Close lingeringly: the client may still be sending.
    Linger,
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
    /// The socket was handed to a response's receiver
    /// ([`Response::hand_over`]): forget it without closing it.
    HandedOver,
}

/// How far sending the output got.
enum Sent {
    /// All sent.
    Done,
    /// The client is slow: wait for room until this deadline.
    Blocked(Instant),
    /// The client is gone or too slow: close.
    Failed,
}

/// A large response body being sent, with what is needed to finish the
/// exchange when it is done: what comes after, and the access log line.
struct Sending {
    body: Outgoing,
    /// Body length, for the log and the minimum rate.
    total: u64,
    started: Instant,
    /// Whether the socket was put in non-blocking mode for it.
    nonblocking: bool,
    /// A read buffer, where files are not sent by the kernel.
    piece: Vec<u8>,
    /// The request line, user and status, logged when the body is done.
    method: Box<str>,
    target: Box<str>,
    version: Version,
    user: Option<Box<str>>,
    referer: Option<Box<str>>,
    user_agent: Option<Box<str>>,
    logged: bool,
    status: u16,
}

impl Sending {
    /// A body to send for `exchange`, answered with `status`. The request
    /// line is copied: the buffer the head borrows from moves on to the next
    /// request before the body is done.
    fn new(body: Outgoing, exchange: &Exchange<'_>, status: u16) -> Sending {
        let head = exchange.head;
        Sending {
            total: body.remaining(),
            body,
            started: Instant::now(),
            nonblocking: false,
            piece: Vec::new(),
            method: head.method_token.into(),
            target: head.target.into(),
            version: head.version,
            user: exchange.user.map(Box::from),
            referer: logged_field(head, "referer").map(Box::from),
            user_agent: logged_field(head, "user-agent").map(Box::from),
            logged: exchange.logged,
            status,
        }
    }

    fn log(&self, shared: &ServerShared, peer: Peer, body_bytes: u64) {
        shared.counters.requests.fetch_add(1, Ordering::Relaxed);
        if !self.logged {
            return;
        }
        shared.logger.access(&AccessRecord {
            peer,
            request_line: Some(RequestLine {
                method: &self.method,
                target: &self.target,
                version: self.version,
            }),
            user: self.user.as_deref(),
            status: self.status,
            bytes: body_bytes,
            referer: self.referer.as_deref(),
            user_agent: self.user_agent.as_deref(),
            reason: None,
        });
    }
}

impl Connection {
    /// A connection for a freshly accepted socket, counted in the registry
    /// and watched by the poller from now until it closes.
    pub fn accepted(
        stream: Stream,
        peer: Peer,
        shared: &Arc<ServerShared>,
        poller: &Arc<ConnectionPoller>,
    ) -> Connection {
        // Small responses go out in one write; no reason to wait for more.
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(shared.config.timeouts.write));
        let stream = Arc::new(stream);
        let id = shared.registry.join(&stream);
        Connection::new(stream, Some(id), peer, shared, poller)
    }

    /// A socket refused before it became a connection (too many open): it
    /// only ever lingers, and is not counted.
    pub fn refused(
        stream: Stream,
        peer: Peer,
        shared: &Arc<ServerShared>,
        poller: &Arc<ConnectionPoller>,
    ) -> Connection {
        Connection::new(Arc::new(stream), None, peer, shared, poller)
    }

    fn new(
        stream: Arc<Stream>,
        id: Option<u64>,
        peer: Peer,
        shared: &Arc<ServerShared>,
        poller: &Arc<ConnectionPoller>,
    ) -> Connection {
        Connection {
            stream,
            id,
            peer,
            shared: Arc::clone(shared),
            poller: Arc::clone(poller),
            buffers: Buffers::default(),
            filled: 0,
            pending: Vec::new(),
            pending_sent: 0,
            after_output: After::KeepAlive,
            head_started: None,
            waiting: Waiting::Idle,
            slot: Some(poller.reserve()),
            sending: None,
            peer_closing: false,
            eof: false,
            ready_at: Instant::now(),
        }
    }

    /// What the connection is parked for.
    pub fn waiting(&self) -> Waiting {
        self.waiting
    }

    /// Parks a new connection until its first request starts to arrive,
    /// for as long as a keep-alive connection would wait for its next.
    pub fn wait_for_first_request(self: Box<Self>) {
        let deadline = Instant::now() + self.shared.config.timeouts.keep_alive;
        // The accept thread must not serve: if the request is here already,
        // a worker takes it.
        Connection::settle(Some((self, deadline)), false);
    }

    /// A worker's entry: the socket has bytes, or room for a body being
    /// sent. Serves every complete request there is, then parks or closes
    /// the connection.
    pub fn resume(self: Box<Self>) {
        if self.waited_too_long_in_queue() {
            self.refuse(Overload::NoWorker);
            return;
        }
        Connection::settle(self.serve(), true);
    }

    /// One round of work on a connection whose socket is ready: serve or
    /// send, then say where to park (`None`: it closed).
    fn serve(mut self: Box<Self>) -> Option<(Box<Self>, Instant)> {
        if self.buffers.is_given_back() {
            self.buffers = self.shared.spare_buffers.take();
            self.pending = std::mem::take(&mut self.buffers.pending);
        }
        let next = if self.waiting == Waiting::Write {
            self.continue_sending()
        } else {
            self.serve_ready()
        };
        self.prepare(next)
    }

    /// Whether it waited in the pool's queue past the queue wait.
    pub fn waited_too_long_in_queue(&self) -> bool {
        self.ready_at.elapsed() > self.shared.config.timeouts.queue_wait
    }

    /// Answers 503 to a connection that cannot be served now (`why`) and
    /// closes lingeringly, without waiting: used by whoever holds it, the
    /// accept thread included. Not in the access log (no request was
    /// read); the error log says why.
    pub fn refuse(mut self: Box<Self>, why: Overload) {
        self.shared.counters.refused.fetch_add(1, Ordering::Relaxed);
        let reason = why.explain(&self.shared);
        self.shared
            .logger
            .refused(self.peer, Status::SERVICE_UNAVAILABLE.code(), &reason);
        self.put_error(Status::SERVICE_UNAVAILABLE, &reason);
        self.send_and_linger();
    }

    /// The poller found the deadline passed.
    pub fn expire(mut self: Box<Self>) {
        match self.waiting {
            Waiting::Head => {
                self.reject(Status::REQUEST_TIMEOUT, &self.head_timeout_reason());
                self.send_and_linger();
            }
            // Idle at its keep-alive timeout, or done lingering: close.
            Waiting::Idle | Waiting::Linger { .. } => {}
            // A client that took no response bytes for the write timeout.
            Waiting::Write => self.abandon_sending(),
        }
    }

    /// Reads and discards what a lingering client still sends, without
    /// waiting, then parks again until the client closes, the linger time
    /// is up, or enough was thrown away.
    pub fn continue_linger(self: Box<Self>) {
        Connection::settle(self.linger(), false);
    }

    fn linger(mut self: Box<Self>) -> Option<(Box<Self>, Instant)> {
        let Waiting::Linger {
            mut discarded,
            until,
        } = self.waiting
        else {
            return None;
        };
        let mut sink = [0u8; 4096];
        loop {
            match sys::recv_now(&self.stream, &mut sink) {
                Ok(0) => return None,
                Ok(n) => {
                    discarded += n;
                    if discarded >= self.shared.config.limits.max_linger_bytes {
                        return None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return None,
            }
        }
        self.waiting = Waiting::Linger { discarded, until };
        Some((self, until))
    }

    /// Sends what the socket takes at once of the output (a short error
    /// answer into an empty send buffer), then closes lingeringly. It does
    /// not wait: a client that does not read must not hold up whoever is
    /// refusing it.
    fn send_and_linger(self: Box<Self>) {
        let _ = sys::send_now(&self.stream, &self.pending[self.pending_sent..]);
        Connection::settle(self.prepare(Next::Linger), false);
    }

    /// Gets ready to park, close or linger, as `next` says: the connection
    /// and its deadline if it is to park.
    fn prepare(mut self: Box<Self>, next: Next) -> Option<(Box<Self>, Instant)> {
        match next {
            Next::Park(waiting, deadline) => {
                self.waiting = waiting;
                if waiting == Waiting::Idle && self.filled == 0 && self.pending.is_empty() {
                    let mut buffers = std::mem::take(&mut self.buffers);
                    buffers.pending = std::mem::take(&mut self.pending);
                    self.shared.spare_buffers.give(buffers);
                }
                Some((self, deadline))
            }
            Next::Close => None,
            Next::Linger => {
                self.stream.shutdown(std::net::Shutdown::Write).ok()?;
                let until = Instant::now() + self.shared.config.timeouts.linger;
                self.waiting = Waiting::Linger {
                    discarded: 0,
                    until,
                };
                Some((self, until))
            }
        }
    }

    /// Hands the connection to the poller until its socket is readable (or
    /// writable, for a body being sent) or its deadline passes. If bytes
    /// (or room) came while it was being served, the poller says so at
    /// once, and this thread goes on with it: lingering costs nothing, and
    /// a worker (`may_serve`) serves; any other thread hands it to one.
    fn settle(mut parked: Option<(Box<Self>, Instant)>, may_serve: bool) {
        while let Some((connection, deadline)) = parked {
            let Some(slot) = connection.slot else {
                // The system would not watch it: it closes.
                return;
            };
            let interest = if connection.waiting == Waiting::Write {
                Interest::Write
            } else {
                Interest::Read
            };
            let poller = Arc::clone(&connection.poller);
            let fd = {
                use std::os::unix::io::AsRawFd;
                connection.stream.as_raw_fd()
            };
            parked = match poller.park(connection, slot, fd, interest, deadline) {
                Park::Parked | Park::Refused(_) => None,
                Park::Ready {
                    item: mut connection,
                    hangup: hung_up,
                } => {
                    connection.peer_hung_up(hung_up);
                    match connection.waiting {
                        Waiting::Linger { .. } => connection.linger(),
                        Waiting::Idle | Waiting::Head | Waiting::Write if may_serve => {
                            connection.serve()
                        }
                        Waiting::Idle | Waiting::Head | Waiting::Write => {
                            poller.hand_over(connection);
                            None
                        }
                    }
                }
            };
        }
    }

    /// Serves every complete request the socket has, and says what next.
    fn serve_ready(&mut self) -> Next {
        if self.read_now().is_err() {
            return Next::Close;
        }
        loop {
            self.skip_leading_empty_lines();
            if self.filled == 0 {
                self.head_started = None;
                if self.eof {
                    return self.finish_output(After::Close).unwrap_or(Next::Close);
                }
                return self.wait_for_next_request();
            }
            let started = *self.head_started.get_or_insert_with(Instant::now);
            let step = match find_head_end(&self.buffers.buf[..self.filled]) {
                Some(end) => {
                    self.head_started = None;
                    self.serve_head(end)
                }
                None => self.wait_for_rest_of_head(started),
            };
            if let Some(next) = step {
                return next;
            }
        }
    }

    /// Serves the whole head in `buf[..end]`; `None` to go on to the next
    /// request. Pipelining: while the next request is already here, small
    /// answers wait in `pending` and leave together in one write.
    fn serve_head(&mut self, end: usize) -> Option<Next> {
        let after = self.serve_one(end);
        if after == After::HandedOver {
            // Dropping this connection closes its own descriptor only; the
            // receiver holds another for the same socket. An `epoll`
            // registration lasts as long as the socket, so the receiver's
            // socket may still bring events with this connection's token:
            // its slot is released by then, and the poller drops them as
            // stale.
            return Some(Next::Close);
        }
        let next_is_here = find_head_end(&self.buffers.buf[..self.filled]).is_some();
        let batch = after == After::KeepAlive
            && !self.stopping()
            && self.sending.is_none()
            && next_is_here
            && self.pending.len() < MAX_PENDING_BYTES;
        if batch {
            return None;
        }
        self.finish_output(after)
    }

    /// Part of a head is here, its end not yet: judge the prefix now (so
    /// garbage and overlong lines are refused at once, not when a buffer
    /// fills), read more if the buffer was full, and otherwise park until
    /// more comes or the head's deadline, counted from `started`. `None` to
    /// look again at what was read.
    fn wait_for_rest_of_head(&mut self, started: Instant) -> Option<Next> {
        let reject_and_close = |this: &mut Connection, status, reason: String| {
            this.reject(status, &reason);
            Some(this.finish_output(After::Linger).unwrap_or(Next::Close))
        };
        let limits = &self.shared.config.limits;
        // The quick scan found no CRLF CRLF, so the parser can only refuse
        // the prefix or ask for more.
        let parsed = parse_request(
            &self.buffers.buf[..self.filled],
            limits,
            &mut self.buffers.spans,
        );
        if let Err(e) = parsed {
            return reject_and_close(self, e.status(), e.explain(limits));
        }
        if self.filled == self.buffers.buf.len() {
            // A full buffer may have left bytes in the socket.
            if !self.grow_buffer() {
                let reason = ParseError::HeadTooLarge.explain(&self.shared.config.limits);
                return reject_and_close(self, Status::HEADER_FIELDS_TOO_LARGE, reason);
            }
            let before = self.filled;
            if self.read_now().is_err() {
                return Some(Next::Close);
            }
            if self.filled > before {
                return None;
            }
        }
        if self.eof {
            // The client has closed: no more of the head is coming.
            return Some(self.finish_output(After::Close).unwrap_or(Next::Close));
        }
        let deadline = started + self.head_limit();
        if Instant::now() >= deadline {
            let reason = self.head_timeout_reason();
            return reject_and_close(self, Status::REQUEST_TIMEOUT, reason);
        }
        Some(self.output_then(Next::Park(Waiting::Head, deadline)))
    }

    /// Sends more of the output now that the socket has room; once it is
    /// all sent, carries on with the connection as the response said.
    fn continue_sending(&mut self) -> Next {
        let after = std::mem::replace(&mut self.after_output, After::KeepAlive);
        match self.finish_output(after) {
            Some(next) => next,
            None => self.serve_ready(),
        }
    }

    /// Sends the output (answers in `pending`, then a large body) and then
    /// does what `after` says: `None` to go on to the next request. If the
    /// client is slow to read, parks to wait for room, remembering `after`.
    fn finish_output(&mut self, after: After) -> Option<Next> {
        match self.send_output() {
            Sent::Done => {}
            Sent::Blocked(deadline) => {
                self.after_output = after;
                return Some(Next::Park(Waiting::Write, deadline));
            }
            Sent::Failed => return Some(Next::Close),
        }
        match after {
            After::KeepAlive if !self.stopping() => None,
            // Closing with every byte read: nothing for a reset to destroy.
            After::KeepAlive | After::Close if self.filled == 0 => Some(Next::Close),
            After::KeepAlive | After::Close | After::Linger => Some(Next::Linger),
            After::HandedOver => Some(Next::Close),
        }
    }

    /// Sends the output before `next` (a park to wait for a request).
    fn output_then(&mut self, next: Next) -> Next {
        match self.send_output() {
            Sent::Done => next,
            Sent::Blocked(deadline) => {
                self.after_output = After::KeepAlive;
                Next::Park(Waiting::Write, deadline)
            }
            Sent::Failed => Next::Close,
        }
    }

    /// Sends what the socket takes now of the answers in `pending`, then of
    /// the large body in `sending`, without waiting.
    fn send_output(&mut self) -> Sent {
        while self.pending_sent < self.pending.len() {
            match sys::send_now(&self.stream, &self.pending[self.pending_sent..]) {
                Ok(n) => self.pending_sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Sent::Blocked(Instant::now() + self.shared.config.timeouts.write);
                }
                Err(_) => {
                    self.abandon_sending();
                    return Sent::Failed;
                }
            }
        }
        self.pending.clear();
        self.pending_sent = 0;
        if self.sending.is_none() {
            return Sent::Done;
        }
        self.send_body()
    }

    /// Sends what the socket takes of the body in `sending`, in
    /// non-blocking mode (a file goes out with `sendfile`, which has no
    /// per-call flag). A client that keeps the socket full for the write
    /// timeout, or that reads slower than the minimum send rate once the
    /// body has taken longer than that, is closed.
    fn send_body(&mut self) -> Sent {
        let timeouts = &self.shared.config.timeouts;
        let Some(sending) = self.sending.as_mut() else {
            return Sent::Failed;
        };
        if !sending.nonblocking {
            if self.stream.set_nonblocking(true).is_err() {
                self.abandon_sending();
                return Sent::Failed;
            }
            sending.nonblocking = true;
        }
        match sending.body.send_now(&self.stream, &mut sending.piece) {
            Ok(Progress::Done) => {
                let restored = self.stream.set_nonblocking(false);
                self.finish_sending();
                if restored.is_err() {
                    return Sent::Failed;
                }
                Sent::Done
            }
            Ok(Progress::Blocked) => {
                let elapsed = sending.started.elapsed();
                let sent = sending.total - sending.body.remaining();
                let floor = u128::from(timeouts.min_send_rate) * elapsed.as_millis() / 1000;
                if elapsed > timeouts.write && u128::from(sent) < floor {
                    self.abandon_sending();
                    return Sent::Failed;
                }
                Sent::Blocked(Instant::now() + timeouts.write)
            }
            Err(_) => {
                self.abandon_sending();
                Sent::Failed
            }
        }
    }

    /// The body is all sent: log the response.
    fn finish_sending(&mut self) {
        if let Some(sending) = self.sending.take() {
            sending.log(&self.shared, self.peer, sending.total);
        }
    }

    /// The body will not be sent in full: log what was, and drop the rest
    /// (the connection closes, since its length was promised).
    fn abandon_sending(&mut self) {
        if let Some(sending) = self.sending.take() {
            let sent = sending.total - sending.body.remaining();
            sending.log(&self.shared, self.peer, sent);
        }
    }

    /// Nothing of a next request is here: park idle, unless stopping.
    fn wait_for_next_request(&mut self) -> Next {
        if self.stopping() {
            return self.finish_output(After::Close).unwrap_or(Next::Close);
        }
        let timeouts = &self.shared.config.timeouts;
        let wait = if self.shared.under_pressure() {
            timeouts.keep_alive_under_pressure
        } else {
            timeouts.keep_alive
        };
        self.output_then(Next::Park(Waiting::Idle, Instant::now() + wait))
    }

    /// How long a head may take from its first byte. While stopping, a
    /// half-sent head gets less than the full deadline: it must not hold up
    /// the drain.
    fn head_limit(&self) -> Duration {
        let timeouts = &self.shared.config.timeouts;
        if self.stopping() {
            timeouts.head.min(timeouts.head_while_stopping)
        } else {
            timeouts.head
        }
    }

    fn stopping(&self) -> bool {
        self.shared.is_stopping()
    }

    /// RFC 9112 §2.2: empty lines before a request line are ignored. Old
    /// clients send a CRLF after a POST body; dropping it here keeps the
    /// search for the end of the head simple.
    fn skip_leading_empty_lines(&mut self) {
        let buf = &mut self.buffers.buf;
        let mut skip = 0;
        while self.filled >= skip + 2 && &buf[skip..skip + 2] == b"\r\n" {
            skip += 2;
        }
        if skip > 0 {
            buf.copy_within(skip..self.filled, 0);
            self.filled -= skip;
        }
    }

    /// Reads what the socket holds into `buf`, without waiting; a read of
    /// nothing means the client has closed its side (`eof`).
    ///
    /// One `recv` is enough: the poller reports new bytes as an event, and
    /// every event that comes while the connection is being served makes its
    /// next park return at once. The exception is a close that arrived with
    /// the last bytes (the event said so, `peer_closing`): no event will
    /// follow it, so then this reads on to the end.
    fn read_now(&mut self) -> io::Result<()> {
        while !self.eof && self.filled < self.buffers.buf.len() {
            match sys::recv_now(&self.stream, &mut self.buffers.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.filled += n;
                    if !self.peer_closing {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Notes that the event that woke the connection said the peer closed
    /// its side.
    pub fn peer_hung_up(&mut self, hung_up: bool) {
        self.peer_closing |= hung_up;
    }

    /// Grows the read buffer to its full size; false if it already is.
    fn grow_buffer(&mut self) -> bool {
        let full = self.shared.config.limits.max_head_bytes + BODY_SLACK;
        if self.buffers.buf.len() >= full {
            return false;
        }
        self.buffers.buf.resize(full, 0);
        true
    }

    /// Answers the head in `buf[..len]`, in named steps: make room for chunk
    /// lines, parse it, get ready for its body, run the handler (draining
    /// what it leaves of the body), put the answer in the output, keep the
    /// bytes of the next request.
    /// Returns what the connection does next.
    fn serve_one(&mut self, len: usize) -> After {
        let shared = Arc::clone(&self.shared);
        let limits = &shared.config.limits;
        self.make_room_for_chunk_lines(len);
        let Buffers {
            buf, spans, out, ..
        } = &mut self.buffers;
        let (head_bytes, rest) = buf.split_at_mut(len);
        let head = match parse_whole_head(head_bytes, limits, spans) {
            Ok(head) => head,
            Err((status, reason)) => return self.refuse_head(len, status, &reason),
        };
        let mut output = Output {
            shared: &shared,
            stream: &self.stream,
            pending: &mut self.pending,
            sent: &mut self.pending_sent,
            scratch: out,
        };
        let body_read = shared.config.timeouts.body_read;
        let has_body = head.body != BodyFraming::None;
        if has_body && ready_for_body(&self.stream, body_read, &mut output).is_err() {
            return After::Close;
        }
        let body = Body::new(Some(&self.stream), rest, self.filled - len, &head, limits);
        let mut handled = handle(Request::new(head, self.peer, body), &shared);
        let receiver = receiver_of(&mut handled.response, head.method);
        let reason = handled.response.take_reason();
        let (user, leftover) = (handled.user.as_deref(), handled.next_request);
        let keep_alive = head.keep_alive && leftover.is_some() && !shared.is_stopping();
        let ctx = answer_context(&head, keep_alive, &shared);
        let exchange = Exchange {
            shared: &shared,
            peer: self.peer,
            head: &head,
            user,
            logged: handled.response.is_logged(),
            reason: reason.as_deref(),
        };
        let status = handled.response.status().code();
        let (written, deferred) = match output.write(handled.response, ctx) {
            Answer::Written(written, deferred) => (written, deferred),
            Answer::Replaced(written, instead) => {
                exchange.log(instead.code(), written.as_ref().ok());
                return After::Linger;
            }
        };
        match deferred {
            None => exchange.log(status, written.as_ref().ok()),
            // Logged when the body is all sent.
            Some(body) => self.sending = Some(Sending::new(body, &exchange, status)),
        }
        if let (Some(receiver), Ok(_)) = (receiver, &written) {
            return hand_over(&mut output, receiver);
        }
        keep_the_rest(buf, len, &mut self.filled, leftover, written)
    }

    /// Refuses the head in `buf[..len]`, which does not parse: the answer
    /// says why, and the log line shows its request line if that much of
    /// it is valid.
    fn refuse_head(&mut self, len: usize, status: Status, reason: &str) -> After {
        let line = valid_request_line(&self.buffers.buf[..len], &self.shared.config.limits);
        log_error(&self.shared, self.peer, status, line, reason);
        self.put_error(status, reason);
        After::Linger
    }

    /// A chunked body needs room after the head for its size lines: grow
    /// the buffer first if the head may announce one. (A false positive
    /// only costs the growth.)
    fn make_room_for_chunk_lines(&mut self, len: usize) {
        if self.buffers.buf.len() - len < BODY_SLACK
            && mentions_transfer_encoding(&self.buffers.buf[..len])
        {
            self.grow_buffer();
        }
    }

    /// Answers a request that cannot be served (it broke the protocol, or
    /// its head did not come in time) with `status`, and logs it. The
    /// connection closes afterwards, since what follows cannot be trusted.
    fn reject(&mut self, status: Status, reason: &str) {
        self.put_error(status, reason);
        log_error(&self.shared, self.peer, status, None, reason);
    }

    /// Why a head that did not come in time was refused.
    fn head_timeout_reason(&self) -> String {
        format!(
            "the request head did not arrive within {} s (the head timeout)",
            self.head_limit().as_secs_f64()
        )
    }

    /// Adds the server's own error answer for `status` to the output, with
    /// `Connection: close` (and `Retry-After` for a 503, an overload that
    /// passes), its body saying `reason`.
    fn put_error(&mut self, status: Status, reason: &str) {
        let ctx = WriteContext {
            version: Version::Http11,
            head_request: false,
            keep_alive: false,
            extra_headers: &self.shared.extra_headers,
            stop: None,
        };
        let mut error = Response::error_because(status, reason);
        if status == Status::SERVICE_UNAVAILABLE {
            error = error.with_header("Retry-After", "1");
        }
        let _ = write_response(&mut self.pending, &mut self.buffers.out, error, ctx);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            self.poller.release(slot);
        }
        if let Some(id) = self.id {
            self.shared.registry.leave(id);
        }
    }
}

/// Parses a head the quick scan found whole: the parser must agree that it
/// ends where the scan found `CRLF CRLF`; anything else is malformed.
fn parse_whole_head<'b>(
    head: &'b [u8],
    limits: &crate::config::Limits,
    spans: &'b mut Vec<FieldSpan>,
) -> Result<RequestHead<'b>, (Status, String)> {
    match parse_request(head, limits, spans) {
        Ok(Parsed::Complete { head: parsed, len }) if len == head.len() => Ok(parsed),
        Ok(_) => Err((
            Status::BAD_REQUEST,
            "the head does not end where its blank line is (RFC 9112 §2.2)".to_string(),
        )),
        Err(e) => Err((e.status(), e.explain(limits))),
    }
}

/// Why a connection was refused with 503: the server is overloaded, and
/// says how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// As many connections are open as `--max-connections` allows.
    TooManyConnections,
    /// Its request waited longer than the queue wait for a worker.
    NoWorker,
    /// More requests are waiting for a worker than the queue holds.
    QueueFull,
}

impl Overload {
    fn explain(self, shared: &ServerShared) -> String {
        match self {
            Overload::TooManyConnections => format!(
                "the server has {} connections open, its limit; try again",
                shared.max_connections
            ),
            Overload::NoWorker => format!(
                "no worker was free within {} s (the queue wait); try again",
                shared.config.timeouts.queue_wait.as_secs_f64()
            ),
            Overload::QueueFull => format!(
                "more than {} requests are waiting for a worker; try again",
                shared.config.max_queued
            ),
        }
    }
}

/// Before a body is read (or `100 Continue` sent): the body's read timeout
/// on the socket (set each time: draining a body shortens it), and the
/// answers to earlier pipelined requests sent first, since reading the body
/// talks to the client.
fn ready_for_body(
    stream: &Stream,
    body_timeout: Duration,
    output: &mut Output<'_>,
) -> io::Result<()> {
    let _ = stream.set_read_timeout(Some(body_timeout));
    output.flush()
}

/// Sends the head of a handed-over response, then gives the receiver its
/// own descriptor for the socket. Whatever the client sent after the
/// request is left unread: the receiver owns the connection now.
fn hand_over(output: &mut Output<'_>, receiver: HandOver) -> After {
    if output.flush().is_err() {
        return After::Close;
    }
    match output.stream.try_clone() {
        Ok(socket) => {
            receiver(socket);
            After::HandedOver
        }
        Err(_) => After::Close,
    }
}

/// Moves the bytes after the request (the next pipelined request, if any)
/// to the front of the buffer, and says what the connection does next.
fn keep_the_rest(
    buf: &mut [u8],
    len: usize,
    filled: &mut usize,
    leftover: Option<Range<usize>>,
    written: io::Result<Written>,
) -> After {
    match (written, leftover) {
        (Ok(written), Some(range)) => {
            let (start, end) = (len + range.start, len + range.end);
            buf.copy_within(start..end, 0);
            *filled = end - start;
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

/// Where answers go: the connection's output buffer (sent without waiting
/// once the connection is done with the request) and its socket.
struct Output<'c> {
    shared: &'c ServerShared,
    stream: &'c Stream,
    pending: &'c mut Vec<u8>,
    sent: &'c mut usize,
    /// For building heads.
    scratch: &'c mut Vec<u8>,
}

/// What became of an answer put in the output.
enum Answer {
    /// Written (or its writing failed on the socket), with a large body to
    /// send after the output.
    Written(io::Result<Written>, Option<Outgoing>),
    /// It could not be made, and this status was written instead.
    Replaced(io::Result<Written>, Status),
}

impl Output<'_> {
    /// Puts `response` in the output: the head and a small body in
    /// `pending`, a large body deferred. A stream is produced as it is
    /// written, so only blocking writes can send it: straight to the socket,
    /// after what is pending.
    fn write(&mut self, response: Response, ctx: WriteContext<'_>) -> Answer {
        if response.is_streamed() {
            return Answer::Written(self.write_stream(response, ctx), None);
        }
        let mark = self.pending.len();
        match write_response_deferring_body(self.pending, self.scratch, response, ctx) {
            Ok((written, body)) => Answer::Written(Ok(written), body),
            // Nothing of an answer in `pending` is sent yet, so one that
            // could not be made (a file that shrank while it was read, as an
            // editor rewrites it) is replaced by one that says so, rather
            // than a wrong length or an empty reply.
            Err(e) => {
                self.pending.truncate(mark);
                let instead = if e.kind() == io::ErrorKind::UnexpectedEof {
                    Response::service_unavailable()
                } else {
                    Response::error(Status::INTERNAL_SERVER_ERROR)
                };
                let status = instead.status();
                let ctx = WriteContext {
                    keep_alive: false,
                    ..ctx
                };
                let written = write_response(self.pending, self.scratch, instead, ctx);
                Answer::Replaced(written, status)
            }
        }
    }

    /// Writes a streamed answer straight to the socket, after what is
    /// pending. The handler's code runs here, as the body is produced, so
    /// a panic in it is caught as the handler's own would be: counted,
    /// logged, and the connection closed (the head is already sent, so the
    /// client sees a cut-off body).
    fn write_stream(&mut self, response: Response, ctx: WriteContext<'_>) -> io::Result<Written> {
        self.flush()?;
        let mut writer: &Stream = self.stream;
        let scratch = &mut *self.scratch;
        let written = panic::catch_unwind(AssertUnwindSafe(|| {
            write_response(&mut writer, scratch, response, ctx)
        }));
        written.unwrap_or_else(|_| {
            self.shared.counters.panics.fetch_add(1, Ordering::Relaxed);
            self.shared
                .logger
                .error("a streamed body's writer panicked; its response was cut off");
            Err(io::Error::other("the body's writer panicked"))
        })
    }

    /// Sends what is pending with blocking writes: before the worker talks
    /// to the client itself.
    fn flush(&mut self) -> io::Result<()> {
        flush(self.stream, self.pending, self.sent)
    }
}

/// What running a handler left: its answer, and where the bytes after the
/// request's body (the next pipelined request) sit in the buffer, or `None`
/// when the body was not all read and the connection must close.
struct Handled {
    response: Response,
    /// Who authenticated, for the log.
    user: Option<String>,
    next_request: Option<Range<usize>>,
}

/// Runs the handler on `request`, then reads and throws away what it left
/// of the body.
fn handle(mut request: Request<'_>, shared: &ServerShared) -> Handled {
    let response = match unimplemented(request.head().method) {
        Some(reason) => Response::error_because(Status::NOT_IMPLEMENTED, reason),
        None => answer(&mut request, shared),
    };
    let user = request.take_user();
    let config = &shared.config;
    let next_request = request
        .into_body()
        .finish(config.limits.max_drain_bytes, config.timeouts.unread_body);
    Handled {
        response,
        user,
        next_request,
    }
}

/// Who takes the connection after `response`'s head, if anyone
/// ([`Response::hand_over`]): nobody for a HEAD request, which gets the
/// head alone and keeps its connection.
fn receiver_of(response: &mut Response, method: Method) -> Option<HandOver> {
    response.take_receiver().filter(|_| method != Method::Head)
}

/// Why the server answers 501 itself, before any handler: RFC 9110 §9.1
/// has an unrecognised method get 501, and CONNECT is a proxy's method,
/// which this origin server does not implement.
fn unimplemented(method: Method) -> Option<&'static str> {
    match method {
        Method::Connect => {
            Some("CONNECT is a proxy's method; this is an origin server (RFC 9110 §9.3.6)")
        }
        Method::Unknown => Some("the method is not one this server implements (RFC 9110 §9.1)"),
        _ => None,
    }
}

/// Runs the handler, turning what it cannot do into a status: a panic
/// gets 500 and closes the connection (whatever the handler left half
/// done, the connection is not trusted to go on).
fn answer(request: &mut Request<'_>, shared: &ServerShared) -> Response {
    let head = request.head();
    if head.form == TargetForm::Asterisk {
        // `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7);
        // what each resource allows is for its own OPTIONS to say.
        return Response::new(Status::NO_CONTENT);
    }
    match panic::catch_unwind(AssertUnwindSafe(|| shared.handler.handle(request))) {
        Ok(response) => response,
        Err(_) => {
            shared.counters.panics.fetch_add(1, Ordering::Relaxed);
            shared.logger.error(&format!(
                "handler panicked on {} {}",
                request.method(),
                request.target()
            ));
            Response::error(Status::INTERNAL_SERVER_ERROR).with_close()
        }
    }
}

/// Logs an error answer the server gave itself; `line` is the request line
/// when one was read whole and valid.
fn log_error(
    shared: &ServerShared,
    peer: Peer,
    status: Status,
    line: Option<RequestLine>,
    reason: &str,
) {
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    shared.logger.refused(peer, status.code(), reason);
    shared.logger.access(&AccessRecord {
        peer,
        request_line: line,
        user: None,
        status: status.code(),
        bytes: 0,
        referer: None,
        user_agent: None,
        reason: Some(reason),
    });
}

/// How a handler's answer to `head` is written.
fn answer_context<'s>(
    head: &RequestHead<'_>,
    keep_alive: bool,
    shared: &'s ServerShared,
) -> WriteContext<'s> {
    WriteContext {
        version: head.version,
        head_request: head.method == Method::Head,
        keep_alive,
        extra_headers: &shared.extra_headers,
        stop: Some(&shared.cut_off),
    }
}

/// One request and who made it, for its access log line.
struct Exchange<'a> {
    shared: &'a ServerShared,
    peer: Peer,
    head: &'a RequestHead<'a>,
    /// Who authenticated, if anyone.
    user: Option<&'a str>,
    /// Whether the answer goes in the access log.
    logged: bool,
    /// Why the server answered itself, if it did.
    reason: Option<&'a str>,
}

impl Exchange<'_> {
    /// Logs the answer: its status and the body bytes written, and for a
    /// refusal that says why, that reason on stderr too.
    fn log(&self, status: u16, written: Option<&Written>) {
        self.shared
            .counters
            .requests
            .fetch_add(1, Ordering::Relaxed);
        if let Some(reason) = self.reason {
            self.shared.logger.refused(self.peer, status, reason);
        }
        if !self.logged {
            return;
        }
        let referer = logged_field(self.head, "referer");
        let user_agent = logged_field(self.head, "user-agent");
        self.shared.logger.access(&AccessRecord {
            peer: self.peer,
            request_line: Some(RequestLine {
                method: self.head.method_token,
                target: self.head.target,
                version: self.head.version,
            }),
            user: self.user,
            status,
            bytes: written.map_or(0, |w| w.body_bytes),
            referer: referer.as_deref(),
            user_agent: user_agent.as_deref(),
            reason: self.reason,
        });
    }
}

/// A request field for the access log: its first value, with bytes that
/// are not UTF-8 shown as U+FFFD rather than the whole value dropped (a
/// client must not be able to keep its User-Agent out of the log). Borrowed,
/// so not allocated, when it is UTF-8.
fn logged_field<'h>(head: &RequestHead<'h>, name: &str) -> Option<Cow<'h, str>> {
    head.fields.get(name).map(String::from_utf8_lossy)
}

/// Whether a head contains `transfer-encoding` in any case: a cheap
/// over-approximation of "the body is chunked", checked before parsing.
fn mentions_transfer_encoding(head: &[u8]) -> bool {
    const NAME: &[u8] = b"transfer-encoding";
    head.windows(NAME.len())
        .any(|w| w.eq_ignore_ascii_case(NAME))
}

/// Writes the answers waiting in `pending` (from `sent` on) with blocking
/// writes: before the worker talks to the client itself (a body read,
/// `100 Continue`, a streamed answer).
fn flush(mut stream: &Stream, pending: &mut Vec<u8>, sent: &mut usize) -> io::Result<()> {
    if *sent == pending.len() {
        pending.clear();
        *sent = 0;
        return Ok(());
    }
    let result = stream.write_all(&pending[*sent..]);
    pending.clear();
    *sent = 0;
    result
}

/// Where the first `CRLF CRLF` ends, if the buffer holds one.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}
