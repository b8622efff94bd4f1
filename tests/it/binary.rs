//! The binary as a user runs it: start it, read the URL it prints, fetch a
//! file; and bad usage ends with one line on stderr and exit status 2.

use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_http-from-scratch");

/// The binary, killed if a test ends without stopping it.
pub(crate) struct Running(pub(crate) Child);

impl Running {
    /// Sends the signal `name` (`TERM`, `HUP`) to the process.
    pub(crate) fn signal(&self, name: &str) {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} {pid}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and `root`, and reads the start-up line.
/// Returns the running process, its stdout, the line and the port.
pub(crate) fn start_binary(
    args: &[&str],
    root: &std::path::Path,
) -> (Running, BufReader<std::process::ChildStdout>, String, u16) {
    let child = Command::new(BIN)
        .args(args)
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let mut stdout = BufReader::new(running.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (running, stdout, line, port)
}

#[test]
fn binary_serves_a_directory_and_logs_requests() {
    let dir = TempDir::new("binary");
    dir.write("hello.txt", b"hello from disk\n");
    let (_running, mut stdout, line, port) = start_binary(&["--port", "0"], dir.path());
    let canonical = dir.path().canonicalize().unwrap();
    let prefix = format!("Serving {} at http://127.0.0.1:", canonical.display());
    assert!(line.starts_with(&prefix), "{line}");

    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(&get("/hello.txt")).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"hello from disk\n");

    let mut log = String::new();
    stdout.read_line(&mut log).unwrap();
    // Common Log Format: host ident user [date] "request" status bytes
    assert!(log.starts_with("127.0.0.1 - - ["), "{log}");
    assert!(
        log.trim_end()
            .ends_with("\"GET /hello.txt HTTP/1.1\" 200 16"),
        "{log}"
    );
}

/// A head refused for what follows its request line (here a body over the
/// server-wide limit) is logged with that line, not `-`, so the log says
/// what was asked.
#[test]
fn a_refused_body_is_logged_with_its_request_line() {
    let dir = TempDir::new("binary-413");
    let (_running, mut stdout, _, port) = start_binary(&["--port", "0"], dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
        .write_all(b"POST /upload?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 413);
    let mut log = String::new();
    stdout.read_line(&mut log).unwrap();
    assert!(
        log.trim_end()
            .ends_with("\"POST /upload?x=1 HTTP/1.1\" 413 -"),
        "{log}"
    );
}

/// `--auth`: 401 with a challenge without credentials, the file with them,
/// and the user in the access log's authuser field.
#[test]
fn auth_asks_for_a_password_and_logs_the_user() {
    use http_from_scratch::http::base64;
    let dir = TempDir::new("binary-auth");
    dir.write("secret.txt", b"s3cret\n");
    let hex = http_from_scratch::sha256::to_hex(&http_from_scratch::sha256::sha256(b"pw2"));
    let args = [
        "--port",
        "0",
        "--auth",
        "ada:pw1",
        "--auth",
        &format!("bob:sha256:{hex}"),
    ];
    let (_running, mut stdout, _, port) = start_binary(&args, dir.path());
    let mut ask = |authorization: Option<&str>| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let extra = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let raw = format!("GET /secret.txt HTTP/1.1\r\nHost: t\r\n{extra}\r\n");
        stream.write_all(raw.as_bytes()).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        let mut log = String::new();
        stdout.read_line(&mut log).unwrap();
        (r, log)
    };
    let (r, log) = ask(None);
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"http-from-scratch\", charset=\"UTF-8\"")
    );
    assert!(log.starts_with("127.0.0.1 - - ["), "{log}");
    let wrong = format!("Basic {}", base64::encode(b"ada:pw2"));
    let (r, log) = ask(Some(&wrong));
    assert_eq!(r.status(), 401);
    assert!(
        !log.contains("pw2") && log.starts_with("127.0.0.1 - - ["),
        "{log}"
    );
    let (r, log) = ask(Some(&format!("Basic {}", base64::encode(b"ada:pw1"))));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"s3cret\n"[..]));
    assert!(log.starts_with("127.0.0.1 - ada ["), "{log}");
    let (r, log) = ask(Some(&format!("Basic {}", base64::encode(b"bob:pw2"))));
    assert_eq!(r.status(), 200, "the hashed form");
    assert!(log.starts_with("127.0.0.1 - bob ["), "{log}");
}

