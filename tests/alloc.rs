//! The hot path allocates nothing: after warm-up requests have warmed the
//! connection, the workers and the small-file cache, further keep-alive GETs
//! of a small file make no heap allocation at all, though the connection
//! parks in the poller between them. Its own test binary,
//! because the counting allocator sees every thread of the process.

use http_from_scratch::config::ServerConfig;
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

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is an atomic and allocates nothing itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Reads one response whose length is known in advance into `buf`, without
/// allocating.
fn read_exactly(stream: &mut TcpStream, buf: &mut [u8]) {
    stream.read_exact(buf).unwrap();
}

#[test]
fn keep_alive_gets_of_a_cached_small_file_do_not_allocate() {
    let dir = std::env::temp_dir().join(format!("hfs-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.txt"), vec![b'x'; 1024]).unwrap();
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        access_log: false,
        ..ServerConfig::default()
    };
    let router = Router::new().mount("/", FileServer::new(FilesConfig::new(&dir).unwrap()));
    let server = Server::bind(config, router).unwrap();
    let addr = server.local_addr();
    let shutdown = server.shutdown_handle();
    let thread = std::thread::spawn(move || server.run());

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
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..rounds {
        stream.write_all(request).unwrap();
        read_exactly(&mut stream, &mut response);
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    // The Date header is re-formatted when the second changes (one String
    // per second per thread); nothing else may allocate.
    assert!(
        allocations <= 4,
        "{allocations} allocations for {rounds} requests"
    );

    drop(stream);
    shutdown.shutdown();
    thread.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
