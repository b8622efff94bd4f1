//! The open connections, each marked idle (waiting between requests) or
//! busy, so that the server can close idle keep-alive connections first:
//! all of them at shutdown, and some of them when the pool is saturated
//! and a new client would otherwise wait behind them.
//!
//! Each connection's state is an atomic the connection flips itself without
//! taking a lock; the registry's lock is taken only when a connection opens
//! or closes and when idle connections are closed. Closing means shutting
//! the socket down, which ends the owner's blocking read at once.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

const IDLE: u8 = 0;
const BUSY: u8 = 1;
const CLOSING: u8 = 2;

struct Entry {
    stream: Arc<TcpStream>,
    state: Arc<AtomicU8>,
}

/// The set of open connections.
#[derive(Default)]
pub struct Registry {
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
}

/// A connection's membership; dropping it removes the connection.
pub struct Membership<'r> {
    registry: &'r Registry,
    id: u64,
    state: Arc<AtomicU8>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection (starting busy), sharing its socket so that
    /// the registry can shut it down.
    pub fn join(&self, stream: &Arc<TcpStream>) -> Membership<'_> {
        let handle = Arc::clone(stream);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // Busy until the connection itself says it is waiting: a fresh
        // connection's first request may already be on its way.
        let state = Arc::new(AtomicU8::new(BUSY));
        self.lock().insert(
            id,
            Entry {
                stream: handle,
                state: Arc::clone(&state),
            },
        );
        Membership {
            registry: self,
            id,
            state,
        }
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes up to `limit` idle connections; returns how many.
    pub fn close_idle(&self, limit: usize) -> usize {
        let entries = self.lock();
        let mut closed = 0;
        for entry in entries.values() {
            if closed == limit {
                break;
            }
            let claimed = entry
                .state
                .compare_exchange(IDLE, CLOSING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if claimed {
                let _ = entry.stream.shutdown(Shutdown::Both);
                closed += 1;
            }
        }
        closed
    }

    /// Shuts every connection down, busy or not (the drain deadline passed).
    pub fn close_all(&self) {
        for entry in self.lock().values() {
            entry.state.store(CLOSING, Ordering::Release);
            let _ = entry.stream.shutdown(Shutdown::Both);
        }
    }
}

impl Membership<'_> {
    /// Marks the connection busy (a request has started). Returns false if
    /// it was already chosen for closing: the caller should stop.
    pub fn set_busy(&self) -> bool {
        self.state
            .compare_exchange(IDLE, BUSY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            || self.state.load(Ordering::Acquire) == BUSY
    }

    /// Marks the connection idle (waiting for the next request).
    pub fn set_idle(&self) {
        let _ = self
            .state
            .compare_exchange(BUSY, IDLE, Ordering::AcqRel, Ordering::Acquire);
    }
}

impl Drop for Membership<'_> {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn closing_idle_spares_busy_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _c1 = TcpStream::connect(addr).unwrap();
        let _c2 = TcpStream::connect(addr).unwrap();
        let idle = Arc::new(listener.accept().unwrap().0);
        let busy = Arc::new(listener.accept().unwrap().0);
        let registry = Registry::default();
        let idle_member = registry.join(&idle);
        let busy_member = registry.join(&busy);
        assert_eq!(registry.close_idle(10), 0, "connections start busy");
        idle_member.set_idle();
        assert!(busy_member.set_busy());
        assert_eq!(registry.close_idle(10), 1);
        let mut byte = [0u8; 1];
        assert_eq!(
            (&*idle).read(&mut byte).unwrap(),
            0,
            "the idle socket was shut down"
        );
        assert!(
            !idle_member.set_busy(),
            "a closed connection cannot become busy"
        );
        assert_eq!(registry.len(), 2);
        drop(idle_member);
        drop(busy_member);
        assert!(registry.is_empty());
    }
}
