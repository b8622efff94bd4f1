//! End-to-end tests over real loopback sockets: raw bytes in, raw status
//! lines and headers out. One test binary, one module per area.

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
mod support;
mod wire;
