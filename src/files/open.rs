//! The one door to the served tree: every file and directory the file server
//! reads or writes (files, precompressed siblings, index files, `--spa` and
//! `--404` pages, listings, archives, uploads) is opened here, and nothing
//! is opened by name elsewhere.
//!
//! Checking where a path leads and then opening it by name are two steps,
//! and a symlink swapped in between them is followed by the second. So the
//! door never decides on a name: it walks the path one component at a time
//! from an open directory, opening each name relative to the last with
//! `O_NOFOLLOW` (see `sys::open_at`). When a name is a symlink the open
//! fails, and the door reads the link itself and resolves its target by the
//! containment rule: inside the root it is walked the same way, from the
//! root or from the link's own directory; outside it is refused, unless the
//! user asked for `--follow-symlinks`. Whatever is opened is what is
//! served, and its metadata comes from the open descriptor (`fstat`), so a
//! later swap changes nothing already decided.
//!
//! Uploads write through the same door. The directory a new file goes into
//! is reached by the same walk ([`UploadDir::new`] takes what it opened,
//! and only a directory inside the root: a link that leaves the root is
//! never written through, even with `--follow-symlinks`, which is about
//! reading). The file is created in that open directory under a fresh
//! hidden name with `O_CREAT | O_EXCL` ([`UploadDir::create_temp`]), and
//! only a complete, flushed file is moved to its real name, relative to
//! the same descriptor ([`TempFile::rename_into_place`]); a [`TempFile`]
//! dropped before that removes itself. A rename replaces a symlink at the
//! new name rather than writing through it.
//!
//! This module owns opening. What a URL path means (decoding, dot segments,
//! hidden names) is [`super::path`]'s; what to answer is the file server's.

use crate::files::path::{UPLOAD_PREFIX, UPLOAD_SUFFIX};
use crate::sys::{self, OpenKind, Replace};
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, ReadDir};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Links followed in one walk before giving up, as the kernel's own limit
/// (`ELOOP` after 40) does: a loop of links ends here.
const MAX_LINKS: usize = 40;

/// Names walked in one open, links and their `..` included: a bound on the
/// work one request can ask for.
const MAX_STEPS: usize = 16 * 1024;

/// Why a path could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Not there, not a file or directory, outside the root, or a loop of
    /// links: 404.
    NotFound,
    /// There, but the server may not read it: 403.
    Forbidden,
    /// The process (or the system) is out of file descriptors: 503, not a
    /// false 404.
    Busy,
}

impl OpenError {
    /// The status for a path the door would not open.
    pub fn status(self) -> crate::http::status::Status {
        use crate::http::status::Status;
        match self {
            OpenError::NotFound => Status::NOT_FOUND,
            OpenError::Forbidden => Status::FORBIDDEN,
            OpenError::Busy => Status::SERVICE_UNAVAILABLE,
        }
    }

    fn from_io(err: &io::Error) -> OpenError {
        if sys::is_fd_exhaustion(err) {
            return OpenError::Busy;
        }
        match err.kind() {
            io::ErrorKind::PermissionDenied => OpenError::Forbidden,
            _ => OpenError::NotFound,
        }
    }
}

/// Where an opened file really is, links resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// Names under the root (no `.`, `..` or links among them).
    Inside(Vec<OsString>),
    /// A path outside the root, reached through a link because the user
    /// asked for `--follow-symlinks`.
    Outside(PathBuf),
}

impl Location {
    /// The location of `name` inside this directory.
    pub fn child(&self, name: impl AsRef<OsStr>) -> Location {
        match self {
            Location::Inside(names) => {
                let mut names = names.clone();
                names.push(name.as_ref().to_os_string());
                Location::Inside(names)
            }
            Location::Outside(path) => Location::Outside(path.join(name.as_ref())),
        }
    }

    /// This location with `suffix` added to its last name (`a.js` ->
    /// `a.js.br`); the root has no name to extend and stays as it is.
    pub fn with_suffix(&self, suffix: &str) -> Location {
        let extend = |name: &OsStr| {
            let mut name = name.to_os_string();
            name.push(suffix);
            name
        };
        match self {
            Location::Inside(names) => {
                let mut names = names.clone();
                if let Some(last) = names.last_mut() {
                    *last = extend(last);
                }
                Location::Inside(names)
            }
            Location::Outside(path) => Location::Outside(PathBuf::from(extend(path.as_os_str()))),
        }
    }

