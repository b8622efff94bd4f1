//! End-to-end tests over real loopback sockets: raw bytes in, raw status
//! lines and headers out. One test binary, one module per area.

// A crate root in tests/it/ finds its modules beside it; the helpers shared
// with the other test crates are one level up.
#[path = "../common/mod.rs"]
mod common;

mod binary;
mod examples;
mod files;
mod library;
#[cfg(unix)]
mod parking;
mod pool;
mod resilience;
#[cfg(unix)]
mod security;
mod sockets;
mod watch;
mod wire;