/// A CORS preflight never carries credentials. Behind `--auth` it passes
/// only with `--cors` (the file server then answers it alike for every
/// path, so it tells nothing about which files exist); without `--cors` it
/// is challenged like everything else.
#[test]
fn auth_lets_preflights_through_only_with_cors_and_they_reveal_nothing() {
    let dir = TempDir::new("binary-auth-cors");
    dir.write("exists.txt", b"x");
    let preflight = |port: u16, path: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let raw = format!(
            "OPTIONS {path} HTTP/1.1\r\nHost: t\r\nOrigin: https://elsewhere.example\r\n\
             Access-Control-Request-Method: GET\r\n\r\n"
        );
        stream.write_all(raw.as_bytes()).unwrap();
        read_response(&mut stream, false).unwrap().status()
    };
    let (_plain, _out, _, port) =
        start_binary(&["--port", "0", "--quiet", "--auth", "a:b"], dir.path());
    assert_eq!(preflight(port, "/exists.txt"), 401);
    assert_eq!(preflight(port, "/missing.txt"), 401);
    let args = ["--port", "0", "--quiet", "--auth", "a:b", "--cors"];
    let (_cors, _out, _, port) = start_binary(&args, dir.path());
    assert_eq!(preflight(port, "/exists.txt"), 204);
    assert_eq!(preflight(port, "/missing.txt"), 204, "alike for every path");
}

/// An empty password is refused; `sha256:` followed by anything but 64 hex
/// digits is a plain password, with a warning.
#[test]
fn auth_refuses_empty_passwords_and_warns_of_mistyped_hashes() {
    let message = run_expecting_usage_error(&["--auth", "e:"]);
    assert!(message.contains("--auth"), "{message}");
    let dir = TempDir::new("binary-auth-mistyped");
    let spec = format!("t:sha256:{}", "a".repeat(63));
    let (mut running, _stdout, _, _port) =
        start_binary(&["--port", "0", "--quiet", "--auth", &spec], dir.path());
    let mut stderr = BufReader::new(running.0.stderr.take().unwrap());
    let mut warning = String::new();
    stderr.read_line(&mut warning).unwrap();
    assert!(
        warning.contains("warning: --auth for 't'") && warning.contains("64 hex"),
        "{warning}"
    );
}

/// `--health PATH`: 200 ok in front of everything (no password, no file
/// system: it answers with the served directory gone), kept out of the
/// access log unless `--log-health`.
#[test]
fn health_checks_answer_first_and_stay_out_of_the_log() {
    let dir = TempDir::new("binary-health");
    let args = ["--port", "0", "--health", "/healthz", "--auth", "a:b"];
    let (_running, mut stdout, _, port) = start_binary(&args, dir.path());
    let ask = |target: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&get(target)).unwrap();
        read_response(&mut stream, false).unwrap()
    };
    std::fs::remove_dir_all(dir.path()).unwrap();
    let r = ask("/healthz");
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"ok\n"[..]));
    assert_eq!(ask("/healthz/x").status(), 401, "only that path");
    let mut log = String::new();
    stdout.read_line(&mut log).unwrap();
    assert!(
        log.contains("\"GET /healthz/x HTTP/1.1\" 401"),
        "the first line logged: {log}"
    );

    let dir = TempDir::new("binary-health-logged");
    let args = ["--port", "0", "--health", "/up", "--log-health"];
    let (_running, mut stdout, _, port) = start_binary(&args, dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(&get("/up")).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 200);
    let mut log = String::new();
    stdout.read_line(&mut log).unwrap();
    assert!(log.contains("\"GET /up HTTP/1.1\" 200"), "{log}");
    let message = run_expecting_usage_error(&["--health", "healthz"]);
    assert!(message.contains("--health"), "{message}");
}

