//! `cargo run --example echo [ADDR]`: reading a request body.
//!
//! Teaches: the body is a `Read` that handles Content-Length and chunked
//! framing (and `Expect: 100-continue`) for you; `read_to_vec` collects it
//! with a limit, and a body over the limit is answered with 413. Try:
//!
//! ```text
//! curl --data-binary 'hello' http://127.0.0.1:8080/echo
//! curl -H 'Transfer-Encoding: chunked' --data-binary @README.md http://127.0.0.1:8080/echo
//! head -c 2000000 /dev/zero | curl --data-binary @- http://127.0.0.1:8080/echo   # 413
//! ```

use http_from_scratch::config::{Bind, ServerConfig};
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;
use http_from_scratch::server::Server;

/// Bodies larger than this are refused.
pub const ECHO_LIMIT: u64 = 1024 * 1024;

/// The routes, separate from `main` so tests can serve them in-process.
pub fn router() -> Router {
    Router::new().post("/echo", |req: &mut Request<'_>| {
        let content_type = req
            .fields()
            .get_str("content-type")
            .unwrap_or("application/octet-stream")
            .to_string();
        match req.body().read_to_vec(ECHO_LIMIT) {
            Ok(body) => {
                let echoed = Response::bytes(Status::OK, "application/octet-stream", body);
                // Echo the type back only if it is a plain, valid value.
                echoed
                    .try_header("X-Echoed-Content-Type", content_type)
                    .unwrap_or_else(|_| Response::error(Status::BAD_REQUEST))
            }
            Err(e) => Response::error(e.status()),
        }
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
