//! Listening beyond a TCP port: the binary on a Unix domain socket (its
//! mode, the access log's `-`, the files already at its path, removal on a
//! stop), the binary given a socket the way systemd passes one (descriptor
//! 3 with `LISTEN_FDS` and `LISTEN_PID`), and a library server on a Unix
//! socket.
//!
//! The passed socket is handed over without `unsafe`: it becomes the
//! child's standard input, and a shell moves it to descriptor 3 and sets
//! the variables before `exec`, which keeps the shell's process id (`$$`)
//! for the server.

use crate::binary::{run_expecting_usage_error, Running, BIN};
use crate::common::*;
use http_from_scratch::config::Bind;
use http_from_scratch::socket::Peer;
use http_from_scratch::{Request, Response, Router, Server, ServerConfig, Status};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Starts `command` and reads its start-up line.
fn start(command: &mut Command) -> (Running, BufReader<ChildStdout>, String) {
    let mut running = Running(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(running.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    (running, stdout, line)
}

/// The binary with `args` and `root`, given `socket` as systemd gives one:
/// descriptor 3, `LISTEN_FDS` (`fds`), and `LISTEN_PID` set to its own
/// process id unless `pid` names another.
fn with_passed_socket(
    socket: OwnedFd,
    fds: &str,
    pid: Option<&str>,
    args: &[&str],
    root: &Path,
) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"exec 3<&0 0</dev/null; LISTEN_PID=${PASSED_PID:-$$} LISTEN_FDS=$PASSED_FDS exec "$0" "$@""#)
        .arg(BIN)
        .args(args)
        .arg(root)
        .env("PASSED_FDS", fds)
        .stdin(Stdio::from(socket));
    if let Some(pid) = pid {
        command.env("PASSED_PID", pid);
    }
    command
}

/// Sends SIGTERM and waits for the process to end, for a while.
fn terminate(running: &mut Running) -> ExitStatus {
    running.signal("TERM");
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `GET target` on `stream` and reads the answer.
fn fetch(mut stream: impl Read + Write, target: &str) -> RawResponse {
    stream.write_all(&get(target)).unwrap();
    read_response(&mut stream, false).unwrap()
}

fn unix_client(path: &Path) -> UnixStream {
    let stream = UnixStream::connect(path).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn tcp_client(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn a_unix_socket_gets_its_mode_serves_and_is_removed_on_sigterm() {
    let dir = TempDir::new("unix-binary");
    dir.write("hello.txt", b"hello over a unix socket\n");
    let sockets = TempDir::new("unix-binary-sockets");
    let path = sockets.path().join("s.sock");
    let bind = format!("unix:{}", path.display());
    let args = ["--bind", &bind, "--socket-mode", "600"];
    let (mut running, mut stdout, line) = start(Command::new(BIN).args(args).arg(dir.path()));
    assert!(line.trim_end().ends_with(&format!(" at {bind}")), "{line}");
    let made = fs::symlink_metadata(&path).unwrap();
    assert!(made.file_type().is_socket());
    assert_eq!(made.permissions().mode() & 0o777, 0o600);

    let r = fetch(unix_client(&path), "/hello.txt");
    assert_eq!(
        (r.status(), r.body_text().as_str()),
        (200, "hello over a unix socket\n")
    );
    let log = read_line(&mut stdout);
    assert!(log.starts_with("- - - ["), "no address to log: {log}");
    assert!(
        log.trim_end()
            .ends_with("\"GET /hello.txt HTTP/1.1\" 200 25"),
        "{log}"
    );

    assert_eq!(terminate(&mut running).code(), Some(0));
    assert!(
        fs::symlink_metadata(&path).is_err(),
        "the socket file is removed"
    );
}

#[test]
fn a_file_at_the_socket_path_is_refused_and_left_as_it_is() {
    let dir = TempDir::new("unix-taken");
    let path = dir.write("not-a-socket", b"somebody's file");
    let bind = format!("unix:{}", path.display());
    let message = run_expecting_usage_error(&["--bind", &bind, dir.path().to_str().unwrap()]);
    assert!(message.contains("is not a socket"), "{message}");
    assert!(message.contains(&bind), "{message}");
    assert_eq!(fs::read(&path).unwrap(), b"somebody's file");

    let live = dir.path().join("live.sock");
    let _server = UnixListener::bind(&live).unwrap();
    let bind = format!("unix:{}", live.display());
    let message = run_expecting_usage_error(&["--bind", &bind, dir.path().to_str().unwrap()]);
    assert!(message.contains("address in use"), "{message}");
    assert!(live.exists(), "a live socket stays");
}

#[test]
fn a_stale_socket_is_replaced() {
    let dir = TempDir::new("unix-stale");
    dir.write("a.txt", b"a");
    let path = dir.path().join("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "left behind, as by a server that was killed");
    let bind = format!("unix:{}", path.display());
    let (mut running, _stdout, _) = start(
        Command::new(BIN)
            .args(["--quiet", "--bind", &bind])
            .arg(dir.path()),
    );
    assert_eq!(fetch(unix_client(&path), "/a.txt").status(), 200);
    assert_eq!(terminate(&mut running).code(), Some(0));
    assert!(!path.exists());
}

#[test]
fn options_that_do_not_fit_a_unix_socket_are_usage_errors() {
    let dir = TempDir::new("unix-usage");
    let root = dir.path().to_str().unwrap();
    let message = run_expecting_usage_error(&["--socket-mode", "600", root]);
    assert!(message.contains("--socket-mode"), "{message}");
    let message = run_expecting_usage_error(&["--bind", "unix:/tmp/x.sock", "--port", "1", root]);
    assert!(message.contains("--port"), "{message}");
    let message = run_expecting_usage_error(&["--bind", "unix:@abstract", root]);
    assert!(message.contains("abstract"), "{message}");
}

/// A TCP socket passed as systemd passes it is served in place of
/// `--port`, which a note says is ignored; after SIGTERM the server exits
/// 0, and the socket, which the service manager still holds (here: the
/// test), keeps taking connections for the next start.
#[test]
fn a_passed_tcp_socket_is_served_and_kept_for_the_next_start() {
    let dir = TempDir::new("passed-tcp");
    dir.write("a.txt", b"passed");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let manager_copy = listener.try_clone().unwrap();
    let mut command = with_passed_socket(listener.into(), "1", None, &["--port", "0"], dir.path());
    let (mut running, mut stdout, line) = start(&mut command);
    assert!(line.contains(&format!("at http://{addr}/")), "{line}");
    assert!(
        line.contains("socket passed by the service manager"),
        "{line}"
    );
    let mut stderr = BufReader::new(running.0.stderr.take().unwrap());
    let note = read_line(&mut stderr);
    assert!(
        note.contains("--port") && note.contains("ignored"),
        "{note}"
    );

    let r = fetch(tcp_client(addr), "/a.txt");
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"passed"[..]));
    assert!(read_line(&mut stdout).starts_with("127.0.0.1 - - ["));
    assert_eq!(terminate(&mut running).code(), Some(0));
    // The stop connected nothing to the socket: no connection is left
    // queued for the next start (which it would start for nothing).
    manager_copy.set_nonblocking(true).unwrap();
    let left = manager_copy.accept().map(drop).unwrap_err();
    assert_eq!(left.kind(), std::io::ErrorKind::WouldBlock);
    // Queued for the next start, not refused.
    assert!(TcpStream::connect(addr).is_ok());
    drop(manager_copy);
}

/// A passed Unix socket is served, and its file, which the service
/// manager made, is never removed.
#[test]
fn a_passed_unix_socket_is_served_and_its_file_kept() {
    let dir = TempDir::new("passed-unix");
    dir.write("a.txt", b"passed");
    let path = dir.path().join("passed.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let mut command = with_passed_socket(listener.into(), "1", None, &["--quiet"], dir.path());
    let (mut running, _stdout, line) = start(&mut command);
    let at = format!("at unix:{} (socket passed", path.display());
    assert!(line.contains(&at), "{line}");
    assert_eq!(fetch(unix_client(&path), "/a.txt").status(), 200);
    assert_eq!(terminate(&mut running).code(), Some(0));
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_socket());
}

/// `LISTEN_PID` naming another process (inherited from a parent) is not
/// for this one: it binds its own port as usual.
#[test]
fn listen_variables_for_another_process_are_ignored() {
    let dir = TempDir::new("passed-elsewhere");
    dir.write("a.txt", b"a");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let passed = listener.local_addr().unwrap();
    let mut command = with_passed_socket(
        listener.into(),
        "1",
        Some("1"),
        &["--port", "0", "--quiet"],
        dir.path(),
    );
    let (mut running, _stdout, line) = start(&mut command);
    assert!(!line.contains("socket passed"), "{line}");
    let port: u16 = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    assert_ne!(port, passed.port());
    assert_eq!(
        fetch(tcp_client(([127, 0, 0, 1], port).into()), "/a.txt").status(),
        200
    );
    assert_eq!(terminate(&mut running).code(), Some(0));
}

/// Several passed sockets, or one that is a connection rather than a
/// listener (`Accept=yes`), end the start with one line and status 2.
#[test]
fn passed_sockets_that_cannot_be_served_are_refused() {
    let dir = TempDir::new("passed-refused");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let output = with_passed_socket(listener.into(), "2", None, &[], dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("passed 2 sockets"), "{stderr}");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let connection = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let output = with_passed_socket(connection.into(), "1", None, &[], dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a listening stream socket"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// The library on a Unix socket: the handler sees `Peer::Unix`, which
/// counts as local; the file gets its mode and is gone once `run` returns.
#[test]
fn a_library_server_on_a_unix_socket_serves_and_removes_its_file() {
    let dir = TempDir::new("unix-library");
    let path = dir.path().join("app.sock");
    let app = Router::new().get("/peer", |req: &mut Request<'_>| {
        let peer = req.peer();
        let text = format!("{:?} local={}", peer, peer.is_local());
        Response::text(Status::OK, text)
    });
    let config = ServerConfig {
        bind: Bind::Unix {
            path: path.clone(),
            mode: Some(0o660),
        },
        ..test_config()
    };
    let server = Server::bind(config, app).unwrap();
    assert_eq!(server.endpoint().unix_path(), Some(path.as_path()));
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o660);
    let shutdown = server.shutdown_handle();
    let running = std::thread::spawn(move || server.run());

    let r = fetch(unix_client(&path), "/peer");
    assert_eq!(r.body_text(), format!("{:?} local=true", Peer::Unix));
    shutdown.shutdown();
    let summary = running.join().unwrap().unwrap();
    assert_eq!(summary.requests, 1);
    assert!(!path.exists(), "removed when the server stopped");
}

#[test]
#[should_panic(expected = "not TCP; ask Server::endpoint")]
fn local_addr_of_a_unix_server_says_to_ask_for_the_endpoint() {
    let dir = TempDir::new("unix-local-addr");
    let config = ServerConfig {
        bind: Bind::Unix {
            path: dir.path().join("s.sock"),
            mode: None,
        },
        ..test_config()
    };
    let server = Server::bind(config, Router::new()).unwrap();
    let _ = server.local_addr();
}

/// A socket file may go while the server runs (removed by hand or by a
/// clean-up of `/tmp`, or moved aside and replaced by a new server's
/// socket, as a blue-green restart does). The stop must still end `run`
/// (it once woke the loop by connecting through the path), and the new
/// server's file must stay.
#[test]
fn a_stop_ends_run_even_when_the_socket_file_has_gone() {
    let dir = TempDir::new("unix-file-gone");
    let path = dir.path().join("s.sock");
    let config = ServerConfig {
        bind: Bind::Unix {
            path: path.clone(),
            mode: None,
        },
        ..test_config()
    };
    let server = Server::bind(config, Router::new()).unwrap();
    let shutdown = server.shutdown_handle();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(server.run().map(|s| s.connections)));
    fs::rename(&path, dir.path().join("moved.sock")).unwrap();
    let successor = UnixListener::bind(&path).unwrap();
    shutdown.shutdown();
    let stopped = finished.recv_timeout(IO_TIMEOUT);
    assert!(stopped.is_ok(), "run is still waiting to accept");
    assert!(path.exists(), "the successor's socket stays");
    drop(successor);
}

/// Who may connect is the socket's mode alone: the server does not need to
/// connect to its own socket to stop, so a mode that lets only a group in
/// (a proxy's) is served, and the stop still ends `run`.
#[test]
fn a_socket_only_a_group_may_connect_to_is_served_and_stops() {
    let dir = TempDir::new("unix-group-only");
    let path = dir.path().join("s.sock");
    let config = ServerConfig {
        bind: Bind::Unix {
            path: path.clone(),
            mode: Some(0o060),
        },
        ..test_config()
    };
    let server = Server::bind(config, Router::new()).unwrap();
    let mode = fs::symlink_metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o060);
    let shutdown = server.shutdown_handle();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(server.run().map(|s| s.connections)));
    shutdown.shutdown();
    let stopped = finished.recv_timeout(IO_TIMEOUT);
    assert!(matches!(stopped, Ok(Ok(0))), "{stopped:?}");
    assert!(!path.exists(), "removed on the stop");
}