/// `--log-format combined` adds the Referer and User-Agent, escaped so
/// they cannot end their field; `json` writes one object per line.
#[test]
fn log_formats_write_what_log_tools_read() {
    let dir = TempDir::new("binary-log-formats");
    dir.write("a.txt", b"a");
    let line_for = |format: &str| {
        let (_running, mut stdout, _, port) =
            start_binary(&["--port", "0", "--log-format", format], dir.path());
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream
            .write_all(
                b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/\r\n\
                  User-Agent: probe \"quoted\" 1.0\r\n\r\n",
            )
            .unwrap();
        read_response(&mut stream, false).unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        line
    };
    let combined = line_for("combined");
    assert!(
        combined.trim_end().ends_with(
            "\"GET /a.txt HTTP/1.1\" 200 1 \"http://r.example/\" \"probe \\x22quoted\\x22 1.0\""
        ),
        "{combined}"
    );
    let json = line_for("json");
    assert!(json.starts_with("{\"time\":\""), "{json}");
    for part in [
        "\"peer\":\"127.0.0.1\"",
        "\"user\":null",
        "\"method\":\"GET\"",
        "\"target\":\"/a.txt\"",
        "\"status\":200",
        "\"bytes\":1",
        "\"user_agent\":\"probe \\\"quoted\\\" 1.0\"",
    ] {
        assert!(json.contains(part), "{part} in {json}");
    }
    let message = run_expecting_usage_error(&["--log-format", "xml"]);
    assert!(message.contains("--log-format"), "{message}");
}

/// Regression: a User-Agent or Referer with one byte that is not UTF-8
/// was logged as `-` (`null` in JSON), as if none had been sent, so a
/// client could keep its User-Agent out of the log. Such bytes now show
/// as U+FFFD (escaped in Combined, as every byte that is not ASCII is).
#[test]
fn header_values_that_are_not_utf8_still_show_in_the_log() {
    let dir = TempDir::new("binary-log-not-utf8");
    dir.write("a.txt", b"a");
    let line_for = |format: &str| {
        let (_running, mut stdout, _, port) =
            start_binary(&["--port", "0", "--log-format", format], dir.path());
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream
            .write_all(
                b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: r\xfe\r\nUser-Agent: evil\xff\r\n\r\n",
            )
            .unwrap();
        read_response(&mut stream, false).unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        line
    };
    let combined = line_for("combined");
    assert!(
        combined
            .trim_end()
            .ends_with("200 1 \"r\\xEF\\xBF\\xBD\" \"evil\\xEF\\xBF\\xBD\""),
        "{combined}"
    );
    let json = line_for("json");
    assert!(
        json.contains("\"referer\":\"r\u{fffd}\",\"user_agent\":\"evil\u{fffd}\""),
        "{json}"
    );
}

/// A request the server refuses itself: one stderr line saying why, and
/// the reason in the JSON log (Common and Combined stay standard).
#[test]
fn refusals_are_explained_on_stderr_and_in_json() {
    let dir = TempDir::new("binary-refusals");
    let (mut running, mut stdout, _, port) =
        start_binary(&["--port", "0", "--log-format", "json"], dir.path());
    let mut stderr = BufReader::new(running.0.stderr.take().unwrap());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 400);
    let mut error = String::new();
    stderr.read_line(&mut error).unwrap();
    assert_eq!(
        error.trim_end(),
        "http-from-scratch: 400 for 127.0.0.1: an HTTP/1.1 request without Host (RFC 9112 §3.2)"
    );
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.contains("\"reason\":\"an HTTP/1.1 request without Host (RFC 9112 §3.2)\""),
        "{line}"
    );

    // A handler's refusals say why too: the file server's 404 and 405.
    let refusals: [(&[u8], u16, &str); 2] = [
        (
            b"GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n",
            404,
            "nothing is served at this path",
        ),
        (
            b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n",
            405,
            "this resource takes GET, HEAD, OPTIONS",
        ),
    ];
    for (request, status, reason) in refusals {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(request).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(r.body_text(), format!("{status}: {reason}\n"));
        // The access line first: it is written whatever the reason.
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let expected = format!("\"reason\":{}", http_from_scratch::json::string(reason));
        assert!(line.contains(&expected), "{line}");
        let mut error = String::new();
        stderr.read_line(&mut error).unwrap();
        assert_eq!(
            error.trim_end(),
            format!("http-from-scratch: {status} for 127.0.0.1: {reason}")
        );
    }
}

