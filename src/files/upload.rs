//! Uploads (`--upload`): `PUT /dir/name` stores its body as the file
//! `name`, and a `multipart/form-data` POST to a directory's URL stores each
//! file of the form in that directory (the listing's upload form sends
//! one, with a file field named [`FORM_FIELD`]).
//!
//! Everything that can refuse an upload is checked before the first byte
//! of the body is read, so `100 Continue` (sent on that first read) is never
//! given to an upload that is refused anyway, and a refused body is never
//! sent: the `Origin` (a page of another site may not make a browser
//! upload: 403), the declared size (`--max-upload`: 413), the path by the
//! file server's rules (`..` above the root: 400; a hidden name without
//! `--hidden`: 403), the directory (reached through the door; a missing
//! one is 409, as RFC 4918 §9.7.1 has it for a PUT whose parent collection
//! is missing: the target itself may not exist, which is what PUT is for,
//! so 404 would not say what is wrong), and the name (a directory there:
//! 405; a file, without `--overwrite`: 409, or 412 when the request said
//! `If-None-Match: *`). Only a form's file names arrive with its body, and
//! are checked as each part begins.
//!
//! The content then streams into a temporary file in the target directory,
//! a 64 KiB piece at a time, and is moved to its name only once complete
//! and flushed to disk; every failure on the way (the client gone, the body
//! timeout, too many bytes, a full disk) drops the temporary file, which
//! removes it, and closes the connection. The move never replaces a file
//! unless `--overwrite`, and decides that in the same step as the move, so
//! two uploads of one new name cannot both win (see `sys::rename_at`).
//!
//! Owned here: the policy of taking files and the answers. Not owned:
//! opening and writing (the door, [`super::open`]), what a URL path means
//! ([`super::path`]), reading the form ([`crate::http::multipart_form`]),
//! and showing the form (the listing).

use super::conditional::{self, Precondition, Validators};
use super::negotiate;
use super::open::{Entry, OpenError, Root, TempFile, UploadDir};
use super::path::{self, CleanPath, PathError};
use super::settings::FilesSettings;
use crate::http::headers::Fields;
use crate::http::method::Method;
use crate::http::multipart_form::{boundary_of, FormError, FormReader, Item, ReadError};
use crate::http::status::Status;
use crate::http::uri::percent_encode_segment;
use crate::request::{Body, BodyError, Request};
use crate::response::Response;
use crate::sys::Replace;
use std::ffi::OsStr;
use std::io::{self, Write};

/// The name of the file field in the listing's upload form. A form may
/// name its file fields anything: every part with a file name is stored.
pub const FORM_FIELD: &str = "file";

/// The most files one form may store (each is a temporary file until the
/// whole form has arrived). More: 413.
pub const MAX_FORM_FILES: usize = 256;

/// What a file takes with uploads on.
pub const FILE_ALLOW: &str = "GET, HEAD, OPTIONS, PUT";

/// What a directory takes with uploads on.
pub const DIRECTORY_ALLOW: &str = "GET, HEAD, OPTIONS, POST";

/// The piece of content read and written at a time.
const COPY_BYTES: usize = 64 * 1024;

/// The longest file name most file systems take (`NAME_MAX`).
const MAX_NAME_BYTES: usize = 255;

/// Answers a PUT or a POST, for a file server serving `root` with uploads
/// on (`settings.upload`); other methods are the file server's.
pub(super) fn handle(root: &Root, settings: &FilesSettings, request: &mut Request<'_>) -> Response {
    let outcome = match request.method() {
        Method::Put => put(root, settings, request),
        _ => post(root, settings, request),
    };
    outcome.unwrap_or_else(|refusal| refusal)
}

/// Where a PUT goes, and what it may do there, decided before its body.
struct PutTarget {
    dir: UploadDir,
    name: String,
    url: String,
    placement: Placement,
}

/// Whether a PUT may replace what has its name by the time it is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Only create: a name taken by then is refused with this status (409,
    /// or 412 for `If-None-Match: *`).
    Create { taken: Status },
    /// Create, or replace atomically (`--overwrite`).
    Replace,
}

