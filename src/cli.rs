//! The command line, parsed by hand: `http-from-scratch [OPTIONS] [DIR]`.
//!
//! Turns arguments into a [`Command`] or a one-line [`UsageError`]; it does
//! not touch the file system or the network (main.rs checks the directory and
//! binds). Options take their value as the next argument or after `=`
//! (`--port 80`, `--port=80`); `--` ends the options.

use crate::auth::User;
use crate::config::{
    check_socket_mode, Bind, LogFormat, ServerConfig, DEFAULT_MAX_THREADS, DEFAULT_PORT,
};
use crate::files::FilesSettings;
use crate::http::headers::is_field_value_byte;
use crate::http::number::parse_decimal;
use crate::response::{check_header, HeaderProblem};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve a directory (boxed: it is much larger than the other variants).
    Serve(Box<ServeOptions>),
    /// Check the directory instead of serving it (`--check`): the same
    /// options, read the same way.
    Check(Box<ServeOptions>),
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
    /// Server settings; `-H` headers are its `extra_headers`.
    pub server: ServerConfig,
    /// How to serve files, as the file server takes them.
    pub files: FilesSettings,
    /// Who may pass `--auth`; empty: no password asked.
    pub users: Vec<User>,
    /// Things that are allowed but probably not meant, for the binary to
    /// print at start-up.
    pub warnings: Vec<String>,
    /// `--health PATH`: answered `200 ok` before anything else.
    pub health: Option<String>,
    /// `--log-health`: health checks go in the access log too.
    pub log_health: bool,
    /// Whether `--bind`, `--port` or `--socket-mode` was given: a socket
    /// passed by a service manager is served instead of `server.bind`, and
    /// the binary says the options are ignored.
    pub bind_given: bool,
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
  -p, --port PORT              Port to listen on; 0 picks a free one [default: 8080]
  -b, --bind ADDR              Address to listen on, IPv4, IPv6 or unix:PATH [default: 127.0.0.1]
      --socket-mode MODE       Octal mode of the unix:PATH socket file, e.g. 660 (default: umask)
  -t, --threads N              Most worker threads = requests in progress at once [default: 1024]
      --max-connections N      Most open connections; more get 503 [default: open-file limit - 64]
      --index NAME             Index file for directories; repeatable [default: index.html]
      --no-listing             Answer 403 for directories without an index instead of a listing
      --hidden                 Serve and list dotfiles (hidden by default)
      --follow-symlinks        Follow symlinks that lead outside DIR (default: only inside)
      --archives               Offer listed folders as tar archives (FOLDER/?download=tar)
      --spa FILE               Serve FILE (relative to DIR) for unknown paths that accept HTML
      --404 FILE               Answer 404s with the contents of FILE (relative to DIR)
      --cors                   Send Access-Control-Allow-Origin: * and answer CORS preflights
      --cors-origin ORIGIN     Like --cors, for one origin
      --max-age SECONDS        Send Cache-Control: max-age=SECONDS with files
      --cache-control VALUE    Send Cache-Control: VALUE with files
  -H, --header 'NAME: VALUE'   Add a header to every response; repeatable
      --health PATH            Answer 200 ok on PATH first (no files, no password), unlogged
      --log-health             Log the --health answers too
      --auth USER:PASSWORD     Ask for this name and password (HTTP Basic); repeatable;
                               USER:sha256:HEX takes the password's SHA-256 instead
      --upload                 Store files sent with PUT, or posted in a form to a directory
      --overwrite              Let uploads replace existing files (atomically)
      --max-upload BYTES       Largest upload, in bytes or with K, M, G, T [default: 1G]
      --head-timeout SECS      The whole request head must arrive within this [default: 15]
      --keep-alive-timeout SECS  Close keep-alive connections idle this long [default: 10]
      --body-timeout SECS      Longest wait for request body bytes [default: 30]
      --write-timeout SECS     Longest wait for a client to take response bytes [default: 30]
      --drain-timeout SECS     On SIGINT/SIGTERM, time given to requests in flight [default: 10]
  -q, --quiet                  No access log, nor a stderr line for each refused request
      --log-format FORMAT      Access log format: common, combined or json [default: common]
      --log FILE               Append the access log to FILE (reopened on SIGHUP) instead of stdout
      --watch                  Live reload: pages served from DIR reload when a file in it changes
      --check                  Print what in DIR would break serving (exit 1 if any), not serve
  -h, --help                   Print this help
  -V, --version                Print the version
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
    let mut parsed = Parsed::default();
    let mut only_positional = false;
    while let Some(arg) = args.next() {
        // A lone `-` is a name (as it is to most tools), not an option.
        if only_positional || !arg.starts_with('-') || arg == "-" {
            parsed.set_root(arg)?;
        } else if arg == "--" {
            only_positional = true;
        } else if let Some(command) = parsed.read_option(&arg, &mut args)? {
            return Ok(command);
        }
    }
    let check = parsed.check;
    let options = Box::new(parsed.finish()?);
    Ok(if check {
        Command::Check(options)
    } else {
        Command::Serve(options)
    })
}