/// Regression: an unknown method (or CONNECT) got its 501 explained in the
/// body and on stderr, but its JSON line had `"reason":null`.
#[test]
fn a_501_for_the_method_has_its_reason_in_the_json_log() {
    let dir = TempDir::new("binary-501-reason");
    let (_running, mut stdout, _, port) =
        start_binary(&["--port", "0", "--log-format", "json"], dir.path());
    for (request, reason) in [
        (
            &b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            "the method is not one this server implements (RFC 9110 §9.1)",
        ),
        (
            &b"CONNECT t:443 HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            "CONNECT is a proxy's method; this is an origin server (RFC 9110 §9.3.6)",
        ),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(request).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(r.status(), 501);
        assert_eq!(r.body, format!("501: {reason}\n").as_bytes());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let expected = format!("\"reason\":{}", http_from_scratch::json::string(reason));
        assert!(line.contains(&expected), "{line}");
    }
}

/// `--log FILE` appends there; after the file is moved away and SIGHUP
/// sent (as logrotate does), the next lines go to a new file.
#[test]
fn the_log_file_is_opened_again_on_sighup() {
    let dir = TempDir::new("binary-log-file");
    dir.write("a.txt", b"a");
    let logs = TempDir::new("binary-log-file-logs");
    let log = logs.0.join("access.log");
    let args = ["--port", "0", "--log", log.to_str().unwrap()];
    let (running, _stdout, _, port) = start_binary(&args, dir.path());
    let fetch = |target: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&get(target)).unwrap();
        read_response(&mut stream, false).unwrap();
    };
    let holds = |path: &std::path::Path, target: &str| {
        std::fs::read_to_string(path).is_ok_and(|text| text.contains(&format!("GET {target} ")))
    };
    fetch("/a.txt?first");
    // The line is written after the answer: look until it is there.
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    while !holds(&log, "/a.txt?first") {
        assert!(
            std::time::Instant::now() < deadline,
            "first line never logged"
        );
        std::thread::yield_now();
    }
    let rotated = logs.0.join("access.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    running.signal("HUP");
    // SIGHUP is taken asynchronously: keep asking until a line lands in the
    // new file (each request after the signal is logged there).
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    let mut n = 0;
    while !log.exists() || !holds(&log, "/a.txt?after") {
        assert!(std::time::Instant::now() < deadline, "never reopened");
        fetch("/a.txt?after");
        n += 1;
    }
    assert!(
        holds(&rotated, "/a.txt?first"),
        "the old lines stay in the old file"
    );
    assert!(n >= 1);
}