/// `PUT /dir/name`: 201 with `Location` for a new file, 204 for a
/// replaced one (RFC 9110 §9.3.4).
fn put(
    root: &Root,
    settings: &FilesSettings,
    request: &mut Request<'_>,
) -> Result<Response, Response> {
    let max_upload = settings.max_upload;
    check_origin(request)?;
    check_host(request)?;
    check_declared_size(request, max_upload)?;
    if request.header("content-range").is_some() {
        // RFC 9110 §14.5: a server without partial PUT must refuse one.
        return Err(refusal(Status::BAD_REQUEST, "partial PUT is not supported"));
    }
    if request.header("content-encoding").is_some() {
        // RFC 9110 §8.4: content in a coding the server will not decode may
        // be refused with 415; storing it as if plain would be wrong.
        return Err(refusal(
            Status::UNSUPPORTED_MEDIA_TYPE,
            "a Content-Encoding is not decoded: send the plain bytes",
        ));
    }
    let target = put_target(root, settings, request)?;
    let mut temp = target.dir.create_temp().map_err(|e| write_failed(&e))?;
    receive(request.body(), &mut temp, max_upload)?;
    place(temp, &target)
}

/// The directory and name a PUT writes, checked: a name inside an existing
/// directory, not itself a directory, free or replaceable.
fn put_target(
    root: &Root,
    settings: &FilesSettings,
    request: &Request<'_>,
) -> Result<PutTarget, Response> {
    let clean = clean_path(request.route_rest(), settings.hidden)?;
    let file_name = match clean.segments.split_last() {
        Some((name, parents)) if !clean.trailing_slash => Some((name, parents)),
        _ => None,
    };
    let Some((name, parents)) = file_name else {
        return Err(not_a_file_name(root, &clean));
    };
    check_new_name(name, settings.hidden)?;
    let missing = || refusal(Status::CONFLICT, "the directory does not exist");
    let opened = match root.open(parents) {
        Ok(opened) if opened.metadata.is_dir() => opened,
        Ok(_) | Err(OpenError::NotFound) => return Err(missing()),
        Err(err) => return Err(Response::error(err.status())),
    };
    let dir = UploadDir::new(opened).ok_or_else(outside)?;
    let existing = dir
        .entry(OsStr::new(name))
        .map_err(|err| Response::error(err.status()))?;
    let placement = placement(request.fields(), settings.overwrite, existing)?;
    Ok(PutTarget {
        url: url_of(request, &clean.segments, false),
        name: name.clone(),
        dir,
        placement,
    })
}

/// A PUT to `/` or to a path ending in `/` names a directory, which is
/// never written: 405 if there is one, else 404 (no directory is made).
fn not_a_file_name(root: &Root, clean: &CleanPath) -> Response {
    match root.open(&clean.segments) {
        Ok(opened) if opened.metadata.is_dir() => Response::method_not_allowed(DIRECTORY_ALLOW),
        _ => Response::error(Status::NOT_FOUND),
    }
}

/// What a PUT may do to the name, by `--overwrite` and the request's
/// preconditions: `If-None-Match: *` (create only) beats `--overwrite`;
/// `If-Match` and `If-Unmodified-Since` are weighed against the file there
/// now (RFC 9110 §13.2.2; checked before the body, not again at the rename).
fn placement(fields: Fields<'_>, overwrite: bool, existing: Entry) -> Result<Placement, Response> {
    let create_only = fields.list("if-none-match").any(|tag| tag == b"*");
    let failed = || Response::error(Status::PRECONDITION_FAILED);
    let taken = if create_only {
        Status::PRECONDITION_FAILED
    } else {
        Status::CONFLICT
    };
    match existing {
        Entry::Directory => Err(Response::method_not_allowed(DIRECTORY_ALLOW)),
        // No current representation: an If-Match cannot be true.
        Entry::Absent if fields.get("if-match").is_some() => Err(failed()),
        Entry::Absent if overwrite && !create_only => Ok(Placement::Replace),
        Entry::Absent => Ok(Placement::Create { taken }),
        _ if create_only => Err(failed()),
        _ if !overwrite => Err(already_there()),
        Entry::File(metadata) => {
            let validators = Validators::for_file(&metadata, None);
            match conditional::evaluate(fields, Method::Put, &validators) {
                Precondition::Failed => Err(failed()),
                _ => Ok(Placement::Replace),
            }
        }
        Entry::Other if fields.get("if-match").is_some() => Err(failed()),
        Entry::Other => Ok(Placement::Replace),
    }
}