    /// The last name (empty for the root).
    pub fn file_name(&self) -> &OsStr {
        match self {
            Location::Inside(names) => names.last().map_or(OsStr::new(""), |n| n.as_os_str()),
            Location::Outside(path) => path.file_name().unwrap_or_default(),
        }
    }
}

/// A file or directory opened through the door.
#[derive(Debug)]
pub struct Opened {
    /// The open descriptor: read from this, never from a name.
    pub file: File,
    /// Its metadata, from the descriptor.
    pub metadata: Metadata,
    /// Where it really is.
    pub location: Location,
    /// The metadata of the directory it was found in (`None` for the root
    /// itself and for places outside the root).
    pub parent: Option<Metadata>,
}

/// The served root and the rule for links that leave it.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
    /// The root directory, opened once: every walk starts here, which saves
    /// two system calls a request. (The root is the directory that was
    /// named at start-up; renaming another one into its place later does
    /// not change what is served.)
    dir: Option<Arc<File>>,
    follow_symlinks: bool,
}

impl Root {
    /// The root at `path`, which must be canonical (absolute, no links):
    /// absolute link targets are compared with it.
    pub fn new(path: PathBuf, follow_symlinks: bool) -> Root {
        Root {
            dir: File::open(&path).ok().map(Arc::new),
            path,
            follow_symlinks,
        }
    }

    /// Where the root is (canonical).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open root directory (opened now if it could not be at start).
    fn root_dir(&self) -> Result<Arc<File>, OpenError> {
        match &self.dir {
            Some(dir) => Ok(Arc::clone(dir)),
            None => File::open(&self.path)
                .map(Arc::new)
                .map_err(|e| OpenError::from_io(&e)),
        }
    }

    /// Opens the file or directory that `names` (clean URL segments, relative
    /// to the root) lead to. Devices, FIFOs and sockets are not found.
    ///
    /// # Errors
    ///
    /// [`OpenError::NotFound`] or [`OpenError::Forbidden`].
    pub fn open<S: AsRef<OsStr>>(&self, names: &[S]) -> Result<Opened, OpenError> {
        let names = names.iter().map(|n| n.as_ref().to_os_string()).collect();
        self.only_documents(self.walk(names)?)
    }

    /// Opens a [`Location`] found by an earlier walk (a sibling or a child
    /// of something opened). It is walked again: the tree may have changed.
    ///
    /// # Errors
    ///
    /// As [`Root::open`].
    pub fn open_location(&self, location: &Location) -> Result<Opened, OpenError> {
        match location {
            Location::Inside(names) => self.open(names),
            Location::Outside(path) if self.follow_symlinks => {
                self.only_documents(open_outside(path.clone())?)
            }
            Location::Outside(_) => Err(OpenError::NotFound),
        }
    }

    /// Reads the entries of an opened directory through its descriptor, so
    /// the listing is of the directory that was checked, whatever its name
    /// leads to by now.
    ///
    /// # Errors
    ///
    /// The error from reading the directory.
    pub fn read_dir(&self, dir: &Opened) -> io::Result<ReadDir> {
        match &dir.location {
            Location::Outside(path) => fs::read_dir(path),
            Location::Inside(names) => read_dir_of(&dir.file, &self.path, names),
        }
    }

    fn only_documents(&self, opened: Opened) -> Result<Opened, OpenError> {
        if opened.metadata.is_file() || opened.metadata.is_dir() {
            Ok(opened)
        } else {
            Err(OpenError::NotFound)
        }
    }

