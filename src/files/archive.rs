//! Folders as tar archives (`--archives`): `GET /dir/?download=tar`
//! answers with the folder and everything a listing would show under it,
//! recursively, as one POSIX tar file (ustar headers, with a pax extended
//! header where a name is longer than 100 bytes or not ASCII, or a file is
//! 8 GiB or more).
//!
//! The length is exact and known before the first byte, so a browser can
//! show progress and a client can resume. That takes two passes: [`Tree::walk`]
//! first collects every entry (its path in the archive, size, time, mode)
//! and adds up the archive's length, which is pure arithmetic on the
//! headers and the sizes padded to 512-byte blocks; then an
//! [`ArchiveReader`] produces the bytes, opening each file through the door
//! ([`Root::open_location`]) only when its turn comes. A reader can start
//! at any offset: whole entries before it are skipped by that arithmetic,
//! and a file is entered with a seek, so a resumed download reads nothing
//! it does not send. The entry list is the only thing that grows with the
//! tree, and it is bounded by [`MAX_ENTRIES`].
//!
//! A file that no longer matches what the walk saw (its size, modification
//! time or inode, when it is opened or after its last byte) makes the
//! reader fail: the length is already on the wire, so the connection closes
//! short of it, and the client knows the download is incomplete rather than
//! holding an archive that is silently wrong.
//!
//! The archive's validator is a strong `ETag`, a SHA-256 of the folder's
//! name and every entry's path, kind, executable bit, size, modification
//! time, inode and inode change time.
//! Ranges and If-Range work as for files. The listing's link carries the
//! same digest as `v` ([`download_href`]): a request whose `v` no longer
//! matches gets 412, so resuming a download (`curl -C -`, which sends no
//! If-Range) can never splice two different trees into one file.
//!
//! What goes in: the same names a listing shows (`listing::is_shown`:
//! dotfiles only with `--hidden`, never an upload still arriving or a name
//! that is not UTF-8 or holds a backslash), only regular files and
//! folders (no FIFOs, devices or sockets). A symlink that the door follows
//! inside the root is archived as the file or folder it leads to, under
//! the link's name; a link to a folder that already contains it (a loop)
//! is left out. Nothing outside the root is ever archived, even with
//! `--follow-symlinks`. A folder the server cannot open or read is left
//! out, as a listing leaves out what it cannot read; a file it cannot
//! read is only found out when its turn comes, and ends the download
//! there (opening every file during the walk would double its cost).
//! Owners are written as 0 with no names, and modes as 0644 for files
//! (0755 if any execute bit is set) and 0755 for folders, so an archive
//! says nothing about the server's users.
//!
//! Only a folder inside the root is archived (one reached through a link
//! out of it is 403), and at most [`MAX_AT_ONCE`] archives are made at a
//! time (503 past that), since each holds its entry list while a client,
//! however slow, takes it. A subfolder with an index file is archived
//! whole inside its parent's archive: an index hides a folder's listing,
//! not its files, which can each be fetched by URL anyway.
//!
//! Not owned here: where archives are offered (the file server, which
//! hooks this in only where a listing would be shown) and the listing's
//! link itself.

use crate::files::conditional::{self, Precondition, Validators};
use crate::files::listing::shown_names;
use crate::files::open::{Location, OpenError, Opened, Root};
use crate::files::path;
use crate::files::range::{self, RangeOutcome};
use crate::http::date;
use crate::http::disposition;
use crate::http::status::Status;
use crate::request::Request;
use crate::response::{Response, ResponseBody};
use crate::sha256::{self, Sha256};
use crate::sys;
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

/// Most entries (files and folders, the top one included) one archive may
/// hold. The walk keeps one small record per entry until the download
/// ends (about 100 bytes and the path), so this bounds what one download
/// holds in memory, and what one request can make the server walk. A
/// larger folder is answered 403.
pub const MAX_ENTRIES: usize = 100_000;

/// Most archives made at once, walks included. Each download holds its
/// tree's entry list (up to about 100 bytes and a path per entry) while
/// the client takes it, so this bounds what slow clients can make the
/// server hold; past it: 503 with `Retry-After`.
pub const MAX_AT_ONCE: usize = 8;

/// Archives being made or sent now.
static IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// One of the [`MAX_AT_ONCE`] places, given back when dropped (with the
/// reader, once the download ends however it ends).
#[derive(Debug)]
struct Place;

