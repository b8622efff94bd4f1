//! Where the server listens, and the accept loop that takes connections
//! off the listening socket and passes each to the server until the stop
//! flag is set. (The server parks a new connection in the poller until its
//! first request arrives; a worker takes it from there.)
//!
//! A [`Listener`] is one of three things, all served alike once accepted:
//!
//! - a **TCP** socket bound to an address (IPv4 or IPv6), for clients
//!   anywhere;
//! - a **Unix domain socket** bound to a path, for a proxy on the same
//!   machine: no port to pick or firewall, and who may connect is decided
//!   by the file's permissions. Its file is made, checked and removed by
//!   [`crate::server::socket_file`];
//! - a socket **passed by a service manager** (socket activation,
//!   [`Listener::inherited`]), TCP or Unix: the manager binds it, may hold
//!   connections for the server while it (re)starts, and owns it. The
//!   server closes only its own copy, and never removes a passed socket's
//!   file.
//!
//! `accept` blocks, and std offers no way to interrupt it. So the loop
//! does not call it until `poll` says a connection is there, and it polls
//! the listener together with a `StopBell`: one end of a socket pair,
//! which the shutdown handle rings (one byte) after setting the stop flag.
//! The loop sees the flag and returns, leaving whatever is queued in the
//! listener alone (DESIGN.md, "Stopping"). Nothing connects to the
//! listener to wake it: that would need permission to connect to one's own
//! socket, could reach another server's socket put at the same path, and
//! would leave a connection queued in a socket a service manager keeps
//! for the next start. Errors from `accept` never end the loop: running
//! out of file descriptors is logged once and waited out briefly, since
//! connections that close will free some.

use crate::config::{check_socket_mode, Bind};
use crate::log::Logger;
use crate::server::socket_file::{self, SocketFile};
use crate::socket::{Peer, Stream};
use crate::sys::poll::{self, PollFd};
use crate::sys::{self, Family, Interest};
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::io::{AsFd, AsRawFd};
use std::os::unix::net::{SocketAddr as UnixAddr, UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long to pause after accept fails for lack of file descriptors (or
/// the wait before it fails), so that a failure does not spin the loop.
const FD_BACKOFF: Duration = Duration::from_millis(50);

/// How a stop reaches the accept loop, which waits on the listener and on
/// this at once: a connected pair of Unix sockets, rung by writing a byte
/// to one end (std's own type; no foreign call needed). Its byte is never
/// read, so once rung it stays rung, and every wait after that ends at
/// once: it is rung only after the stop flag is set, for the one stop.
#[derive(Debug)]
pub(crate) struct StopBell {
    ring: UnixStream,
    hear: UnixStream,
}

impl StopBell {
    /// A new, silent bell.
    ///
    /// # Errors
    ///
    /// The system's error (out of descriptors).
    pub(crate) fn new() -> io::Result<StopBell> {
        let (ring, hear) = UnixStream::pair()?;
        // Ringing never waits: a bell already rung needs no second byte.
        ring.set_nonblocking(true)?;
        Ok(StopBell { ring, hear })
    }

    /// Wakes the accept loop (which then looks at the stop flag).
    pub(crate) fn ring(&self) {
        let _ = (&self.ring).write(&[1]);
    }
}

/// A listening socket, TCP or Unix, bound here or passed by a service
/// manager.
#[derive(Debug)]
pub struct Listener {
    /// The socket file this listener made, held only to be removed when
    /// the listener is dropped. Declared first, so it is removed while the
    /// socket is still open: its inode cannot yet be reused by a new
    /// server's socket at the same path, which the removal would then
    /// mistake for its own (file systems hand a freed inode out again at
    /// once).
    _file: Option<SocketFile>,
    socket: Socket,
    endpoint: Endpoint,
    inherited: bool,
}

#[derive(Debug)]
enum Socket {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Where a listener listens, as the system reports it.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A TCP address and port (the port the system chose, for port 0).
    Tcp(SocketAddr),
    /// A Unix socket's address: a path, or (Linux, for a passed socket) an
    /// abstract name.
    Unix(UnixAddr),
}

impl Endpoint {
    /// The TCP address, if this is one.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            Endpoint::Tcp(addr) => Some(*addr),
            Endpoint::Unix(_) => None,
        }
    }

    /// The Unix socket's path, if this is one with a path.
    pub fn unix_path(&self) -> Option<&Path> {
        match self {
            Endpoint::Tcp(_) => None,
            Endpoint::Unix(addr) => addr.as_pathname(),
        }
    }
}

/// `127.0.0.1:8080`, `[::]:8080`, `unix:/run/site.sock`, and on Linux
/// `unix:@name` for an abstract socket.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Unix(addr) => match addr.as_pathname() {
                Some(path) => write!(f, "unix:{}", path.display()),
                None => match abstract_name(addr) {
                    Some(name) => write!(f, "unix:@{}", String::from_utf8_lossy(name)),
                    None => f.write_str("unix:(unnamed)"),
                },
            },
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_name(addr: &UnixAddr) -> Option<&[u8]> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    addr.as_abstract_name()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_name(_addr: &UnixAddr) -> Option<&[u8]> {
    None
}