/// Moves a complete upload to its name: created (201), or, where
/// replacing is allowed and the name is taken, replaced (204).
fn place(mut temp: TempFile, target: &PutTarget) -> Result<Response, Response> {
    let name = OsStr::new(&target.name);
    match temp.rename_into_place(name, Replace::Never) {
        Ok(()) => {
            return Ok(Response::text(Status::CREATED, format!("{}\n", target.url))
                .with_header("Location", target.url.clone()))
        }
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(write_failed(&err)),
        Err(_) => {}
    }
    match target.placement {
        Placement::Create { taken } if taken == Status::CONFLICT => Err(already_there()),
        Placement::Create { taken } => Err(Response::error(taken)),
        Placement::Replace => match temp.rename_into_place(name, Replace::Existing) {
            Ok(()) => Ok(Response::new(Status::NO_CONTENT)),
            Err(err) => Err(write_failed(&err)),
        },
    }
}

/// Copies the body into the temporary file, at most `limit` bytes of it.
fn receive(body: &mut Body<'_>, temp: &mut TempFile, limit: u64) -> Result<(), Response> {
    let mut piece = vec![0u8; COPY_BYTES];
    let mut total = 0u64;
    loop {
        let n = body
            .read_checked(&mut piece)
            .map_err(|err| body_failed(&err))?;
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        if total > limit {
            return Err(body_failed(&BodyError::TooLarge));
        }
        temp.write_all(&piece[..n])
            .map_err(|err| write_failed(&err).with_close())?;
    }
}

/// A file of a form, written under its temporary name until the whole
/// form has arrived.
struct Staged {
    name: String,
    temp: TempFile,
}

/// A `multipart/form-data` POST to a directory: every file part stored
/// there. 303 back to the directory for a browser (its `Accept` names
/// `text/html`), else 201 listing the new files' URLs.
fn post(
    root: &Root,
    settings: &FilesSettings,
    request: &mut Request<'_>,
) -> Result<Response, Response> {
    check_origin(request)?;
    check_host(request)?;
    let (dir, dir_url) = post_target(root, settings.hidden, request)?;
    // RFC 9110 §5.3: Content-Type is not a list; two would be two forms.
    if request.fields().get_all("content-type").nth(1).is_some() {
        return Err(refusal(Status::BAD_REQUEST, "more than one Content-Type"));
    }
    let content_type = request.header("content-type").unwrap_or_default();
    let boundary = boundary_of(content_type).map_err(form_failed)?;
    check_declared_size(request, settings.max_upload)?;
    let staged = receive_form(settings, request.body(), &dir, &boundary)?;
    if staged.is_empty() {
        return Err(refusal(Status::BAD_REQUEST, "the form holds no file"));
    }
    let stored = place_all(staged, settings.overwrite)?;
    if negotiate::names_html(request.fields()) {
        return Ok(Response::redirect(Status::SEE_OTHER, dir_url));
    }
    let urls: Vec<String> = stored
        .iter()
        .map(|name| format!("{dir_url}{}", percent_encode_segment(name)))
        .collect();
    let mut response = Response::text(Status::CREATED, format!("{}\n", urls.join("\n")));
    if let [only] = urls.as_slice() {
        response = response.with_header("Location", only.clone());
    }
    Ok(response)
}

/// The directory a form is posted to, with its URL: it must exist (404)
/// and be a directory inside the root (a file: 405).
fn post_target(
    root: &Root,
    hidden: bool,
    request: &Request<'_>,
) -> Result<(UploadDir, String), Response> {
    let clean = clean_path(request.route_rest(), hidden)?;
    let opened = root
        .open(&clean.segments)
        .map_err(|err| Response::error(err.status()))?;
    if opened.metadata.is_file() {
        return Err(Response::method_not_allowed(FILE_ALLOW));
    }
    let dir = UploadDir::new(opened).ok_or_else(outside)?;
    Ok((dir, url_of(request, &clean.segments, true)))
}