impl Place {
    fn take() -> Option<Place> {
        let before = IN_PROGRESS.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_AT_ONCE {
            IN_PROGRESS.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Place)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        IN_PROGRESS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The archive's media type.
pub const CONTENT_TYPE: &str = "application/x-tar";

/// Tar's unit: every header and every file's data take whole blocks.
const BLOCK: u64 = 512;

/// The end of an archive: two blocks of zeros.
const TRAILER: u64 = 2 * BLOCK;

/// The ustar name field's size; longer paths go in a pax header.
const NAME_LEN: usize = 100;

/// The largest number an 11-digit octal field holds (the size and mtime
/// fields: 12 bytes, the last a NUL): 8 GiB - 1 as a size.
const MAX_OCTAL_11: u64 = 0o777_7777_7777;

/// What an archive's name and layout are derived from, hashed first: a
/// change in how archives are written must change every tag.
const FORMAT: &[u8] = b"http-from-scratch tar 1\0";

/// Hex digits of the digest kept as the tree's version.
const VERSION_HEX: usize = 24;

/// Whether the request asks for the folder as an archive:
/// `?download=tar`. (The file server asks this only when `--archives` is
/// on; without it the query is ignored, as any query is.)
pub fn is_requested(request: &Request<'_>) -> bool {
    request.query_value("download").as_deref() == Some("tar")
}

/// The `href` of a listing's "Download as .tar" link, relative to the
/// folder's own URL (which ends in `/`): `?download=tar&v=VERSION`. It
/// holds a `&`, so it must be HTML-escaped in an attribute, as every
/// `href` is.
pub fn download_href(version: &str) -> String {
    format!("?download=tar&v={version}")
}

/// The link a listing of `dir` should carry: walks the tree to learn its
/// version. `None` when there is nothing to offer (the folder is too large
/// to archive, or cannot be read). `request` is the listing's request: the
/// archive's folder name comes from its path, as it does for the download.
pub fn link_for(request: &Request<'_>, root: &Root, dir: &Opened, hidden: bool) -> Option<String> {
    if !matches!(dir.location, Location::Inside(_)) {
        return None;
    }
    let name = folder_name(request.path(), root.path());
    let tree = Tree::walk(root, dir, &name, hidden).ok()?;
    Some(download_href(tree.version()))
}

/// The name of the folder at the top of the archive (and, with `.tar`, of
/// the download): the last segment of the URL path, or for the root the
/// served directory's own name. Taken from the cleaned path, so it is
/// never `.`, `..` or empty, and holds no `/`.
pub fn folder_name(url_path: &str, served: &Path) -> String {
    let from_url = path::clean(url_path, true)
        .ok()
        .and_then(|clean| clean.segments.last().cloned());
    from_url
        .or_else(|| served.file_name()?.to_str().map(str::to_string))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "files".to_string())
}

/// The answer to `?download=tar` on the folder `dir`: the walk, the `v`
/// check, preconditions, then the archive whole or in one range.
pub fn respond(request: &Request<'_>, root: &Root, dir: &Opened, hidden: bool) -> Response {
    // A folder reached through a link out of the root (`--follow-symlinks`)
    // is served, but never archived: nothing outside the root is.
    if !matches!(dir.location, Location::Inside(_)) {
        return Response::error_because(
            Status::FORBIDDEN,
            "folders outside the served directory are not archived",
        );
    }
    let Some(place) = Place::take() else {
        return Response::service_unavailable();
    };
    let name = folder_name(request.path(), root.path());
    let tree = match Tree::walk(root, dir, &name, hidden) {
        Ok(tree) => tree,
        Err(err) => return err.response(),
    };
    let validators = match check_version_and_preconditions(request, &tree) {
        Ok(validators) => validators,
        Err(answer) => return answer,
    };
    let fields = request.fields();
    let len = tree.len();
    let range = match fields.get("range") {
        Some(value) if conditional::if_range_allows(fields, &validators) => {
            range::evaluate(value, len)
        }
        _ => RangeOutcome::Full,
    };
    let response = ranged(range, tree, root.clone(), place)
        .with_header("ETag", validators.etag)
        .with_header("Accept-Ranges", "bytes");
    if response.status() == Status::RANGE_NOT_SATISFIABLE {
        return response;
    }
    response
        .with_header("Content-Type", CONTENT_TYPE)
        .with_header(
            "Content-Disposition",
            disposition::attachment(&format!("{name}.tar")),
        )
}

/// The archive's validators, once the link's `v` (if any) still names this
/// tree and the request's preconditions let it through; else the answer
/// (412 for a stale `v` or a failed precondition, 304).
fn check_version_and_preconditions(
    request: &Request<'_>,
    tree: &Tree,
) -> Result<Validators, Response> {
    if request
        .query_value("v")
        .is_some_and(|v| v != tree.version())
    {
        return Err(Response::error_because(
            Status::PRECONDITION_FAILED,
            "this folder has changed since the link to its archive was made; \
             reload the folder's listing for a new link",
        ));
    }
    let validators = Validators {
        etag: tree.etag(),
        // No Last-Modified: the newest time in a tree does not tell every
        // change (a file copied in with its old time keeps it), so the tag
        // is the only validator, and If-Range with a date never matches.
        last_modified: None,
    };
    match conditional::evaluate(request.fields(), request.method(), &validators) {
        Precondition::NotModified => {
            Err(Response::new(Status::NOT_MODIFIED).with_header("ETag", validators.etag))
        }
        Precondition::Failed => Err(Response::error(Status::PRECONDITION_FAILED)),
        Precondition::Proceed => Ok(validators),
    }
}

/// 200 with the whole archive, 206 with one range, or 416. Several ranges
/// get the whole archive (RFC 9110 §14.2 lets a server ignore Range): a
/// multipart answer is of no use for resuming, which is what ranges of an
/// archive are for.
fn ranged(range: RangeOutcome, tree: Tree, root: Root, place: Place) -> Response {
    let len = tree.len();
    let (status, start, end) = match range {
        RangeOutcome::Partial(ranges) if ranges.len() == 1 => {
            (Status::PARTIAL_CONTENT, ranges[0].0, ranges[0].1)
        }
        RangeOutcome::Unsatisfiable => {
            return Response::error(Status::RANGE_NOT_SATISFIABLE)
                .with_header("Content-Range", format!("bytes */{len}"));
        }
        RangeOutcome::Full | RangeOutcome::Partial(_) => (Status::OK, 0, len),
    };
    let mut response = Response::new(status).with_body(ResponseBody::Sized {
        reader: Box::new(ArchiveReader::new(root, tree, start).holding(place)),
        len: end - start,
    });
    if status == Status::PARTIAL_CONTENT {
        let content_range = format!("bytes {start}-{}/{len}", end - 1);
        response = response.with_header("Content-Range", content_range);
    }
    response
}

/// Why a folder cannot be archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkError {
    /// More than [`MAX_ENTRIES`] entries: 403, with a sentence saying why.
    TooMany,
    /// The folder itself could not be read: 403, as its listing would be.
    Unreadable,
    /// Out of file descriptors: 503.
    Busy,
}

