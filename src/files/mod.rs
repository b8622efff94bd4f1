//! The static file server: a [`Handler`] that maps a URL path to a file or
//! directory under a root and answers GET, HEAD and OPTIONS for it (and,
//! with uploads on, PUT and form POSTs: [`upload`]).
//!
//! This module owns the policy of serving files: which methods, where
//! directories redirect, index files, listings, SPA and 404 fallbacks, CORS,
//! caching headers, and the order in which validators, preconditions,
//! negotiation and ranges are applied. The submodules own the mechanics:
//! [`path`] (URL path to clean segments), [`open`] (the one door through
//! which anything under the root is opened), [`listing`] and
//! [`shared_listing`], [`cache`], [`conditional`], [`range`],
//! [`negotiate`], [`archive`] (folders as tar files) and [`upload`]
//! (taking files in); the settings are [`settings`]. [`check`] walks the
//! tree by the same rules without serving it (`--check`). Media types are HTTP vocabulary ([`mime`], under
//! `http`). Framing, HEAD bodies and the wire belong to the response
//! writer.

pub mod archive;
pub mod cache;
pub mod check;
pub mod conditional;
pub mod inject;
pub mod listing;
pub mod negotiate;
pub mod open;
pub mod path;
pub mod range;
pub mod settings;
pub mod shared_listing;
pub mod upload;

use crate::handler::Handler;
use crate::http::date;
use crate::http::disposition;
use crate::http::headers::{is_token, list_elements, Fields};
use crate::http::method::Method;
use crate::http::mime;
use crate::http::status::Status;
use crate::http::uri::percent_encode_segment;
use crate::request::Request;
use crate::response::{push_field_line, Response, ResponseBody};
pub use settings::{FilesConfig, FilesSettings};

use cache::{CachedFile, FileCache};
use conditional::{Precondition, Validators};
use listing::Order;
use negotiate::Coding;
use open::{Location, OpenError, Opened, Root};
use range::RangeOutcome;
use shared_listing::{ListingKey, SharedListings};
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// Serves files from a directory.
#[derive(Debug, Clone)]
pub struct FileServer {
    config: FilesConfig,
    root: Root,
    cache: Arc<FileCache>,
    /// Pages with the live-reload script, one copy per version in use.
    pages: Arc<inject::Pages>,
    listings: Arc<SharedListings>,
}

/// The methods a file answers (with uploads on, see [`upload::FILE_ALLOW`]
/// and [`upload::DIRECTORY_ALLOW`]).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// What a URL path leads to.
enum Target {
    File(Opened),
    Directory(Opened),
    RedirectToSlash,
    /// A directory named by a path with `.`, `..`, empty or unusually
    /// encoded segments: redirected to its plain spelling (RFC 3986 §5.2.4),
    /// so its listing's relative links resolve, and one directory is one
    /// listing however the URL is spelled.
    RedirectToCanonical(String),
}

impl FileServer {
    /// A file server with the given settings.
    pub fn new(config: FilesConfig) -> FileServer {
        FileServer {
            root: Root::new(config.root.clone(), config.settings.follow_symlinks),
            config,
            cache: Arc::new(FileCache::default()),
            pages: Arc::default(),
            listings: Arc::new(SharedListings::default()),
        }
    }

    /// The cached answer for a plain GET or HEAD of a small file, if the
    /// request has no preconditions or ranges to weigh.
    fn cached_answer(&self, request: &Request<'_>) -> Option<Response> {
        let plain = !request
            .fields()
            .iter()
            .any(|(name, _)| is_precondition_or_range(name));
        if !plain || wants_download(request) {
            return None;
        }
        let entry = self.cache.get(request.route_rest())?;
        Some(cached_response(&entry))
    }

