//! A thread serves a request in progress, not a connection: connections
//! that wait (idle, half-sent heads, slow readers) park in the poller, and
//! the rules that need someone watching still hold while every worker is
//! busy. Run with `HFS_TEST_POLLER=poll` too (CI does), so the portable
//! poller passes the same tests.

use crate::common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Room for `connections` loopback connections in this process (both ends
/// live here); fewer if the descriptor limit will not allow them.
fn affordable(connections: usize) -> usize {
    let limit = http_from_scratch::sys::raise_fd_limit().unwrap_or(1024) as usize;
    connections.min(limit.saturating_sub(256) / 2)
}

#[test]
fn thousands_of_idle_and_half_sent_connections_leave_fresh_requests_answered() {
    let dir = TempDir::new("crowd");
    dir.write("a.txt", b"a");
    let (idle_n, half_n) = (affordable(2000), affordable(3000) - affordable(2000));
    let server = TestServer::files_with(
        dir.path(),
        |c| {
            // Long enough for the crowd to gather on a loaded machine.
            c.timeouts.keep_alive = Duration::from_secs(120);
            c.timeouts.head = Duration::from_secs(120);
        },
        |_| {},
    );
    let mut idle: Vec<TcpStream> = Vec::with_capacity(idle_n);
    for _ in 0..idle_n {
        let mut s = server.connect();
        s.write_all(&get("/a.txt")).unwrap();
        assert_eq!(read_response(&mut s, false).unwrap().status(), 200);
        idle.push(s);
    }
    let half: Vec<TcpStream> = (0..half_n)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX-Half: ")
                .unwrap();
            s
        })
        .collect();
    for _ in 0..20 {
        assert_eq!(server.exchange(&get("/a.txt")).status(), 200);
    }
    // The crowd is still there and still served.
    for s in idle.iter_mut().step_by(97) {
        s.write_all(&get("/a.txt")).unwrap();
        assert_eq!(read_response(s, false).unwrap().status(), 200);
    }
    drop(half);
}

/// Regression: the 503 for a connection past the limits was followed by a
/// close that reset the connection, so clients that had sent their request
/// often never saw the answer.
#[test]
fn the_overload_refusal_is_read_as_a_503_not_a_reset() {
    let dir = TempDir::new("max-connections");
    dir.write("a.txt", b"a");
    let server = TestServer::files_with(dir.path(), |c| c.max_connections = Some(4), |_| {});
    let mut open: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(&get("/a.txt")).unwrap();
            assert_eq!(read_response(&mut s, false).unwrap().status(), 200);
            s
        })
        .collect();
    let mut late = server.connect();
    // A request with a body the server never reads: closing with unread
    // bytes is what makes a kernel send a reset.
    let mut request = b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 16384\r\n\r\n".to_vec();
    request.extend(std::iter::repeat_n(b'x', 16384));
    let _ = late.write_all(&request);
    let refused = read_response(&mut late, false).expect("a readable answer");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.header("connection"), Some("close"));
    let mut rest = Vec::new();
    let end = late.read_to_end(&mut rest);
    assert!(end.is_ok(), "a clean close, not a reset: {end:?}");
    // Those already open are served as before.
    open[0].write_all(&get("/a.txt")).unwrap();
    assert_eq!(read_response(&mut open[0], false).unwrap().status(), 200);
}

/// Regression: a queued connection's wait was only checked when a worker
/// picked it up, so while every worker was busy it waited without end.
#[test]
fn a_queued_request_gets_its_503_on_time_while_every_worker_is_busy() {
    let (router, entered, release) = blocking_router();
    let mut config = test_config();
    config.max_threads = 1;
    config.timeouts.queue_wait = Duration::from_millis(500);
    let server = TestServer::start(config, router);
    let mut busy = server.connect();
    busy.write_all(&get("/block")).unwrap();
    entered
        .recv_timeout(IO_TIMEOUT)
        .expect("the only worker is busy");
    let mut queued = server.connect();
    queued.write_all(&get("/fast")).unwrap();
    let refused = read_response(&mut queued, false).expect("an answer while blocked");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    release.send(()).unwrap();
    assert_eq!(read_response(&mut busy, false).unwrap().status(), 200);
}

/// A file far larger than the socket buffers on both sides can hold, made
/// sparse so that it costs no disk.
fn large_file(dir: &TempDir, name: &str) -> u64 {
    const LEN: u64 = 256 * 1024 * 1024;
    let file = std::fs::File::create(dir.path().join(name)).unwrap();
    file.set_len(LEN).unwrap();
    LEN
}

/// Regression: a client reading a large file slowly held a worker for the
/// whole response, so a few of them stalled the server.
#[test]
fn readers_that_do_not_read_hold_no_worker() {
    let dir = TempDir::new("slow-readers");
    large_file(&dir, "big.bin");
    dir.write("a.txt", b"a");
    let server = TestServer::files_with(dir.path(), |c| c.max_threads = 2, |_| {});
    let stalled: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(&get("/big.bin")).unwrap();
            s
        })
        .collect();
    for _ in 0..10 {
        let r = server.exchange(&get("/a.txt"));
        assert_eq!(r.status(), 200);
    }
    drop(stalled);
}

