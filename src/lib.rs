//! # http-from-scratch
//!
//! A small HTTP/1.1 server built from std's listening sockets up (TCP, or
//! a Unix domain socket for a proxy on the same machine), with no
//! dependencies, written to be read. It serves a directory from the command
//! line and is a library for writing handlers.
//!
//! ## How a request travels (and the reading order)
//!
//! 1. [`config`]: every limit and timeout, with the status it leads to.
//! 2. [`server`] and [`server::listener`]: the [`Server`] that ties the
//!    parts below together and owns the overload and shutdown policies;
//!    where it listens (a TCP address, a Unix socket's path with its file
//!    in [`server::socket_file`], or a socket a service manager passed),
//!    and the accept loop that hands each connection on as a
//!    [`socket::Stream`], TCP or Unix, with its [`socket::Peer`], until a
//!    stop rings its bell.
//! 3. [`server::poller`]: where waiting connections park, and how idle
//!    workers wait for the next ready one (leader and followers).
//! 4. [`server::pool`]: worker threads, grown on demand up to a cap.
//! 5. [`server::connection`]: one connection: read a head, parse, handle,
//!    drain, write, park while waiting ([`server::shared`] is what
//!    connections share, [`server::buffers`] the memory each works in).
//! 6. [`http::parse`]: bytes to a validated [`http::parse::RequestHead`]; a
//!    pure function, tested by tables and properties. Field-line syntax is
//!    in [`http::headers`], the reasons a head is refused in [`http::error`].
//! 7. [`http::body`]: how long the body is (RFC 9112 §6.3) and the chunked
//!    decoder; [`request`] wraps both in a `Read` for handlers.
//! 8. [`handler`] and [`router`]: the one trait between the server and what
//!    it serves; method and path to a handler; 404, 405, OPTIONS, HEAD.
//! 9. [`files`]: the static file handler the binary mounts at `/`; every
//!    file goes through one door, [`files::open`].
//! 10. [`response`] and [`outgoing`]: the response value, the writer that
//!     owns framing, and large bodies sent without waiting.
//! 11. [`log`]: the access log, the only place the library prints.
//! 12. [`server::registry`] and [`sys`]: counting open connections, and the
//!     one module allowed foreign calls (signals, the descriptor limit,
//!     `openat` and a socket file's mode, writing for uploads,
//!     `epoll`/`poll`, `sendfile`, `inotify`, and the socket a service
//!     manager passes).
//! 13. [`testing`] and [`json`]: for library users, a handler run without a
//!     socket, and JSON text escaped.
//! 14. [`auth`], with [`sha256`] and [`http::credentials`]: passwords (HTTP
//!     Basic) in front of any handler.
//! 15. [`watch`]: live reload (`--watch`): what changed, as inotify tells
//!     it (`watch::notify`, Linux) or found by looking at the tree again
//!     ([`watch::scan`]); the browsers' event streams, parked in a list
//!     with no worker each ([`watch::streams`]), which a response takes
//!     over from its connection ([`response::Response::hand_over`]); and
//!     the script, which [`files::inject`] puts into pages.
//!
//! Beside that path: [`cli`] (the command line, for the binary, whose
//! `main.rs` checks the directory, puts the handlers together and binds),
//! the vocabulary in [`http`] (methods, versions, statuses, dates, media
//! types, URIs, numbers, base64, multipart forms, download names), and the
//! parts of [`files`] (paths, the door, validators, ranges, negotiation,
//! listings and their shared renderings, the small-file cache, archives,
//! uploads, settings, `--check`, and the live-reload script put into
//! pages).
//!
//! ## Use as a library
//!
//! ```no_run
//! use http_from_scratch::config::Bind;
//! use http_from_scratch::{Response, Router, Server, ServerConfig, Status};
//!
//! let router = Router::new()
//!     .get("/", |_req| Response::text(Status::OK, "hello\n"))
//!     .get("/users/:id", |req| {
//!         let id: u64 = req.param_as("id")?; // 400 if it is not a number
//!         Ok(Response::text(Status::OK, format!("user {id}\n")))
//!     });
//! let config = ServerConfig { bind: Bind::Tcp("127.0.0.1:8080".parse().unwrap()), ..ServerConfig::default() };
//! Server::bind(config, router)?.run_until_signal()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Handlers can be tested without a socket with [`testing::TestRequest`];
//! README's "Use as a library" section tours the rest (nesting, state,
//! streaming, wrappers, shutdown).

#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod files;
pub mod handler;
pub mod http;
pub mod json;
pub mod log;
pub mod outgoing;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
pub mod sha256;
pub mod socket;
#[allow(unsafe_code)]
pub mod sys;
pub mod testing;
pub mod watch;

// The names nearly every program using the library needs, at the crate
// root, so that one `use` line brings them in.
pub use config::ServerConfig;
pub use files::{FileServer, FilesConfig};
pub use handler::Handler;
pub use http::method::Method;
pub use http::status::Status;
pub use request::Request;
pub use response::{IntoResponse, Response};
pub use router::Router;
pub use server::Server;

/// The README's code blocks, compiled as doctests so the library example
/// there cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