    fn locate(&self, url_path: &str) -> Result<Target, Status> {
        let clean = path::clean(url_path, self.config.settings.hidden).map_err(|e| match e {
            path::PathError::BadRequest => Status::BAD_REQUEST,
            path::PathError::NotFound => Status::NOT_FOUND,
        })?;
        let opened = self.root.open(&clean.segments).map_err(OpenError::status)?;
        if opened.metadata.is_dir() {
            if !clean.trailing_slash {
                return Ok(Target::RedirectToSlash);
            }
            let canonical = directory_url(&clean.segments);
            if canonical != url_path {
                return Ok(Target::RedirectToCanonical(canonical));
            }
            return Ok(Target::Directory(opened));
        }
        if clean.trailing_slash {
            // `/a.txt/`: a file is not a directory.
            return Err(Status::NOT_FOUND);
        }
        Ok(Target::File(opened))
    }

    fn get(&self, request: &Request<'_>) -> Response {
        if let Some(response) = self.cached_answer(request) {
            return response;
        }
        match self.locate(request.route_rest()) {
            Ok(Target::File(opened)) => self.serve_file(request, opened, Cacheable::File),
            // Mounted at `/static`, a request for `/static` reaches here as
            // `/`: the URL itself must end in a slash too, or the listing's
            // relative links would resolve one level up.
            Ok(Target::Directory(_))
                if request.route_rest() == "/" && !request.path().ends_with('/') =>
            {
                redirect_to_slash(request)
            }
            Ok(Target::Directory(dir)) => self.serve_directory(request, dir),
            Ok(Target::RedirectToSlash) => redirect_to_slash(request),
            Ok(Target::RedirectToCanonical(canonical)) => {
                redirect_within_mount(request, &canonical)
            }
            Err(Status::NOT_FOUND) => self.not_found(request),
            Err(status) => path_error(status),
        }
    }

    fn options(&self, request: &Request<'_>) -> Response {
        let preflight = self.config.settings.cors_origin.is_some() && request.is_cors_preflight();
        if !preflight {
            return match self.locate(request.route_rest()) {
                Ok(target) => Response::options(self.allow_of(&target)),
                // A name that is not there yet is one a PUT could create.
                Err(Status::NOT_FOUND) if self.config.settings.upload => {
                    Response::options(upload::FILE_ALLOW)
                }
                Err(status) => path_error(status),
            };
        }
        // A preflight is answered alike for every path, without looking:
        // it may come without credentials (see `auth`), and must not tell
        // which files exist. The real request that follows gets the 404.
        let mut response = Response::options(ALLOW)
            .with_header("Access-Control-Allow-Methods", ALLOW)
            .with_header("Access-Control-Max-Age", "86400");
        let requested_headers = request.fields().get_str("access-control-request-headers");
        if let Some(headers) = requested_headers {
            // Echo the list only if it is a plain list of tokens.
            let plain = list_elements(headers.as_bytes()).all(is_token);
            if plain {
                response =
                    response.with_header("Access-Control-Allow-Headers", headers.to_string());
            }
        }
        response
    }

    fn serve_directory(&self, request: &Request<'_>, dir: Opened) -> Response {
        for name in &self.config.settings.index {
            // The index may be a symlink: it goes through the same door.
            if let Ok(index) = self.root.open_location(&dir.location.child(name)) {
                if index.metadata.is_file() {
                    return self.serve_file(request, index, Cacheable::Index(name));
                }
            }
        }
        if !self.config.settings.listing {
            return Response::error_because(
                Status::FORBIDDEN,
                "this folder has no index file, and listings are off (--no-listing)",
            );
        }
        // Offered only where the listing would be: an index file or
        // `--no-listing` keeps a folder's contents from being archived too.
        if self.config.settings.archives && archive::is_requested(request) {
            return archive::respond(request, &self.root, &dir, self.config.settings.hidden);
        }
        let json = negotiate::prefers_json(request.fields());
        // `path::clean` accepted the path, so it decodes.
        let shown = crate::http::uri::percent_decode_str(request.path())
            .unwrap_or_else(|| request.path().to_string());
        let key = ListingKey {
            dir: dir.location.clone(),
            shown,
            json,
            order: Order::from_query(request.query()),
        };
        let body = self.listings.get_or_render(key.clone(), &dir.metadata, || {
            self.render_listing(request, &dir, &key)
        });
        let Ok(body) = body else {
            return path_error(Status::FORBIDDEN);
        };
        let content_type = if json { mime::JSON } else { mime::HTML };
        Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_header("Vary", "Accept")
            .with_body(ResponseBody::Shared(body))
    }