impl Listener {
    /// Binds the socket `bind` names. A Unix socket's path is checked
    /// first: a stale socket file there (nobody answers on it) is replaced,
    /// and anything else is an error, never removed.
    ///
    /// # Errors
    ///
    /// The bind error (`AddrInUse`, `PermissionDenied`, a bad address);
    /// for a Unix socket also `AddrInUse` when a server answers on the
    /// path, `AlreadyExists` when the path is not a socket, and
    /// `InvalidInput` for a mode [`check_socket_mode`] refuses.
    pub fn bind(bind: &Bind) -> io::Result<Listener> {
        match bind {
            Bind::Tcp(addr) => Listener::new(Socket::Tcp(TcpListener::bind(addr)?), false, None),
            Bind::Unix { path, mode } => {
                if let Some(mode) = *mode {
                    check_socket_mode(mode)
                        .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
                }
                let (socket, file) = socket_file::bind(path, *mode)?;
                Listener::new(Socket::Unix(socket), false, Some(file))
            }
        }
    }

    /// The listening socket a service manager passed to this process
    /// (socket activation: `LISTEN_PID` is this process's id, and the
    /// socket is descriptor 3), TCP or Unix; `None` if none was passed.
    /// Reading the variables removes them from the environment, so call it
    /// before starting threads (see [`sys::take_listen_fds`]).
    ///
    /// One socket is served: more than one (`LISTEN_FDS=2`, several
    /// `ListenStream=` lines in one systemd socket unit) is refused rather
    /// than half served.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for several sockets, or one that is not a listening
    /// stream socket of TCP or Unix (a unit with `Accept=yes` passes
    /// connections, not a listener); the errors of
    /// [`sys::take_listen_fds`] and [`sys::socket_kind`].
    pub fn inherited() -> io::Result<Option<Listener>> {
        let Some(passed) = sys::take_listen_fds()? else {
            return Ok(None);
        };
        let refuse = |why: String| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        if passed.count > 1 {
            return refuse(format!(
                "the service manager passed {} sockets (LISTEN_FDS); this server serves one \
                 (one ListenStream= per socket unit)",
                passed.count
            ));
        }
        let kind = sys::socket_kind(passed.first.as_fd())
            .map_err(|e| io::Error::new(e.kind(), format!("the passed descriptor 3: {e}")))?;
        if !kind.stream || !kind.listening {
            return refuse(
                "the passed socket is not a listening stream socket \
                 (use ListenStream= and Accept=no)"
                    .to_string(),
            );
        }
        let socket = match kind.family {
            Family::Ipv4 | Family::Ipv6 => Socket::Tcp(TcpListener::from(passed.first)),
            Family::Unix => Socket::Unix(UnixListener::from(passed.first)),
            Family::Other(family) => {
                return refuse(format!(
                    "the passed socket is of address family {family}, neither TCP nor Unix"
                ))
            }
        };
        Listener::new(socket, true, None).map(Some)
    }

