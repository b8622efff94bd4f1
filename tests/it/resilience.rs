//! Slow, idle, hostile and vanishing clients, overload, panicking handlers
//! and graceful shutdown: the server keeps serving through all of them.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

#[test]
fn slowloris_clients_cannot_starve_a_fresh_client() {
    let dir = TempDir::new("slowloris");
    dir.write("a.txt", b"a");
    let server = TestServer::files(dir.path());
    let tricklers: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let r = server.exchange(&get("/a.txt"));
    assert_eq!(r.status(), 200);
    drop(tricklers);
}

#[test]
fn trickling_does_not_extend_the_head_deadline() {
    let dir = TempDir::new("deadline");
    let server = TestServer::files_with(
        dir.path(),
        |c| c.timeouts.head = Duration::from_secs(1),
        |_| {},
    );
    let mut stream = server.connect();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    // One byte every 100 ms would keep a per-read timeout alive forever; the
    // total deadline must cut it off. The trickler stops by itself after
    // 20 s or at the first failed write.
    let trickler = std::thread::spawn(move || {
        let _ = writer.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
        for _ in 0..200 {
            if writer.write_all(b"a").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let r = read_response(&mut stream, false).expect("a 408 before the trickle ends");
    assert_eq!(r.status_line, "HTTP/1.1 408 Request Timeout");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "cut off at the deadline, not at the end"
    );
    assert!(is_closed(&mut stream));
    drop(stream);
    trickler.join().unwrap();
}

#[test]
fn an_idle_connection_with_no_bytes_is_closed_silently() {
    let dir = TempDir::new("idle-timeout");
    let server = TestServer::files_with(
        dir.path(),
        |c| c.timeouts.keep_alive = Duration::from_millis(300),
        |_| {},
    );
    let mut stream = server.connect();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).unwrap();
    assert!(
        buf.is_empty(),
        "no 408 for a client that never started a request"
    );
}

#[test]
fn hundreds_of_idle_keep_alive_connections_leave_room_for_a_fresh_client() {
    let dir = TempDir::new("idle-flood");
    dir.write("a.txt", b"a");
    let server = TestServer::files(dir.path());
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..300 {
        let mut s = server.connect();
        s.write_all(&get("/a.txt")).unwrap();
        assert_eq!(read_response(&mut s, false).unwrap().status(), 200);
        idle.push(s);
    }
    let r = server.exchange(&get("/a.txt"));
    assert_eq!(r.status(), 200);
}

/// Idle keep-alive connections park in the poller and hold no worker: with
/// four workers and fifty idle connections, a new client is served and
/// every idle connection is still open and usable.
#[test]
fn idle_connections_hold_no_worker() {
    let dir = TempDir::new("pressure");
    dir.write("a.txt", b"a");
    let server = TestServer::files_with(dir.path(), |c| c.max_threads = 4, |_| {});
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..50 {
        let mut s = server.connect();
        s.write_all(&get("/a.txt")).unwrap();
        assert_eq!(read_response(&mut s, false).unwrap().status(), 200);
        idle.push(s);
    }
    let r = server.exchange(&get("/a.txt"));
    assert_eq!(r.status(), 200);
    for s in &mut idle {
        s.write_all(&get("/a.txt")).unwrap();
        assert_eq!(read_response(s, false).unwrap().status(), 200);
    }
}

#[test]
fn past_the_cap_and_queue_new_clients_get_a_fast_503() {
    let (router, entered, release) = blocking_router();
    let mut config = test_config();
    config.max_threads = 2;
    config.max_queued = 1;
    let server = TestServer::start(config, router);
    let mut busy: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(&get("/block")).unwrap();
            s
        })
        .collect();
    for _ in 0..2 {
        entered.recv_timeout(IO_TIMEOUT).expect("both workers busy");
    }
    let mut queued = server.connect();
    queued.write_all(&get("/fast")).unwrap();
    // The queue holds one; wait until the queued client is really in it
    // (the accept thread has taken it) by retrying the refusal check.
    let refused = (0..100).find_map(|_| {
        let r = server.exchange(&get("/fast"));
        (r.status() == 503).then_some(r)
    });
    let refused = refused.expect("a 503 once cap and queue are full");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("connection"), Some("close"));
    release.send(()).unwrap();
    release.send(()).unwrap();
    for s in &mut busy {
        assert_eq!(read_response(s, false).unwrap().status(), 200);
    }
    // `queued` gets a whole answer either way, never silence or a reset. Which
    // one depends on a race the test cannot control: 200 if it held the one
    // place in the queue, 503 if a probe that arrived while it was still
    // unseen took the place (when both are waiting, which one the server
    // keeps follows the poller's order; poll(2) lists by slot) or if a
    // loaded machine kept it past the queue wait. Both are the server's
    // rules applied; each is checked for what it must carry.
    let r = read_response(&mut queued, false).unwrap();
    match r.status() {
        200 => assert_eq!(r.body, b"fast\n"),
        503 => assert_eq!(r.header("retry-after"), Some("1")),
        _ => panic!("the queued client: {}", r.status_line),
    }
}

