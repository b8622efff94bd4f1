//! The command line, parsed by hand: `http-from-scratch [OPTIONS] [DIR]`.
//!
//! Turns arguments into a [`Command`] or a one-line [`UsageError`]; it does
//! not touch the file system or the network (main.rs checks the directory and
//! binds). Options take their value as the next argument or after `=`
//! (`--port 80`, `--port=80`); `--` ends the options.

use crate::config::{ServerConfig, DEFAULT_MAX_THREADS, DEFAULT_PORT};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve a directory.
    Serve(ServeOptions),
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
}

/// Everything needed to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The directory to serve, as given (not yet checked).
    pub root: PathBuf,
    /// Server settings.
    pub server: ServerConfig,
    /// Whether to list directories without an index file.
    pub listing: bool,
}

/// A problem with the arguments, worded for the person who typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The `--help` text.
pub const HELP: &str = "\
Serve a directory over HTTP/1.1.

Usage: http-from-scratch [OPTIONS] [DIR]

Arguments:
  [DIR]  Directory to serve [default: the current directory]

Options:
  -p, --port PORT      Port to listen on; 0 picks a free one [default: 8080]
  -b, --bind ADDR      Address to listen on, IPv4 or IPv6 [default: 127.0.0.1]
  -t, --threads N      Most worker threads, i.e. connections served at once [default: 1024]
      --no-listing     Answer 403 for directories without index.html instead of listing them
  -q, --quiet          Do not write the access log
  -h, --help           Print this help
  -V, --version        Print the version
";

/// Parses the arguments after the program name.
///
/// # Errors
///
/// A [`UsageError`] naming the unknown flag, the missing or bad value, or the
/// extra argument.
pub fn parse_args<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = String>,
{
    let mut args = args.into_iter();
    let mut root: Option<PathBuf> = None;
    let mut port = DEFAULT_PORT;
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut server = ServerConfig::default();
    let mut listing = true;
    let mut only_positional = false;

    while let Some(arg) = args.next() {
        if only_positional || !arg.starts_with('-') || arg == "-" {
            if root.replace(PathBuf::from(&arg)).is_some() {
                return Err(UsageError(format!(
                    "unexpected argument '{arg}': only one DIR can be served"
                )));
            }
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| UsageError(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--" => only_positional = true,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "-p" | "--port" => port = parse_port(&value("--port")?)?,
            "-b" | "--bind" => ip = parse_ip(&value("--bind")?)?,
            "-t" | "--threads" => server.max_threads = parse_threads(&value("--threads")?)?,
            "--no-listing" => listing = false,
            "-q" | "--quiet" => server.access_log = false,
            _ => return Err(UsageError(format!("unknown option '{arg}' (see --help)"))),
        }
        if inline.is_some()
            && matches!(
                flag.as_str(),
                "--no-listing" | "--quiet" | "--help" | "--version"
            )
        {
            return Err(UsageError(format!("{flag} takes no value")));
        }
    }
    server.addr = SocketAddr::new(ip, port);
    Ok(Command::Serve(ServeOptions {
        root: root.unwrap_or_else(|| PathBuf::from(".")),
        server,
        listing,
    }))
}

fn parse_port(text: &str) -> Result<u16, UsageError> {
    text.parse::<u16>()
        .ok()
        .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            UsageError(format!(
                "invalid port '{text}': expected a number from 0 to 65535"
            ))
        })
}

fn parse_ip(text: &str) -> Result<IpAddr, UsageError> {
    if text == "localhost" {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    unbracketed.parse().map_err(|_| {
        UsageError(format!(
            "invalid bind address '{text}': expected an IP address such as 127.0.0.1 or ::1"
        ))
    })
}

fn parse_threads(text: &str) -> Result<usize, UsageError> {
    match text.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(UsageError(format!(
            "invalid thread count '{text}': expected 1 to 100000 (default {DEFAULT_MAX_THREADS})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, UsageError> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_serve_the_current_directory_on_8080() {
        let Command::Serve(options) = parse(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(options.root, PathBuf::from("."));
        assert_eq!(options.server.addr, "127.0.0.1:8080".parse().unwrap());
        assert!(options.listing && options.server.access_log);
    }

    #[test]
    fn every_option_is_read() {
        let Command::Serve(options) = parse(&[
            "-p",
            "0",
            "--bind=::1",
            "--threads",
            "8",
            "--no-listing",
            "-q",
            "site",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(options.server.addr, "[::1]:0".parse().unwrap());
        assert_eq!(options.server.max_threads, 8);
        assert!(!options.listing && !options.server.access_log);
        assert_eq!(options.root, PathBuf::from("site"));
        assert_eq!(parse(&["-V"]).unwrap(), Command::Version);
        assert_eq!(parse(&["--help"]).unwrap(), Command::Help);
    }

    #[test]
    fn bad_usage_is_one_clear_error() {
        for bad in [
            &["--frobnicate"][..],
            &["-p"],
            &["-p", "70000"],
            &["-p", "+80"],
            &["--bind", "nowhere"],
            &["-t", "0"],
            &["a", "b"],
            &["--quiet=yes"],
        ] {
            let err = parse(bad).unwrap_err();
            assert!(!err.0.contains('\n'), "{err}");
        }
    }
}