    /// The component walk, one name at a time (see the module doc).
    fn walk(&self, pending: VecDeque<OsString>) -> Result<Opened, OpenError> {
        let mut walk = Walk::new(self.root_dir()?, pending);
        let mut steps = 0;
        while let Some(name) = walk.pending.pop_front() {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(OpenError::NotFound);
            }
            if name.is_empty() || name == "." {
                continue;
            }
            if name == ".." {
                if !walk.back_up() {
                    return self.escape(self.path.join(".."), walk.pending);
                }
                continue;
            }
            let kind = if walk.pending.is_empty() {
                OpenKind::Any
            } else {
                OpenKind::Directory
            };
            let err = match sys::open_at(walk.dir(), &name, kind) {
                Ok(file) => {
                    walk.entered(name, file);
                    continue;
                }
                Err(err) if err.kind() == io::ErrorKind::Unsupported => {
                    return self.open_by_name(walk.whole_path(name));
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    return Err(OpenError::NotFound);
                }
                Err(err) => err,
            };
            // The open failed: either the name is a link, or the error
            // stands (no permission, not a directory, ...).
            let Ok(target) = sys::read_link_at(walk.dir(), &name) else {
                return Err(OpenError::from_io(&err));
            };
            if let Some(outside) = self.follow(&mut walk, &target)? {
                return Ok(outside);
            }
        }
        walk.finish()
    }

    /// Goes on into a link's target: from the root for an absolute target
    /// under it, from the link's own directory for a relative one. A target
    /// outside the root ends the walk there (`Some`, or 404).
    fn follow(&self, walk: &mut Walk, target: &Path) -> Result<Option<Opened>, OpenError> {
        walk.links += 1;
        if walk.links > MAX_LINKS {
            return Err(OpenError::NotFound);
        }
        if target.is_absolute() {
            let Ok(rest) = target.strip_prefix(&self.path) else {
                let pending = std::mem::take(&mut walk.pending);
                return self.escape(target.to_path_buf(), pending).map(Some);
            };
            walk.restart_at_root();
            prepend(&mut walk.pending, rest);
        } else {
            prepend(&mut walk.pending, target);
        }
        Ok(None)
    }

    /// A link led outside the root: refused, unless the user chose to
    /// follow links anywhere.
    fn escape(&self, outside: PathBuf, rest: VecDeque<OsString>) -> Result<Opened, OpenError> {
        if !self.follow_symlinks {
            return Err(OpenError::NotFound);
        }
        let mut path = outside;
        path.extend(rest);
        open_outside(path)
    }

    /// Where the system has no `openat`: resolve the name, check it, open
    /// it, and make sure what was opened is what was checked.
    fn open_by_name(&self, names: Vec<OsString>) -> Result<Opened, OpenError> {
        let mut joined = self.path.clone();
        joined.extend(&names);
        let real = joined.canonicalize().map_err(|e| OpenError::from_io(&e))?;
        let Ok(rest) = real.strip_prefix(&self.path) else {
            return self.escape(real, VecDeque::new());
        };
        let names: Vec<OsString> = rest.iter().map(OsStr::to_os_string).collect();
        let file = File::open(&real).map_err(|e| OpenError::from_io(&e))?;
        let metadata = file.metadata().map_err(|e| OpenError::from_io(&e))?;
        let checked = fs::metadata(&real).map_err(|e| OpenError::from_io(&e))?;
        if !same_file(&metadata, &checked) {
            return Err(OpenError::NotFound);
        }
        Ok(Opened {
            file,
            metadata,
            location: Location::Inside(names),
            parent: None,
        })
    }
}

/// A directory inside the root, opened through the door, that uploads
/// create files in. Every name is created, looked up and renamed relative
/// to this descriptor, so the directory that was checked is the one
/// written to, whatever its path leads to by then.
#[derive(Debug, Clone)]
pub struct UploadDir {
    dir: Arc<File>,
    location: Vec<OsString>,
}

/// What a name in an [`UploadDir`] holds now.
#[derive(Debug)]
pub enum Entry {
    /// Nothing: the name is free.
    Absent,
    /// A regular file, with its metadata (for validators).
    File(Metadata),
    /// A directory: never replaced by an upload.
    Directory,
    /// Something else: a symlink, a FIFO or device, or a name that could
    /// not be opened. A rename would replace it, never write through it.
    Other,
}

impl UploadDir {
    /// The directory `opened` (from [`Root::open`]), if it is a directory
    /// inside the root. `None` for a file, and for a place outside the
    /// root reached through a link with `--follow-symlinks`: that option
    /// lets links be read, never written through.
    pub fn new(opened: Opened) -> Option<UploadDir> {
        let Location::Inside(location) = opened.location else {
            return None;
        };
        if !opened.metadata.is_dir() {
            return None;
        }
        Some(UploadDir {
            dir: Arc::new(opened.file),
            location,
        })
    }