impl WalkError {
    /// A shortage of descriptors is not a fact about the tree: it must not
    /// leave an entry out, any more than it may be a false 404.
    fn from_io(err: &io::Error) -> WalkError {
        if sys::is_fd_exhaustion(err) {
            WalkError::Busy
        } else {
            WalkError::Unreadable
        }
    }

    fn response(self) -> Response {
        match self {
            WalkError::TooMany => Response::error_because(
                Status::FORBIDDEN,
                &format!(
                    "this folder holds more than {MAX_ENTRIES} files and folders, \
                     too many to download as one archive"
                ),
            ),
            WalkError::Unreadable => Response::error(Status::FORBIDDEN),
            WalkError::Busy => Response::service_unavailable(),
        }
    }
}

/// What a file looked like when it was walked; it must look the same when
/// it is archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
    identity: u64,
    /// When the inode last changed, in nanoseconds: an edit that keeps the
    /// size and puts the modification time back still moves this, which
    /// no one can set by hand.
    status_changed: i128,
}

impl Stamp {
    fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            size: metadata.len(),
            modified: metadata.modified().ok(),
            identity: identity(metadata),
            status_changed: status_changed(metadata),
        }
    }
}

/// Where an entry's bytes are read from.
#[derive(Debug)]
enum Source {
    /// A folder: nothing to read.
    Folder,
    /// A file in the walked folder `dirs[n]`, under its own name.
    InFolder(usize),
    /// A file reached through a symlink: where it really is.
    Link(Box<Location>),
}

/// One file or folder of the archive.
#[derive(Debug)]
struct Entry {
    /// Its path in the archive, the top folder first; a folder's ends in `/`.
    path: Box<str>,
    /// Bytes of data (0 for a folder).
    size: u64,
    stamp: Stamp,
    executable: bool,
    source: Source,
}

impl Entry {
    fn is_folder(&self) -> bool {
        matches!(self.source, Source::Folder)
    }

    /// The header's modification time: whole seconds, within what the
    /// ustar field holds (a time before 1970 is written as 1970).
    fn mtime(&self) -> u64 {
        let secs = self.stamp.modified.map_or(0, date::unix_seconds);
        u64::try_from(secs).unwrap_or(0).min(MAX_OCTAL_11)
    }

    fn mode(&self) -> u32 {
        if self.is_folder() || self.executable {
            0o755
        } else {
            0o644
        }
    }

    fn header_len(&self) -> u64 {
        header_len(&self.path, self.size)
    }

    /// Header, data and the data's padding.
    fn span(&self) -> u64 {
        self.header_len() + padded(self.size)
    }

    fn write_header(&self, out: &mut Vec<u8>) {
        let kind = if self.is_folder() { b'5' } else { b'0' };
        let header = Header {
            path: &self.path,
            size: self.size,
            mtime: self.mtime(),
            mode: self.mode(),
            typeflag: kind,
        };
        write_header(out, &header);
    }
}

/// A folder walked and ready to archive: its entries in archive order, the
/// archive's exact length and the tree's version.
#[derive(Debug)]
pub struct Tree {
    entries: Vec<Entry>,
    /// Where each walked folder really is (for its files' [`Source`]).
    dirs: Vec<Location>,
    len: u64,
    version: String,
}

impl Tree {
    /// Walks the opened folder `dir` and everything under it that would be
    /// archived, with `name` as the folder at the archive's top. `hidden`:
    /// whether dotfiles are served.
    ///
    /// # Errors
    ///
    /// [`WalkError`] when the folder cannot be read or holds too much.
    pub fn walk(root: &Root, dir: &Opened, name: &str, hidden: bool) -> Result<Tree, WalkError> {
        Tree::walk_at_most(root, dir, name, hidden, MAX_ENTRIES)
    }

    /// [`Tree::walk`] with another bound (tests use a small one).
    fn walk_at_most(
        root: &Root,
        dir: &Opened,
        name: &str,
        hidden: bool,
        max_entries: usize,
    ) -> Result<Tree, WalkError> {
        let mut walker = Walker {
            root,
            hidden,
            max_entries,
            entries: Vec::new(),
            dirs: Vec::new(),
            frames: Vec::new(),
            len: TRAILER,
            hasher: Sha256::new(),
        };
        walker.hasher.update(FORMAT);
        let children = read_children(root, dir, hidden)?;
        walker.enter(
            format!("{name}/"),
            dir.location.clone(),
            &dir.metadata,
            children,
        )?;
        // Depth first: the deepest folder's next child, or back up a level.
        while let Some(frame) = walker.frames.last_mut() {
            match frame.children.next() {
                Some(child) => walker.visit(child)?,
                None => {
                    walker.frames.pop();
                }
            }
        }
        Ok(walker.finish())
    }

    /// The archive's exact length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the archive is empty: never, since it holds at least its top
    /// folder and the two closing blocks.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tree's version: hex digits of a SHA-256 over the folder's name
    /// and every entry's path, kind, size, time and inode. The `v` of the
    /// listing's link.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The archive's strong entity-tag, built from the version.
    pub fn etag(&self) -> String {
        format!("\"tar-{}\"", self.version)
    }

    fn location_of(&self, entry: &Entry) -> Option<Location> {
        match &entry.source {
            Source::Folder => None,
            Source::InFolder(dir) => {
                let name = entry.path.rsplit('/').next().unwrap_or_default();
                Some(self.dirs[*dir].child(OsStr::new(name)))
            }
            Source::Link(location) => Some((**location).clone()),
        }
    }
}

