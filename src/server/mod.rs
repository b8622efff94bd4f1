//! The server: a listening socket, an accept loop, a growing worker pool, and
//! one connection loop per client.
//!
//! Data flows one way: [`listener`] accepts, [`pool`] finds a thread,
//! [`connection`] reads, parses, calls the handler and writes. This module
//! ties them together behind [`Server`] and the [`Shutdown`] handle.

pub mod connection;
pub mod listener;
pub mod pool;

use crate::config::{ServerConfig, WORKER_STACK_BYTES};
use crate::http::status::Status;
use crate::log::Logger;
use crate::response::{write_response, Response, WriteContext};
use crate::router::Handler;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connections that may wait for a worker when every worker is busy.
pub const MAX_QUEUED_CONNECTIONS: usize = 64;

/// What every connection shares: settings, the handler, the log, the flag.
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

impl std::fmt::Debug for ServerShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerShared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds the listening socket. Port 0 picks a free port; see
    /// [`Server::local_addr`] for the one chosen.
    ///
    /// # Errors
    ///
    /// The bind error (address in use, permission denied, bad address).
    pub fn bind(config: ServerConfig, handler: impl Handler + 'static) -> io::Result<Server> {
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

    /// Serves until [`Shutdown::shutdown`] is called, then waits for every
    /// worker to finish its connection and returns.
    ///
    /// # Errors
    ///
    /// None at present; the signature leaves room for fatal listener errors.
    pub fn run(self) -> io::Result<()> {
        let config = &self.shared.config;
        let shared = Arc::clone(&self.shared);
        let pool = pool::Pool::new(
            config.max_threads,
            MAX_QUEUED_CONNECTIONS,
            WORKER_STACK_BYTES,
            move |(stream, peer): (TcpStream, SocketAddr)| {
                connection::serve(stream, peer, &shared);
            },
        );
        listener::accept_loop(
            &self.listener,
            &self.shared.stopping,
            &self.shared.logger,
            |stream, peer| {
                if let Err((stream, _)) = pool.execute((stream, peer)) {
                    refuse_overloaded(stream);
                }
            },
        );
        // Dropping the pool joins every worker.
        drop(pool);
        Ok(())
    }
}

impl Shutdown {
    /// Stops accepting, lets each connection finish the response it is
    /// writing, and makes `run` return once every worker has exited.
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

/// Refuses a connection the pool has no room for: a short 503 written from
/// the accept thread, with a small write timeout so a client that does not
/// read cannot stall accepting.
pub fn refuse_overloaded(stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let response = Response::error(Status::SERVICE_UNAVAILABLE).with_header("Retry-After", "1");
    let ctx = WriteContext {
        version: crate::http::version::Version::Http11,
        head_request: false,
        keep_alive: false,
    };
    let mut scratch = Vec::new();
    let mut writer = &stream;
    let _ = write_response(&mut writer, &mut scratch, response, ctx);
}
