//! The server: a listening socket, an accept loop, a growing worker pool for
//! requests in progress, and a poller where waiting connections park.
//!
//! Data flows one way: [`listener`] listens (on a TCP address, a Unix
//! socket whose file [`socket_file`] looks after, or a socket a service
//! manager passed) and accepts until [`Shutdown`] sets the stop flag and
//! rings the accept loop's stop bell, and each new connection parks
//! in [`poller`] until its first bytes come. The idle workers of [`pool`]
//! take turns waiting on the poller (one leads and waits on the system for
//! all, the others follow); the one that takes a ready connection runs
//! [`connection`], which reads, parses, calls the handler and writes, and
//! parks again whenever it would wait. A connection whose deadline passes
//! is ended by whoever takes it from the poller. While every worker is
//! busy, a watchman thread looks at the poller in their place, so that
//! deadlines, the queue wait and the queue's bound still hold.
//! [`registry`] counts open connections and can shut them all down;
//! [`shared`] is what every connection holds (settings, handler, log,
//! counters) and [`buffers`] the memory each works in. This module ties
//! them together behind [`Server`] and the [`Shutdown`] handle, and owns the
//! overload and shutdown policies.

pub mod buffers;
pub mod connection;
pub mod listener;
#[cfg(unix)]
pub mod poller;
pub mod pool;
pub mod registry;
pub mod shared;
pub mod socket_file;

use crate::config::{ServerConfig, CONNECTION_FD_RESERVE};
use crate::handler::Handler;
use crate::log::Logger;
use crate::response::render_extra_headers;
use crate::socket::{Peer, Stream};
use buffers::SpareBuffers;
use connection::{Connection, ConnectionPoller, Overload, Waiting};
use listener::{Endpoint, Listener, StopBell};
use poller::Event;
use pool::Pool;
use registry::Registry;
use shared::{Counters, ServerShared};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// An HTTP server bound to its address, ready to [`run`](Server::run).
pub struct Server {
    listener: Listener,
    bell: Arc<StopBell>,
    shared: Arc<ServerShared>,
    poller: Arc<ConnectionPoller>,
}

/// Stops a running server from another thread.
#[derive(Debug, Clone)]
pub struct Shutdown {
    shared: Arc<ServerShared>,
    poller: Arc<ConnectionPoller>,
    bell: Arc<StopBell>,
}

impl Server {
    /// Binds the listening socket `config.bind` names: a TCP address (port
    /// 0 picks a free port; see [`Server::local_addr`] for the one chosen)
    /// or a Unix socket's path ([`Listener::bind`] says what happens to a
    /// file already there).
    ///
    /// # Errors
    ///
    /// The bind error (address in use, permission denied, bad address, a
    /// path that is not a socket), or `InvalidInput` if an extra header is
    /// not a valid field.
    pub fn bind(config: ServerConfig, handler: impl Handler + 'static) -> io::Result<Server> {
        let listener = Listener::bind(&config.bind)?;
        Server::from_listener(listener, config, handler)
    }

    /// A server on a listener made beforehand, such as the one a service
    /// manager passed ([`Listener::inherited`]); `config.bind` is not used.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if an extra header is not a valid field; the error
    /// from opening the log file or the poller.
    pub fn from_listener(
        listener: Listener,
        config: ServerConfig,
        handler: impl Handler + 'static,
    ) -> io::Result<Server> {
        let extra_headers = render_extra_headers(&config.extra_headers)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut logger = Logger::new(config.access_log).with_format(config.log_format);
        if let Some(path) = &config.log_file {
            logger = logger.to_file(path)?;
        }
        let max_connections = config
            .max_connections
            .unwrap_or_else(default_max_connections);
        Ok(Server {
            listener,
            bell: Arc::new(StopBell::new()?),
            poller: Arc::new(poller::Poller::new(config.poller)?),
            shared: Arc::new(ServerShared {
                config,
                handler: Box::new(handler),
                logger,
                stopping: AtomicBool::new(false),
                registry: Registry::default(),
                max_connections,
                spare_buffers: SpareBuffers::default(),
                counters: Counters::default(),
                cut_off: AtomicBool::new(false),
                extra_headers,
            }),
        })
    }

    /// Where the server listens: the TCP address actually bound, or the
    /// Unix socket's address.
    pub fn endpoint(&self) -> &Endpoint {
        self.listener.endpoint()
    }

