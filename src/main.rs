//! The `http-from-scratch` binary: arguments in, a served directory out.
//!
//! `main` -> `run` -> `ExitCode` (as ripgrep does): every fatal problem comes
//! back here as an error and is printed once, as one line, with exit status 2.

use http_from_scratch::cli::{self, Command, ServeOptions};
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::router::Router;
use http_from_scratch::server::{Server, Shutdown};
use http_from_scratch::sys;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("http-from-scratch: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let command = cli::parse_args(std::env::args().skip(1)).map_err(|e| e.to_string())?;
    match command {
        Command::Help => {
            print!("{}", cli::HELP);
            Ok(())
        }
        Command::Version => {
            println!("http-from-scratch {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(options) => serve(*options),
    }
}

fn serve(options: ServeOptions) -> Result<(), String> {
    // First, so that a SIGINT or SIGTERM that comes while the server is
    // still starting is not fatal: it is noted, and the server stops
    // gracefully (exit status 0) as soon as it runs.
    sys::install_signal_handlers();
    let root = &options.root;
    if !root.is_dir() {
        return Err(if root.exists() {
            format!("'{}' is not a directory", root.display())
        } else {
            format!("directory '{}' does not exist", root.display())
        });
    }
    let files = FilesConfig::with_settings(root, options.files)
        .map_err(|e| format!("cannot open directory '{}': {e}", root.display()))?;
    let pages = [
        ("--spa", &files.settings.spa),
        ("--404", &files.settings.not_found_page),
    ];
    for (option, file) in pages {
        if let Some(file) = file {
            if !files.serves_file(file) {
                return Err(format!(
                    "{option} file '{file}' is not a file inside '{}'",
                    root.display()
                ));
            }
        }
    }
    let shown_root = files.root.display().to_string();
    let router = Router::new().mount("/", FileServer::new(files));

    // Each connection is a descriptor: let the soft limit go as high as the
    // hard one before the first accept.
    sys::raise_fd_limit();
    let addr = options.server.addr;
    let server = Server::bind(options.server, router)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = server.local_addr();
    let host = match bound.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    println!("Serving {shown_root} at http://{host}:{}/", bound.port());

    let shutdown = server.shutdown_handle();
    std::thread::spawn(move || watch_for_signals(&shutdown));
    let summary = server.run().map_err(|e| format!("server stopped: {e}"))?;
    println!(
        "Stopped: {} requests on {} connections, {} refused (503), {} handler panics, \
         {} cut off at the drain timeout",
        summary.requests, summary.connections, summary.refused, summary.panics, summary.cut_off
    );
    Ok(())
}

/// Signal handlers may only set a flag; this thread turns the flag into a
/// graceful shutdown. A second signal exits at once (see `sys`).
fn watch_for_signals(shutdown: &Shutdown) {
    while !sys::termination_requested() {
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("Shutting down: finishing requests in flight (signal again to exit now)");
    shutdown.shutdown();
}