    /// The listing `key` asks for: the entries in its order, as JSON or as
    /// the HTML page with what it offers (an archive link, an upload form).
    fn render_listing(
        &self,
        request: &Request<'_>,
        dir: &Opened,
        key: &ListingKey,
    ) -> io::Result<Vec<u8>> {
        let settings = &self.config.settings;
        let mut entries = listing::read_entries(&self.root, dir, settings.hidden)?;
        if key.order != Order::default() {
            key.order.sort(&mut entries);
        }
        if key.json {
            return Ok(listing::render_json(&entries).into_bytes());
        }
        let offers = listing::Offers {
            upload_form: settings.upload,
            archive_href: settings
                .archives
                .then(|| archive::link_for(request, &self.root, dir, settings.hidden))
                .flatten(),
        };
        let mut page = listing::render_html(&key.shown, &entries, key.order, &offers).into_bytes();
        if settings.live_reload {
            inject::add_script(&mut page);
        }
        Ok(page)
    }

    /// Unknown paths: the SPA entry for HTML requests, else the custom 404
    /// page, else a plain 404.
    fn not_found(&self, request: &Request<'_>) -> Response {
        let response = self.not_found_page(request);
        if self.config.settings.spa.is_some() {
            // Whether an unknown path is the app or a 404 depends on Accept.
            response.with_header("Vary", "Accept")
        } else {
            response
        }
    }

    fn not_found_page(&self, request: &Request<'_>) -> Response {
        if let Some(spa) = &self.config.settings.spa {
            if negotiate::accepts_html(request.fields()) {
                if let Ok(Target::File(opened)) = self.locate(&format!("/{spa}")) {
                    // Not cacheable: the same URL is a 404 for other Accepts.
                    return self.serve_file(request, opened, Cacheable::No);
                }
            }
        }
        if let Some(page) = &self.config.settings.not_found_page {
            if let Ok(Target::File(opened)) = self.locate(&format!("/{page}")) {
                return self.not_found_with(opened);
            }
        }
        path_error(Status::NOT_FOUND)
    }

    /// The `--404` page as the answer. While watching, an HTML page gets
    /// the live-reload script as every page does, so a browser showing it
    /// reloads when the missing file appears (or the page is edited).
    fn not_found_with(&self, mut opened: Opened) -> Response {
        let content_type = mime::content_type_for(&opened.location.file_name().to_string_lossy());
        let body = if self.gets_script(content_type, &opened.metadata) {
            match self.pages.get(&mut opened.file, &opened.metadata) {
                Ok(page) => ResponseBody::Shared(page),
                Err(_) => return Response::error(Status::INTERNAL_SERVER_ERROR),
            }
        } else {
            ResponseBody::File {
                len: opened.metadata.len(),
                file: opened.file,
                offset: 0,
            }
        };
        Response::new(Status::NOT_FOUND)
            .with_header("Content-Type", content_type)
            .with_body(body)
    }