    /// The TCP address actually bound (with the port chosen, for port 0):
    /// a shorthand for [`Server::endpoint`] on a TCP server.
    ///
    /// # Panics
    ///
    /// If the server listens on a Unix socket, which has no such address:
    /// ask [`Server::endpoint`] there.
    pub fn local_addr(&self) -> SocketAddr {
        self.endpoint().tcp().unwrap_or_else(|| {
            panic!(
                "Server::local_addr: this server listens on {}, not TCP; ask Server::endpoint",
                self.endpoint()
            )
        })
    }

    /// A handle that stops [`Server::run`] from another thread.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown {
            shared: Arc::clone(&self.shared),
            poller: Arc::clone(&self.poller),
            bell: Arc::clone(&self.bell),
        }
    }

    /// [`handle_signals`], then [`Server::run`]: serves until SIGINT
    /// (Ctrl-C), SIGTERM or [`Shutdown::shutdown`], then stops gracefully,
    /// as the binary does; a second signal ends the process at once, with
    /// status 128 + the signal's number. (Call [`handle_signals`] yourself
    /// before [`Server::bind`] too, so that a signal sent while starting
    /// counts.)
    ///
    /// # Errors
    ///
    /// As [`Server::run`].
    pub fn run_until_signal(self) -> io::Result<Summary> {
        handle_signals();
        self.run()
    }

    /// Serves until [`Shutdown::shutdown`] is called (or, once
    /// [`handle_signals`] has been called, SIGINT or SIGTERM arrives), then
    /// stops gracefully: the listener closes (new connections are refused,
    /// and a Unix socket's file is removed; on a socket a service manager
    /// passed, they wait for its next start instead), idle keep-alive
    /// connections close, requests in flight get up to the drain timeout
    /// to finish, and every thread is joined before this returns.
    /// Connections handed over ([`crate::Response::hand_over`]) are no
    /// longer the server's: their receiver ends them. Without
    /// [`handle_signals`] it leaves signals alone.
    ///
    /// # Errors
    ///
    /// None at present; the signature leaves room for fatal listener errors.
    pub fn run(self) -> io::Result<Summary> {
        if crate::sys::signal_handlers_installed() {
            let shutdown = self.shutdown_handle();
            std::thread::Builder::new()
                .name("http-signals".into())
                .spawn(move || stop_on_signal(&shutdown))?;
        }
        let Server {
            listener,
            bell,
            shared,
            poller,
        } = self;
        let config = &shared.config;
        let jobs: Arc<dyn pool::Jobs<Event<Box<Connection>>>> = poller.clone();
        let pool = Pool::new(config.max_threads, pool::WORKER_STACK_BYTES, jobs, work)?;
        let watch_done = AtomicBool::new(false);
        let cut_off = std::thread::scope(|scope| {
            let watchman = std::thread::Builder::new()
                .name("http-watch".into())
                .spawn_scoped(scope, || watch(&shared, &poller, &pool, &watch_done))?;
            listener::accept_loop(
                &listener,
                &bell,
                &shared.stopping,
                &shared.logger,
                |stream, peer| accept(&shared, &poller, stream, peer),
            );
            drop(listener);
            let cut_off = drain(&shared, &poller, &pool);
            watch_done.store(true, Ordering::SeqCst);
            watchman.thread().unpark();
            Ok::<usize, io::Error>(cut_off)
        })?;
        // Dropping the pool closes the poller and joins every worker; what
        // is still parked, or found and not taken, closes with the server.
        drop(pool);
        drop(poller.take_where(|_| true));
        drop(poller.take_events_where(|_| true));
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

/// Routes SIGINT and SIGTERM to a flag that [`Server::run`] watches from
/// then on, instead of their default of ending the process at once. Call it
/// first thing, before binding: a signal that comes while the program is
/// starting then stops the server as soon as it runs, gracefully.
pub fn handle_signals() {
    crate::sys::install_signal_handlers();
}

/// Makes SIGHUP open the access log file again (`ServerConfig::log_file`),
/// so `logrotate` can move it away, instead of ending the process. Call it
/// only when there is a log file: otherwise a closed terminal should still
/// stop the server.
pub fn reopen_log_on_sighup() {
    crate::sys::install_hangup_handler();
}

/// Signal handlers may only set a flag; this thread turns the flag into a
/// graceful shutdown, and ends when the server stops for another reason.
fn stop_on_signal(shutdown: &Shutdown) {
    const LOOK: Duration = Duration::from_millis(50);
    while !crate::sys::termination_requested() {
        if shutdown.shared.is_stopping() {
            return;
        }
        std::thread::sleep(LOOK);
    }
    shutdown
        .shared
        .logger
        .notice("Shutting down: finishing requests in flight (signal again to exit now)");
    shutdown.shutdown();
}

/// What a worker does with an event from the poller.
fn work(event: Event<Box<Connection>>) {
    match event {
        Event::Ready {
            item: mut connection,
            since,
            hangup,
        } => match connection.waiting() {
            Waiting::Linger { .. } => connection.continue_linger(),
            Waiting::Idle | Waiting::Head | Waiting::Write => {
                connection.ready_at = since;
                connection.peer_hung_up(hangup);
                connection.resume();
            }
        },
        Event::Expired(connection) => connection.expire(),
    }
}

/// A new connection parks until its first bytes arrive, like any
/// connection waiting for a request; an idle worker takes it from there.
/// Past `max_connections` it is refused with a 503 it can read (a lingering
/// close), without costing a worker.
fn accept(shared: &Arc<ServerShared>, poller: &Arc<ConnectionPoller>, stream: Stream, peer: Peer) {
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    if shared.registry.len() >= shared.max_connections {
        Box::new(Connection::refused(stream, peer, shared, poller))
            .refuse(Overload::TooManyConnections);
        return;
    }
    Box::new(Connection::accepted(stream, peer, shared, poller)).wait_for_first_request();
}

/// Keeps the rules that need someone watching while every worker is busy
/// (then no worker waits on the poller): deadlines still pass, connections
/// whose request waited past the queue wait get their 503, and more than
/// `max_queued` waiting requests are refused at once. Looks ten times a
/// second; does nothing while a worker is free.
fn watch(
    shared: &ServerShared,
    poller: &ConnectionPoller,
    pool: &Pool<Event<Box<Connection>>>,
    done: &AtomicBool,
) {
    const LOOK: Duration = Duration::from_millis(100);
    while !done.load(Ordering::SeqCst) {
        // Unparked when the server stops, so stopping does not wait for it.
        std::thread::park_timeout(LOOK);
        let saturated = pool.is_saturated();
        if !saturated && poller.waiting_events() == 0 {
            continue;
        }
        if saturated {
            poller.look_without_waiting();
        }
        let queue_wait = shared.config.timeouts.queue_wait;
        // Events no worker can take soon: expiries and lingering closes cost
        // no worker, so they are done here; stale requests are refused.
        let mut waiting = 0;
        let now_stale = poller.take_events_where(|event| match event {
            Event::Expired(_) => true,
            Event::Ready { item, since, .. } => match item.waiting() {
                Waiting::Linger { .. } => true,
                // A response under way is never refused; it waits its turn.
                Waiting::Write => false,
                Waiting::Idle | Waiting::Head => {
                    waiting += 1;
                    since.elapsed() > queue_wait
                        || (saturated && waiting > shared.config.max_queued)
                }
            },
        });
        for event in now_stale {
            match event {
                Event::Expired(connection) => connection.expire(),
                Event::Ready { item, .. } => match item.waiting() {
                    Waiting::Linger { .. } => item.continue_linger(),
                    Waiting::Idle | Waiting::Head => {
                        let why = if item.waited_too_long_in_queue() {
                            Overload::NoWorker
                        } else {
                            Overload::QueueFull
                        };
                        item.refuse(why);
                    }
                    // Not picked above; a response under way waits its turn.
                    Waiting::Write => poller.hand_over(item),
                },
            }
        }
    }
}

/// The default cap on open connections: what the open-file limit allows,
/// less a reserve for files being served and the listener.
fn default_max_connections() -> usize {
    let limit = crate::sys::open_file_limit().unwrap_or(u64::from(u16::MAX));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    limit.saturating_sub(CONNECTION_FD_RESERVE).max(1)
}

/// Waits for open connections to finish, up to the drain timeout; then
/// shuts down whatever is left. Returns how many were cut off. Idle
/// connections close at once, and a half-sent head gets
/// `head_while_stopping` at most.
fn drain(
    shared: &ServerShared,
    poller: &ConnectionPoller,
    pool: &Pool<Event<Box<Connection>>>,
) -> usize {
    // Polling, not a condition variable: the wait is short, happens once,
    // and keeps connections free of any shutdown bookkeeping.
    const POLL: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + shared.config.timeouts.drain;
    let heads_by = Instant::now() + shared.config.timeouts.head_while_stopping;
    poller.shorten_deadlines(heads_by, |c| c.waiting() == Waiting::Head);
    loop {
        // Also those that parked idle since the last look.
        drop(poller.take_where(|c| c.waiting() == Waiting::Idle));
        let stats = pool.stats();
        if shared.registry.is_empty() && stats.threads == stats.idle {
            return 0;
        }
        if Instant::now() >= deadline {
            shared.cut_off.store(true, Ordering::SeqCst);
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
        self.poller.wake();
        // The flag first: the accept loop looks at it when the bell rings.
        self.bell.ring();
    }
}