/// The options read so far. Index names are kept apart until the end,
/// because the first `--index` replaces the default name rather than adding
/// to it.
#[derive(Default)]
struct Parsed {
    root: Option<PathBuf>,
    index: Vec<String>,
    server: ServerConfig,
    files: FilesSettings,
    users: Vec<User>,
    warnings: Vec<String>,
    health: Option<String>,
    log_health: bool,
    /// `--port`, `--bind` and `--socket-mode`, put together at the end,
    /// since which apply depends on all three.
    port: Option<u16>,
    bind: Option<BindArg>,
    socket_mode: Option<u32>,
    /// `--check`: a switch rather than a [`Applied::Stop`], because the
    /// options after it still apply to the check.
    check: bool,
}

/// What `--bind` named.
enum BindArg {
    /// An IP address, with `--port` for the port.
    Ip(IpAddr),
    /// `unix:PATH`: a Unix domain socket.
    Unix(PathBuf),
}

/// What reading one option led to.
enum Applied {
    /// A setting was changed: read on.
    Set,
    /// The user asked for something other than serving (`--help`).
    Stop(Command),
    /// No option has this name.
    Unknown,
}

/// The value of the option being read: the text after `=` if there was
/// one, else the next argument.
struct Value<'a> {
    inline: Option<String>,
    rest: &'a mut dyn Iterator<Item = String>,
}

impl Value<'_> {
    /// Takes the value; `option` is the long name, which messages use
    /// whichever spelling was typed.
    fn take(&mut self, option: &str) -> Result<String, UsageError> {
        self.inline
            .take()
            .or_else(|| self.rest.next())
            .ok_or_else(|| UsageError(format!("{option} needs a value")))
    }
}

impl Parsed {
    fn set_root(&mut self, arg: String) -> Result<(), UsageError> {
        if self.root.is_some() {
            return Err(UsageError(format!(
                "unexpected argument '{arg}': only one DIR can be served"
            )));
        }
        self.root = Some(PathBuf::from(arg));
        Ok(())
    }