    /// A file, with everything RFC 9110 asks of it, in this order: choose
    /// the representation (a precompressed sibling or the file), its
    /// validators and headers, preconditions, then the cache (for a plain
    /// request of a small file) or ranges.
    fn serve_file(
        &self,
        request: &Request<'_>,
        opened: Opened,
        cacheable: Cacheable<'_>,
    ) -> Response {
        let fields = request.fields();
        // Stamp the directory before looking for siblings, so a sibling
        // created from here on makes a cache entry stale.
        let dir_stamp = opened.parent.as_ref().map(cache::Stamp::of);
        let content_type = mime::content_type_for(&opened.location.file_name().to_string_lossy());
        let download_name = wants_download(request).then(|| download_name(request, cacheable));
        // A page to download is the file as it is, without the script.
        if download_name.is_none() && self.gets_script(content_type, &opened.metadata) {
            return self.serve_page_with_script(request, opened, content_type);
        }
        let mut chosen = self.choose_representation(fields, opened);
        let validators = Validators::for_file(&chosen.metadata, chosen.coding.map(|c| c.token));
        let mut headers = self.representation_headers(&validators, &chosen);

        match conditional::evaluate(fields, request.method(), &validators) {
            Precondition::NotModified => {
                return with_headers(Response::new(Status::NOT_MODIFIED), headers);
            }
            Precondition::Failed => return precondition_failed(),
            Precondition::Proceed => {}
        }
        add_content_headers(&mut headers, chosen.coding, download_name.as_deref());
        let download = download_name.is_some();

        // The cache holds the plain inline answer only.
        let plain = !chosen.has_siblings && fields.get("range").is_none() && !download;
        if plain && chosen.metadata.len() <= cache::MAX_FILE_BYTES {
            let key = request.route_rest();
            let metadata = &chosen.metadata;
            let candidate = self.cache_candidate(key, cacheable, dir_stamp, metadata, content_type);
            if let Some(candidate) = candidate {
                let file = &mut chosen.opened.file;
                if let Some(response) =
                    self.answer_through_cache(file, candidate, &validators, &headers)
                {
                    return response;
                }
            }
        }
        let range = match fields.get("range") {
            Some(value) if conditional::if_range_allows(fields, &validators) => {
                range::evaluate(value, chosen.metadata.len())
            }
            _ => RangeOutcome::Full,
        };
        let body = FileBody {
            source: Source::File(chosen.opened.file),
            len: chosen.metadata.len(),
            content_type,
            etag: &validators.etag,
        };
        file_answer(ranged_response(range, body), headers)
    }

    /// Whether a file of `content_type` is answered with the live-reload
    /// script in it: only while watching, only HTML, and only a page small
    /// enough to be read whole ([`inject::MAX_PAGE_BYTES`]).
    fn gets_script(&self, content_type: &str, metadata: &Metadata) -> bool {
        self.config.settings.live_reload
            && inject::is_page(content_type)
            && metadata.len() <= inject::MAX_PAGE_BYTES
    }

    /// An HTML page with the live-reload script in it (`--watch`): read
    /// whole, changed, and then answered as a file is, preconditions and
    /// ranges included, from the changed bytes. Never from a precompressed
    /// sibling (it lacks the script) nor through the small-file cache.
    fn serve_page_with_script(
        &self,
        request: &Request<'_>,
        mut opened: Opened,
        content_type: &'static str,
    ) -> Response {
        let Ok(page) = self.pages.get(&mut opened.file, &opened.metadata) else {
            return Response::error(Status::INTERNAL_SERVER_ERROR);
        };
        let validators = Validators::for_file(&opened.metadata, Some(inject::ETAG_MARK));
        let chosen = Representation {
            metadata: opened.metadata.clone(),
            opened,
            coding: None,
            has_siblings: false,
        };
        let mut headers = self.representation_headers(&validators, &chosen);
        let fields = request.fields();
        match conditional::evaluate(fields, request.method(), &validators) {
            Precondition::NotModified => {
                return with_headers(Response::new(Status::NOT_MODIFIED), headers);
            }
            Precondition::Failed => return precondition_failed(),
            Precondition::Proceed => {}
        }
        add_content_headers(&mut headers, None, None);
        let len = page.len() as u64;
        let range = match fields.get("range") {
            Some(value) if conditional::if_range_allows(fields, &validators) => {
                range::evaluate(value, len)
            }
            _ => RangeOutcome::Full,
        };
        let body = FileBody {
            source: Source::Memory(io::Cursor::new(page)),
            len,
            content_type,
            etag: &validators.etag,
        };
        file_answer(ranged_response(range, body), headers)
    }

