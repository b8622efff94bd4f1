//! `cargo run --example hello [ADDR]`: the smallest useful server.
//!
//! Teaches: building a `Router` from closures, reading a path parameter and
//! the query string, and running a `Server`. Try:
//!
//! ```text
//! curl http://127.0.0.1:8080/
//! curl http://127.0.0.1:8080/hello/ada
//! curl 'http://127.0.0.1:8080/greet?name=Grace+Hopper'
//! curl -X POST http://127.0.0.1:8080/hello/ada   # 405, with Allow
//! ```

use http_from_scratch::config::Bind;
use http_from_scratch::{Response, Router, Server, ServerConfig, Status};

/// The routes, separate from `main` so tests can serve them in-process.
pub fn router() -> Router {
    Router::new()
        .get("/", |_req| {
            Response::text(Status::OK, "Hello from http-from-scratch!\n")
        })
        // `:name` matches one path segment, percent-decoded.
        .get("/hello/:name", |req| {
            let name = req.param("name").unwrap_or("stranger");
            Response::text(Status::OK, format!("Hello, {name}!\n"))
        })
        // Query values are decoded too, `+` read as a space.
        .get("/greet", |req| {
            let name = req.query_value("name").unwrap_or_else(|| "stranger".into());
            Response::text(Status::OK, format!("Greetings, {name}!\n"))
        })
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let config = ServerConfig {
        bind: Bind::Tcp(addr.parse().expect("ADDR like 127.0.0.1:8080")),
        ..ServerConfig::default()
    };
    let server = Server::bind(config, router())?;
    println!("Listening on http://{}/", server.local_addr());
    server.run()?;
    Ok(())
}
