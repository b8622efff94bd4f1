//! `cargo run --example stream [ADDR]`: a response that is written while it
//! is being produced.
//!
//! Teaches: `Response::stream` takes any `Read`; the writer sends it with
//! chunked encoding to HTTP/1.1 clients (each piece as soon as it is read)
//! and delimits it by closing the connection for HTTP/1.0 clients. Try
//! `curl -N http://127.0.0.1:8080/clock` and watch the ticks arrive, or
//! `curl -N 'http://127.0.0.1:8080/clock?ticks=10&interval_ms=200'`.

use http_from_scratch::config::ServerConfig;
use http_from_scratch::http::date;
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;
use http_from_scratch::server::Server;
use std::io::{self, Read};
use std::time::{Duration, SystemTime};

/// A reader that yields one line per tick, waiting between ticks.
pub struct Clock {
    ticks_left: u32,
    interval: Duration,
    pending: Vec<u8>,
    first: bool,
}

impl Clock {
    /// A clock of `ticks` lines, `interval` apart.
    pub fn new(ticks: u32, interval: Duration) -> Clock {
        Clock {
            ticks_left: ticks,
            interval,
            pending: Vec::new(),
            first: true,
        }
    }
}

impl Read for Clock {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            if self.ticks_left == 0 {
                return Ok(0);
            }
            if !self.first {
                std::thread::sleep(self.interval);
            }
            self.first = false;
            self.ticks_left -= 1;
            let now = date::format_imf_fixdate(date::unix_seconds(SystemTime::now()));
            self.pending = format!("tick {} at {now}\n", self.ticks_left).into_bytes();
        }
        let n = self.pending.len().min(out.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// The routes, separate from `main` so tests can serve them in-process.
pub fn router() -> Router {
    Router::new().get("/clock", |req: &mut Request<'_>| {
        let mut ticks = 5;
        let mut interval_ms = 1000;
        for (key, value) in req.query_pairs() {
            match (key.as_str(), value.parse::<u32>()) {
                ("ticks", Ok(n)) if n <= 100 => ticks = n,
                ("interval_ms", Ok(n)) if n <= 10_000 => interval_ms = n,
                _ => {}
            }
        }
        let clock = Clock::new(ticks, Duration::from_millis(u64::from(interval_ms)));
        Response::stream(Status::OK, "text/plain; charset=utf-8", clock)
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
