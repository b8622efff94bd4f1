//! The server: a listening socket, an accept loop, a growing worker pool, and
//! one connection loop per client.
//!
//! Data flows one way: [`listener`] accepts, [`pool`] finds a thread,
//! [`connection`] reads, parses, calls the handler and writes; [`registry`]
//! knows which connections are idle so they can be closed first. This module
//! ties them together behind [`Server`] and the [`Shutdown`] handle, and owns
//! the overload and shutdown policies.

pub mod connection;
pub mod listener;
pub mod pool;
pub mod registry;

use crate::config::{ServerConfig, WORKER_STACK_BYTES};
use crate::http::status::Status;
use crate::http::version::Version;
use crate::log::Logger;
use crate::response::{render_extra_headers, write_response, Response, WriteContext};
use crate::router::Handler;
use registry::Registry;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every connection shares: settings, the handler, the log, the
/// registry of open connections, the stop flag and the counters.
pub struct ServerShared {
    /// The settings the server was built with.
    pub config: ServerConfig,
    /// The handler every request goes to (usually a `Router`).
    pub handler: Box<dyn Handler>,
    /// The access and error log.
    pub logger: Logger,
    /// Set when the server is stopping: connections finish their current
    /// response and close.
    pub stopping: AtomicBool,
    /// Open connections, idle or busy.
    pub registry: Registry,
    /// Connections being served right now (each holds a worker).
    pub active: AtomicUsize,
    /// Totals for the shutdown summary.
    pub counters: Counters,
    /// `config.extra_headers`, rendered once as header lines.
    pub extra_headers: Vec<u8>,
}

/// Running totals, reported when the server stops.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Responses written to requests (errors included).
    pub requests: AtomicU64,
    /// Connections refused with 503 because the pool was full.
    pub refused: AtomicU64,
    /// Handler panics turned into 500.
    pub panics: AtomicU64,
}

/// What [`Server::run`] reports once it has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub connections: u64,
    /// Responses written.
    pub requests: u64,
    /// Connections refused with 503.
    pub refused: u64,
    /// Handler panics.
    pub panics: u64,
    /// Connections still busy when the drain timeout ran out, cut off.
    pub cut_off: usize,
}

impl ServerShared {
    /// Whether three quarters of the workers are taken: idle keep-alive
    /// connections should then make way quickly.
    pub fn under_pressure(&self) -> bool {
        self.active.load(Ordering::Relaxed) * 4 >= self.config.max_threads * 3
    }
}

impl std::fmt::Debug for ServerShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerShared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// An HTTP server bound to its address, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<ServerShared>,
}

/// Stops a running server from another thread.
#[derive(Debug, Clone)]
pub struct Shutdown {
    shared: Arc<ServerShared>,
    local_addr: SocketAddr,
}

/// One accepted connection on its way to a worker.
type Accepted = (TcpStream, SocketAddr, Instant);

impl Server {
    /// Binds the listening socket. Port 0 picks a free port; see
    /// [`Server::local_addr`] for the one chosen.
    ///
    /// # Errors
    ///
    /// The bind error (address in use, permission denied, bad address), or
    /// `InvalidInput` if an extra header is not a valid field.
    pub fn bind(config: ServerConfig, handler: impl Handler + 'static) -> io::Result<Server> {
        let extra_headers = render_extra_headers(&config.extra_headers)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(config.addr)?;
        let local_addr = listener.local_addr()?;
        let logger = Logger::new(config.access_log);
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(ServerShared {
                config,
                handler: Box::new(handler),
                logger,
                stopping: AtomicBool::new(false),
                registry: Registry::default(),
                active: AtomicUsize::new(0),
                counters: Counters::default(),
                extra_headers,
            }),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops [`Server::run`] from another thread.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown {
            shared: Arc::clone(&self.shared),
            local_addr: self.local_addr,
        }
    }

    /// Serves until [`Shutdown::shutdown`] is called, then stops gracefully:
    /// the listener closes (new connections are refused), idle keep-alive
    /// connections close, requests in flight get up to the drain timeout to
    /// finish, and every worker is joined before this returns.
    ///
    /// # Errors
    ///
    /// None at present; the signature leaves room for fatal listener errors.
    pub fn run(self) -> io::Result<Summary> {
        let Server {
            listener, shared, ..
        } = self;
        let config = &shared.config;
        let worker_shared = Arc::clone(&shared);
        let pool = pool::Pool::new(
            config.max_threads,
            config.max_queued,
            WORKER_STACK_BYTES,
            move |(stream, peer, accepted_at): Accepted| {
                if accepted_at.elapsed() > worker_shared.config.timeouts.queue_wait {
                    // It waited too long in the queue; the client has been
                    // kept waiting enough. Say so and let it retry.
                    refuse(&worker_shared, stream);
                    return;
                }
                connection::serve(stream, peer, &worker_shared);
            },
        );
        listener::accept_loop(
            &listener,
            &shared.stopping,
            &shared.logger,
            |stream, peer| {
                shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                if pool.is_saturated() {
                    // Make room the cheap way first: an idle keep-alive client
                    // can reconnect later; the new one is here now.
                    shared.registry.close_idle(1);
                }
                if let Err((stream, _, _)) = pool.execute((stream, peer, Instant::now())) {
                    refuse(&shared, stream);
                }
            },
        );
        drop(listener);
        let cut_off = drain(&shared, &pool);
        // Dropping the pool closes its queue and joins every worker.
        drop(pool);
        let counters = &shared.counters;
        Ok(Summary {
            connections: counters.connections.load(Ordering::Relaxed),
            requests: counters.requests.load(Ordering::Relaxed),
            refused: counters.refused.load(Ordering::Relaxed),
            panics: counters.panics.load(Ordering::Relaxed),
            cut_off,
        })
    }
}

/// Closes idle connections as they become idle and waits for busy ones, up
/// to the drain timeout; then cuts off whatever is left. Returns how many
/// connections were cut off.
fn drain(shared: &ServerShared, pool: &pool::Pool<Accepted>) -> usize {
    // Polling, not a condition variable: the wait is short, happens once,
    // and keeps connections free of any shutdown bookkeeping.
    const POLL: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + shared.config.timeouts.drain;
    loop {
        shared.registry.close_idle(usize::MAX);
        let stats = pool.stats();
        if shared.registry.is_empty() && stats.queued == 0 && stats.threads == stats.idle {
            return 0;
        }
        if Instant::now() >= deadline {
            let left = shared.registry.len();
            shared.registry.close_all();
            return left;
        }
        std::thread::sleep(POLL);
    }
}

impl Shutdown {
    /// Stops accepting and starts the graceful stop described at
    /// [`Server::run`]. Returns at once; `run` returns when it is done.
    pub fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept (see listener.rs). If the connect fails the
        // listener is already gone, which is what we wanted.
        let wake = wake_address(self.local_addr);
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
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

/// Refuses a connection the pool has no room for: a short 503 with
/// `Retry-After`, written with a small write timeout so a client that does
/// not read cannot stall whoever is refusing it (often the accept thread).
fn refuse(shared: &ServerShared, stream: TcpStream) {
    shared.counters.refused.fetch_add(1, Ordering::Relaxed);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let response = Response::error(Status::SERVICE_UNAVAILABLE).with_header("Retry-After", "1");
    let ctx = WriteContext {
        version: Version::Http11,
        head_request: false,
        keep_alive: false,
        extra_headers: &shared.extra_headers,
    };
    let mut scratch = Vec::new();
    let mut writer = &stream;
    let _ = write_response(&mut writer, &mut scratch, response, ctx);
}