/// Reads the whole form, writing each file part to a temporary file;
/// other fields are read and dropped. Nothing is placed yet.
fn receive_form(
    settings: &FilesSettings,
    body: &mut Body<'_>,
    dir: &UploadDir,
    boundary: &[u8],
) -> Result<Vec<Staged>, Response> {
    let mut form = FormReader::new(boundary).map_err(form_failed)?;
    let mut total = 0u64;
    let mut read = |piece: &mut [u8]| {
        let n = body.read_checked(piece)?;
        total += n as u64;
        if total > settings.max_upload {
            return Err(BodyError::TooLarge);
        }
        Ok(n)
    };
    let mut staged: Vec<Staged> = Vec::new();
    let mut current: Option<Staged> = None;
    loop {
        match form.next(&mut read) {
            Err(ReadError::Form(err)) => return Err(form_failed(err).with_close()),
            Err(ReadError::Source(err)) => return Err(body_failed(&err)),
            Ok(Item::Part(head)) => {
                let filename = head.filename.as_deref();
                current = start_file(settings, dir, filename, &staged)?;
            }
            Ok(Item::Data(bytes)) => {
                if let Some(file) = &mut current {
                    file.temp
                        .write_all(bytes)
                        .map_err(|err| write_failed(&err).with_close())?;
                }
            }
            Ok(Item::PartEnd) => {
                if let Some(mut file) = current.take() {
                    file.temp
                        .finish_writing()
                        .map_err(|err| write_failed(&err).with_close())?;
                    staged.push(file);
                }
            }
            Ok(Item::End) => return Ok(staged),
        }
    }
}

/// A part begins: a temporary file for it if it is a file, checked as a
/// PUT's name is. `None` for a plain field, and for a file field left
/// empty (browsers send `filename=""` then).
fn start_file(
    settings: &FilesSettings,
    dir: &UploadDir,
    filename: Option<&str>,
    staged: &[Staged],
) -> Result<Option<Staged>, Response> {
    let refused = |response: Response| Err(response.with_close());
    let Some(sent) = filename.filter(|sent| !sent.is_empty()) else {
        return Ok(None);
    };
    // RFC 7578 §4.2: no directory part of the sent name is used.
    let name = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
    if let Err(response) = check_new_name(name, settings.hidden) {
        return refused(response);
    }
    if staged.iter().any(|file| file.name == name) {
        return refused(refusal(
            Status::BAD_REQUEST,
            "the form holds one name twice",
        ));
    }
    if staged.len() >= MAX_FORM_FILES {
        return refused(refusal(
            Status::CONTENT_TOO_LARGE,
            "too many files in one form",
        ));
    }
    match dir.entry(OsStr::new(name)) {
        Ok(Entry::Absent) => {}
        Ok(Entry::Directory) => {
            return refused(refusal(Status::CONFLICT, "a directory has that name"))
        }
        Ok(_) if !settings.overwrite => return refused(already_there()),
        Ok(_) => {}
        Err(err) => return refused(Response::error(err.status())),
    }
    match dir.create_temp() {
        Ok(temp) => Ok(Some(Staged {
            name: name.to_string(),
            temp,
        })),
        Err(err) => refused(write_failed(&err)),
    }
}

/// Moves every file of a form to its name, in the form's order. A name
/// taken in the meantime (by another upload) stops there: what was placed
/// before it stays, and the answer says so; the rest are removed.
fn place_all(staged: Vec<Staged>, overwrite: bool) -> Result<Vec<String>, Response> {
    let replace = if overwrite {
        Replace::Existing
    } else {
        Replace::Never
    };
    let mut stored: Vec<String> = Vec::new();
    for mut file in staged {
        if let Err(err) = file.temp.rename_into_place(OsStr::new(&file.name), replace) {
            let status = if err.kind() == io::ErrorKind::AlreadyExists {
                Status::CONFLICT
            } else {
                Status::INTERNAL_SERVER_ERROR
            };
            let before: Vec<String> = stored
                .iter()
                .map(|n| n.escape_debug().to_string())
                .collect();
            let why = format!(
                "'{}' could not be stored (stored before it: {})",
                file.name.escape_debug(),
                before.join(", ")
            );
            return Err(refusal(status, &why));
        }
        stored.push(file.name);
    }
    Ok(stored)
}

