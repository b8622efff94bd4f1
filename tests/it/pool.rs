//! Concurrency: the pool grows so that many keep-alive clients are all
//! served at once, not queued behind each other.

use crate::common::*;
use std::io::Write;
use std::net::TcpStream;

#[test]
fn two_hundred_fifty_six_keep_alive_clients_are_all_served() {
    let dir = TempDir::new("concurrent");
    dir.write("a.txt", b"a");
    let server = TestServer::files(dir.path());
    // Every client first completes a request and keeps its connection open,
    // so 256 connections are held at once; then each asks again. With a pool
    // smaller than 256 the second round would stall behind idle connections.
    let mut clients: Vec<TcpStream> = (0..256).map(|_| server.connect()).collect();
    for round in 0..2 {
        for stream in &mut clients {
            stream.write_all(&get("/a.txt")).unwrap();
        }
        for (i, stream) in clients.iter_mut().enumerate() {
            let r = read_response(stream, false)
                .unwrap_or_else(|e| panic!("client {i} round {round}: {e}"));
            assert_eq!(r.status(), 200);
        }
    }
}