/// Regression: the log path swapped for a FIFO nobody reads, then SIGHUP.
/// Reopening it waited for a reader, with the log's lock held, so every
/// worker stopped at its next line: no answer went out (not even to
/// `--health`), and SIGTERM could not drain. Now the reopen fails at once,
/// says so, and the lines go on to the old file.
#[test]
fn a_fifo_without_a_reader_at_the_log_path_does_not_stop_the_server() {
    let dir = TempDir::new("binary-log-fifo");
    dir.write("a.txt", b"a");
    let logs = TempDir::new("binary-log-fifo-logs");
    let log = logs.0.join("access.log");
    let args = ["--port", "0", "--log", log.to_str().unwrap()];
    let (mut running, _stdout, _, port) = start_binary(&args, dir.path());
    let stderr = BufReader::new(running.0.stderr.take().unwrap());
    let (lines, errors) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    std::fs::remove_file(&log).unwrap();
    let made = Command::new("mkfifo").arg(&log).status().unwrap();
    assert!(made.success(), "mkfifo");
    running.signal("HUP");
    // SIGHUP is taken asynchronously: keep asking (each answer within the
    // usual timeout) until the failed reopen is reported.
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    loop {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&get("/a.txt")).unwrap();
        let answer = read_response(&mut stream, false).expect("answered after SIGHUP");
        assert_eq!(answer.status(), 200);
        if let Ok(line) = errors.try_recv() {
            assert!(line.contains("cannot reopen the log"), "{line}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never reopened");
    }
    // At start-up, such a log is bad usage, said in words.
    let dir_arg = dir.path().to_str().unwrap();
    let message = run_expecting_usage_error(&["--log", log.to_str().unwrap(), dir_arg]);
    assert!(message.contains("a FIFO that nobody reads"), "{message}");
}

/// Regression: a log that cannot be written (a full disk, here a link to
/// `/dev/full`) put one stderr line per request, so a busy server flooded
/// its error log (often on the same disk) with the same words. Now it is
/// said once, and again once lines are written (here after a SIGHUP opens
/// a plain file in its place).
#[test]
fn a_log_that_cannot_be_written_is_reported_once() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let dir = TempDir::new("binary-log-full");
    dir.write("a.txt", b"a");
    let logs = TempDir::new("binary-log-full-logs");
    let log = logs.0.join("access.log");
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    let args = ["--port", "0", "--log", log.to_str().unwrap()];
    let (mut running, _stdout, _, port) = start_binary(&args, dir.path());
    let stderr = BufReader::new(running.0.stderr.take().unwrap());
    let (lines, errors) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let fetch = || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&get("/a.txt")).unwrap();
        // Each line is written (or fails) before its answer is sent.
        assert_eq!(read_response(&mut stream, false).unwrap().status(), 200);
    };
    for _ in 0..3 {
        fetch();
    }
    std::fs::remove_file(&log).unwrap();
    std::fs::write(&log, b"").unwrap();
    running.signal("HUP");
    // SIGHUP is taken asynchronously: ask until the log works again.
    let mut said = Vec::new();
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    while !said
        .iter()
        .any(|line: &String| line.contains("is written again"))
    {
        assert!(std::time::Instant::now() < deadline, "{said:?}");
        fetch();
        said.extend(errors.try_iter());
    }
    let failures = said
        .iter()
        .filter(|line| line.contains("cannot write the log"));
    assert_eq!(failures.count(), 1, "{said:?}");
}