    /// Reads one option, with its value if it takes one. Only long options
    /// carry a value after `=` (`--port=80`); `-p=80` is an unknown option.
    fn read_option(
        &mut self,
        arg: &str,
        rest: &mut dyn Iterator<Item = String>,
    ) -> Result<Option<Command>, UsageError> {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg, None),
        };
        let mut value = Value { inline, rest };
        match self.apply(flag, &mut value)? {
            Applied::Unknown => Err(UsageError(format!("unknown option '{arg}' (see --help)"))),
            // An option that takes a value has used the `=` part by now, so
            // one left over was given to a switch.
            _ if value.inline.is_some() => Err(UsageError(format!("{flag} takes no value"))),
            Applied::Set => Ok(None),
            Applied::Stop(command) => Ok(Some(command)),
        }
    }

    /// Recognises one option and applies it. This match is the one list of
    /// options: an option is added here, and described in `HELP`.
    fn apply(&mut self, flag: &str, value: &mut Value<'_>) -> Result<Applied, UsageError> {
        let server = &mut self.server;
        let files = &mut self.files;
        match flag {
            "-h" | "--help" => return Ok(Applied::Stop(Command::Help)),
            "-V" | "--version" => return Ok(Applied::Stop(Command::Version)),
            "--check" => self.check = true,
            "-p" | "--port" => self.port = Some(parse_port(&value.take("--port")?)?),
            "-b" | "--bind" => self.bind = Some(parse_bind(&value.take("--bind")?)?),
            "--socket-mode" => self.socket_mode = Some(parse_socket_mode(&value.take(flag)?)?),
            "-t" | "--threads" => server.max_threads = parse_threads(&value.take("--threads")?)?,
            "--max-connections" => {
                server.max_connections = Some(parse_max_connections(&value.take(flag)?)?);
            }
            "--index" => self.index.push(parse_file_name(&value.take(flag)?, flag)?),
            "--no-listing" => files.listing = false,
            "--hidden" => files.hidden = true,
            "--follow-symlinks" => files.follow_symlinks = true,
            "--archives" => files.archives = true,
            "--watch" => files.live_reload = true,
            "--spa" => files.spa = Some(value.take(flag)?),
            "--404" => files.not_found_page = Some(value.take(flag)?),
            "--cors" => files.cors_origin = Some("*".to_string()),
            "--cors-origin" => {
                files.cors_origin = Some(parse_header_value(&value.take(flag)?, flag)?);
            }
            "--max-age" => files.cache_control = Some(parse_max_age(&value.take(flag)?)?),
            "--cache-control" => {
                files.cache_control = Some(parse_header_value(&value.take(flag)?, flag)?);
            }
            "-H" | "--header" => {
                let header = parse_header(&value.take("--header")?)?;
                server.extra_headers.push(header);
            }
            "--head-timeout" => server.timeouts.head = seconds(&value.take(flag)?, flag)?,
            "--keep-alive-timeout" => {
                server.timeouts.keep_alive = seconds(&value.take(flag)?, flag)?;
            }
            "--body-timeout" => server.timeouts.body_read = seconds(&value.take(flag)?, flag)?,
            "--write-timeout" => server.timeouts.write = seconds(&value.take(flag)?, flag)?,
            "--drain-timeout" => server.timeouts.drain = seconds(&value.take(flag)?, flag)?,
            "-q" | "--quiet" => server.access_log = false,
            "--log-format" => server.log_format = parse_log_format(&value.take(flag)?)?,
            "--log" => server.log_file = Some(PathBuf::from(value.take(flag)?)),
            "--auth" => self.add_user(&value.take(flag)?)?,
            "--health" => self.health = Some(parse_health_path(&value.take(flag)?)?),
            "--log-health" => self.log_health = true,
            "--upload" => files.upload = true,
            "--overwrite" => files.overwrite = true,
            "--max-upload" => files.max_upload = parse_bytes(&value.take(flag)?, flag)?,
            _ => return Ok(Applied::Unknown),
        }
        Ok(Applied::Set)
    }

    /// `--auth SPEC`: one more user, and a warning if the hashed form looks
    /// mistyped.
    fn add_user(&mut self, spec: &str) -> Result<(), UsageError> {
        self.users.push(parse_user(spec)?);
        if User::looks_mistyped(spec) {
            self.warnings.push(format!(
                "--auth for '{}': 'sha256:' is not followed by 64 hex digits, so all of it \
                 is taken as the password (and is visible on the command line)",
                spec.split(':').next().unwrap_or_default()
            ));
        }
        Ok(())
    }

    /// Where to listen, from `--bind`, `--port` and `--socket-mode`
    /// together: a Unix socket has no port, and only a Unix socket has a
    /// mode.
    fn listen_on(&self) -> Result<Bind, UsageError> {
        let fail = |message: &str| Err(UsageError(message.to_string()));
        match (&self.bind, self.port, self.socket_mode) {
            (Some(BindArg::Unix(_)), Some(_), _) => {
                fail("--port does not apply to --bind unix:PATH (a Unix socket has no port)")
            }
            (Some(BindArg::Unix(path)), None, mode) => Ok(Bind::Unix {
                path: path.clone(),
                mode,
            }),
            (_, _, Some(_)) => fail("--socket-mode applies only to --bind unix:PATH"),
            (ip, port, None) => {
                let ip = match ip {
                    Some(BindArg::Ip(ip)) => *ip,
                    _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
                };
                Ok(Bind::Tcp(SocketAddr::new(ip, port.unwrap_or(DEFAULT_PORT))))
            }
        }
    }

    fn finish(self) -> Result<ServeOptions, UsageError> {
        let bind = self.listen_on()?;
        let bind_given = self.bind.is_some() || self.port.is_some() || self.socket_mode.is_some();
        let mut files = self.files;
        if !self.index.is_empty() {
            files.index = self.index;
        }
        let mut server = self.server;
        server.bind = bind;
        if files.upload {
            // The parser refuses a declared body over this limit before any
            // handler runs: uploads need room up to --max-upload.
            let limit = &mut server.limits.max_body_bytes;
            *limit = (*limit).max(files.max_upload);
        }
        Ok(ServeOptions {
            root: self.root.unwrap_or_else(|| PathBuf::from(".")),
            server,
            files,
            users: self.users,
            warnings: self.warnings,
            health: self.health,
            log_health: self.log_health,
            bind_given,
        })
    }
}

