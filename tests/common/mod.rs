//! Helpers shared by the test crates: a server on 127.0.0.1:0 over a
//! temporary directory, raw socket helpers, and a small response reader
//! that frames responses by their own headers (so tests see exactly what
//! went over the wire).

// Each test crate compiles its own copy of this module and uses a different
// subset of it; the rest would warn as unused in that crate.
#![allow(dead_code)]

use http_from_scratch::config::{Bind, PollerKind, ServerConfig};
use http_from_scratch::files::{FileServer, FilesConfig, FilesSettings};
use http_from_scratch::handler::Handler;
use http_from_scratch::router::Router;
use http_from_scratch::server::{Server, Shutdown, Summary};
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Generous: tests run on a loaded two-core machine.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("hfs-test-{}-{label}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A server running on its own thread until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Shutdown,
    thread: Option<JoinHandle<Summary>>,
}

impl TestServer {
    pub fn start(config: ServerConfig, handler: impl Handler + 'static) -> TestServer {
        let server = Server::bind(config, handler).expect("bind 127.0.0.1:0");
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.run().expect("server run"));
        TestServer {
            addr,
            shutdown,
            thread: Some(thread),
        }
    }

    /// Serves `root` as the binary does: a FileServer mounted at `/`.
    pub fn files(root: &Path) -> TestServer {
        TestServer::files_with(root, |_| {}, |_| {})
    }

    pub fn files_with(
        root: &Path,
        tweak_server: impl FnOnce(&mut ServerConfig),
        tweak_files: impl FnOnce(&mut FilesSettings),
    ) -> TestServer {
        let mut files = FilesConfig::new(root).unwrap();
        tweak_files(&mut files.settings);
        let mut config = test_config();
        tweak_server(&mut config);
        TestServer::start(config, Router::new().mount("/", FileServer::new(files)))
    }

    /// Stops the server gracefully and returns its summary once every
    /// worker has been joined.
    pub fn stop(mut self) -> Summary {
        self.shutdown.shutdown();
        let thread = self.thread.take().expect("running");
        thread.join().expect("server thread")
    }

    /// A handle to stop the server from another thread.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream
    }

    /// Sends `raw` on a fresh connection and reads one response.
    pub fn exchange(&self, raw: &[u8]) -> RawResponse {
        let mut stream = self.connect();
        stream.write_all(raw).unwrap();
        read_response(&mut stream, raw.starts_with(b"HEAD ")).expect("a response")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn test_config() -> ServerConfig {
    let mut config = ServerConfig {
        bind: Bind::Tcp("127.0.0.1:0".parse().unwrap()),
        access_log: false,
        ..ServerConfig::default()
    };
    // Short enough that a forgotten idle connection cannot stall shutdown
    // for long; long enough for a loaded machine.
    config.timeouts.keep_alive = Duration::from_secs(5);
    config.poller = poller_under_test();
    config
}

/// The poller the socket tests run on: the best one (epoll on Linux), or,
/// with `HFS_TEST_POLLER=poll` (as CI runs them a second time), the
/// portable `poll(2)` one.
pub fn poller_under_test() -> PollerKind {
    match std::env::var("HFS_TEST_POLLER").as_deref() {
        Ok("poll") => PollerKind::Poll,
        _ => PollerKind::Best,
    }
}

/// One response as received.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn status(&self) -> u16 {
        self.status_line[9..12].parse().unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response. `head_request` means no body follows whatever the
/// headers say. Errors if the connection closes before a status line.
pub fn read_response(stream: &mut impl Read, head_request: bool) -> io::Result<RawResponse> {
    let head = read_until_blank_line(stream)?;
    let text = String::from_utf8(head).map_err(|_| io::ErrorKind::InvalidData)?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header has a colon");
            (n.to_string(), v.trim().to_string())
        })
        .collect();
    let mut response = RawResponse {
        status_line,
        headers,
        body: Vec::new(),
    };
    let status = response.status();
    if head_request || status == 204 || status == 304 || status < 200 {
        return Ok(response);
    }
    if let Some(len) = response.header("content-length") {
        let mut body = vec![0u8; len.parse().unwrap()];
        stream.read_exact(&mut body)?;
        response.body = body;
    } else if response.header("transfer-encoding") == Some("chunked") {
        response.body = read_chunked(stream)?;
    } else {
        stream.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

fn read_until_blank_line(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(head)
}

fn read_chunked(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            stream.read_exact(&mut byte)?;
            line.push(byte[0]);
        }
        let size = usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
            .unwrap();
        if size == 0 {
            let mut end = [0u8; 2];
            stream.read_exact(&mut end)?;
            return Ok(body);
        }
        let mut chunk = vec![0u8; size + 2];
        stream.read_exact(&mut chunk)?;
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Whether the server closed the connection (EOF or reset). A read that
/// times out means the connection is still open, and answers false.
pub fn is_closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
    }
}

/// `GET path HTTP/1.1` with a Host header.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// A router for tests of busy workers: `/block` reports that it started and
/// then waits for a release (so a test knows a worker is busy without
/// guessing with sleeps), `/fast` answers at once, `/panic` panics, and
/// `POST /echo` answers with the request body.
pub fn blocking_router() -> (
    Router,
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::Sender<()>,
) {
    use http_from_scratch::http::status::Status;
    use http_from_scratch::request::Request;
    use http_from_scratch::response::Response;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let release_rx = Arc::new(Mutex::new(release_rx));
    let router = Router::new()
        .get("/block", move |_: &mut Request<'_>| {
            let _ = entered_tx.lock().unwrap().send(());
            let _ = release_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(60));
            Response::text(Status::OK, "released\n")
        })
        .get("/fast", |_: &mut Request<'_>| {
            Response::text(Status::OK, "fast\n")
        })
        .get("/panic", |_: &mut Request<'_>| -> Response {
            panic!("handler bug")
        })
        .post("/echo", |req: &mut Request<'_>| {
            match req.body().read_to_vec(1 << 20) {
                Ok(body) => Response::bytes(Status::OK, "application/octet-stream", body),
                Err(e) => Response::error(e.status()),
            }
        });
    (router, entered_rx, release_tx)
}
