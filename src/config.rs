//! Server settings: where the server listens ([`Bind`]), and every limit
//! and timeout of the connection and the parser, named, with its default
//! and the status a client sees when it is crossed. (The file server's own
//! limits live with its settings.)
//!
//! This module only holds values (and says which socket modes make sense,
//! for the command line and the listener to agree). The command line is
//! turned into these values by `cli`. The [`Limits`] are checked by the
//! parser (`http::parse`, `http::headers`, `http::body`), the request body
//! reader and the connection; the [`Timeouts`] are kept by the connection
//! and the server, which also reads the caps on threads, queued requests
//! and connections.
//! Keeping every such number in one place is what lets README's limits
//! table stay true. Sizes that only tune the machinery (buffer sizes, how
//! many answers are batched, how often a thread looks) stay beside the code
//! they tune, as named constants: no client can tell them apart from
//! outside.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Size limits on what a client may send. Each is checked before the buffer
/// that would hold the excess grows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line, CRLF excluded. Over it: 414 URI Too Long.
    pub max_request_line: usize,
    /// Longest request head (request line, fields and the empty line).
    /// Over it: 431 Request Header Fields Too Large.
    pub max_head_bytes: usize,
    /// Longest single field line. Over it: 431.
    pub max_field_line: usize,
    /// Most field lines in one head (trailers included). Over it: 431.
    pub max_fields: usize,
    /// Largest request body a handler may be given, by Content-Length or
    /// decoded chunked size. Over it: 413 Content Too Large.
    pub max_body_bytes: u64,
    /// Largest unread body the server reads and throws away to keep a
    /// connection alive; a larger one closes the connection instead.
    pub max_drain_bytes: u64,
    /// Longest chunk-size line, extensions included. Over it: 400.
    pub max_chunk_line: usize,
    /// Most bytes a closing connection reads and throws away while it
    /// lingers (see [`Timeouts::linger`]); past them it closes at once.
    pub max_linger_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_line: 8 * 1024,
            max_head_bytes: 16 * 1024,
            max_field_line: 8 * 1024,
            max_fields: 100,
            max_body_bytes: 16 * 1024 * 1024,
            max_drain_bytes: 64 * 1024,
            max_chunk_line: 1024,
            max_linger_bytes: 64 * 1024,
        }
    }
}

/// How long the server waits for a client at each stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole request head must arrive within this time of its first
    /// byte; trickling bytes does not extend it. Expired: 408 and close.
    pub head: Duration,
    /// How long a keep-alive connection may sit idle between requests
    /// before it is closed silently.
    pub keep_alive: Duration,
    /// Longest wait for the next piece of a request body. Expired: close.
    pub body_read: Duration,
    /// Longest wait for a client to accept more response bytes. Expired: close.
    pub write: Duration,
    /// On shutdown, how long requests in flight may take to finish before
    /// the server exits anyway.
    pub drain: Duration,
    /// Longest a connection with a request may wait in the queue for a
    /// worker when the pool is at its cap. Past it: 503 with Retry-After,
    /// and close.
    pub queue_wait: Duration,
    /// Bytes per second a response body must average once sending it has
    /// taken longer than `write`; a slower client is closed. (Waiting on a
    /// slow client costs no worker, but it holds a descriptor and a file.)
    pub min_send_rate: u64,
    /// Keep-alive timeout used instead of `keep_alive` while three quarters
    /// of `max_connections` are open, so idle clients make way for new ones.
    pub keep_alive_under_pressure: Duration,
    /// Once the server is stopping, a head still arriving gets at most this
    /// long (from when the stop began, or from its first byte), so that it
    /// cannot hold up the drain. Expired: 408 and close.
    pub head_while_stopping: Duration,
    /// Longest wait for each next piece of a body the handler left unread,
    /// which the server reads and throws away (up to
    /// [`Limits::max_drain_bytes`]) so the connection can carry another
    /// request; the whole of it gets twice this. Expired: close.
    pub unread_body: Duration,
    /// How long a closing connection keeps reading (and throwing away) what
    /// the client still sends, so that the kernel does not answer unread
    /// bytes with a reset that destroys the last response.
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            head: Duration::from_secs(15),
            keep_alive: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            write: Duration::from_secs(30),
            drain: Duration::from_secs(10),
            queue_wait: Duration::from_secs(2),
            min_send_rate: 1024,
            keep_alive_under_pressure: Duration::from_secs(1),
            head_while_stopping: Duration::from_secs(1),
            unread_body: Duration::from_secs(1),
            linger: Duration::from_millis(500),
        }
    }
}

