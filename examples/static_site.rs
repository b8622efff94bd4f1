//! `cargo run --example static_site [DIR] [ADDR]`: files and an API on one
//! server.
//!
//! Teaches: mounting the same `FileServer` the binary uses at `/`, next to
//! API routes. Routes are tried first; the mount takes everything else.
//! Try `curl http://127.0.0.1:8080/api/status` and open the root in a browser.

use http_from_scratch::config::{Bind, ServerConfig};
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::http::date;
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;
use http_from_scratch::server::Server;
use std::path::Path;
use std::time::SystemTime;

/// Files from `root` at `/`, and a small JSON API under `/api`.
pub fn router(root: &Path) -> std::io::Result<Router> {
    let files = FileServer::new(FilesConfig::new(root)?);
    Ok(Router::new()
        .get("/api/status", |_: &mut Request<'_>| {
            let now = date::unix_seconds(SystemTime::now());
            // No serde: the handler writes its JSON text itself.
            Response::json(Status::OK, format!("{{\"ok\":true,\"time\":{now}}}\n"))
        })
        .mount("/", files))
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| ".".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let config = ServerConfig {
        bind: Bind::Tcp(addr.parse().expect("ADDR like 127.0.0.1:8080")),
        ..ServerConfig::default()
    };
    let server = Server::bind(config, router(Path::new(&root))?)?;
    println!("Serving {root} and /api at http://{}/", server.local_addr());
    server.run()?;
    Ok(())
}
