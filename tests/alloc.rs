//! Memory on the hot paths, counted by a counting allocator.
//!
//! The hot path allocates nothing: after warm-up requests have warmed the
//! connection, the workers and the small-file cache, further keep-alive GETs
//! of a small file make no heap allocation at all, though the connection
//! parks in the poller between them. Its own test binary,
//! because the counting allocator sees every thread of the process.

use http_from_scratch::config::{Bind, ServerConfig};
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::router::Router;
use http_from_scratch::server::Server;
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The counters see every thread of the process: one test at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is an atomic and allocates nothing itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A file server over `dir` on a free port, running on its own thread.
fn serve(
    dir: &std::path::Path,
) -> (
    std::net::SocketAddr,
    http_from_scratch::server::Shutdown,
    std::thread::JoinHandle<std::io::Result<http_from_scratch::server::Summary>>,
) {
    let config = ServerConfig {
        bind: Bind::Tcp("127.0.0.1:0".parse().unwrap()),
        access_log: false,
        ..ServerConfig::default()
    };
    let router = Router::new().mount("/", FileServer::new(FilesConfig::new(dir).unwrap()));
    let server = Server::bind(config, router).unwrap();
    let addr = server.local_addr();
    let shutdown = server.shutdown_handle();
    (addr, shutdown, std::thread::spawn(move || server.run()))
}

/// Threads in this process (Linux; elsewhere 0, which makes the
/// allocation bound strict).
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Reads one response whose length is known in advance into `buf`, without
/// allocating.
fn read_exactly(stream: &mut TcpStream, buf: &mut [u8]) {
    stream.read_exact(buf).unwrap();
}

#[test]
fn keep_alive_gets_of_a_cached_small_file_do_not_allocate() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("hfs-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.txt"), vec![b'x'; 1024]).unwrap();
    let (addr, shutdown, thread) = serve(&dir);

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    // Learn the response length from a first, warming request.
    stream.write_all(request).unwrap();
    let mut first = vec![0u8; 4096];
    let mut got = 0;
    let length = loop {
        got += stream.read(&mut first[got..]).unwrap();
        if let Some(end) = first[..got].windows(4).position(|w| w == b"\r\n\r\n") {
            if got >= end + 4 + 1024 {
                break end + 4 + 1024;
            }
        }
    };
    assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let mut response = vec![0u8; length];
    // More warm-up, so per-second date formatting has happened too, and the
    // pool has grown to the few workers that take turns with one client
    // (one parks the connection while the poller hands its next request to
    // another).
    for _ in 0..100 {
        stream.write_all(request).unwrap();
        read_exactly(&mut stream, &mut response);
    }

    let rounds = 200;
    let threads_before = threads();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..rounds {
        stream.write_all(request).unwrap();
        read_exactly(&mut stream, &mut response);
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
    let started = threads().saturating_sub(threads_before);
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    // The Date header is re-formatted when the second changes (one String
    // per second per thread). On a loaded machine the pool may also start a
    // worker, when a request arrives in the instant every worker is between
    // jobs; starting a thread allocates a few times. Nothing else may.
    assert!(
        allocations <= 4 + 10 * started,
        "{allocations} allocations for {rounds} requests ({started} threads started)"
    );

    drop(stream);
    shutdown.shutdown();
    thread.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads until the end of a response head, a byte at a time (so that no
/// body byte is taken from the socket), and returns the Content-Length.
fn read_head_only(stream: &mut TcpStream) -> usize {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap();
    length.trim().parse().unwrap()
}

/// Regression: each request for a listing rendered its own copy, so a few
/// hundred clients asking for a large directory (and not reading) held
/// gigabytes. The rendered page is shared: memory does not grow with the
/// number of clients asking.
#[test]
fn many_unread_requests_for_a_large_listing_share_one_rendered_page() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("hfs-listing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..10_000 {
        std::fs::write(
            dir.join(format!("a-file-with-a-longish-name-{i:06}.txt")),
            b"",
        )
        .unwrap();
    }
    let (addr, shutdown, thread) = serve(&dir);
    let connect = || {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
    };
    let request = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut first = connect();
    first.write_all(request).unwrap();
    let page = read_head_only(&mut first);
    assert!(page > 1_000_000, "a large page: {page}");

    let before = BYTES.load(Ordering::SeqCst);
    let clients: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = connect();
            stream.write_all(request).unwrap();
            assert_eq!(read_head_only(&mut stream), page);
            stream
        })
        .collect();
    let allocated = BYTES.load(Ordering::SeqCst) - before;
    // A render or two (the page is re-checked once a second), and a few
    // kilobytes per connection; a copy each would be 50 pages.
    assert!(
        allocated < 8 * page,
        "{allocated} bytes allocated for 50 requests of a {page}-byte page"
    );

    drop(clients);
    drop(first);
    shutdown.shutdown();
    thread.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression: an idle keep-alive connection kept the output buffer of its
/// last answer (its read buffer went back to a shared stock, its output
/// did not), about 1.3 KiB each. Memory held must not grow with the number
/// of idle clients beyond a small fixed cost each.
#[test]
fn an_idle_connection_holds_well_under_a_kilobyte_of_heap() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("hfs-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.txt"), vec![b'x'; 1024]).unwrap();
    let (addr, shutdown, thread) = serve(&dir);
    let request = b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    let one = |stream: &mut TcpStream| {
        stream.write_all(request).unwrap();
        read_head_only(stream);
        let mut body = [0u8; 1024];
        stream.read_exact(&mut body).unwrap();
    };
    // Warm up the pool, the cache and the stock of buffers.
    let mut warm: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for stream in &mut warm {
        one(stream);
    }
    let before = LIVE.load(Ordering::SeqCst);
    let clients = 300;
    let mut idle: Vec<TcpStream> = (0..clients)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    for stream in &mut idle {
        one(stream);
    }
    let held = LIVE.load(Ordering::SeqCst).saturating_sub(before);
    // Each answer is 1 KiB of body and its head; a connection that kept it
    // would hold that much more.
    assert!(
        held / clients < 1024,
        "{} bytes held per idle connection",
        held / clients
    );
    drop(idle);
    drop(warm);
    shutdown.shutdown();
    thread.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