    /// What a small file's cache entry will be made of, or `None` if this
    /// answer must not be cached (see [`FileServer::cache_lookup_path`]).
    fn cache_candidate<'a>(
        &self,
        key: &'a str,
        cacheable: Cacheable<'_>,
        dir_stamp: Option<cache::Stamp>,
        metadata: &'a Metadata,
        content_type: &'static str,
    ) -> Option<CacheCandidate<'a>> {
        let lookup = self.cache_lookup_path(key, dir_stamp.as_ref(), cacheable)?;
        Some(CacheCandidate {
            key,
            lookup,
            metadata,
            dir_stamp: dir_stamp?,
            content_type,
        })
    }

    /// Reads a small file into the cache and answers from the entry. `None`
    /// if the file changed while it was read: `file` is then rewound, for
    /// the caller to stream what it opened.
    fn answer_through_cache(
        &self,
        file: &mut File,
        candidate: CacheCandidate<'_>,
        validators: &Validators,
        headers: &[(&'static str, String)],
    ) -> Option<Response> {
        let key = candidate.key;
        match read_into_cache(file, candidate, validators.clone(), headers) {
            Some(entry) => {
                self.cache.insert(key, Arc::clone(&entry));
                Some(cached_response(&entry))
            }
            None => match file.seek(SeekFrom::Start(0)) {
                Ok(_) => None,
                Err(_) => Some(Response::error(Status::INTERNAL_SERVER_ERROR)),
            },
        }
    }

    /// The precompressed sibling the request prefers, opened through the
    /// same door as the file, or else the file itself.
    fn choose_representation(&self, fields: Fields<'_>, opened: Opened) -> Representation {
        let mut siblings = self.precompressed_siblings(&opened.location);
        let available: Vec<Coding> = siblings.iter().map(|(coding, _)| *coding).collect();
        let has_siblings = !available.is_empty();
        if let Some(coding) = negotiate::choose_coding(fields, &available) {
            if let Some(at) = siblings.iter().position(|(c, _)| *c == coding) {
                let (_, sibling) = siblings.swap_remove(at);
                return Representation {
                    metadata: sibling.metadata.clone(),
                    opened: sibling,
                    coding: Some(coding),
                    has_siblings,
                };
            }
        }
        Representation {
            metadata: opened.metadata.clone(),
            opened,
            coding: None,
            has_siblings,
        }
    }

    /// ETag, Last-Modified, Cache-Control and Vary: the fields a 304 repeats.
    fn representation_headers(
        &self,
        validators: &Validators,
        chosen: &Representation,
    ) -> Vec<(&'static str, String)> {
        let mut headers: Vec<(&'static str, String)> = vec![("ETag", validators.etag.clone())];
        if let Some(modified) = validators.last_modified {
            headers.push(("Last-Modified", date::format_imf_fixdate(modified)));
        }
        let settings = &self.config.settings;
        // While watching, a browser is to ask again each time (a 304 when
        // nothing changed): left to guess a freshness from Last-Modified,
        // it may reload a page after an edit with the old script or
        // stylesheet. A value the user chose still wins.
        let watching = settings.live_reload.then(|| "no-cache".to_string());
        if let Some(cache_control) = settings.cache_control.clone().or(watching) {
            headers.push(("Cache-Control", cache_control));
        }
        if chosen.has_siblings {
            headers.push(("Vary", "Accept-Encoding".to_string()));
        }
        headers
    }

    /// The path a cache entry for `key` re-checks on every use: what the URL
    /// names under the root (for `/dir/`, the index name that was chosen).
    /// `None` when the answer must not be cached: an SPA fallback, a key not
    /// in clean form, or a file whose real directory is not the URL's (a
    /// symlink into another directory, whose siblings the entry could not
    /// watch), which shows as the URL's directory having another stamp than
    /// the directory the file was opened in.
    fn cache_lookup_path(
        &self,
        key: &str,
        opened_dir: Option<&cache::Stamp>,
        cacheable: Cacheable<'_>,
    ) -> Option<PathBuf> {
        if !cache::is_canonical_url_path(key) {
            return None;
        }
        let mut lookup = self.config.root.join(key.trim_start_matches('/'));
        match cacheable {
            Cacheable::No => return None,
            Cacheable::File if key.ends_with('/') => return None,
            Cacheable::File => {}
            Cacheable::Index(name) => lookup.push(name),
        }
        let url_dir = fs::metadata(lookup.parent()?).ok()?;
        (Some(&cache::Stamp::of(&url_dir)) == opened_dir).then_some(lookup)
    }

    /// The precompressed siblings (`FILE.br`, ...) that are regular files,
    /// opened through the door (so a link must stay inside the root too).
    fn precompressed_siblings(&self, location: &Location) -> Vec<(Coding, Opened)> {
        negotiate::CODINGS
            .into_iter()
            .filter_map(|coding| {
                let sibling = self
                    .root
                    .open_location(&location.with_suffix(coding.suffix))
                    .ok()?;
                sibling.metadata.is_file().then_some((coding, sibling))
            })
            .collect()
    }

    /// The methods `target` takes: reading only, or with `--upload` a PUT
    /// for a file and a POST for a folder.
    fn allow_of(&self, target: &Target) -> &'static str {
        if !self.config.settings.upload {
            return ALLOW;
        }
        match target {
            Target::File(_) => upload::FILE_ALLOW,
            Target::Directory(_) | Target::RedirectToSlash | Target::RedirectToCanonical(_) => {
                upload::DIRECTORY_ALLOW
            }
        }
    }

    /// The methods a path takes, for a 405: with `--upload`, a name that
    /// does not exist yet is one a PUT could create.
    fn allow_for(&self, url_path: &str) -> &'static str {
        if !self.config.settings.upload {
            return ALLOW;
        }
        self.locate(url_path)
            .map_or(upload::FILE_ALLOW, |target| self.allow_of(&target))
    }

    /// Adds the CORS origin to every response when CORS is on.
    fn with_cors(&self, response: Response) -> Response {
        match &self.config.settings.cors_origin {
            Some(origin) => {
                let response = response.with_header("Access-Control-Allow-Origin", origin.clone());
                if origin == "*" {
                    response
                } else {
                    // The answer depends on the Origin when it names one.
                    response.with_header("Vary", "Origin")
                }
            }
            None => response,
        }
    }
}

