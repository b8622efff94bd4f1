//! The open connections, so the server can count them (to refuse past
//! `max_connections`) and, when a drain runs out of time, shut every one of
//! them down, parked or busy.
//!
//! The registry shares each connection's socket; shutting a socket down
//! ends whatever its owner is doing with it (a blocking read or write
//! returns, a parked one becomes readable and closes). The lock is taken
//! only when a connection opens or closes, and at the end of a drain.

use crate::socket::Stream;
use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The set of open connections.
#[derive(Default)]
pub struct Registry {
    next_id: AtomicU64,
    open: AtomicUsize,
    sockets: Mutex<HashMap<u64, Arc<Stream>>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Stream>>> {
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection's socket; returns its id for [`Registry::leave`].
    pub fn join(&self, stream: &Arc<Stream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Arc::clone(stream));
        self.open.fetch_add(1, Ordering::Relaxed);
        id
    }

    /// Removes a connection that is closing.
    pub fn leave(&self, id: u64) {
        if self.lock().remove(&id).is_some() {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Number of open connections (without taking the lock).
    pub fn len(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shuts every connection down (the drain deadline passed).
    pub fn close_all(&self) {
        for stream in self.lock().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn counts_connections_and_shuts_them_all_down() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _c1 = TcpStream::connect(addr).unwrap();
        let _c2 = TcpStream::connect(addr).unwrap();
        let first = Arc::new(Stream::from(listener.accept().unwrap().0));
        let second = Arc::new(Stream::from(listener.accept().unwrap().0));
        let registry = Registry::default();
        let first_id = registry.join(&first);
        let second_id = registry.join(&second);
        assert_eq!(registry.len(), 2);
        registry.close_all();
        let mut byte = [0u8; 1];
        assert_eq!((&*first).read(&mut byte).unwrap(), 0, "shut down");
        assert_eq!((&*second).read(&mut byte).unwrap(), 0, "shut down");
        registry.leave(first_id);
        registry.leave(second_id);
        registry.leave(second_id);
        assert!(registry.is_empty());
    }
}
