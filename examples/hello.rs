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

use http_from_scratch::config::ServerConfig;
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;
use http_from_scratch::server::Server;

/// The routes, separate from `main` so tests can serve them in-process.
pub fn router() -> Router {
    Router::new()
        .get("/", |_: &mut Request<'_>| {
            Response::text(Status::OK, "Hello from http-from-scratch!\n")
        })
        // `:name` matches one path segment, percent-decoded.
        .get("/hello/:name", |req: &mut Request<'_>| {
            let name = req.param("name").unwrap_or("stranger");
            Response::text(Status::OK, format!("Hello, {name}!\n"))
        })
        // Query pairs are decoded too, `+` read as a space.
        .get("/greet", |req: &mut Request<'_>| {
            let name = req
                .query_pairs()
                .into_iter()
                .find(|(key, _)| key == "name")
                .map_or_else(|| "stranger".to_string(), |(_, value)| value);
            Response::text(Status::OK, format!("Greetings, {name}!\n"))
        })
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let config = ServerConfig {
        addr: addr.parse().expect("ADDR like 127.0.0.1:8080"),
        ..ServerConfig::default()
    };
    let server = Server::bind(config, router())?;
    println!("Listening on http://{}/", server.local_addr());
    server.run()?;
    Ok(())
}