/// Basic credentials on a non-loopback address: one warning line.
#[test]
fn auth_on_a_network_address_warns_once() {
    let dir = TempDir::new("binary-auth-warn");
    let stderr_of = |bind: &str| {
        let args = ["--port", "0", "--quiet", "--bind", bind, "--auth", "a:b"];
        let (mut running, _stdout, _, _port) = start_binary(&args, dir.path());
        running.signal("TERM");
        let mut text = String::new();
        running
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let network = stderr_of("0.0.0.0");
    assert_eq!(network.lines().count(), 1, "once: {network}");
    assert!(
        network.contains("warning: --auth on 0.0.0.0") && network.contains("TLS"),
        "{network}"
    );
    let loopback = stderr_of("127.0.0.1");
    assert_eq!(loopback, "", "nothing to warn about on loopback");
}

pub(crate) fn run_expecting_usage_error(args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    let dir = TempDir::new("usage");
    let file = dir.write("file.txt", b"x");
    let dir_arg = dir.path().to_str().unwrap();
    assert!(run_expecting_usage_error(&["--bogus", dir_arg]).contains("--bogus"));
    assert!(run_expecting_usage_error(&["--port", "99999", dir_arg]).contains("99999"));
    assert!(run_expecting_usage_error(&["/definitely/not/here"]).contains("does not exist"));
    assert!(run_expecting_usage_error(&[file.to_str().unwrap()]).contains("not a directory"));
}

/// Regression: some usage errors echoed the argument as it was, so a
/// directory name holding an escape sequence (`--check` run over names
/// someone else chose) wrote it raw to the operator's terminal, and a
/// newline made the one line two. Control characters are escaped now.
#[test]
fn usage_errors_escape_control_characters() {
    let dir = TempDir::new("usage-escapes");
    let hostile = dir.path().join("x\u{1b}]0;owned\u{7}\nsecond line");
    std::fs::write(&hostile, b"not a directory").unwrap();
    let hostile = hostile.to_str().unwrap();
    for args in [&["--check", hostile][..], &[hostile], &["--\u{1b}[2J"]] {
        let message = run_expecting_usage_error(args);
        assert!(
            !message.trim_end().contains(char::is_control),
            "{message:?}"
        );
    }
}

/// Regression: `--spa ../outside.html` started without a word, naming a
/// page that could never be served.
#[test]
fn spa_and_404_pages_outside_the_root_are_refused_at_start() {
    let base = TempDir::new("pages-outside");
    base.write("outside.html", b"<p>outside</p>");
    base.write("root/inside.html", b"<p>inside</p>");
    let root = base.path().join("root");
    let root_arg = root.to_str().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(base.path().join("outside.html"), root.join("link.html")).unwrap();
    for option in ["--spa", "--404"] {
        for page in ["../outside.html", "link.html", "missing.html"] {
            if page == "link.html" && !cfg!(unix) {
                continue;
            }
            let message = run_expecting_usage_error(&[option, page, root_arg]);
            assert!(message.contains(option), "{message}");
        }
    }
}

#[test]
fn port_in_use_exits_2() {
    let dir = TempDir::new("inuse");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let message = run_expecting_usage_error(&["--port", &port, dir.path().to_str().unwrap()]);
    assert!(message.contains(&port), "{message}");
}

#[test]
fn help_and_version_exit_0() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for option in [
        "--port",
        "--bind",
        "--threads",
        "--no-listing",
        "--quiet",
        "--version",
    ] {
        assert!(text.contains(option), "help mentions {option}");
    }
    let version = Command::new(BIN).arg("-V").output().unwrap();
    assert!(String::from_utf8(version.stdout)
        .unwrap()
        .starts_with("http-from-scratch 0."));
}

#[cfg(unix)]
#[test]
fn sigterm_finishes_the_download_in_flight_then_exits_0() {
    let dir = TempDir::new("sigterm");
    let contents: Vec<u8> = (0..(24u32 << 20)).map(|i| (i % 253) as u8).collect();
    dir.write("big.bin", &contents);
    let (mut running, mut stdout, _, port) = start_binary(&["--port", "0", "--quiet"], dir.path());

    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(&get("/big.bin")).unwrap();
    let mut first = [0u8; 4096];
    stream.read_exact(&mut first).unwrap();

    running.signal("TERM");
    // New connections are refused once the listener is closed.
    let refused = (0..2000).any(|_| {
        let gone = TcpStream::connect(("127.0.0.1", port)).is_err();
        if !gone {
            std::thread::yield_now();
        }
        gone
    });
    assert!(refused, "the listener closes after SIGTERM");

    // The download in flight still completes, byte for byte.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    let mut received = first.to_vec();
    received.extend(rest);
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(
        received[head_end..] == contents[..],
        "the body arrives whole"
    );

    let status = running.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut summary = String::new();
    stdout.read_to_string(&mut summary).unwrap();
    assert!(summary.contains("Stopped: 1 requests"), "{summary}");
}