/// A folder being walked: its archive path, where it really is, and the
/// children still to visit (read and sorted when it was entered).
struct Frame {
    path: String,
    dir: usize,
    children: std::vec::IntoIter<Child>,
}

/// One name read from a folder, with what the walk needs of it.
struct Child {
    name: String,
    metadata: Metadata,
    /// Where a symlink led (`None`: not a link).
    link: Option<Location>,
}

/// The walk in progress: depth first, children in name order, each folder
/// before what it holds.
struct Walker<'r> {
    root: &'r Root,
    hidden: bool,
    max_entries: usize,
    entries: Vec<Entry>,
    dirs: Vec<Location>,
    frames: Vec<Frame>,
    len: u64,
    hasher: Sha256,
}

impl Walker<'_> {
    fn visit(&mut self, child: Child) -> Result<(), WalkError> {
        let Some(frame) = self.frames.last() else {
            return Ok(());
        };
        let (path, dir) = (format!("{}{}", frame.path, child.name), frame.dir);
        if child.metadata.is_file() {
            let source = match child.link {
                Some(location) => Source::Link(Box::new(location)),
                None => Source::InFolder(dir),
            };
            return self.push(path, &child.metadata, source);
        }
        let location = match child.link {
            Some(location) => location,
            None => self.dirs[dir].child(&child.name),
        };
        // Opened through the door again: the tree may have changed since
        // it was read, and this is what the folder's children are read by.
        let opened = match self.root.open_location(&location) {
            Ok(opened) => opened,
            Err(OpenError::Busy) => return Err(WalkError::Busy),
            Err(_) => return Ok(()),
        };
        let inside = matches!(opened.location, Location::Inside(_));
        // A folder already on the way down is a loop of links.
        let looped = self
            .frames
            .iter()
            .any(|frame| self.dirs[frame.dir] == opened.location);
        if !opened.metadata.is_dir() || !inside || looped {
            return Ok(());
        }
        let children = match read_children(self.root, &opened, self.hidden) {
            Ok(children) => children,
            Err(WalkError::Busy) => return Err(WalkError::Busy),
            // Left out, as a listing leaves out what it cannot read.
            Err(_) => return Ok(()),
        };
        self.enter(path + "/", opened.location, &opened.metadata, children)
    }

    /// Adds a folder's entry and starts on its children.
    fn enter(
        &mut self,
        path: String,
        location: Location,
        metadata: &Metadata,
        children: Vec<Child>,
    ) -> Result<(), WalkError> {
        self.push(path.clone(), metadata, Source::Folder)?;
        self.dirs.push(location);
        self.frames.push(Frame {
            path,
            dir: self.dirs.len() - 1,
            children: children.into_iter(),
        });
        Ok(())
    }

    /// Adds one entry: counted, hashed and measured.
    fn push(&mut self, path: String, metadata: &Metadata, source: Source) -> Result<(), WalkError> {
        if self.entries.len() >= self.max_entries {
            return Err(WalkError::TooMany);
        }
        let folder = matches!(source, Source::Folder);
        let entry = Entry {
            path: path.into_boxed_str(),
            size: if folder { 0 } else { metadata.len() },
            stamp: Stamp::of(metadata),
            executable: is_executable(metadata),
            source,
        };
        let nanos = entry
            .stamp
            .modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let hasher = &mut self.hasher;
        hasher.update(entry.path.as_bytes());
        hasher.update(&[0, u8::from(folder), u8::from(entry.executable)]);
        hasher.update(&entry.size.to_le_bytes());
        hasher.update(&nanos.to_le_bytes());
        hasher.update(&entry.stamp.identity.to_le_bytes());
        hasher.update(&entry.stamp.status_changed.to_le_bytes());
        self.len += entry.span();
        self.entries.push(entry);
        Ok(())
    }

    fn finish(self) -> Tree {
        let digest = self.hasher.finish();
        let mut version = sha256::to_hex(&digest);
        version.truncate(VERSION_HEX);
        Tree {
            entries: self.entries,
            dirs: self.dirs,
            len: self.len,
            version,
        }
    }
}

/// The children of an opened folder that an archive holds, in name order:
/// what its listing shows (the same hidden-name and UTF-8 rules, symlinks
/// only where the door follows them), less anything that is not a regular
/// file or folder, and less links that lead outside the root.
fn read_children(root: &Root, dir: &Opened, hidden: bool) -> Result<Vec<Child>, WalkError> {
    let mut children = Vec::new();
    let items = shown_names(root, dir, hidden).map_err(|e| WalkError::from_io(&e))?;
    for (name, item, file_type) in items {
        let child = if file_type.is_symlink() {
            // The door decides where the link leads, and only a place
            // inside the root is archived.
            match root.open_location(&dir.location.child(&name)) {
                Ok(target) if matches!(target.location, Location::Inside(_)) => Child {
                    name,
                    metadata: target.metadata,
                    link: Some(target.location),
                },
                Err(OpenError::Busy) => return Err(WalkError::Busy),
                _ => continue,
            }
        } else if file_type.is_file() || file_type.is_dir() {
            match item.metadata() {
                Ok(metadata) => Child {
                    name,
                    metadata,
                    link: None,
                },
                Err(_) => continue,
            }
        } else {
            continue;
        };
        children.push(child);
    }
    children.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(children)
}

