//! The server: a listening socket, an accept loop, a growing worker pool for
//! requests in progress, and a poller where waiting connections park.
//!
//! Data flows one way: [`listener`] accepts, [`pool`] finds a thread,
//! [`connection`] reads, parses, calls the handler and writes, and parks in
//! [`poller`] whenever it would wait; the poller thread hands it back to the
//! pool when its socket is ready, or ends it when its deadline passes.
//! [`registry`] counts open connections and can shut them all down. This
//! module ties them together behind [`Server`] and the [`Shutdown`] handle,
//! and owns the overload and shutdown policies.

pub mod connection;
pub mod listener;
#[cfg(unix)]
pub mod poller;
pub mod pool;
pub mod registry;

use crate::config::{ServerConfig, CONNECTION_FD_RESERVE, WORKER_STACK_BYTES};
use crate::http::status::Status;
use crate::log::Logger;
use crate::response::render_extra_headers;
use crate::router::Handler;
use connection::{Connection, SpareBuffers};
use pool::Pool;
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
    /// Open connections, parked or busy.
    pub registry: Registry,
    /// Past this many open connections, new ones are refused with 503.
    pub max_connections: usize,
    /// Where waiting connections park.
    #[cfg(unix)]
    pub poller: poller::Poller<Box<Connection>>,
    /// Buffers given back by connections parked idle.
    pub spare_buffers: SpareBuffers,
    /// Requests being served right now (each holds a worker).
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
    /// Connections refused with 503 (too many open, or no worker in time).
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
    /// Whether three quarters of the connections the server takes are
    /// open: idle keep-alive connections should then make way quickly.
    pub fn under_pressure(&self) -> bool {
        self.registry.len() * 4 >= self.max_connections * 3
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
        let max_connections = config
            .max_connections
            .unwrap_or_else(default_max_connections);
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(ServerShared {
                #[cfg(unix)]
                poller: poller::Poller::new(config.poller)?,
                config,
                handler: Box::new(handler),
                logger,
                stopping: AtomicBool::new(false),
                registry: Registry::default(),
                max_connections,
                spare_buffers: SpareBuffers::default(),
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
    /// finish, and every thread is joined before this returns.
    ///
    /// # Errors
    ///
    /// None at present; the signature leaves room for fatal listener errors.
    pub fn run(self) -> io::Result<Summary> {
        let Server {
            listener, shared, ..
        } = self;
        let config = &shared.config;
        let pool = Pool::new(
            config.max_threads,
            config.max_queued,
            WORKER_STACK_BYTES,
            Connection::resume,
        );
        let poller_done = AtomicBool::new(false);
        let cut_off = std::thread::scope(|scope| {
            #[cfg(unix)]
            std::thread::Builder::new()
                .name("http-poller".into())
                .spawn_scoped(scope, || park_loop(&shared, &pool, &poller_done))?;
            #[cfg(not(unix))]
            let _ = scope;
            listener::accept_loop(
                &listener,
                &shared.stopping,
                &shared.logger,
                |stream, peer| accept(&shared, &pool, stream, peer),
            );
            drop(listener);
            let cut_off = drain(&shared, &pool);
            poller_done.store(true, Ordering::SeqCst);
            #[cfg(unix)]
            shared.poller.wake();
            Ok::<usize, io::Error>(cut_off)
        })?;
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

/// A new connection goes straight to a worker: its first request is
/// usually already on its way. Past `max_connections` it is refused with a
/// 503 it can read (a lingering close), without costing a worker.
fn accept(
    shared: &Arc<ServerShared>,
    pool: &Pool<Box<Connection>>,
    stream: TcpStream,
    peer: SocketAddr,
) {
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    if shared.registry.len() >= shared.max_connections {
        Box::new(Connection::refused(stream, peer, shared)).refuse(Status::SERVICE_UNAVAILABLE);
        return;
    }
    dispatch(pool, Box::new(Connection::accepted(stream, peer, shared)));
}

/// Hands a connection with bytes to read to a worker, or refuses it when
/// every worker is busy and the queue is full.
fn dispatch(pool: &Pool<Box<Connection>>, mut connection: Box<Connection>) {
    connection.ready_at = Instant::now();
    if let Err(connection) = pool.execute(connection) {
        connection.refuse(Status::SERVICE_UNAVAILABLE);
    }
}

/// The poller thread: waits for parked connections to become ready or
/// expire, and acts on each. Also the one place that notices a connection
/// queued too long for a worker (it gets its 503 on time, whoever is busy)
/// and that closes idle connections once the server is stopping.
#[cfg(unix)]
fn park_loop(shared: &ServerShared, pool: &Pool<Box<Connection>>, done: &AtomicBool) {
    use connection::Waiting;
    /// How often the queue and the stop are looked at while either matters.
    const CHECK: Duration = Duration::from_millis(50);
    /// Otherwise the poller sleeps until a deadline or a wake-up.
    const QUIET: Duration = Duration::from_secs(60);
    let mut found = poller::Found::default();
    let mut stop_seen = false;
    while !done.load(Ordering::SeqCst) {
        let stopping = shared.stopping.load(Ordering::SeqCst);
        if stopping {
            // Idle connections close now (also those parked since the
            // last look); a half-sent head gets a second at most.
            drop(shared.poller.take_where(|c| c.waiting() == Waiting::Idle));
            if !stop_seen {
                stop_seen = true;
                let latest = Instant::now() + Duration::from_secs(1);
                shared
                    .poller
                    .shorten_deadlines(latest, |c| c.waiting() == Waiting::Head);
            }
        }
        let longest = if stopping || pool.stats().queued > 0 {
            CHECK
        } else {
            QUIET
        };
        if let Err(e) = shared.poller.wait(&mut found, longest) {
            shared.logger.error(&format!("poller: {e}"));
            std::thread::sleep(CHECK);
            continue;
        }
        for connection in found.ready.drain(..) {
            match connection.waiting() {
                Waiting::Linger { .. } => connection.continue_linger(),
                Waiting::Idle | Waiting::Head => dispatch(pool, connection),
            }
        }
        for connection in found.expired.drain(..) {
            connection.expire();
        }
        for connection in pool.take_where(|c| c.waited_too_long_in_queue()) {
            connection.refuse(Status::SERVICE_UNAVAILABLE);
        }
    }
    // Whatever is still parked closes with the server.
    drop(shared.poller.take_where(|_| true));
}

/// The default cap on open connections: what the open-file limit allows,
/// less a reserve for files being served and the listener.
fn default_max_connections() -> usize {
    let limit = crate::sys::open_file_limit().unwrap_or(u64::from(u16::MAX));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    limit.saturating_sub(CONNECTION_FD_RESERVE).max(1)
}

/// Waits for open connections to finish, up to the drain timeout; then
/// shuts down whatever is left. Returns how many were cut off. (Idle ones
/// are closed by the poller thread as soon as it sees the stop.)
fn drain(shared: &ServerShared, pool: &Pool<Box<Connection>>) -> usize {
    // Polling, not a condition variable: the wait is short, happens once,
    // and keeps connections free of any shutdown bookkeeping.
    const POLL: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + shared.config.timeouts.drain;
    loop {
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
        #[cfg(unix)]
        self.shared.poller.wake();
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