/// Reads `stream` until it ends, `pause` between reads of `piece` bytes;
/// returns how much came and whether it ended in a close or a reset.
fn read_slowly(stream: &mut TcpStream, piece: usize, pause: Duration) -> usize {
    let mut buf = vec![0u8; piece];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return total,
            Err(e) => panic!("read: {e}"),
        }
        std::thread::sleep(pause);
    }
}

#[test]
fn a_reader_that_stops_reading_is_closed_at_the_write_timeout() {
    let dir = TempDir::new("stall");
    let len = large_file(&dir, "big.bin");
    let server = TestServer::files_with(
        dir.path(),
        |c| c.timeouts.write = Duration::from_millis(500),
        |_| {},
    );
    let mut stream = server.connect();
    stream.write_all(&get("/big.bin")).unwrap();
    // Not reading is the behaviour under test: the server must give up.
    std::thread::sleep(Duration::from_secs(2));
    let got = read_slowly(&mut stream, 1 << 20, Duration::ZERO);
    assert!((got as u64) < len, "the whole file came: {got}");
}

/// Regression: a reader taking a trickle kept its response going for as
/// long as it liked (the write timeout bounds one stalled write only).
#[test]
fn a_reader_slower_than_the_minimum_rate_is_closed() {
    let dir = TempDir::new("trickle-reader");
    let len = large_file(&dir, "big.bin");
    let server = TestServer::files_with(
        dir.path(),
        |c| {
            c.timeouts.write = Duration::from_millis(500);
            c.timeouts.min_send_rate = 64 * 1024 * 1024;
        },
        |_| {},
    );
    let mut stream = server.connect();
    stream.write_all(&get("/big.bin")).unwrap();
    // About 5 MB/s: far below the floor set above.
    let got = read_slowly(&mut stream, 256 * 1024, Duration::from_millis(50));
    assert!((got as u64) < len, "the whole file came: {got}");
}

/// A parked connection picks up exactly where it stopped: a head trickled
/// across many reads, a body sent after its head, a pipelined burst, and a
/// request that arrives after the connection parked idle are each answered
/// once, in order, and nothing else is sent.
#[test]
fn parked_connections_resume_exactly_where_they_stopped() {
    let (router, _entered, _release) = blocking_router();
    let server = TestServer::start(test_config(), router);
    let mut s = server.connect();
    s.set_nodelay(true).unwrap();

    for byte in get("/fast") {
        s.write_all(&[byte]).unwrap();
    }
    assert_eq!(read_response(&mut s, false).unwrap().body, b"fast\n");

    s.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n")
        .unwrap();
    s.write_all(b"hello").unwrap();
    assert_eq!(read_response(&mut s, false).unwrap().body, b"hello");

    let burst: Vec<u8> = (0..10)
        .flat_map(|i| {
            format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{i:02}")
                .into_bytes()
        })
        .collect();
    s.write_all(&burst).unwrap();
    for i in 0..10 {
        let r = read_response(&mut s, false).unwrap();
        assert_eq!(r.body, format!("{i:02}").as_bytes());
    }

    // Idle now; the next request arrives while parked.
    s.write_all(b"GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s, false).unwrap().body, b"fast\n");
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "nothing more: {rest:?}");
}

/// Regression: a multipart (several ranges) answer was written by its
/// worker with blocking writes, so two slow readers of one held both
/// workers of `--threads 2` for as long as they read.
#[test]
fn multipart_readers_that_do_not_read_hold_no_worker() {
    let dir = TempDir::new("multipart-readers");
    large_file(&dir, "big.bin");
    dir.write("a.txt", b"a");
    let server = TestServer::files_with(dir.path(), |c| c.max_threads = 2, |_| {});
    let ranges =
        b"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-80000000,100000000-180000000\r\n\r\n";
    let stalled: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(ranges).unwrap();
            s
        })
        .collect();
    for _ in 0..10 {
        assert_eq!(server.exchange(&get("/a.txt")).status(), 200);
    }
    drop(stalled);
}

/// Regression: answers to a long pipeline were written with blocking
/// writes, so a client that sent thousands of requests and read none held a
/// worker until the write timeout.
#[test]
fn a_pipeline_that_is_never_read_holds_no_worker() {
    let dir = TempDir::new("pipeline-flood");
    dir.write("a.txt", &[b'x'; 1000]);
    let server = TestServer::files_with(dir.path(), |c| c.max_threads = 2, |_| {});
    // About 120 MB of answers: far more than the socket buffers hold.
    let flood: Vec<u8> = get("/a.txt").repeat(100_000);
    let floods: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = server.connect();
            // The server stops reading once its answers back up, so the
            // whole flood may not go in; what does is enough.
            s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            let _ = s.write_all(&flood);
            s
        })
        .collect();
    for _ in 0..10 {
        assert_eq!(server.exchange(&get("/a.txt")).status(), 200);
    }
    drop(floods);
}