/// The bytes of an archive from a given offset on, produced as they are
/// read: headers are built one at a time, each file is opened through the
/// door when its data is reached and read straight from the disk, and
/// padding and the closing blocks are zeros. Its memory is one header and
/// the tree's entry list, whatever the files' sizes.
///
/// # Errors
///
/// A read fails if a file cannot be opened, has changed since the walk
/// (size, modification time or inode), or ends early or grows while it is
/// read: the bytes promised can no longer be delivered.
pub struct ArchiveReader {
    root: Root,
    tree: Tree,
    /// The entry being produced (`tree.entries.len()`: the closing blocks).
    at: usize,
    /// How far into that entry's span (or the closing blocks) we are.
    within: u64,
    /// The current entry's header, once built.
    head: Vec<u8>,
    /// The current entry's file, once opened.
    file: Option<File>,
    /// Its place among the archives in progress.
    place: Option<Place>,
}

impl ArchiveReader {
    /// A reader of `tree`'s archive starting at byte `start`: the entries
    /// before it are skipped by arithmetic, not produced.
    pub fn new(root: Root, tree: Tree, start: u64) -> ArchiveReader {
        let mut at = 0;
        let mut within = start;
        while let Some(entry) = tree.entries.get(at) {
            let span = entry.span();
            if within < span {
                break;
            }
            within -= span;
            at += 1;
        }
        ArchiveReader {
            root,
            tree,
            at,
            within,
            head: Vec::new(),
            file: None,
            place: None,
        }
    }

    /// Keeps `place` taken for as long as the reader lives.
    fn holding(mut self, place: Place) -> ArchiveReader {
        self.place = Some(place);
        self
    }

    /// Produces the next bytes of the current piece (header, data, padding
    /// or the closing blocks) into `out`; 0 only at the archive's end.
    fn read_piece(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(entry) = self.tree.entries.get(self.at) else {
                let n = out.len().min(to_usize(TRAILER.saturating_sub(self.within)));
                out[..n].fill(0);
                self.within += n as u64;
                return Ok(n);
            };
            let head_len = entry.header_len();
            let data_end = head_len + entry.size;
            let span = head_len + padded(entry.size);
            let n = if self.within < head_len {
                self.copy_header(out)
            } else if self.within < data_end {
                self.read_data(out, head_len, data_end)?
            } else {
                let n = out.len().min(to_usize(span - self.within));
                out[..n].fill(0);
                n
            };
            self.within += n as u64;
            if self.within == span {
                self.at += 1;
                self.within = 0;
                self.head.clear();
                self.file = None;
            }
            if n > 0 {
                return Ok(n);
            }
        }
    }

    fn copy_header(&mut self, out: &mut [u8]) -> usize {
        if self.head.is_empty() {
            self.tree.entries[self.at].write_header(&mut self.head);
        }
        let rest = &self.head[to_usize(self.within)..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        n
    }

    /// Reads file data; the file is opened (and checked) on its first
    /// byte, and checked again after its last.
    fn read_data(&mut self, out: &mut [u8], head_len: u64, data_end: u64) -> io::Result<usize> {
        let entry = &self.tree.entries[self.at];
        if self.file.is_none() {
            let location = self.tree.location_of(entry);
            let offset = self.within - head_len;
            self.file = Some(open_unchanged(&self.root, location, entry, offset)?);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(changed(entry));
        };
        let want = out.len().min(to_usize(data_end - self.within));
        let n = loop {
            match file.read(&mut out[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        let shrank = n == 0;
        let finished = self.within + n as u64 == data_end;
        if shrank || (finished && Stamp::of(&file.metadata()?) != entry.stamp) {
            return Err(changed(entry));
        }
        Ok(n)
    }
}

impl Read for ArchiveReader {
    /// Fills `out` as far as the archive goes, across pieces, so that a
    /// folder of small files is not sent a few hundred bytes at a time.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < out.len() {
            let n = self.read_piece(&mut out[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(filled)
    }
}

/// Opens an entry's file through the door, at `offset` into its data, if
/// it is still inside the root and still what the walk saw.
fn open_unchanged(
    root: &Root,
    location: Option<Location>,
    entry: &Entry,
    offset: u64,
) -> io::Result<File> {
    let opened = location
        .and_then(|location| root.open_location(&location).ok())
        .ok_or_else(|| changed(entry))?;
    let inside = matches!(opened.location, Location::Inside(_));
    if !inside || !opened.metadata.is_file() || Stamp::of(&opened.metadata) != entry.stamp {
        return Err(changed(entry));
    }
    let mut file = opened.file;
    if offset > 0 {
        file.seek(SeekFrom::Start(offset))?;
    }
    Ok(file)
}

/// The error for a file that is no longer what the walk saw: the kind the
/// connection answers with 503 and `Retry-After` if nothing is sent yet
/// (a small archive), as for a file that shrank; else it closes short.
fn changed(entry: &Entry) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("{} changed or went away while it was archived", entry.path),
    )
}

/// `len` rounded up to whole blocks.
fn padded(len: u64) -> u64 {
    len.div_ceil(BLOCK) * BLOCK
}

/// A length known to be at most a block or a buffer's size, as `usize`.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(unix)]
fn identity(metadata: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    metadata.ino()
}

#[cfg(not(unix))]
fn identity(_metadata: &Metadata) -> u64 {
    0
}

#[cfg(unix)]
fn status_changed(metadata: &Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec())
}

#[cfg(not(unix))]
fn status_changed(_metadata: &Metadata) -> i128 {
    0
}

#[cfg(unix)]
fn is_executable(metadata: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &Metadata) -> bool {
    false
}

// The tar format itself (POSIX.1-2008, pax: "ustar Interchange Format" and
// "pax Extended Header"), as small pure functions.

/// What one entry's header says.
struct Header<'a> {
    path: &'a str,
    size: u64,
    mtime: u64,
    mode: u32,
    /// `0` a regular file, `5` a folder.
    typeflag: u8,
}

