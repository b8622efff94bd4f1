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
//! `accept` blocks, and std offers no way to interrupt it. To stop, the
//! shutdown handle sets the flag and then connects to the listener itself
//! ([`wake`]), which wakes `accept`; the loop sees the flag and returns
//! (DESIGN.md, "Stopping"). That connection can miss: a Unix socket's
//! file may have been removed, or replaced by another server's, since it
//! was bound. So the loop waits for a connection (`poll`) at most
//! [`STOP_LOOK`] at a time before it looks at the flag again, and a stop
//! ends it within that even then. Errors from `accept` never end the loop:
//! running out of file descriptors is logged once and waited out briefly,
//! since connections that close will free some.

use crate::config::{check_socket_mode, Bind};
use crate::log::Logger;
use crate::server::socket_file::{self, SocketFile};
use crate::socket::{Peer, Stream};
use crate::sys::poll::{self, PollFd};
use crate::sys::{self, Family, Interest};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::io::{AsFd, AsRawFd};
use std::os::unix::net::{SocketAddr as UnixAddr, UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long to pause after accept fails for lack of file descriptors.
const FD_BACKOFF: Duration = Duration::from_millis(50);

/// The longest the accept loop waits for a connection before it looks at
/// the stop flag again: how late a stop can be when its wake-up connection
/// cannot reach the listener. Costs one `poll` per accepted connection,
/// and a wake-up a second while idle.
pub const STOP_LOOK: Duration = Duration::from_secs(1);

/// A listening socket, TCP or Unix, bound here or passed by a service
/// manager.
#[derive(Debug)]
pub struct Listener {
    // Declared first, so it is closed before its file is removed.
    socket: Socket,
    endpoint: Endpoint,
    inherited: bool,
    /// The socket file this listener made, held only to be removed when
    /// the listener is dropped.
    _file: Option<SocketFile>,
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

    /// Puts a listener together: the accept loop needs it blocking (a
    /// passed socket may come non-blocking; the flag is shared with the
    /// service manager's copy, which only waits for readiness on it and so
    /// does not mind), and its endpoint is asked once, here.
    fn new(socket: Socket, inherited: bool, file: Option<SocketFile>) -> io::Result<Listener> {
        let endpoint = match &socket {
            Socket::Tcp(listener) => {
                listener.set_nonblocking(false)?;
                Endpoint::Tcp(listener.local_addr()?)
            }
            Socket::Unix(listener) => {
                listener.set_nonblocking(false)?;
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

    /// Waits up to `timeout` for a connection to be there to accept;
    /// whether one is. A failed wait says yes, so that `accept` decides.
    fn wait_for_connection(&self, timeout: Duration) -> bool {
        let fd = match &self.socket {
            Socket::Tcp(listener) => listener.as_raw_fd(),
            Socket::Unix(listener) => listener.as_raw_fd(),
        };
        let mut fds = [PollFd::new(fd, Interest::Read)];
        poll::wait(&mut fds, Some(timeout)).map_or(true, |()| fds[0].is_ready())
    }

    /// Waits for the next connection. A Unix-socket client has no address
    /// worth keeping ([`Peer::Unix`]), so the one `accept` returns is
    /// dropped; nothing more is asked of the system.
    ///
    /// # Errors
    ///
    /// The system's error; the accept loop decides which matter.
    pub fn accept(&self) -> io::Result<(Stream, Peer)> {
        match &self.socket {
            Socket::Tcp(listener) => listener
                .accept()
                .map(|(stream, addr)| (Stream::Tcp(stream), Peer::Ip(addr))),
            Socket::Unix(listener) => listener
                .accept()
                .map(|(stream, _)| (Stream::Unix(stream), Peer::Unix)),
        }
    }
}

/// Accepts connections until `stop` is set, passing each to `dispatch`.
pub fn accept_loop(
    listener: &Listener,
    stop: &AtomicBool,
    logger: &Logger,
    mut dispatch: impl FnMut(Stream, Peer),
) {
    loop {
        // Not a blocking `accept` straight away: the wake-up may never come.
        // A connection that is there is taken even when stopping, since it
        // may be the wake-up, which must not be left queued in a passed
        // socket for the next start.
        if !listener.wait_for_connection(STOP_LOOK) {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            continue;
        }
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
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

/// Wakes an `accept` blocked on `endpoint` by connecting to it (the
/// connection is dropped at once). A TCP listener bound to `0.0.0.0` or
/// `::` is reached through loopback; a Unix one through its path (or
/// abstract name).
///
/// # Errors
///
/// The connect error: the listener is gone already (which is what a stop
/// wants), or the socket's permissions do not let this process connect.
pub fn wake(endpoint: &Endpoint) -> io::Result<()> {
    match endpoint {
        Endpoint::Tcp(addr) => {
            TcpStream::connect_timeout(&wake_address(*addr), Duration::from_secs(1)).map(drop)
        }
        Endpoint::Unix(addr) => UnixStream::connect_addr(addr).map(drop),
    }
}

/// A listener bound to 0.0.0.0 or :: is reached through loopback.
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let mut wake = addr;
    if addr.ip().is_unspecified() {
        wake.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    wake
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unix_listener_says_where_it_is_and_is_woken_through_its_path() {
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
        wake(listener.endpoint()).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer, Peer::Unix);
        drop(listener);
        assert!(!path.exists(), "removed with the listener");
        assert!(wake(&Endpoint::Unix(UnixAddr::from_pathname(&path).unwrap())).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_tcp_listener_on_every_address_is_woken_through_loopback() {
        let listener = Listener::bind(&Bind::Tcp("0.0.0.0:0".parse().unwrap())).unwrap();
        let Endpoint::Tcp(addr) = *listener.endpoint() else {
            panic!("tcp")
        };
        assert_ne!(addr.port(), 0, "the port chosen");
        wake(listener.endpoint()).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert!(peer.is_local());
    }

    #[test]
    fn a_mode_the_owner_cannot_connect_through_is_refused() {
        let bind = Bind::Unix {
            path: "unused.sock".into(),
            mode: Some(0o444),
        };
        let err = Listener::bind(&bind).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!Path::new("unused.sock").exists());
    }
}