/// `-H 'Name: value'`, held to the rules the writer holds every field to
/// ([`check_header`]), so a CR, LF or bad name is refused at start-up
/// instead of corrupting responses.
fn parse_header(text: &str) -> Result<(String, String), UsageError> {
    let bad = || {
        UsageError(format!(
            "invalid header '{}': expected 'Name: value'",
            text.escape_debug()
        ))
    };
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    let value = value.trim_matches([' ', '\t']);
    match check_header(name, value).map_err(|e| e.problem) {
        Ok(()) => Ok((name.to_string(), value.to_string())),
        Err(HeaderProblem::BadName) => Err(bad()),
        Err(HeaderProblem::WriterOwned) => Err(UsageError(format!(
            "header '{name}' is set by the server and cannot be overridden"
        ))),
        Err(HeaderProblem::BadValue) => Err(bad_value(value, "--header")),
    }
}

/// `--log-format common|combined|json`.
fn parse_log_format(text: &str) -> Result<LogFormat, UsageError> {
    LogFormat::from_name(text).ok_or_else(|| {
        UsageError(format!(
            "invalid --log-format '{}': expected common, combined or json",
            text.escape_debug()
        ))
    })
}

/// `--health PATH`: a path a request can carry (the parser's own rule, so
/// a path every request with it would be refused for is refused here),
/// compared with the request's path as it is sent.
fn parse_health_path(text: &str) -> Result<String, UsageError> {
    if crate::http::parse::is_origin_path(text) {
        Ok(text.to_string())
    } else {
        Err(UsageError(format!(
            "invalid --health '{}': expected a path such as /healthz",
            text.escape_debug()
        )))
    }
}

/// `--auth USER:PASSWORD` or `USER:sha256:HEX`.
fn parse_user(text: &str) -> Result<User, UsageError> {
    User::parse(text).ok_or_else(|| {
        UsageError(
            "invalid --auth: expected USER:PASSWORD (neither empty) or USER:sha256:HEX (64 hex digits)"
                .to_string(),
        )
    })
}

fn parse_header_value(text: &str, option: &str) -> Result<String, UsageError> {
    if text.bytes().all(is_field_value_byte) {
        Ok(text.to_string())
    } else {
        Err(bad_value(text, option))
    }
}

fn bad_value(text: &str, option: &str) -> UsageError {
    UsageError(format!(
        "invalid {option} value '{}': control characters are not allowed",
        text.escape_debug()
    ))
}

fn parse_file_name(text: &str, option: &str) -> Result<String, UsageError> {
    if text.is_empty() || text.contains(['/', '\\', '\0']) {
        Err(UsageError(format!(
            "invalid {option} '{}': expected a file name",
            text.escape_debug()
        )))
    } else {
        Ok(text.to_string())
    }
}

/// A size in bytes: digits, and optionally `K`, `M`, `G` or `T` for that
/// many KiB, MiB, GiB or TiB (`--max-upload 10G`).
fn parse_bytes(text: &str, option: &str) -> Result<u64, UsageError> {
    let (digits, unit) = match text.as_bytes().last() {
        Some(b'K' | b'k') => (&text[..text.len() - 1], 1u64 << 10),
        Some(b'M' | b'm') => (&text[..text.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&text[..text.len() - 1], 1 << 30),
        Some(b'T' | b't') => (&text[..text.len() - 1], 1 << 40),
        _ => (text, 1),
    };
    parse_decimal(digits.as_bytes())
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| {
            UsageError(format!(
                "invalid {option} '{text}': expected bytes, such as 1048576 or 1M"
            ))
        })
}

/// `--max-age SECONDS` as the `Cache-Control` value it stands for.
fn parse_max_age(text: &str) -> Result<String, UsageError> {
    match parse_decimal(text.as_bytes()) {
        Some(seconds) => Ok(format!("max-age={seconds}")),
        None => Err(UsageError(format!(
            "invalid --max-age '{text}': expected whole seconds"
        ))),
    }
}