#[cfg(unix)]
#[test]
fn a_second_signal_exits_at_once() {
    let dir = TempDir::new("sigterm-twice");
    dir.write("big.bin", &vec![1u8; 24 << 20]);
    let (mut running, _stdout, _, port) = start_binary(&["--port", "0", "--quiet"], dir.path());
    // A download in flight that the client does not read: a graceful stop
    // would wait for it (up to the drain timeout).
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(&get("/big.bin")).unwrap();
    let mut first = [0u8; 1024];
    stream.read_exact(&mut first).unwrap();
    running.signal("TERM");
    // Wait until the first signal has been taken (the listener closes).
    let refused = (0..2000).any(|_| {
        let gone = TcpStream::connect(("127.0.0.1", port)).is_err();
        if !gone {
            std::thread::yield_now();
        }
        gone
    });
    assert!(refused, "the first signal starts the graceful stop");
    running.signal("TERM");
    let status = running.0.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "the second signal exits at once"
    );
}

/// Starts the binary under a hard open-file limit it cannot raise, with
/// `args` and `root`; returns it and its port.
#[cfg(unix)]
fn start_binary_with_fd_limit(
    limit: u32,
    args: &[&str],
    root: &std::path::Path,
) -> (Running, BufReader<std::process::ChildStdout>, u16) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (Running(child), stdout, port)
}

#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_never_stops_the_accept_loop() {
    let dir = TempDir::new("emfile");
    dir.write("a.txt", b"a");
    // Above what 32 descriptors allow, so that accept itself runs out (the
    // default cap would refuse with 503 first).
    let args = ["--port", "0", "--quiet", "--max-connections", "1000"];
    let (mut running, _stdout, port) = start_binary_with_fd_limit(32, &args, dir.path());
    // The server's error lines, read on a thread so that waiting for one
    // has a time limit.
    let stderr = BufReader::new(running.0.stderr.take().unwrap());
    let (line_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = line_tx.send(line);
        }
    });

    // Far more idle clients than descriptors: the kernel queues the rest,
    // and accept runs out. They stay open until the server says so.
    let mut clients = Vec::new();
    for _ in 0..60 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n").unwrap();
        clients.push(s);
    }
    let warning = lines.recv_timeout(IO_TIMEOUT).expect("a warning");
    assert!(warning.contains("accept:"), "{warning}");
    drop(clients);
    // Once those close, descriptors free up and a new client is served.
    // The server frees them as it hears of each close, so a request that
    // comes first may still find none to open the file with: that is a 503
    // with Retry-After, and asking again is what the client should do.
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    loop {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&get("/a.txt")).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        if r.status() == 200 {
            break;
        }
        assert_eq!(
            r.status(),
            503,
            "only a retry-later while descriptors free up"
        );
        assert!(r.header("retry-after").is_some());
        assert!(std::time::Instant::now() < deadline, "never served again");
        std::thread::yield_now();
    }

    let _ = running.0.kill();
    let _ = running.0.wait();
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(
        rest.iter().all(|l| !l.contains("accept:")),
        "logged once: {rest:?}"
    );
}

/// Regression: the walk to a file kept every directory on the way open, so
/// a deep path used a descriptor per level: deep requests ran the process
/// out of descriptors and answered files that exist with 404.
#[cfg(unix)]
#[test]
fn a_deep_path_does_not_need_a_descriptor_per_level() {
    let dir = TempDir::new("deep");
    let depth = 120;
    let deep: String = (0..depth).map(|_| "d/").collect();
    dir.write(&format!("{deep}f.txt"), b"deep");
    // Fewer descriptors than the path has levels.
    let (_running, _stdout, port) =
        start_binary_with_fd_limit(48, &["--port", "0", "--quiet"], dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(&get(&format!("/{deep}f.txt"))).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"deep");
}