/// Whether a path needs a pax `path` record: the ustar name field holds 100
/// bytes, and its text is meant to be portable ASCII (pax records are
/// UTF-8 by definition). Splitting across the ustar prefix field would
/// cover some longer ASCII paths too; one rule for all is simpler.
fn needs_pax_path(path: &str) -> bool {
    path.len() > NAME_LEN || !path.is_ascii()
}

/// Whether a size needs a pax `size` record: 8 GiB or more does not fit
/// the 11 octal digits of the ustar field.
fn needs_pax_size(size: u64) -> bool {
    size > MAX_OCTAL_11
}

/// Decimal digits in `n`.
fn decimal_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// The length of the pax record `"%d %s=%s\n"` for a keyword and a value
/// of these lengths. The length counts its own digits, so it is found by
/// iteration: start from the rest's length plus its digits, and add a
/// digit if the total turned out to need one more (98 bytes of rest make
/// 100, which has 3 digits, so the record is 101 bytes long).
fn pax_record_len(key_len: usize, value_len: usize) -> usize {
    // " key=value\n"
    let rest = 1 + key_len + 1 + value_len + 1;
    let mut len = rest + decimal_digits(rest as u64);
    while rest + decimal_digits(len as u64) != len {
        len = rest + decimal_digits(len as u64);
    }
    len
}

fn push_pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let len = pax_record_len(key.len(), value.len());
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// The pax records an entry needs (empty if none).
fn pax_records(path: &str, size: u64) -> Vec<u8> {
    let mut records = Vec::new();
    if needs_pax_path(path) {
        push_pax_record(&mut records, "path", path.as_bytes());
    }
    if needs_pax_size(size) {
        push_pax_record(&mut records, "size", size.to_string().as_bytes());
    }
    records
}

/// The length of [`pax_records`], by arithmetic alone.
fn pax_records_len(path: &str, size: u64) -> u64 {
    let mut len = 0;
    if needs_pax_path(path) {
        len += pax_record_len("path".len(), path.len());
    }
    if needs_pax_size(size) {
        len += pax_record_len("size".len(), decimal_digits(size));
    }
    len as u64
}

/// The bytes before an entry's data: a ustar block, preceded when needed by
/// a pax header block and its records padded to whole blocks.
fn header_len(path: &str, size: u64) -> u64 {
    match pax_records_len(path, size) {
        0 => BLOCK,
        pax => BLOCK + padded(pax) + BLOCK,
    }
}

/// Appends an entry's header (see [`header_len`]). Where a pax record
/// carries the path or size, the ustar fields hold a stand-in for readers
/// that know no pax: the path made ASCII and cut to 100 bytes, and a size
/// of 0 (as GNU tar and Python's tarfile write).
fn write_header(out: &mut Vec<u8>, header: &Header<'_>) {
    let records = pax_records(header.path, header.size);
    if !records.is_empty() {
        let pax = ustar_block(
            b"././@PaxHeader",
            0o644,
            records.len() as u64,
            header.mtime,
            b'x',
        );
        out.extend_from_slice(&pax);
        out.extend_from_slice(&records);
        let padding = padded(records.len() as u64) - records.len() as u64;
        out.resize(out.len() + to_usize(padding), 0);
    }
    let name = ascii_stand_in(header.path);
    let size = if needs_pax_size(header.size) {
        0
    } else {
        header.size
    };
    let block = ustar_block(&name, header.mode, size, header.mtime, header.typeflag);
    out.extend_from_slice(&block);
}

/// A path as printable ASCII (every other character `_`), at most 100
/// bytes: what the ustar name field can carry.
fn ascii_stand_in(path: &str) -> Vec<u8> {
    path.chars()
        .map(|c| if c.is_ascii() { c as u8 } else { b'_' })
        .take(NAME_LEN)
        .collect()
}

/// One 512-byte ustar header block. `name` is at most 100 bytes; `size`
/// and `mtime` fit 11 octal digits (the callers see to both). Owners are 0
/// and unnamed, device numbers 0.
fn ustar_block(name: &[u8], mode: u32, size: u64, mtime: u64, typeflag: u8) -> [u8; 512] {
    let mut block = [0u8; 512];
    let name = &name[..name.len().min(NAME_LEN)];
    block[..name.len()].copy_from_slice(name);
    let fields: [(std::ops::Range<usize>, u64); 6] = [
        (100..108, u64::from(mode)),
        (108..116, 0), // uid
        (116..124, 0), // gid
        (124..136, size),
        (136..148, mtime),
        (329..337, 0), // devmajor
    ];
    for (range, value) in fields {
        let fits = put_octal(&mut block[range], value);
        debug_assert!(fits, "the callers keep numbers within their fields");
    }
    put_octal(&mut block[337..345], 0); // devminor
    block[156] = typeflag;
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    // The checksum field: six octal digits, a NUL and a space.
    let sum = checksum(&block);
    put_octal(&mut block[148..155], u64::from(sum));
    block[155] = b' ';
    block
}

/// Writes `value` into `field` as zero-padded octal digits followed by a
/// NUL, the form ustar's numeric fields take. False (and the field left as
/// it was) if the value needs more digits than the field has.
fn put_octal(field: &mut [u8], value: u64) -> bool {
    let Some(digits) = field.len().checked_sub(1) else {
        return false;
    };
    let fits = u32::try_from(digits * 3)
        .ok()
        .and_then(|bits| 1u64.checked_shl(bits))
        .is_none_or(|limit| value < limit);
    if !fits {
        return false;
    }
    let mut rest = value;
    for slot in field[..digits].iter_mut().rev() {
        *slot = b'0' + (rest & 7) as u8;
        rest >>= 3;
    }
    field[digits] = 0;
    true
}