fn seconds(text: &str, option: &str) -> Result<Duration, UsageError> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 86_400.0 && !text.starts_with('+') => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(UsageError(format!(
            "invalid {option} '{text}': expected seconds, more than 0 and at most 86400"
        ))),
    }
}

fn parse_port(text: &str) -> Result<u16, UsageError> {
    parse_decimal(text.as_bytes())
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| {
            UsageError(format!(
                "invalid port '{text}': expected a number from 0 to 65535"
            ))
        })
}

/// `--bind`: an IP address, or `unix:PATH` for a Unix domain socket. An
/// abstract socket (Linux's `unix:@NAME`, no file) is refused: its name
/// would be shared by everyone on the machine, with no permissions to
/// keep them out, which is what a Unix socket is for here.
fn parse_bind(text: &str) -> Result<BindArg, UsageError> {
    let Some(path) = text.strip_prefix("unix:") else {
        return parse_ip(text).map(BindArg::Ip);
    };
    if path.is_empty() {
        return Err(UsageError(
            "invalid bind address 'unix:': expected unix:PATH, such as unix:/run/site.sock"
                .to_string(),
        ));
    }
    if path.starts_with('@') {
        return Err(UsageError(format!(
            "invalid bind address '{}': abstract Unix sockets are not supported; \
             give a path, such as unix:/run/site.sock",
            text.escape_debug()
        )));
    }
    Ok(BindArg::Unix(PathBuf::from(path)))
}

/// `--socket-mode MODE`: permission bits in octal, as `chmod` takes them
/// (`660`, `0600`).
fn parse_socket_mode(text: &str) -> Result<u32, UsageError> {
    let bad = |why: &str| {
        UsageError(format!(
            "invalid --socket-mode '{}': {why}",
            text.escape_debug()
        ))
    };
    let octal = (1..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    let mode = u32::from_str_radix(text, 8)
        .ok()
        .filter(|_| octal)
        .ok_or_else(|| bad("expected octal permission bits, such as 660 or 600"))?;
    check_socket_mode(mode).map_err(bad)?;
    Ok(mode)
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
            "invalid bind address '{text}': expected an IP address such as 127.0.0.1 or ::1, \
             or unix:PATH"
        ))
    })
}

fn parse_threads(text: &str) -> Result<usize, UsageError> {
    match parse_decimal(text.as_bytes()) {
        Some(n) if (1..=100_000).contains(&n) => Ok(n as usize),
        _ => Err(UsageError(format!(
            "invalid thread count '{text}': expected 1 to 100000 (default {DEFAULT_MAX_THREADS})"
        ))),
    }
}