impl Handler for FileServer {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        let response = match request.method() {
            Method::Get | Method::Head => self.get(request),
            Method::Options => self.options(request),
            Method::Put | Method::Post if self.config.settings.upload => {
                upload::handle(&self.root, &self.config.settings, request)
            }
            _ => Response::method_not_allowed(self.allow_for(request.route_rest())),
        };
        self.with_cors(response)
    }
}

/// Whether a file answer may be remembered for its URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cacheable<'n> {
    /// The file the URL names.
    File,
    /// The directory's index file of this name.
    Index(&'n str),
    /// Not for the cache (the SPA fallback: the same URL is a 404 for
    /// requests that do not accept HTML).
    No,
}

/// A small file about to be read into the cache, with what was seen of it
/// before the read: the entry is made only if the file still matches.
struct CacheCandidate<'a> {
    /// The URL path the entry is kept under.
    key: &'a str,
    /// The path the entry will re-check.
    lookup: PathBuf,
    /// The file's metadata when it was opened.
    metadata: &'a Metadata,
    /// Its directory's stamp, taken before siblings were looked for.
    dir_stamp: cache::Stamp,
    /// Its `Content-Type`, the first of the entry's header lines.
    content_type: &'static str,
}

fn cached_response(entry: &CachedFile) -> Response {
    Response::new(Status::OK)
        .with_header_lines(Arc::clone(&entry.header_lines))
        .with_body(ResponseBody::Shared(Arc::clone(&entry.body)))
}