/// The URL path of `segments` as this server answers for it: the mount's
/// prefix (the part of the path before `route_rest`) and each segment
/// percent-encoded, with a slash at the end for a directory. Built from the
/// cleaned segments, so it never starts with `//` (another host).
fn url_of(request: &Request<'_>, segments: &[String], directory: bool) -> String {
    let mut url = request.mount_prefix().to_string();
    for segment in segments {
        url.push('/');
        url.push_str(&percent_encode_segment(segment));
    }
    if directory || segments.is_empty() {
        url.push('/');
    }
    url
}

/// The URL path as clean segments, by the file server's rules; a hidden
/// name is refused outright (403), not hidden as a 404.
fn clean_path(url_path: &str, hidden: bool) -> Result<CleanPath, Response> {
    path::clean(url_path, hidden).map_err(|err| match err {
        PathError::BadRequest => Response::error(Status::BAD_REQUEST),
        PathError::NotFound => refusal(Status::FORBIDDEN, "hidden names are not uploaded"),
    })
}

/// A new file's name: one non-empty component, not `.` or `..`, no
/// separator or control character (they would confuse listings, logs and
/// shells), not too long, and not hidden unless `--hidden`.
fn check_new_name(name: &str, hidden: bool) -> Result<(), Response> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > MAX_NAME_BYTES
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\');
    if bad {
        return Err(refusal(Status::BAD_REQUEST, "not a file name to upload"));
    }
    // Marks that change how the name reads (a right-to-left override makes
    // `evil\u{202e}gpj.exe` show as `evilexe.jpg`) are not `is_control`,
    // but are no more a file name than a control character is.
    if name.chars().any(is_direction_mark) {
        return Err(refusal(Status::BAD_REQUEST, "not a file name to upload"));
    }
    if !hidden && path::is_hidden_name(name) {
        return Err(refusal(Status::FORBIDDEN, "hidden names are not uploaded"));
    }
    if path::is_upload_in_progress(name) {
        return Err(refusal(
            Status::FORBIDDEN,
            "that name is kept for uploads in progress",
        ));
    }
    Ok(())
}

/// Unicode's explicit direction marks and overrides (U+200E, U+200F,
/// U+202A-U+202E, U+2066-U+2069).
pub(super) fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// DNS rebinding: a page of another site, whose name that site points at
/// 127.0.0.1, talks to a server on this machine as its "own" host, and its
/// `Origin` then matches. So a request from this machine (a loopback peer,
/// or any client of a Unix socket, which only processes here can reach)
/// that is not authenticated may upload only when its `Host` is
/// `localhost` or an address, which no other site's page can send. With
/// `--auth` the credentials stop it instead (a browser will not send them
/// to another site's name); behind a proxy on this machine, use `--auth`.
fn check_host(request: &Request<'_>) -> Result<(), Response> {
    let local = request.peer().is_local();
    if !local || request.user().is_some() || request.head().host.is_some_and(is_local_name) {
        return Ok(());
    }
    Err(refusal(
        Status::FORBIDDEN,
        "uploads from this machine need Host: localhost or an address, or --auth (DNS rebinding)",
    ))
}

/// `localhost`, a name under it, or an IP address, with or without a port.
fn is_local_name(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let name = name.to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

/// A request from a page must come from a page of this server: an `Origin`,
/// when there is one, must name the host the request is for (the `Host`
/// field, or the target's authority in absolute form). Without it any site
/// could make a browser that is logged in (`--auth`) upload (a cross-site
/// request forgery). Requests without `Origin` are not from a page's
/// script or form of another site (browsers send it on every cross-origin
/// POST and PUT).
fn check_origin(request: &Request<'_>) -> Result<(), Response> {
    match request.header("origin") {
        Some(origin) if !origin_matches(origin, request.head().host) => Err(refusal(
            Status::FORBIDDEN,
            "uploads are taken only from this server's own pages (Origin)",
        )),
        _ => Ok(()),
    }
}

/// Whether `origin` (`scheme://host[:port]`) names `host` (`host[:port]`),
/// compared without the scheme, case-insensitively, with the scheme's
/// default port (80, 443) the same as none. `null` and anything with a
/// path, user or other scheme match nothing.
pub fn origin_matches(origin: &[u8], host: Option<&str>) -> bool {
    let (Ok(origin), Some(host)) = (std::str::from_utf8(origin), host) else {
        return false;
    };
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        return false;
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', '\\']) {
        return false;
    }
    let bare = |a: &str| {
        a.strip_suffix(default_port)
            .unwrap_or(a)
            .to_ascii_lowercase()
    };
    bare(authority) == bare(host)
}