#[test]
fn a_panicking_handler_costs_one_500_and_the_server_keeps_serving() {
    let (router, _entered, _release) = blocking_router();
    let server = TestServer::start(test_config(), router);
    let mut stream = server.connect();
    stream.write_all(&get("/panic")).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 500 Internal Server Error");
    assert_eq!(r.header("connection"), Some("close"));
    for _ in 0..3 {
        assert_eq!(server.exchange(&get("/fast")).status(), 200);
    }
    let summary = server.stop();
    assert_eq!(summary.panics, 1);
}

#[test]
fn a_client_vanishing_mid_body_does_not_hurt_the_server() {
    let dir = TempDir::new("vanish");
    dir.write("big.bin", &vec![7u8; 20 << 20]);
    dir.write("a.txt", b"a");
    let server = TestServer::files(dir.path());
    for _ in 0..3 {
        let mut s = server.connect();
        s.write_all(&get("/big.bin")).unwrap();
        let mut some = [0u8; 65536];
        s.read_exact(&mut some).unwrap();
        drop(s);
    }
    let r = server.exchange(&get("/a.txt"));
    assert_eq!(r.status(), 200);
}

#[test]
fn thousands_of_garbage_requests_leave_the_server_answering() {
    let dir = TempDir::new("garbage");
    dir.write("a.txt", b"a");
    let server = TestServer::files(dir.path());
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let prefixes: [&[u8]; 4] = [
        b"",
        b"GET ",
        b"GET / HTTP/1.1\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n",
    ];
    for i in 0..2000 {
        let mut bytes = prefixes[i % prefixes.len()].to_vec();
        let len = (next() % 300) as usize;
        bytes.extend((0..len).map(|_| next() as u8));
        let mut s = server.connect();
        let _ = s.write_all(&bytes);
        let _ = s.shutdown(Shutdown::Write);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
        if !sink.is_empty() {
            assert!(sink.starts_with(b"HTTP/1.1 "), "every answer is a response");
        }
    }
    assert_eq!(server.exchange(&get("/a.txt")).status(), 200);
}

#[test]
fn shutdown_lets_the_request_in_flight_finish_and_refuses_new_ones() {
    let (router, entered, release) = blocking_router();
    let server = TestServer::start(test_config(), router);
    let addr = server.addr;
    let mut in_flight = server.connect();
    in_flight.write_all(&get("/block")).unwrap();
    entered.recv_timeout(IO_TIMEOUT).unwrap();
    let mut idle = server.connect();
    idle.write_all(&get("/fast")).unwrap();
    assert_eq!(read_response(&mut idle, false).unwrap().status(), 200);

    let handle = server.shutdown_handle();
    let stopper = std::thread::spawn(move || server.stop());
    handle.shutdown();
    // New connections are refused once the listener is closed.
    let refused = (0..1000).any(|_| {
        let gone = TcpStream::connect(addr).is_err();
        if !gone {
            std::thread::yield_now();
        }
        gone
    });
    assert!(refused, "the listener closes");
    assert!(
        is_closed(&mut idle),
        "idle keep-alive connections are closed"
    );
    release.send(()).unwrap();
    let r = read_response(&mut in_flight, false).unwrap();
    assert_eq!(r.status(), 200, "the request in flight completes");
    assert_eq!(r.body, b"released\n");
    assert_eq!(r.header("connection"), Some("close"));
    let summary = stopper.join().unwrap();
    assert_eq!(summary.cut_off, 0);
    assert!(summary.requests >= 2);
}