/// The header checksum: the sum of the block's bytes as unsigned numbers,
/// with the checksum field itself counted as eight spaces.
fn checksum(block: &[u8; 512]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(path: &str, size: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let h = Header {
            path,
            size,
            mtime: 0,
            mode: 0o644,
            typeflag: b'0',
        };
        write_header(&mut out, &h);
        out
    }

    /// The octal number in a NUL-terminated field.
    fn octal(field: &[u8]) -> u64 {
        let digits: Vec<u8> = field.iter().copied().take_while(|&b| b != 0).collect();
        u64::from_str_radix(std::str::from_utf8(&digits).unwrap().trim(), 8).unwrap()
    }

    #[test]
    fn octal_fields_are_zero_padded_and_nul_terminated() {
        let mut field = [b'x'; 8];
        assert!(put_octal(&mut field, 0o644));
        assert_eq!(&field, b"0000644\0");
        let mut size = [0u8; 12];
        assert!(put_octal(&mut size, MAX_OCTAL_11));
        assert_eq!(&size, b"77777777777\0");
        assert!(!put_octal(&mut size, MAX_OCTAL_11 + 1));
        assert_eq!(&size, b"77777777777\0", "left as it was");
        assert!(!put_octal(&mut [0u8; 0], 0));
    }

    #[test]
    fn checksum_counts_its_own_field_as_spaces() {
        // Worked by hand for "a", 5 bytes, mtime 0, mode 0644: the eight
        // spaces (256), the name (97), mode (350), uid and gid (336 each),
        // size (533), mtime (528), typeflag (48), magic (559), version
        // (96), device numbers (336 each): 3811 = 0o7343.
        let block = ustar_block(b"a", 0o644, 5, 0, b'0');
        assert_eq!(checksum(&block), 3811);
        assert_eq!(&block[148..156], b"007343\0 ");
        // Whatever the field holds, the sum is the same.
        let mut other = block;
        other[148..156].copy_from_slice(b"\0\0\0\0\0\0\0\0");
        assert_eq!(checksum(&other), 3811);
    }

    #[test]
    fn pax_record_length_counts_its_own_digits() {
        for value_len in 0..2000 {
            let value = vec![b'v'; value_len];
            let mut record = Vec::new();
            push_pax_record(&mut record, "path", &value);
            let text = String::from_utf8(record.clone()).unwrap();
            let (stated, _) = text.split_once(' ').unwrap();
            assert_eq!(
                stated.parse::<usize>().unwrap(),
                record.len(),
                "{value_len}"
            );
            assert!(record.ends_with(b"\n"));
        }
        // Across the 2-to-3-digit step: 98 bytes besides the length.
        assert_eq!(pax_record_len(4, 90), 99);
        assert_eq!(pax_record_len(4, 91), 101);
        assert_eq!(pax_record_len(4, 92), 102);
        assert_eq!(pax_record_len(4, 1), 9); // "9 path=a\n"
    }

    #[test]
    fn short_ascii_names_need_one_block() {
        let h = header("top/a.txt", 5);
        assert_eq!(h.len(), 512);
        assert_eq!(header_len("top/a.txt", 5), 512);
        assert_eq!(&h[..10], b"top/a.txt\0");
        assert_eq!(octal(&h[124..136]), 5);
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(
            octal(&h[148..156]),
            u64::from(checksum(h[..512].try_into().unwrap()))
        );
        // Exactly 100 bytes still fit, without a NUL.
        let hundred = "n".repeat(100);
        assert_eq!(header(&hundred, 0).len(), 512);
    }

    #[test]
    fn long_and_utf8_names_go_in_a_pax_record() {
        let long = format!("top/{}", "x".repeat(150));
        for path in [long.as_str(), "top/café ☕.txt"] {
            let h = header(path, 7);
            assert_eq!(h.len() as u64, header_len(path, 7), "{path}");
            assert_eq!(h[156], b'x', "a pax header comes first");
            let records_len = octal(&h[124..136]) as usize;
            let records = std::str::from_utf8(&h[512..512 + records_len]).unwrap();
            assert_eq!(
                records,
                format!("{} path={path}\n", records.split(' ').next().unwrap())
            );
            let ustar = &h[h.len() - 512..];
            assert_eq!(ustar[156], b'0');
            assert!(ustar[..100].is_ascii(), "an ASCII stand-in for old readers");
            assert_eq!(octal(&ustar[124..136]), 7);
        }
    }

    #[test]
    fn sizes_of_8_gib_and_more_go_in_a_pax_record() {
        let big = MAX_OCTAL_11 + 1;
        let h = header("top/big.iso", big);
        assert_eq!(h.len() as u64, header_len("top/big.iso", big));
        let records_len = octal(&h[124..136]) as usize;
        let records = std::str::from_utf8(&h[512..512 + records_len]).unwrap();
        assert_eq!(records, format!("19 size={big}\n"));
        let ustar = &h[h.len() - 512..];
        assert_eq!(octal(&ustar[124..136]), 0);
        assert_eq!(header_len("top/fits.iso", MAX_OCTAL_11), 512);
    }

    #[test]
    fn ascii_stand_ins_replace_each_character_and_fit() {
        assert_eq!(ascii_stand_in("a/é.txt"), b"a/_.txt");
        assert_eq!(ascii_stand_in(&"é".repeat(200)).len(), 100);
    }

    #[cfg(unix)]
    mod reading {
        use super::super::*;
        use std::fs;
        use std::path::PathBuf;

        struct Scratch(PathBuf);

        impl Drop for Scratch {
            fn drop(&mut self) {
                let _ = fs::remove_dir_all(&self.0);
            }
        }

        fn scratch(tag: &str) -> (Scratch, Root) {
            let base =
                std::env::temp_dir().join(format!("hfs-archive-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(base.join("sub/empty")).unwrap();
            fs::write(base.join("a.txt"), "alpha").unwrap();
            fs::write(base.join("sub/b.bin"), vec![7u8; 1500]).unwrap();
            fs::write(base.join("sub/zero"), "").unwrap();
            fs::write(base.join(format!("{}é", "l".repeat(120))), "long").unwrap();
            let base = base.canonicalize().unwrap();
            let root = Root::new(base.clone(), false);
            (Scratch(base), root)
        }

        fn walk(root: &Root) -> Tree {
            let dir = root.open::<&str>(&[]).unwrap();
            Tree::walk(root, &dir, "top", false).unwrap()
        }

        fn read_from(root: &Root, start: u64) -> io::Result<Vec<u8>> {
            let mut out = Vec::new();
            ArchiveReader::new(root.clone(), walk(root), start).read_to_end(&mut out)?;
            Ok(out)
        }

        #[test]
        fn the_length_is_exact_and_every_offset_resumes() {
            let (_dir, root) = scratch("offsets");
            let tree = walk(&root);
            let whole = read_from(&root, 0).unwrap();
            assert_eq!(whole.len() as u64, tree.len());
            assert!(whole.ends_with(&[0u8; 1024]));
            for start in (0..=tree.len())
                .step_by(37)
                .chain([511, 512, 513, tree.len()])
            {
                let part = read_from(&root, start).unwrap();
                assert!(part == whole[start as usize..], "from {start}");
            }
        }

        /// An edit that keeps the size and puts the modification time back
        /// still changes the version and fails a read already walked.
        #[test]
        fn an_edit_hidden_behind_its_old_time_is_still_seen() {
            let (dir, root) = scratch("same-size");
            let before = walk(&root);
            let path = dir.0.join("a.txt");
            let modified = fs::metadata(&path).unwrap().modified().unwrap();
            let mut reader = ArchiveReader::new(root.clone(), walk(&root), 0);
            fs::write(&path, "ALPHA").unwrap();
            let file = fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(modified).unwrap();
            assert_ne!(walk(&root).version(), before.version());
            let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
            assert!(err.to_string().contains("a.txt"), "{err}");
        }

        /// Places are limited, and given back when dropped.
        #[test]
        fn only_so_many_archives_at_once() {
            let places: Vec<Place> = std::iter::from_fn(Place::take)
                .take(MAX_AT_ONCE + 1)
                .collect();
            assert_eq!(places.len(), MAX_AT_ONCE);
            assert!(Place::take().is_none());
            drop(places);
            assert!(Place::take().is_some());
        }

        #[test]
        fn a_file_changed_before_its_turn_fails_the_read() {
            let (dir, root) = scratch("changes");
            let mut reader = ArchiveReader::new(root.clone(), walk(&root), 0);
            reader.read_exact(&mut [0u8; 512]).unwrap();
            fs::write(dir.0.join("sub/b.bin"), vec![7u8; 1499]).unwrap();
            let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
            assert!(err.to_string().contains("sub/b.bin"), "{err}");
        }

        /// Where `sub/b.bin`'s data starts in the archive.
        fn data_of_b(tree: &Tree) -> u64 {
            let at = tree.entries.iter().position(|e| e.path.ends_with("/b.bin"));
            let at = at.unwrap();
            let before: u64 = tree.entries[..at].iter().map(Entry::span).sum();
            before + tree.entries[at].header_len()
        }

        #[test]
        fn a_file_that_shrinks_or_grows_while_it_is_read_fails_the_read() {
            for new_len in [100, 1501] {
                let (dir, root) = scratch(&format!("changes-{new_len}"));
                let tree = walk(&root);
                let into_data = data_of_b(&tree) + 200;
                let mut reader = ArchiveReader::new(root.clone(), tree, 0);
                // Opened, checked and partly read: only now does it change.
                let mut head = vec![0u8; to_usize(into_data)];
                reader.read_exact(&mut head).unwrap();
                let b = fs::File::options()
                    .write(true)
                    .open(dir.0.join("sub/b.bin"));
                b.unwrap().set_len(new_len).unwrap();
                let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
                assert!(err.to_string().contains("sub/b.bin"), "{new_len}: {err}");
            }
        }

        #[test]
        fn the_version_follows_the_tree() {
            let (dir, root) = scratch("version");
            let before = walk(&root).version().to_string();
            assert_eq!(before.len(), VERSION_HEX);
            assert_eq!(walk(&root).version(), before);
            fs::write(dir.0.join("sub/new.txt"), "n").unwrap();
            assert_ne!(walk(&root).version(), before);
        }

        #[test]
        fn entries_come_in_archive_order_up_to_the_bound() {
            let (_dir, root) = scratch("many");
            let dir = root.open::<&str>(&[]).unwrap();
            let tree = Tree::walk_at_most(&root, &dir, "top", false, 7).unwrap();
            let paths: Vec<&str> = tree.entries.iter().map(|e| e.path.as_ref()).collect();
            let long = format!("top/{}é", "l".repeat(120));
            let want = ["top/", "top/a.txt", &long, "top/sub/", "top/sub/b.bin"];
            assert_eq!(paths[..5], want);
            assert_eq!(paths[5..], ["top/sub/empty/", "top/sub/zero"]);
            let too_many = Tree::walk_at_most(&root, &dir, "top", false, 6);
            assert_eq!(too_many.unwrap_err(), WalkError::TooMany);
        }
    }
}