/// Reads a small file whole and renders its 200 header lines. The stamps
/// are taken from the open file, so an edit racing the read shows up as a
/// stale entry on next use rather than as wrong bytes under old headers.
fn read_into_cache(
    file: &mut File,
    candidate: CacheCandidate<'_>,
    validators: Validators,
    headers: &[(&'static str, String)],
) -> Option<Arc<CachedFile>> {
    let CacheCandidate {
        lookup,
        metadata,
        dir_stamp,
        content_type,
        ..
    } = candidate;
    let mut body = Vec::with_capacity(metadata.len() as usize);
    // Bounded: the file may have grown since its metadata was read.
    file.take(cache::MAX_FILE_BYTES + 1)
        .read_to_end(&mut body)
        .ok()?;
    let after = file.metadata().ok()?;
    if after.len() != body.len() as u64 || cache::Stamp::of(&after) != cache::Stamp::of(metadata) {
        return None;
    }
    let dir = lookup.parent()?.to_path_buf();
    let mut lines = Vec::new();
    push_field_line(&mut lines, "Content-Type", content_type);
    for (name, value) in headers {
        push_field_line(&mut lines, name, value);
    }
    // The lookup path must lead to this very file now.
    if fs::metadata(&lookup).map(|m| cache::Stamp::of(&m)).ok()? != cache::Stamp::of(metadata) {
        return None;
    }
    Some(Arc::new(CachedFile {
        lookup,
        stamp: cache::Stamp::of(metadata),
        dir,
        dir_stamp,
        dir_checked_at: std::sync::atomic::AtomicI64::new(i64::MIN),
        validators,
        header_lines: lines.into(),
        body: body.into(),
    }))
}

/// The name a `?download` is saved under: the one in the URL (or the index
/// file's, for a directory), never the name a symlink or a precompressed
/// sibling leads to, which may be private.
fn download_name(request: &Request<'_>, cacheable: Cacheable<'_>) -> String {
    if let Cacheable::Index(name) = cacheable {
        return name.to_string();
    }
    let last = request.route_rest().rsplit('/').next().unwrap_or_default();
    crate::http::uri::percent_decode_str(last).unwrap_or_else(|| last.to_string())
}

/// 412, saying which rule (RFC 9110 §13.1).
fn precondition_failed() -> Response {
    Response::text(
        Status::PRECONDITION_FAILED,
        "412: a precondition of the request does not hold for this file (RFC 9110 §13)\n",
    )
}

/// The file server's answer for a path it will not serve, saying why in
/// terms of the request (never of the disk). Static text: a 404 costs no
/// allocation.
fn path_error(status: Status) -> Response {
    let text = match status {
        Status::BAD_REQUEST => {
            "400: the path cannot name a file here (an encoded slash or backslash, NUL, \
             invalid UTF-8, or .. above the root)\n"
        }
        Status::FORBIDDEN => "403: the server may not read this\n",
        Status::NOT_FOUND => "404: nothing is served at this path\n",
        Status::SERVICE_UNAVAILABLE => return Response::service_unavailable(),
        _ => return Response::error(status),
    };
    // The body is `CODE: reason`; the logs take the reason.
    let reason = text
        .split_once(": ")
        .map_or(text, |(_, why)| why)
        .trim_end();
    Response::text(status, text).with_reason(reason)
}

/// The fields a 200 or 206 adds to those a 304 repeats: ranges are
/// accepted, the content coding, and for `?download` the disposition.
fn add_content_headers(
    headers: &mut Vec<(&'static str, String)>,
    coding: Option<Coding>,
    download_name: Option<&str>,
) {
    headers.push(("Accept-Ranges", "bytes".to_string()));
    if let Some(coding) = coding {
        headers.push(("Content-Encoding", coding.token.to_string()));
    }
    if let Some(name) = download_name {
        headers.push(("Content-Disposition", disposition::attachment(name)));
    }
}

/// `?download` (alone, or with an empty value): the file is to be saved,
/// not shown, so it goes with `Content-Disposition: attachment` and its
/// name. (`?download=tar` on a directory is a different thing: an archive.)
fn wants_download(request: &Request<'_>) -> bool {
    request.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "download" || pair == "download=")
    })
}

/// Whether a request field could turn a file's answer into something other
/// than the plain 200 the cache holds: `Range`, or a precondition
/// (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Range`, ...).
fn is_precondition_or_range(name: &str) -> bool {
    let name = name.as_bytes();
    name.eq_ignore_ascii_case(b"range")
        || (name.len() >= 3 && name[..3].eq_ignore_ascii_case(b"if-"))
}