    /// The directory's names under the root.
    pub fn location(&self) -> &[OsString] {
        &self.location
    }

    /// What `name` (one component) holds now, looked at without following
    /// a symlink. A check before the upload, to refuse early; the rename at
    /// the end is what decides.
    ///
    /// # Errors
    ///
    /// [`OpenError::Busy`] when out of descriptors.
    pub fn entry(&self, name: &OsStr) -> Result<Entry, OpenError> {
        match sys::open_at(&self.dir, name, OpenKind::Any) {
            Ok(file) => match file.metadata() {
                Ok(metadata) if metadata.is_file() => Ok(Entry::File(metadata)),
                Ok(metadata) if metadata.is_dir() => Ok(Entry::Directory),
                _ => Ok(Entry::Other),
            },
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Entry::Absent),
            Err(err) if sys::is_fd_exhaustion(&err) => Err(OpenError::Busy),
            Err(_) => Ok(Entry::Other),
        }
    }

    /// Creates a new, empty file in this directory under a name of its own
    /// (`.upload-PID-N.part`), which no request can reach, `--hidden` or
    /// not (see [`crate::files::path::is_upload_in_progress`]), and which
    /// is never the name of anything else, since the create fails rather
    /// than open an existing name.
    ///
    /// # Errors
    ///
    /// The system's error (no permission, no space, out of descriptors,
    /// `Unsupported` where there is no `openat`).
    pub fn create_temp(&self) -> io::Result<TempFile> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // A name left behind by a process that had the same id before:
        // take the next number.
        for _ in 0..16 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = OsString::from(format!(
                "{UPLOAD_PREFIX}{}-{n}{UPLOAD_SUFFIX}",
                std::process::id()
            ));
            match sys::create_at(&self.dir, &name) {
                Ok(file) => {
                    return Ok(TempFile {
                        dir: Arc::clone(&self.dir),
                        name,
                        file: Some(file),
                        placed: false,
                    })
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(err),
            }
        }
        Err(io::ErrorKind::AlreadyExists.into())
    }
}

/// A file being uploaded, under its temporary name in an [`UploadDir`].
/// Dropped before [`TempFile::rename_into_place`] succeeds, it removes
/// itself: a cut-off upload leaves nothing behind.
#[derive(Debug)]
pub struct TempFile {
    dir: Arc<File>,
    name: OsString,
    /// Open until the content is complete and flushed.
    file: Option<File>,
    /// Moved to its real name: nothing to remove.
    placed: bool,
}

impl TempFile {
    /// Flushes the content to the disk (`fsync`) and closes the file; done
    /// once, before the file is given its name.
    ///
    /// # Errors
    ///
    /// The system's error from `fsync`.
    pub fn finish_writing(&mut self) -> io::Result<()> {
        match self.file.take() {
            Some(file) => file.sync_all(),
            None => Ok(()),
        }
    }

    /// Moves the finished file to `name` in its directory, atomically:
    /// before, the name holds what it held; after, the complete file. With
    /// [`Replace::Never`] a name that is taken fails with `AlreadyExists`
    /// (and the file stays temporary, to be dropped or moved again). The
    /// directory is flushed afterwards so the new name survives a crash.
    ///
    /// # Errors
    ///
    /// The system's error, from `fsync` or the rename.
    pub fn rename_into_place(&mut self, name: &OsStr, replace: Replace) -> io::Result<()> {
        self.finish_writing()?;
        sys::rename_at(&self.dir, &self.name, name, replace)?;
        self.placed = true;
        // Best effort: the file is in place whatever this says, and some
        // file systems refuse `fsync` on a directory.
        let _ = self.dir.sync_all();
        Ok(())
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("the upload was already finished")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.placed {
            // Close first, then remove the name; nothing else has it.
            self.file = None;
            let _ = sys::unlink_at(&self.dir, &self.name);
        }
    }
}

