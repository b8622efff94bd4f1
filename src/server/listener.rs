//! The accept loop: take connections off the listening socket and pass each
//! to the server, until the stop flag is set. (The server parks a new
//! connection in the poller until its first request arrives; a worker takes
//! it from there.)
//!
//! `accept` blocks, and std offers no way to interrupt it. To stop, the
//! shutdown handle sets the flag and then connects to the listener itself,
//! which wakes `accept`; the loop sees the flag and returns (DESIGN.md,
//! "Stopping"). Errors from `accept` never end the loop: running out of file
//! descriptors is logged once and waited out briefly, since connections that
//! close will free some.

use crate::log::Logger;
use crate::sys;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long to pause after accept fails for lack of file descriptors.
const FD_BACKOFF: Duration = Duration::from_millis(50);

/// Accepts connections until `stop` is set, passing each to `dispatch`.
pub fn accept_loop(
    listener: &TcpListener,
    stop: &AtomicBool,
    logger: &Logger,
    mut dispatch: impl FnMut(TcpStream, SocketAddr),
) {
    loop {
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
