//! The open event streams of live reload (`text/event-stream`): the
//! sockets handed over by the connections that asked for them, and what
//! is sent on them.
//!
//! A stream costs no worker: after its head it is only a socket in this
//! list, written to when something changed (or to say it is still there)
//! and checked for the browser's close. Writes never wait: a stream whose
//! peer does not take a whole event at once (at most about 2 KiB) is
//! closed, and its browser reconnects on its own. How many are open at once is bounded;
//! the client script keeps one per browser, not one per tab.
//!
//! What an event says is [`super`]'s to decide; this module only sends.

use crate::socket::Stream;
use crate::sys;
use std::io;
use std::net::Shutdown;
use std::sync::{Mutex, MutexGuard};

/// What a new stream gets first: how soon to reconnect after the server
/// goes away (a restart), and a comment that says it is open (comments
/// are not events: pages ignore them).
pub const GREETING: &[u8] = b"retry: 1000\n: live reload is on\n\n";

/// A comment sent now and then on idle streams, so that a proxy does not
/// time them out and a browser that vanished without closing is noticed.
pub const KEEP_ALIVE: &[u8] = b": still here\n\n";

/// The open streams, up to a bound.
pub struct EventStreams {
    open: Mutex<Vec<Stream>>,
    max: usize,
}

impl EventStreams {
    /// No streams yet; at most `max` at once.
    pub fn new(max: usize) -> EventStreams {
        EventStreams {
            open: Mutex::new(Vec::new()),
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Stream>> {
        // A panic while sending leaves the list whole: go on with it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bound.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Whether a new one would be refused.
    pub fn is_full(&self) -> bool {
        self.len() >= self.max
    }

    /// Takes a socket whose response head is sent, greets it and keeps it.
    /// Refused (closed) when the bound is reached (another stream may have
    /// joined since the handler checked) or the greeting cannot be sent.
    pub fn join(&self, socket: Stream) -> bool {
        let mut open = self.lock();
        if open.len() >= self.max || !send_whole(&socket, GREETING) {
            close(&socket);
            return false;
        }
        open.push(socket);
        true
    }

    /// Sends `event` on every stream; those that cannot take it now are
    /// closed. Returns how many got it.
    pub fn send(&self, event: &[u8]) -> usize {
        let mut open = self.lock();
        open.retain(|socket| {
            let sent = send_whole(socket, event);
            if !sent {
                close(socket);
            }
            sent
        });
        open.len()
    }

    /// Closes the streams whose browser closed them (a page left or
    /// reloaded). A little sent on one (a request pipelined after it) is
    /// read and ignored; more is a client that is not listening, closed.
    pub fn forget_closed(&self) {
        let mut open = self.lock();
        open.retain(|socket| {
            let alive = peer_still_there(socket);
            if !alive {
                close(socket);
            }
            alive
        });
    }

    /// Closes every stream: the server is stopping.
    pub fn close_all(&self) {
        for socket in self.lock().drain(..) {
            close(&socket);
        }
    }
}

/// Sends all of `bytes` without waiting, or reports that it could not.
/// (An event is at most about 2 KiB, far less than a socket's send
/// buffer: one without room for it is a browser that stopped reading.)
fn send_whole(socket: &Stream, bytes: &[u8]) -> bool {
    matches!(sys::send_now(socket, bytes), Ok(n) if n == bytes.len())
}

/// Whether the peer has not closed its side, and is listening: one read,
/// without waiting. A browser sends nothing after its request, so a peer
/// that fills the scrap in one read is sending, not listening, and is
/// closed. (Reading on while bytes came let one client that never paused
/// keep this thread, and the list locked, for as long as it sent.)
fn peer_still_there(socket: &Stream) -> bool {
    let mut scrap = [0u8; 4096];
    match sys::recv_now(socket, &mut scrap) {
        Ok(0) => false,
        Ok(n) => n < scrap.len(),
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
    }
}

/// Ends a stream: the browser sees the end of the body (and reconnects,
/// if the page is still open and the server is).
fn close(socket: &Stream) {
    let _ = socket.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (Stream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (server.into(), client)
    }

    fn read_some(client: &mut TcpStream, len: usize) -> Vec<u8> {
        let mut got = vec![0; len];
        client.read_exact(&mut got).unwrap();
        got
    }

    #[test]
    fn a_joined_stream_is_greeted_and_gets_events() {
        let streams = EventStreams::new(4);
        let (server, mut client) = pair();
        assert!(streams.join(server));
        assert_eq!(read_some(&mut client, GREETING.len()), GREETING);
        assert_eq!(streams.send(b"event: reload\ndata: x\n\n"), 1);
        assert_eq!(read_some(&mut client, 23), b"event: reload\ndata: x\n\n");
    }

    #[test]
    fn past_the_bound_a_stream_is_closed() {
        let streams = EventStreams::new(1);
        let (first, _keep) = pair();
        assert!(streams.join(first));
        assert!(streams.is_full());
        let (second, mut client) = pair();
        assert!(!streams.join(second));
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        assert_eq!(streams.len(), 1);
    }

    #[test]
    fn a_stream_the_browser_closed_is_forgotten() {
        let streams = EventStreams::new(4);
        let (server, client) = pair();
        let (other, _kept) = pair();
        assert!(streams.join(server));
        assert!(streams.join(other));
        drop(client);
        // The close may take a moment to arrive on a loaded machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while streams.len() == 2 && std::time::Instant::now() < deadline {
            streams.forget_closed();
            std::thread::yield_now();
        }
        assert_eq!(streams.len(), 1);
    }

    #[test]
    fn closing_all_ends_every_body() {
        let streams = EventStreams::new(4);
        let (server, mut client) = pair();
        assert!(streams.join(server));
        streams.close_all();
        assert!(streams.is_empty());
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, GREETING);
    }

    /// Regression: everything a peer sent was read and thrown away, as
    /// long as it kept coming, with the list locked: one client sending
    /// without pause held the watching thread, every other stream's news
    /// and each worker handing a new stream over (5 s in one trial).
    #[test]
    fn a_peer_that_sends_instead_of_listening_is_closed() {
        let streams = EventStreams::new(4);
        let (server, mut client) = pair();
        let (other, _kept) = pair();
        assert!(streams.join(server));
        assert!(streams.join(other));
        // More than a request's worth, and the client stays open.
        std::io::Write::write_all(&mut client, &[b'x'; 64 * 1024]).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while streams.len() == 2 && std::time::Instant::now() < deadline {
            streams.forget_closed();
            std::thread::yield_now();
        }
        assert_eq!(streams.len(), 1);
        assert_eq!(read_some(&mut client, GREETING.len()), GREETING);
        // Then the end (a reset, as what it sent was left unread).
        assert!(!matches!(client.read(&mut [0u8; 1]), Ok(1)));
    }
}