    /// Puts a listener together: non-blocking, and its endpoint asked
    /// once, here. Non-blocking because a connection `poll` reported can
    /// be gone by the time `accept` asks for it (a client that gave up; on
    /// some systems a reset removes it from the queue), and a blocking
    /// `accept` would then wait for the next client, deaf to the stop
    /// bell. (A passed socket's flag is shared with the service manager's
    /// copy, which only waits for readiness on it and so does not mind.)
    fn new(socket: Socket, inherited: bool, file: Option<SocketFile>) -> io::Result<Listener> {
        let endpoint = match &socket {
            Socket::Tcp(listener) => {
                listener.set_nonblocking(true)?;
                Endpoint::Tcp(listener.local_addr()?)
            }
            Socket::Unix(listener) => {
                listener.set_nonblocking(true)?;
                Endpoint::Unix(listener.local_addr()?)
            }
        };
        Ok(Listener {
            socket,
            endpoint,
            inherited,
            _file: file,
        })
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Whether a service manager passed it ([`Listener::inherited`]).
    pub fn is_inherited(&self) -> bool {
        self.inherited
    }

    /// Waits until a connection is there to accept (`true`) or `bell`
    /// rings (`false`). A failed wait says `false` too, so that the caller
    /// looks at the stop flag before trying again.
    fn wait_for_connection(&self, bell: &StopBell) -> bool {
        let fd = match &self.socket {
            Socket::Tcp(listener) => listener.as_raw_fd(),
            Socket::Unix(listener) => listener.as_raw_fd(),
        };
        let mut fds = [
            PollFd::new(fd, Interest::Read),
            PollFd::new(bell.hear.as_raw_fd(), Interest::Read),
        ];
        match poll::wait(&mut fds, None) {
            Ok(()) => fds[0].is_ready() && !fds[1].is_ready(),
            Err(_) => {
                std::thread::sleep(FD_BACKOFF);
                false
            }
        }
    }

    /// Takes the next connection, without waiting: `WouldBlock` when none
    /// is queued. The connection is in blocking mode, as connections are
    /// served. A Unix-socket client has no address worth keeping
    /// ([`Peer::Unix`]), so the one `accept` returns is dropped.
    ///
    /// # Errors
    ///
    /// The system's error, `WouldBlock` included; the accept loop decides
    /// which matter.
    pub fn accept(&self) -> io::Result<(Stream, Peer)> {
        let (stream, peer) = match &self.socket {
            Socket::Tcp(listener) => listener
                .accept()
                .map(|(stream, addr)| (Stream::Tcp(stream), Peer::Ip(addr)))?,
            Socket::Unix(listener) => listener
                .accept()
                .map(|(stream, _)| (Stream::Unix(stream), Peer::Unix))?,
        };
        // Linux's `accept4` gives a blocking socket whatever the listener's
        // mode; the BSDs and macOS pass the listener's flag on.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        stream.set_nonblocking(false)?;
        Ok((stream, peer))
    }
}

/// Accepts connections until `stop` is set and `bell` rung, passing each
/// to `dispatch`. Connections still queued then are left to the listener:
/// closed with it, or kept for the next start by the service manager that
/// passed it.
pub(crate) fn accept_loop(
    listener: &Listener,
    bell: &StopBell,
    stop: &AtomicBool,
    logger: &Logger,
    mut dispatch: impl FnMut(Stream, Peer),
) {
    loop {
        let connection_waiting = listener.wait_for_connection(bell);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        if !connection_waiting {
            continue;
        }
        match listener.accept() {
            Ok((stream, peer)) => dispatch(stream, peer),
            Err(e) if sys::is_fd_exhaustion(&e) => {
                logger.fd_exhausted(&format!(
                    "accept: {e}; pausing briefly (raise the open-file limit with ulimit -n)"
                ));
                std::thread::sleep(FD_BACKOFF);
            }
            // ECONNABORTED and friends: that one client is gone; carry on.
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpStream;

    #[test]
    fn a_unix_listener_says_where_it_is_and_takes_connections() {
        let dir = std::env::temp_dir().join(format!("hfs-listener-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let listener = Listener::bind(&Bind::Unix {
            path: path.clone(),
            mode: None,
        })
        .unwrap();
        assert!(!listener.is_inherited());
        assert_eq!(listener.endpoint().unix_path(), Some(path.as_path()));
        assert_eq!(listener.endpoint().tcp(), None);
        assert_eq!(
            listener.endpoint().to_string(),
            format!("unix:{}", path.display())
        );
        let _client = UnixStream::connect(&path).unwrap();
        let bell = StopBell::new().unwrap();
        assert!(listener.wait_for_connection(&bell));
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer, Peer::Unix);
        drop(listener);
        assert!(!path.exists(), "removed with the listener");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_tcp_listener_on_every_address_takes_loopback_connections() {
        let listener = Listener::bind(&Bind::Tcp("0.0.0.0:0".parse().unwrap())).unwrap();
        let Endpoint::Tcp(addr) = *listener.endpoint() else {
            panic!("tcp")
        };
        assert_ne!(addr.port(), 0, "the port chosen");
        let _client = TcpStream::connect(("127.0.0.1", addr.port())).unwrap();
        assert!(listener.wait_for_connection(&StopBell::new().unwrap()));
        let (stream, peer) = listener.accept().unwrap();
        assert!(peer.is_local());
        // Served with blocking reads and writes, whatever the listener's mode.
        let mut probe = [0u8; 1];
        stream
            .set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        let waited = (&stream).read(&mut probe).unwrap_err();
        assert!(
            matches!(
                waited.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{waited}"
        );
    }

    /// A connection `poll` saw can be gone when `accept` asks for it; a
    /// blocking `accept` would then wait for the next client, and no stop
    /// could end the loop meanwhile.
    #[test]
    fn accept_with_nothing_queued_does_not_wait() {
        let listener = Listener::bind(&Bind::Tcp("127.0.0.1:0".parse().unwrap())).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(listener.accept().map(drop).map_err(|e| e.kind()));
        });
        let answer = finished.recv_timeout(Duration::from_secs(30));
        assert_eq!(answer, Ok(Err(io::ErrorKind::WouldBlock)));
    }

    #[test]
    fn the_bell_ends_a_wait_with_nothing_queued_and_leaves_a_queue_alone() {
        let listener = Listener::bind(&Bind::Tcp("127.0.0.1:0".parse().unwrap())).unwrap();
        let bell = StopBell::new().unwrap();
        bell.ring();
        bell.ring();
        assert!(!listener.wait_for_connection(&bell), "rung, nothing queued");
        let stop = AtomicBool::new(true);
        let addr = listener.endpoint().tcp().unwrap();
        let queued = TcpStream::connect(addr).unwrap();
        let mut accepted = 0;
        accept_loop(&listener, &bell, &stop, &Logger::new(false), |_, _| {
            accepted += 1
        });
        assert_eq!(accepted, 0, "a stop takes nothing from the queue");
        drop(queued);
    }
}
