//! The static file server: a [`Handler`] that maps a URL path to a file or
//! directory under a root and answers GET and HEAD for it.
//!
//! It owns the policy of serving files: which methods, where directories
//! redirect, index files, listings, and which validators go with a file. The
//! submodules own the mechanics: [`path`] turns a URL path into a contained
//! real path, [`mime`] names types, [`listing`] renders directories. Framing,
//! HEAD bodies and the wire belong to the response writer.

pub mod listing;
pub mod mime;
pub mod path;

use crate::http::date;
use crate::http::method::Method;
use crate::http::status::Status;
use crate::request::Request;
use crate::response::{Response, ResponseBody};
use crate::router::Handler;
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// What the file server serves and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesConfig {
    /// The served directory, canonical (symlinks resolved, absolute).
    pub root: PathBuf,
    /// Whether directories without an index file are listed.
    pub listing: bool,
    /// Whether names starting with `.` are served and listed.
    pub hidden: bool,
    /// Index file names tried in a directory, in order.
    pub index: Vec<String>,
}

impl FilesConfig {
    /// Serves `root` with the defaults: listings on, dotfiles hidden,
    /// `index.html` as the index.
    ///
    /// # Errors
    ///
    /// If `root` does not exist or cannot be resolved.
    pub fn new(root: impl AsRef<Path>) -> io::Result<FilesConfig> {
        Ok(FilesConfig {
            root: root.as_ref().canonicalize()?,
            listing: true,
            hidden: false,
            index: vec!["index.html".to_string()],
        })
    }
}

/// Serves files from a directory.
#[derive(Debug, Clone)]
pub struct FileServer {
    config: FilesConfig,
}

const ALLOW: &str = "GET, HEAD";

impl FileServer {
    /// A file server with the given settings.
    pub fn new(config: FilesConfig) -> FileServer {
        FileServer { config }
    }

    fn serve(&self, request: &Request<'_>) -> Response {
        let clean = match path::clean(request.route_rest(), self.config.hidden) {
            Ok(clean) => clean,
            Err(path::PathError::BadRequest) => return Response::error(Status::BAD_REQUEST),
            Err(path::PathError::NotFound) => return Response::error(Status::NOT_FOUND),
        };
        let Ok(real) = path::contain(&self.config.root, &clean) else {
            return Response::error(Status::NOT_FOUND);
        };
        let Ok(metadata) = fs::metadata(&real) else {
            return Response::error(Status::NOT_FOUND);
        };
        if metadata.is_dir() {
            if !clean.trailing_slash {
                return redirect_to_slash(request);
            }
            return self.serve_directory(request, &real);
        }
        if !metadata.is_file() {
            // Devices, FIFOs and sockets are not documents; opening a FIFO
            // would even block the worker.
            return Response::error(Status::NOT_FOUND);
        }
        serve_file(&real, &metadata)
    }

    fn serve_directory(&self, request: &Request<'_>, dir: &Path) -> Response {
        for name in &self.config.index {
            let candidate = dir.join(name);
            if let Ok(metadata) = fs::metadata(&candidate) {
                if metadata.is_file() {
                    return serve_file(&candidate, &metadata);
                }
            }
        }
        if !self.config.listing {
            return Response::error(Status::FORBIDDEN);
        }
        let Ok(entries) = listing::read_entries(dir, &self.config.root, self.config.hidden) else {
            return Response::error(Status::FORBIDDEN);
        };
        // The path was decoded and checked by `path::clean` already.
        let shown = crate::http::uri::percent_decode_str(request.path())
            .unwrap_or_else(|| request.path().to_string());
        Response::html(Status::OK, listing::render_html(&shown, &entries))
    }
}

impl Handler for FileServer {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        match request.method() {
            Method::Get | Method::Head => self.serve(request),
            _ => Response::error(Status::METHOD_NOT_ALLOWED).with_header("Allow", ALLOW),
        }
    }
}

/// `/dir` -> `/dir/`, keeping the query (as nginx and darkhttpd do).
fn redirect_to_slash(request: &Request<'_>) -> Response {
    let location = match request.query() {
        Some(query) => format!("{}/?{query}", request.path()),
        None => format!("{}/", request.path()),
    };
    Response::redirect(Status::MOVED_PERMANENTLY, location)
}

fn serve_file(real: &Path, metadata: &Metadata) -> Response {
    let file = match File::open(real) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Response::error(Status::FORBIDDEN)
        }
        Err(_) => return Response::error(Status::NOT_FOUND),
    };
    let name = real.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut response = Response::new(Status::OK)
        .with_header("Content-Type", mime::content_type_for(name))
        .with_body(ResponseBody::File {
            file,
            offset: 0,
            len: metadata.len(),
        });
    if let Ok(modified) = metadata.modified() {
        response = response.with_header(
            "Last-Modified",
            date::format_imf_fixdate(date::unix_seconds(modified)),
        );
    }
    response
}
