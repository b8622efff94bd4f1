//! What every connection of a server shares, and the totals they keep.
//!
//! The server builds one [`ServerShared`] and each connection holds it; it
//! knows nothing of connections itself (so it sits below them), and holds
//! no policy beyond the one question every connection asks of it: is the
//! server under pressure.

use crate::config::ServerConfig;
use crate::handler::Handler;
use crate::log::Logger;
use crate::server::buffers::SpareBuffers;
use crate::server::registry::Registry;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What every connection shares: settings, the handler, the log, the
/// registry of open connections, the stop flag and the counters. (The
/// poller is shared too, but held beside this, since it holds the
/// connections themselves.)
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
    /// Buffers given back by connections parked idle.
    pub spare_buffers: SpareBuffers,
    /// Totals for the shutdown summary.
    pub counters: Counters,
    /// Set when the drain timeout has passed: streamed bodies still being
    /// written fail their next write, so that the stop does not wait on
    /// them.
    pub cut_off: AtomicBool,
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

impl ServerShared {
    /// Whether the server is stopping: connections finish their current
    /// response and close.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

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