/// The whole file or its ranges, with the representation's fields; a 416
/// says no range was satisfiable and is not the file, so a download does
/// not save it as one.
fn file_answer(response: Response, mut headers: Vec<(&'static str, String)>) -> Response {
    if response.status() == Status::RANGE_NOT_SATISFIABLE {
        headers.retain(|(name, _)| *name != "Content-Disposition");
    }
    with_headers(response, headers)
}

fn with_headers(mut response: Response, headers: Vec<(&'static str, String)>) -> Response {
    for (name, value) in headers {
        response = response.with_header(name, value);
    }
    response
}

/// The representation chosen for a request: the file or a sibling.
struct Representation {
    opened: Opened,
    metadata: Metadata,
    coding: Option<Coding>,
    /// Whether any precompressed sibling exists (the answer then varies
    /// on Accept-Encoding, and is not cached).
    has_siblings: bool,
}

/// Where the bytes of an answer come from: the open file, or a page held
/// in memory because it was changed (the live-reload script added).
enum Source {
    File(File),
    Memory(io::Cursor<Arc<[u8]>>),
}

impl Source {
    /// `len` bytes from `offset`, as a body.
    fn part(self, offset: u64, len: u64) -> ResponseBody {
        match self {
            Source::File(file) => ResponseBody::File { file, offset, len },
            Source::Memory(page) => {
                let page = page.into_inner();
                if offset == 0 && len == page.len() as u64 {
                    return ResponseBody::Shared(page);
                }
                // Ranges were checked against the page's length.
                let part = &page[offset as usize..(offset + len) as usize];
                ResponseBody::Bytes(part.to_vec().into())
            }
        }
    }
}

impl Read for Source {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(file) => file.read(out),
            Source::Memory(page) => page.read(out),
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File(file) => file.seek(to),
            Source::Memory(page) => page.seek(to),
        }
    }
}

/// An open file (or a changed page) about to be sent whole or in ranges.
struct FileBody<'e> {
    source: Source,
    len: u64,
    content_type: &'static str,
    etag: &'e str,
}

/// 200 with the whole file, 206 with one range or several (multipart), or
/// 416.
fn ranged_response(range: RangeOutcome, body: FileBody<'_>) -> Response {
    let FileBody {
        source,
        len,
        content_type,
        etag,
    } = body;
    match range {
        RangeOutcome::Full => Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_body(source.part(0, len)),
        RangeOutcome::Unsatisfiable => Response::error_because(
            Status::RANGE_NOT_SATISFIABLE,
            &format!("no range asked for lies within the file's {len} bytes"),
        )
        .with_header("Content-Range", format!("bytes */{len}")),
        RangeOutcome::Partial(ranges) if ranges.len() == 1 => {
            let (start, end) = ranges[0];
            Response::new(Status::PARTIAL_CONTENT)
                .with_header("Content-Type", content_type)
                .with_header("Content-Range", format!("bytes {start}-{}/{len}", end - 1))
                .with_body(source.part(start, end - start))
        }
        RangeOutcome::Partial(ranges) => {
            let boundary = boundary_for(etag);
            let (body, total) =
                range::Multipart::new(source, &ranges, len, content_type, &boundary);
            Response::new(Status::PARTIAL_CONTENT)
                .with_header(
                    "Content-Type",
                    format!("multipart/byteranges; boundary={boundary}"),
                )
                .with_body(ResponseBody::Sized {
                    reader: Box::new(body),
                    len: total,
                })
        }
    }
}

/// A multipart boundary that cannot collide with the file's own bytes in
/// practice: derived from the entity-tag, which changes with the content.
fn boundary_for(etag: &str) -> String {
    let hash = etag.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("hfs-{hash:016x}")
}

/// `/dir` -> `/dir/`, keeping the query (as nginx and darkhttpd do).
/// `/` and each segment percent-encoded, ending in `/`: how a directory's
/// URL is spelled when nothing in it is superfluous.
fn directory_url(segments: &[String]) -> String {
    let mut url = String::from("/");
    for segment in segments {
        url.push_str(&percent_encode_segment(segment));
        url.push('/');
    }
    url
}

/// A redirect to `path` (as this handler sees paths) under the prefix the
/// handler is mounted at, keeping the query.
fn redirect_within_mount(request: &Request<'_>, path: &str) -> Response {
    let prefix = request.mount_prefix();
    let location = match request.query() {
        Some(query) => format!("{prefix}{path}?{query}"),
        None => format!("{prefix}{path}"),
    };
    Response::redirect(Status::MOVED_PERMANENTLY, location)
}

fn redirect_to_slash(request: &Request<'_>) -> Response {
    // One leading slash only: `//host/..` must not become a redirect to
    // another host (a protocol-relative URL).
    let path = format!("/{}", request.path().trim_start_matches('/'));
    let location = match request.query() {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    Response::redirect(Status::MOVED_PERMANENTLY, location)
}