/// Where one walk has got to, and what is left of it.
struct Walk {
    root: Arc<File>,
    /// The directory reached (`None`: the root) and the one above it. Only
    /// these two are held open, however deep the path: a descriptor per
    /// level would let one deep request use up the process's descriptors.
    current: Option<File>,
    parent: Option<File>,
    /// The names of the way down from the root.
    real: Vec<OsString>,
    /// The names still to walk.
    pending: VecDeque<OsString>,
    links: usize,
}

impl Walk {
    fn new(root: Arc<File>, pending: VecDeque<OsString>) -> Walk {
        Walk {
            root,
            current: None,
            parent: None,
            real: Vec::new(),
            pending,
            links: 0,
        }
    }

    /// The directory the next name is opened in.
    fn dir(&self) -> &File {
        self.current.as_ref().unwrap_or(&self.root)
    }

    fn entered(&mut self, name: OsString, file: File) {
        self.parent = self.current.replace(file);
        self.real.push(name);
    }

    /// Steps back up one level (a `..` in a link target) by walking down
    /// again from the root: the names above are real directories, each
    /// opened through the same rules again. False at the root.
    fn back_up(&mut self) -> bool {
        if self.real.pop().is_none() {
            return false;
        }
        for above in self.real.drain(..).rev() {
            self.pending.push_front(above);
        }
        self.current = None;
        self.parent = None;
        true
    }

    fn restart_at_root(&mut self) {
        self.current = None;
        self.parent = None;
        self.real.clear();
    }

    /// The names walked, `name`, and those left: the whole path, for a
    /// system without `openat`.
    fn whole_path(&mut self, name: OsString) -> Vec<OsString> {
        let mut names = std::mem::take(&mut self.real);
        names.push(name);
        names.extend(self.pending.drain(..));
        names
    }

    /// What the walk reached, with its directory's metadata.
    fn finish(self) -> Result<Opened, OpenError> {
        let metadata_of = |file: &File| file.metadata().map_err(|e| OpenError::from_io(&e));
        let Some(file) = self.current else {
            // The root itself: a descriptor of its own for the caller.
            let file = self.root.try_clone().map_err(|e| OpenError::from_io(&e))?;
            return Ok(Opened {
                metadata: metadata_of(&file)?,
                file,
                location: Location::Inside(self.real),
                parent: None,
            });
        };
        let parent = metadata_of(self.parent.as_ref().unwrap_or(&self.root))?;
        Ok(Opened {
            metadata: metadata_of(&file)?,
            file,
            location: Location::Inside(self.real),
            parent: Some(parent),
        })
    }
}

