//! The `http-from-scratch` binary: arguments in, a served directory out.
//!
//! `main` -> `run` -> `ExitCode` (as ripgrep does): every fatal problem comes
//! back here as an error and is printed once, as one line, with exit status 2.
//! `--check` ends with 1 when it found problems in the tree, 0 when not.

use http_from_scratch::auth::{BasicAuth, User};
use http_from_scratch::cli::{self, Command, ServeOptions};
use http_from_scratch::config::ServerConfig;
use http_from_scratch::files::{check, FileServer, FilesConfig, FilesSettings};
use http_from_scratch::handler::{Handler, HealthCheck};
use http_from_scratch::router::Router;
use http_from_scratch::server::listener::{Endpoint, Listener};
use http_from_scratch::server::{self, Server, Summary};
use http_from_scratch::sys;
use http_from_scratch::watch::Watcher;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("http-from-scratch: {}", one_line(&message));
            ExitCode::from(2)
        }
    }
}

/// A fatal message as one line with nothing a terminal would run: it may
/// echo an argument (a directory's name, chosen by whoever made it), so
/// control characters are escaped (`\n`, `\u{1b}`).
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

fn run() -> Result<ExitCode, String> {
    let command = cli::parse_args(std::env::args().skip(1)).map_err(|e| e.to_string())?;
    match command {
        Command::Help => print!("{}", cli::HELP),
        Command::Version => println!("http-from-scratch {}", env!("CARGO_PKG_VERSION")),
        Command::Check(options) => return check_tree(*options),
        Command::Serve(options) => serve(*options)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `--check`: the problems on stdout, one a line, for a script to grep;
/// the count on stderr, for the person; 1 if there were any. The `--spa`
/// and `--404` pages are among what is checked, so they are not refused
/// here as they are before serving.
fn check_tree(options: ServeOptions) -> Result<ExitCode, String> {
    check_root(&options.root)?;
    let files = FilesConfig::with_settings(&options.root, options.files)
        .map_err(|e| format!("cannot open directory '{}': {e}", options.root.display()))?;
    let problems = check::check(&files);
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        // A reader that went away (`| head`) has seen enough; the status
        // still says whether there were problems.
        if writeln!(out, "{problem}").is_err() {
            break;
        }
    }
    let _ = out.flush();
    match problems.len() {
        0 => eprintln!("no problems"),
        1 => eprintln!("1 problem"),
        n => eprintln!("{n} problems"),
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn serve(options: ServeOptions) -> Result<(), String> {
    // First, so that a SIGINT or SIGTERM that comes while the server is
    // still starting is not fatal: it is noted, and the server stops
    // gracefully (exit status 0) as soon as it runs.
    server::handle_signals();
    let inherited = passed_socket(options.bind_given)?;
    let ServeOptions {
        root,
        server,
        files,
        users,
        warnings,
        health,
        log_health,
        ..
    } = options;
    for warning in &warnings {
        eprintln!("http-from-scratch: warning: {warning}");
    }
    check_root(&root)?;
    let cors = files.cors_origin.is_some();
    let live_reload = files.live_reload;
    let files = open_files(&root, files)?;
    let shown_root = files.root.display().to_string();
    let mut handler: Box<dyn Handler> = Box::new(Router::new().mount("/", FileServer::new(files)));
    // Its first look at the tree is over before anything is served, so
    // every change after start-up is seen.
    let watcher = match live_reload {
        true => Some(start_watching(&root)?),
        false => None,
    };
    if let Some(watcher) = &watcher {
        handler = Box::new(watcher.handler(handler));
    }
    let asks_passwords = !users.is_empty();
    let handler = guarded(handler, users, cors, health, log_health);
    let passed = inherited.is_some();
    let server = bind(server, inherited, handler)?;
    if asks_passwords {
        warn_if_passwords_cross_the_network(server.endpoint());
    }
    announce(&shown_root, server.endpoint(), passed);
    let summary = serve_until_stopped(server)?;
    // The event streams were handed over, so the drain neither waited for
    // them nor cut them off: they end here.
    if let Some(watcher) = watcher {
        watcher.stop();
    }
    print_summary(&summary);
    Ok(())
}

/// What stands in front of `handler`: the passwords of `users`, if any,
/// and the health check at `health` in front of everything, passwords
/// included, since load balancers send none.
fn guarded(
    handler: Box<dyn Handler>,
    users: Vec<User>,
    cors: bool,
    health: Option<String>,
    log_health: bool,
) -> Box<dyn Handler> {
    let mut handler = handler;
    if !users.is_empty() {
        let auth = BasicAuth::new(handler, users);
        // With CORS on, the file server answers preflights, alike for every
        // path; browsers send them without credentials.
        handler = Box::new(if cors {
            auth.passing_cors_preflights()
        } else {
            auth
        });
    }
    match health {
        Some(path) => Box::new(HealthCheck {
            path,
            logged: log_health,
            inner: handler,
        }),
        None => handler,
    }
}

/// Starts live reload, saying how it watches (and so what it costs).
fn start_watching(root: &Path) -> Result<Watcher, String> {
    let watcher = Watcher::start(root).map_err(|e| format!("cannot start watching: {e}"))?;
    eprintln!("Live reload: {}", watcher.how());
    Ok(watcher)
}

/// The socket a service manager passed, if it passed one, taken while the
/// process has one thread (taking it removes its variables from the
/// environment). It replaces `--bind`, `--port` and `--socket-mode`, which
/// the note says when they were given.
fn passed_socket(bind_given: bool) -> Result<Option<Listener>, String> {
    let inherited = Listener::inherited()
        .map_err(|e| format!("cannot serve the socket the service manager passed: {e}"))?;
    if inherited.is_some() && bind_given {
        eprintln!(
            "http-from-scratch: note: serving the socket the service manager passed; \
             --bind, --port and --socket-mode are ignored"
        );
    }
    Ok(inherited)
}

/// The directory must exist and be a directory; the message says which of
/// the two is wrong.
fn check_root(root: &Path) -> Result<(), String> {
    if root.is_dir() {
        Ok(())
    } else if root.exists() {
        Err(format!("'{}' is not a directory", root.display()))
    } else {
        Err(format!("directory '{}' does not exist", root.display()))
    }
}

/// Opens the root with the settings, and refuses `--spa` and `--404` pages
/// the server would never serve, at start-up rather than on the first 404.
fn open_files(root: &Path, settings: FilesSettings) -> Result<FilesConfig, String> {
    let files = FilesConfig::with_settings(root, settings)
        .map_err(|e| format!("cannot open directory '{}': {e}", root.display()))?;
    let pages = [
        ("--spa", &files.settings.spa),
        ("--404", &files.settings.not_found_page),
    ];
    for (option, page) in pages {
        if let Some(page) = page {
            if !files.serves_file(page) {
                return Err(format!(
                    "{option} file '{page}' is not a file inside '{}'",
                    root.display()
                ));
            }
        }
    }
    Ok(files)
}

/// Binds where `config` says, or serves the socket the service manager
/// passed (`inherited`) instead.
fn bind(
    config: ServerConfig,
    inherited: Option<Listener>,
    handler: impl Handler + 'static,
) -> Result<Server, String> {
    // Each connection is a descriptor: let the soft limit go as high as the
    // hard one before the first accept.
    sys::raise_fd_limit();
    if let Some(path) = &config.log_file {
        server::reopen_log_on_sighup();
        // Said here, as what it is, rather than as a failure to listen. A
        // FIFO without a reader is refused (`sys::open_append`).
        sys::open_append(path)
            .map_err(|e| format!("cannot open the log file '{}': {e}", path.display()))?;
    }
    match inherited {
        Some(listener) => {
            let endpoint = listener.endpoint().to_string();
            Server::from_listener(listener, config, handler)
                .map_err(|e| format!("cannot serve the passed socket {endpoint}: {e}"))
        }
        None => {
            let bind = config.bind.clone();
            Server::bind(config, handler).map_err(|e| format!("cannot listen on {bind}: {e}"))
        }
    }
}

/// Basic credentials are only encoded, not encrypted: off this machine,
/// anyone on the path can read them unless TLS carries them. A Unix socket
/// is reached from this machine only.
fn warn_if_passwords_cross_the_network(endpoint: &Endpoint) {
    let Some(addr) = endpoint.tcp() else {
        return;
    };
    // `::ffff:127.0.0.1` is loopback too.
    if !addr.ip().to_canonical().is_loopback() {
        eprintln!(
            "http-from-scratch: warning: --auth on {} sends passwords readable by anyone \
             on the network; put a TLS proxy in front (README: Behind a proxy)",
            addr.ip()
        );
    }
}

/// The start-up line: where the server listens, as a URL for TCP, as
/// `unix:PATH` for a Unix socket, and whether the socket was passed.
fn announce(shown_root: &str, endpoint: &Endpoint, passed: bool) {
    let at = match endpoint.tcp() {
        Some(addr) => {
            let host = match addr.ip() {
                IpAddr::V6(ip) => format!("[{ip}]"),
                IpAddr::V4(ip) => ip.to_string(),
            };
            format!("http://{host}:{}/", addr.port())
        }
        None => endpoint.to_string(),
    };
    let passed = if passed {
        " (socket passed by the service manager)"
    } else {
        ""
    };
    println!("Serving {shown_root} at {at}{passed}");
}

/// Serves until a signal asks the server to stop.
fn serve_until_stopped(server: Server) -> Result<Summary, String> {
    server
        .run_until_signal()
        .map_err(|e| format!("server stopped: {e}"))
}

fn print_summary(summary: &Summary) {
    println!(
        "Stopped: {} requests on {} connections, {} refused (503), {} handler panics, \
         {} cut off at the drain timeout",
        summary.requests, summary.connections, summary.refused, summary.panics, summary.cut_off
    );
}