/// A SIGTERM that reaches the binary while it is still starting (here: sent
/// before it even runs, held pending by a blocked mask it inherits) ends in
/// the graceful stop and exit status 0, not in death by signal or in a
/// server that ignores it and runs on.
#[cfg(target_os = "linux")]
#[test]
fn a_sigterm_during_start_up_stops_the_server_cleanly() {
    use std::os::raw::c_int;
    use std::os::unix::process::CommandExt;
    extern "C" {
        fn sigemptyset(set: *mut [u64; 16]) -> c_int;
        fn sigaddset(set: *mut [u64; 16], signum: c_int) -> c_int;
        fn sigprocmask(how: c_int, set: *const [u64; 16], old: *mut [u64; 16]) -> c_int;
        fn raise(signum: c_int) -> c_int;
    }
    const SIG_BLOCK: c_int = 0;
    const SIGTERM: c_int = 15;

    let dir = TempDir::new("sigterm-at-start");
    let mut command = Command::new(BIN);
    command
        .args(["--port", "0", "--quiet"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec the child only calls async-signal-safe
    // functions on its own stack memory: block SIGTERM, then send it to
    // itself, where it waits (pending signals survive exec).
    unsafe {
        command.pre_exec(|| {
            let mut set = [0u64; 16];
            sigemptyset(&mut set);
            sigaddset(&mut set, SIGTERM);
            sigprocmask(SIG_BLOCK, &set, std::ptr::null_mut());
            raise(SIGTERM);
            Ok(())
        });
    }
    let mut running = Running(command.spawn().unwrap());
    let mut stdout = running.0.stdout.take().unwrap();
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stdout.read_to_string(&mut all);
        let _ = done_tx.send(all);
    });
    let printed = done
        .recv_timeout(IO_TIMEOUT)
        .expect("the server stops on its own");
    assert!(printed.contains("Shutting down"), "{printed}");
    assert!(printed.contains("Stopped: 0 requests"), "{printed}");
    let status = running.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a graceful stop, not a signal");
}

/// Runs `--check` with `args` on `root`: status, stdout, stderr.
fn run_check(args: &[&str], root: &std::path::Path) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .arg("--check")
        .args(args)
        .arg(root)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn check_exits_0_on_a_clean_tree() {
    let dir = TempDir::new("check-clean");
    dir.write("index.html", b"<p>hi</p>");
    dir.write("LICENSE", b"MIT");
    dir.write("css/site.css", b"p {}");
    dir.write(".git/config.weird", b"hidden, so not checked");
    let (status, stdout, stderr) = run_check(&["--no-listing"], dir.path());
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr, "no problems\n");
}

#[cfg(unix)]
#[test]
fn check_prints_one_line_per_problem_sorted_and_exits_1() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;
    let base = TempDir::new("check-problems");
    base.write("outside.txt", b"outside");
    let root = base.path().join("root");
    let source = base.write("root/app.js", b"new");
    let stale = base.write("root/app.js.gz", b"old");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    assert!(source.exists());
    base.write("root/docs/Notes.txt", b"a");
    base.write("root/docs/notes.txt", b"b");
    base.write("root/blob.qqq", b"?");
    std::fs::write(root.join(OsStr::from_bytes(b"bad\xff")), b"").unwrap();
    symlink(base.path().join("outside.txt"), root.join("escape.txt")).unwrap();
    symlink("gone.txt", root.join("dangling.txt")).unwrap();

    let (status, stdout, stderr) = run_check(&["--spa", "app.html"], &root);
    assert_eq!(status, Some(1), "{stdout}{stderr}");
    let expected = "\
app.html: --spa file is missing
app.js.gz: older than app.js, its source
bad\\xff: name is not valid UTF-8 (no URL can name it)
blob.qqq: extension has no MIME type (sent as application/octet-stream)
dangling.txt: symlink leads nowhere (missing target or a loop)
docs/notes.txt: differs from docs/Notes.txt only in case
escape.txt: symlink leads outside the root (not served without --follow-symlinks)
";
    assert_eq!(stdout, expected);
    assert_eq!(stderr, "7 problems\n");

    // The serving options apply: followed, the link that leaves is fine.
    let (_, stdout, _) = run_check(&["--spa", "app.js", "--follow-symlinks"], &root);
    assert!(!stdout.contains("escape.txt"), "{stdout}");
    assert!(!stdout.contains("--spa"), "{stdout}");
}

#[test]
fn check_of_a_missing_directory_is_bad_usage() {
    assert!(
        run_expecting_usage_error(&["--check", "/definitely/not/here"]).contains("does not exist")
    );
}
