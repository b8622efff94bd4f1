//! `cargo run --example stream [ADDR]`: a response that is written while it
//! is being produced.
//!
//! Teaches: `Response::stream_with` hands a function a writer; each `flush`
//! sends what was written so far, as one chunk to HTTP/1.1 clients, while
//! HTTP/1.0 clients get the bytes as they are and a close at the end. (Any
//! `Read` works too, with `Response::stream`.) Try
//! `curl -N http://127.0.0.1:8080/clock` and watch the ticks arrive, or
//! `curl -N 'http://127.0.0.1:8080/clock?ticks=10&interval_ms=200'`.

use http_from_scratch::config::Bind;
use http_from_scratch::http::date;
use http_from_scratch::{Response, Router, Server, ServerConfig, Status};
use std::io::Write;
use std::time::{Duration, SystemTime};

/// The routes, separate from `main` so tests can serve them in-process.
pub fn router() -> Router {
    Router::new().get("/clock", |req| {
        let ticks = match req.query_value("ticks").map(|n| n.parse::<u32>()) {
            Some(Ok(n)) if n <= 100 => n,
            _ => 5,
        };
        let interval_ms = match req.query_value("interval_ms").map(|n| n.parse::<u64>()) {
            Some(Ok(n)) if n <= 10_000 => n,
            _ => 1000,
        };
        Response::stream_with(Status::OK, "text/plain; charset=utf-8", move |out| {
            for left in (0..ticks).rev() {
                let now = date::format_imf_fixdate(date::unix_seconds(SystemTime::now()));
                writeln!(out, "tick {left} at {now}")?;
                out.flush()?;
                if left > 0 {
                    std::thread::sleep(Duration::from_millis(interval_ms));
                }
            }
            Ok(())
        })
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
    server.run_until_signal()?;
    Ok(())
}