/// A declared length over the limit is refused before any byte is read.
fn check_declared_size(request: &mut Request<'_>, limit: u64) -> Result<(), Response> {
    match request.body().content_length() {
        Some(len) if len > limit => Err(refusal(
            Status::CONTENT_TOO_LARGE,
            "the upload is larger than --max-upload",
        )),
        _ => Ok(()),
    }
}

/// A body that broke off, timed out or grew past the limit: its status,
/// and the connection closed (the rest of the body is not worth reading).
fn body_failed(err: &BodyError) -> Response {
    let why = match err {
        BodyError::TooLarge => "the upload is larger than --max-upload",
        _ if err.status() == Status::REQUEST_TIMEOUT => "the body stopped coming",
        _ => "the body broke off",
    };
    refusal(err.status(), why).with_close()
}

fn form_failed(err: FormError) -> Response {
    refusal(err.status(), &err.to_string())
}

/// A file could not be made or written: 403 where the server may not
/// write, else 500. The temporary file is gone by the time this is sent.
fn write_failed(err: &io::Error) -> Response {
    match err.kind() {
        io::ErrorKind::PermissionDenied => {
            refusal(Status::FORBIDDEN, "the server may not write here")
        }
        io::ErrorKind::StorageFull => refusal(Status::INTERNAL_SERVER_ERROR, "no space left"),
        io::ErrorKind::Unsupported => Response::error(Status::NOT_IMPLEMENTED),
        _ => refusal(
            Status::INTERNAL_SERVER_ERROR,
            "the file could not be stored",
        ),
    }
}

/// A directory reached through a link that leaves the root: readable with
/// `--follow-symlinks`, never written.
fn outside() -> Response {
    refusal(
        Status::FORBIDDEN,
        "uploads stay inside the served directory",
    )
}

fn already_there() -> Response {
    refusal(Status::CONFLICT, "a file has that name (see --overwrite)")
}

/// A short text answer: the status, and why (in the logs too).
fn refusal(status: Status, why: &str) -> Response {
    Response::error_because(status, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_matches_only_its_own_host() {
        let table: &[(&str, Option<&str>, bool)] = &[
            ("http://example.com", Some("example.com"), true),
            ("http://Example.COM", Some("example.com"), true),
            ("http://example.com", Some("example.com:80"), true),
            ("https://example.com:443", Some("example.com"), true),
            ("http://127.0.0.1:8080", Some("127.0.0.1:8080"), true),
            ("http://[::1]:8080", Some("[::1]:8080"), true),
            ("http://127.0.0.1:8080", Some("127.0.0.1:8081"), false),
            ("http://example.com:8080", Some("example.com"), false),
            ("https://example.com", Some("example.com:80"), false),
            ("http://evil.example", Some("example.com"), false),
            ("http://example.com.evil", Some("example.com"), false),
            ("null", Some("example.com"), false),
            ("example.com", Some("example.com"), false),
            ("ftp://example.com", Some("example.com"), false),
            ("http://user@example.com", Some("example.com"), false),
            ("http://example.com/", Some("example.com"), false),
            ("http://", Some(""), false),
            ("http://example.com", None, false),
        ];
        for (origin, host, want) in table {
            let got = origin_matches(origin.as_bytes(), *host);
            assert_eq!(got, *want, "{origin} against {host:?}");
        }
    }

    #[test]
    fn new_names_are_single_plain_components() {
        for good in [
            "a.txt",
            "r\u{e9}sum\u{e9}.pdf",
            "with space",
            "%22.txt",
            "a..b",
        ] {
            assert!(check_new_name(good, false).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb", "tab\there", "\u{7f}"] {
            let refused = check_new_name(bad, true).unwrap_err();
            assert_eq!(refused.status(), Status::BAD_REQUEST, "{bad:?}");
        }
        assert!(check_new_name(&"x".repeat(256), true).is_err());
        let hidden = check_new_name(".env", false).unwrap_err();
        assert_eq!(hidden.status(), Status::FORBIDDEN);
        assert!(check_new_name(".env", true).is_ok());
    }
}