/// Default port, as `python3 -m http.server` uses 8000 and many dev servers 8080.
pub const DEFAULT_PORT: u16 = 8080;

/// Default cap on worker threads, and so on requests in progress at once.
/// Connections that wait between requests hold no thread.
pub const DEFAULT_MAX_THREADS: usize = 1024;

/// File descriptors kept back from the open-file limit when the default
/// `max_connections` is derived from it: for files being served, listings,
/// the listener and the poller.
pub const CONNECTION_FD_RESERVE: usize = 64;

/// Default bound on connections waiting for a worker.
pub const DEFAULT_MAX_QUEUED: usize = 64;

/// How access log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `host - user [time] "request" status bytes`.
    #[default]
    Common,
    /// Common, then `"referer" "user-agent"`.
    Combined,
    /// `{"time":...,"peer":...,...}`, one object per line.
    Json,
}

impl LogFormat {
    /// The format named `common`, `combined` or `json`.
    pub fn from_name(name: &str) -> Option<LogFormat> {
        match name {
            "common" => Some(LogFormat::Common),
            "combined" => Some(LogFormat::Combined),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Which system interface parked connections wait in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollerKind {
    /// `epoll` on Linux, `poll(2)` on other Unix systems.
    #[default]
    Best,
    /// `poll(2)` everywhere: the portable one (the tests run it on Linux
    /// too, so it cannot rot).
    Poll,
}

/// Where the server listens. (A socket passed by a service manager is not
/// bound from a setting: see `server::listener::Listener::inherited`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// A TCP address, IPv4 or IPv6; port 0 asks the OS for a free port.
    Tcp(SocketAddr),
    /// A Unix domain socket at `path`, for a proxy on the same machine. A
    /// stale socket file there (nobody answers on it) is replaced; anything
    /// else there is an error. The file is removed when the server stops,
    /// if it is still the one the server made.
    Unix {
        /// Where the socket file goes.
        path: PathBuf,
        /// The file's permission bits (`0o660`), set as soon as it is made;
        /// `None`: what the umask leaves of `0o777` (see
        /// [`check_socket_mode`]).
        mode: Option<u32>,
    },
}

impl Default for Bind {
    fn default() -> Bind {
        Bind::Tcp(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            DEFAULT_PORT,
        ))
    }
}

/// `127.0.0.1:8080`, `[::1]:8080` or `unix:/run/site.sock`, as the
/// command line takes it and error messages show it.
impl fmt::Display for Bind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bind::Tcp(addr) => write!(f, "{addr}"),
            Bind::Unix { path, .. } => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Whether `mode` suits a Unix socket file: permission bits only (at most
/// `0o777`; the set-id and sticky bits mean nothing on a socket).
///
/// # Errors
///
/// Why the mode does not suit, in words for the person who chose it.
pub fn check_socket_mode(mode: u32) -> Result<(), &'static str> {
    if mode > 0o777 {
        Err("only permission bits (at most 777) apply to a socket")
    } else {
        Ok(())
    }
}

/// Everything the server needs that is not about what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen: a TCP address or a Unix socket's path.
    pub bind: Bind,
    /// Most worker threads, and so most requests in progress at once.
    pub max_threads: usize,
    /// Most connections with a request waiting for a worker when all are
    /// busy; more get 503.
    pub max_queued: usize,
    /// Most open connections; past it a new one gets 503 and is closed.
    /// `None`: the open-file limit less [`CONNECTION_FD_RESERVE`].
    pub max_connections: Option<usize>,
    /// Where waiting connections park.
    pub poller: PollerKind,
    /// Size limits on requests.
    pub limits: Limits,
    /// Timeouts at each stage of a connection.
    pub timeouts: Timeouts,
    /// Whether to write one access log line per request.
    pub access_log: bool,
    /// The access log's format.
    pub log_format: LogFormat,
    /// A file the access log is appended to (opened again on SIGHUP after
    /// `server::reopen_log_on_sighup`); `None`: stdout.
    pub log_file: Option<PathBuf>,
    /// Header fields added to every response, the server's own error
    /// responses included (the binary's `-H`).
    pub extra_headers: Vec<(String, String)>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            bind: Bind::default(),
            max_threads: DEFAULT_MAX_THREADS,
            max_queued: DEFAULT_MAX_QUEUED,
            max_connections: None,
            poller: PollerKind::Best,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            access_log: true,
            log_format: LogFormat::Common,
            log_file: None,
            extra_headers: Vec::new(),
        }
    }
}