fn parse_max_connections(text: &str) -> Result<usize, UsageError> {
    match parse_decimal(text.as_bytes()) {
        Some(n) if (1..=10_000_000).contains(&n) => Ok(n as usize),
        _ => Err(UsageError(format!(
            "invalid --max-connections '{text}': expected 1 to 10000000"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, UsageError> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    /// `HELP` spells the defaults out for people; they live in `config`.
    /// This keeps the two from drifting apart.
    #[test]
    fn help_states_the_defaults_config_holds() {
        let defaults = ServerConfig::default();
        let Bind::Tcp(addr) = defaults.bind else {
            panic!("the default is a TCP address")
        };
        let timeouts = &defaults.timeouts;
        let line_of = |flag: &str| {
            HELP.lines()
                .find(|line| line.contains(flag))
                .unwrap_or_else(|| panic!("{flag} in HELP"))
                .to_string()
        };
        let stated = [
            ("--port", addr.port().to_string()),
            ("--bind", addr.ip().to_string()),
            ("--threads", defaults.max_threads.to_string()),
            ("--head-timeout", timeouts.head.as_secs().to_string()),
            (
                "--keep-alive-timeout",
                timeouts.keep_alive.as_secs().to_string(),
            ),
            ("--body-timeout", timeouts.body_read.as_secs().to_string()),
            ("--write-timeout", timeouts.write.as_secs().to_string()),
            ("--drain-timeout", timeouts.drain.as_secs().to_string()),
        ];
        for (flag, value) in stated {
            let line = line_of(flag);
            assert!(line.ends_with(&format!("[default: {value}]")), "{line}");
        }
        assert!(line_of("--index").ends_with(&format!(
            "[default: {}]",
            FilesSettings::default().index.join(", ")
        )));
    }

    #[test]
    fn defaults_serve_the_current_directory_on_8080() {
        let Command::Serve(options) = parse(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(options.root, PathBuf::from("."));
        assert_eq!(
            options.server.bind,
            Bind::Tcp("127.0.0.1:8080".parse().unwrap())
        );
        assert!(!options.bind_given);
        assert!(options.files.listing && options.server.access_log);
        // Derived from the open-file limit when the server starts.
        assert_eq!(options.server.max_connections, None);
    }

    #[test]
    fn every_option_is_read() {
        let Command::Serve(options) = parse(&[
            "-p",
            "0",
            "--bind=::1",
            "--threads",
            "8",
            "--max-connections=500",
            "--no-listing",
            "-q",
            "site",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(options.server.bind, Bind::Tcp("[::1]:0".parse().unwrap()));
        assert!(options.bind_given);
        assert_eq!(options.server.max_threads, 8);
        assert_eq!(options.server.max_connections, Some(500));
        assert!(!options.files.listing && !options.server.access_log);
        assert_eq!(options.root, PathBuf::from("site"));
        assert_eq!(parse(&["-V"]).unwrap(), Command::Version);
        assert_eq!(parse(&["--help"]).unwrap(), Command::Help);
    }

    #[test]
    fn file_serving_options_are_read() {
        let Command::Serve(o) = parse(&[
            "--index",
            "home.html",
            "--index=index.htm",
            "--hidden",
            "--follow-symlinks",
            "--archives",
            "--spa",
            "app.html",
            "--404",
            "404.html",
            "--cors",
            "--max-age",
            "60",
            "-H",
            "X-Frame-Options: DENY",
            "--keep-alive-timeout",
            "2.5",
        ])
        .unwrap() else {
            panic!()
        };
        let f = &o.files;
        assert_eq!(f.index, vec!["home.html", "index.htm"]);
        assert!(f.hidden && f.follow_symlinks && f.archives);
        assert_eq!(f.spa.as_deref(), Some("app.html"));
        assert_eq!(f.not_found_page.as_deref(), Some("404.html"));
        assert_eq!(f.cors_origin.as_deref(), Some("*"));
        assert_eq!(f.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(
            o.server.extra_headers,
            vec![("X-Frame-Options".to_string(), "DENY".to_string())]
        );
        assert_eq!(o.server.timeouts.keep_alive, Duration::from_millis(2500));
    }

    #[test]
    fn upload_options_are_read_and_raise_the_body_limit() {
        let Command::Serve(plain) = parse(&[]).unwrap() else {
            panic!()
        };
        assert!(!plain.files.upload && !plain.files.overwrite);
        assert_eq!(plain.files.max_upload, 1 << 30);
        assert_eq!(plain.server.limits, crate::config::Limits::default());
        let Command::Serve(o) = parse(&["--upload", "--overwrite", "--max-upload=2G"]).unwrap()
        else {
            panic!()
        };
        assert!(o.files.upload && o.files.overwrite);
        assert_eq!(o.files.max_upload, 2 << 30);
        assert_eq!(o.server.limits.max_body_bytes, 2 << 30);
        // A smaller upload limit leaves the server's own limit alone.
        let Command::Serve(o) = parse(&["--upload", "--max-upload", "1k"]).unwrap() else {
            panic!()
        };
        assert_eq!(o.files.max_upload, 1024);
        assert_eq!(o.server.limits.max_body_bytes, 16 << 20);
        // Without --upload nothing changes.
        let Command::Serve(o) = parse(&["--max-upload", "2G"]).unwrap() else {
            panic!()
        };
        assert_eq!(o.server.limits.max_body_bytes, 16 << 20);
        assert!(line_has_default("--max-upload", "1G"));
    }

    fn line_has_default(flag: &str, value: &str) -> bool {
        HELP.lines()
            .any(|line| line.contains(flag) && line.ends_with(&format!("[default: {value}]")))
    }

    #[test]
    fn check_takes_the_serving_options_wherever_it_stands() {
        let Command::Check(o) = parse(&["--hidden", "--check", "site", "--no-listing"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.root, PathBuf::from("site"));
        assert!(o.files.hidden && !o.files.listing);
        assert!(parse(&["--check=yes"]).is_err());
        assert!(matches!(parse(&["site"]), Ok(Command::Serve(_))));
    }

    #[test]
    fn a_unix_socket_takes_a_path_and_a_mode_in_any_order() {
        let bind_of = |args: &[&str]| match parse(args) {
            Ok(Command::Serve(options)) => (options.server.bind, options.bind_given),
            other => panic!("{other:?}"),
        };
        let unix = |path: &str, mode| Bind::Unix {
            path: PathBuf::from(path),
            mode,
        };
        assert_eq!(
            bind_of(&["--bind", "unix:/run/site.sock"]),
            (unix("/run/site.sock", None), true)
        );
        assert_eq!(
            bind_of(&["--socket-mode=660", "-b", "unix:rel.sock"]),
            (unix("rel.sock", Some(0o660)), true)
        );
        assert_eq!(
            bind_of(&["-b", "unix:/s", "--socket-mode", "0600"]).0,
            unix("/s", Some(0o600))
        );
        assert_eq!(
            bind_of(&["--port", "0"]),
            (Bind::Tcp("127.0.0.1:0".parse().unwrap()), true)
        );
        assert_eq!(
            unix("/run/site.sock", None).to_string(),
            "unix:/run/site.sock"
        );
    }

    #[test]
    fn unix_socket_options_that_do_not_fit_are_usage_errors() {
        let error_of = |args: &[&str]| parse(args).unwrap_err().0;
        for args in [
            &["--bind", "unix:/s", "--port", "80"][..],
            &["-p", "80", "--bind", "unix:/s"],
        ] {
            assert!(error_of(args).contains("--port does not apply"), "{args:?}");
        }
        assert!(error_of(&["--socket-mode", "660"]).contains("only to --bind unix:PATH"));
        assert!(error_of(&["--socket-mode", "660", "-b", "::1"]).contains("only to"));
        assert!(error_of(&["-b", "unix:@name"]).contains("abstract"));
        assert!(error_of(&["-b", "unix:"]).contains("unix:PATH"));
        for mode in ["8", "66a", "", "+660", "07777", "1777"] {
            let error = error_of(&["-b", "unix:/s", "--socket-mode", mode]);
            assert!(error.contains("--socket-mode"), "{mode}: {error}");
        }
        // Who may connect is the mode's business alone: a group only, say.
        assert!(parse(&["-b", "unix:/s", "--socket-mode", "060"]).is_ok());
    }

    /// README's options table and `HELP` name the same options.
    #[test]
    fn every_option_in_help_is_in_the_readme() {
        let readme = include_str!("../README.md");
        let table = readme
            .split("## Options")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("an Options section");
        for line in HELP.lines().filter(|l| l.trim_start().starts_with('-')) {
            let long = line
                .split_whitespace()
                .find(|word| word.starts_with("--"))
                .expect("a long option")
                .trim_end_matches(',');
            assert!(
                table.contains(&format!("`{long}")) || table.contains(&format!(", {long}")),
                "{long} in README's options table"
            );
        }
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
            &["--=site"],
            &["-H", "X-Bad\r\nInjected: 1"],
            &["-H", "Bad Name: v"],
            &["-H", "NoColon"],
            &["-H", "Content-Length: 5"],
            &["--max-age", "-1"],
            &["--head-timeout", "0"],
            &["--index", "a/b.html"],
            &["--max-connections", "0"],
            &["--max-connections", "many"],
            &["--max-upload", "-1"],
            &["--max-upload", "1.5G"],
            &["--max-upload", "G"],
            &["--max-upload", "99999999T"],
            &["--upload=yes"],
        ] {
            let err = parse(bad).unwrap_err();
            assert!(!err.0.contains('\n'), "{err}");
        }
    }

    /// Regression: `--health '/up#x'` (or with `"`, `\`, `{`, a bad `%`)
    /// was taken, though no request can carry that path (the parser
    /// refuses it with 400), so the load balancer's checks never passed.
    #[test]
    fn a_health_path_must_be_one_a_request_can_carry() {
        let health = |path: &str| match parse(&["--health", path]) {
            Ok(Command::Serve(options)) => options.health,
            _ => None,
        };
        for good in ["/healthz", "/_up/ok", "/a%20b", "/~x;v=1"] {
            assert_eq!(health(good).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "/up#x", "/a\"b", "/a\\b", "/a{b}", "/a|b", "/a^b", "/a<b>", "/a`b", "/[::1]", "/a%2",
            "/a%zz", "/up?x", "up", "/a b",
        ] {
            assert_eq!(health(bad), None, "{bad}");
        }
    }
}