/// Puts a link target's components in front of the names still to walk.
fn prepend(pending: &mut VecDeque<OsString>, target: &Path) {
    for component in target.components().rev() {
        match component {
            Component::Normal(name) => pending.push_front(name.to_os_string()),
            Component::ParentDir => pending.push_front(OsString::from("..")),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
}

fn open_outside(path: PathBuf) -> Result<Opened, OpenError> {
    let file = sys::open_following(&path).map_err(|e| OpenError::from_io(&e))?;
    let metadata = file.metadata().map_err(|e| OpenError::from_io(&e))?;
    Ok(Opened {
        file,
        metadata,
        location: Location::Outside(path),
        parent: None,
    })
}

/// Lists the directory behind `file`. On Unix, `/dev/fd/N` names the open
/// descriptor itself (on Linux a link to the very directory that was
/// opened), so no name under the root is looked up again.
#[cfg(unix)]
fn read_dir_of(file: &File, _root: &Path, _names: &[OsString]) -> io::Result<ReadDir> {
    use std::os::unix::io::AsRawFd;
    fs::read_dir(format!("/dev/fd/{}", file.as_raw_fd()))
}

#[cfg(not(unix))]
fn read_dir_of(_file: &File, root: &Path, names: &[OsString]) -> io::Result<ReadDir> {
    let mut path = root.to_path_buf();
    path.extend(names);
    fs::read_dir(path)
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::symlink;

    struct Tree {
        base: PathBuf,
    }

    impl Tree {
        /// `base/root` (served) and `base/outside.txt` (never served).
        fn new(tag: &str) -> Tree {
            let base = std::env::temp_dir().join(format!("hfs-open-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(base.join("root/sub/deeper")).unwrap();
            fs::write(base.join("outside.txt"), "SECRET").unwrap();
            fs::write(base.join("root/a.txt"), "inside a").unwrap();
            fs::write(base.join("root/sub/b.txt"), "inside b").unwrap();
            Tree {
                base: base.canonicalize().unwrap(),
            }
        }

        fn root(&self, follow: bool) -> Root {
            Root::new(self.base.join("root"), follow)
        }

        fn link(&self, at: &str, target: impl AsRef<Path>) {
            symlink(target, self.base.join("root").join(at)).unwrap();
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.base);
        }
    }

    fn read(root: &Root, names: &[&str]) -> Result<String, OpenError> {
        let mut opened = root.open(names)?;
        let mut text = String::new();
        opened.file.read_to_string(&mut text).unwrap();
        Ok(text)
    }

    #[test]
    fn plain_paths_open_what_they_name() {
        let tree = Tree::new("plain");
        let root = tree.root(false);
        assert_eq!(read(&root, &["a.txt"]), Ok("inside a".into()));
        assert_eq!(read(&root, &["sub", "b.txt"]), Ok("inside b".into()));
        assert!(root.open::<&str>(&[]).unwrap().metadata.is_dir());
        assert_eq!(read(&root, &["missing"]), Err(OpenError::NotFound));
        assert_eq!(
            read(&root, &["a.txt", "x"]).unwrap_err(),
            OpenError::NotFound
        );
    }

    /// Fails if `O_NOFOLLOW` (or the walk) is wrong: the kernel would
    /// follow the link and hand over the outside file.
    #[test]
    fn a_link_out_of_the_root_is_refused_in_every_position() {
        let tree = Tree::new("escape");
        tree.link("abs.txt", tree.base.join("outside.txt"));
        tree.link("rel.txt", "../outside.txt");
        tree.link("sub/up.txt", "../../outside.txt");
        tree.link("updir", "..");
        let root = tree.root(false);
        for names in [
            &["abs.txt"][..],
            &["rel.txt"],
            &["sub", "up.txt"],
            &["updir", "outside.txt"],
        ] {
            assert_eq!(read(&root, names), Err(OpenError::NotFound), "{names:?}");
        }
        let follow = tree.root(true);
        assert_eq!(read(&follow, &["abs.txt"]), Ok("SECRET".into()));
        assert_eq!(read(&follow, &["sub", "up.txt"]), Ok("SECRET".into()));
        assert!(matches!(
            follow.open(&["rel.txt"]).unwrap().location,
            Location::Outside(_)
        ));
    }

    #[test]
    fn links_inside_the_root_resolve_to_their_real_place() {
        let tree = Tree::new("inside");
        tree.link("to-b.txt", "sub/b.txt");
        tree.link("sub/to-a.txt", "../a.txt");
        tree.link("abs-b.txt", tree.base.join("root/sub/b.txt"));
        tree.link("subdir", "sub");
        tree.link("sub/deeper/back", "../..");
        let root = tree.root(false);
        assert_eq!(read(&root, &["to-b.txt"]), Ok("inside b".into()));
        assert_eq!(read(&root, &["sub", "to-a.txt"]), Ok("inside a".into()));
        assert_eq!(read(&root, &["abs-b.txt"]), Ok("inside b".into()));
        assert_eq!(read(&root, &["subdir", "b.txt"]), Ok("inside b".into()));
        let opened = root
            .open(&["sub", "deeper", "back", "sub", "b.txt"])
            .unwrap();
        assert_eq!(
            opened.location,
            Location::Inside(vec!["sub".into(), "b.txt".into()])
        );
    }

    #[test]
    fn a_loop_of_links_ends() {
        let tree = Tree::new("loop");
        tree.link("x", "y");
        tree.link("y", "x");
        assert_eq!(read(&tree.root(true), &["x"]), Err(OpenError::NotFound));
    }

    #[test]
    fn fifos_are_not_documents_and_do_not_block() {
        let tree = Tree::new("fifo");
        let fifo = tree.base.join("root/pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        assert_eq!(read(&tree.root(false), &["pipe"]), Err(OpenError::NotFound));
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_temp_file_dropped_unplaced_leaves_nothing() {
        let tree = Tree::new("temp-drop");
        let dir = UploadDir::new(tree.root(false).open(&["sub"]).unwrap()).unwrap();
        let before = names_in(&tree.base.join("root/sub"));
        let mut temp = dir.create_temp().unwrap();
        temp.write_all(b"half").unwrap();
        let during = names_in(&tree.base.join("root/sub"));
        assert_eq!(during.len(), before.len() + 1, "{during:?}");
        assert!(
            during.iter().any(|n| n.starts_with(".upload-")),
            "{during:?}"
        );
        drop(temp);
        assert_eq!(names_in(&tree.base.join("root/sub")), before);
    }

    #[test]
    fn renaming_into_place_never_replaces_unless_asked() {
        let tree = Tree::new("temp-place");
        let dir = UploadDir::new(tree.root(false).open::<&str>(&[]).unwrap()).unwrap();
        let mut temp = dir.create_temp().unwrap();
        temp.write_all(b"new").unwrap();
        let err = temp
            .rename_into_place(OsStr::new("a.txt"), Replace::Never)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(tree.base.join("root/a.txt")).unwrap(), b"inside a");
        temp.rename_into_place(OsStr::new("fresh.txt"), Replace::Never)
            .unwrap();
        assert_eq!(fs::read(tree.base.join("root/fresh.txt")).unwrap(), b"new");
        let mut temp = dir.create_temp().unwrap();
        temp.write_all(b"newer").unwrap();
        temp.rename_into_place(OsStr::new("a.txt"), Replace::Existing)
            .unwrap();
        assert_eq!(fs::read(tree.base.join("root/a.txt")).unwrap(), b"newer");
        assert!(!names_in(&tree.base.join("root"))
            .iter()
            .any(|n| n.starts_with('.')));
    }

    /// A rename replaces a link at the new name: the link's target, here
    /// outside the root, is never written.
    #[test]
    fn a_link_at_the_new_name_is_replaced_not_written_through() {
        let tree = Tree::new("temp-link");
        tree.link("link.txt", tree.base.join("outside.txt"));
        let dir = UploadDir::new(tree.root(false).open::<&str>(&[]).unwrap()).unwrap();
        assert!(matches!(
            dir.entry(OsStr::new("link.txt")),
            Ok(Entry::Other)
        ));
        let mut temp = dir.create_temp().unwrap();
        temp.write_all(b"upload").unwrap();
        let err = temp
            .rename_into_place(OsStr::new("link.txt"), Replace::Never)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        temp.rename_into_place(OsStr::new("link.txt"), Replace::Existing)
            .unwrap();
        assert_eq!(fs::read(tree.base.join("outside.txt")).unwrap(), b"SECRET");
        let placed = fs::symlink_metadata(tree.base.join("root/link.txt")).unwrap();
        assert!(placed.is_file());
    }

    #[test]
    fn uploads_go_only_into_directories_inside_the_root() {
        let tree = Tree::new("upload-dir");
        tree.link("out", &tree.base);
        tree.link("in", "sub");
        let follow = tree.root(true);
        assert!(UploadDir::new(follow.open(&["out"]).unwrap()).is_none());
        assert!(UploadDir::new(follow.open(&["a.txt"]).unwrap()).is_none());
        let inside = UploadDir::new(follow.open(&["in"]).unwrap()).unwrap();
        assert_eq!(inside.location(), &[OsString::from("sub")]);
        assert!(matches!(
            inside.entry(OsStr::new("b.txt")),
            Ok(Entry::File(_))
        ));
        assert!(matches!(
            inside.entry(OsStr::new("none")),
            Ok(Entry::Absent)
        ));
        assert!(matches!(
            inside.entry(OsStr::new("deeper")),
            Ok(Entry::Directory)
        ));
    }

    #[test]
    fn a_listing_reads_the_opened_directory() {
        let tree = Tree::new("list");
        let root = tree.root(false);
        let dir = root.open(&["sub"]).unwrap();
        // Swap the name for a link to elsewhere: the open directory is
        // still what gets listed.
        fs::rename(tree.base.join("root/sub"), tree.base.join("moved")).unwrap();
        tree.link("sub", &tree.base);
        let names: Vec<String> = root
            .read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.contains(&"b.txt".to_string()), "{names:?}");
        assert!(!names.contains(&"outside.txt".to_string()), "{names:?}");
    }
}
