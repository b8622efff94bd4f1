//! The file a Unix domain socket is bound at: what may be replaced before
//! binding, the mode it is given, and its removal when the server stops.
//!
//! A Unix socket leaves its file behind when its process dies without
//! cleaning up (a `kill -9`, a crash), and binding again at that path then
//! fails. So before binding, whatever is at the path is looked at: a
//! socket nobody answers on (a connect is refused) is stale and is
//! replaced; a socket a server answers on is "address in use"; anything
//! else (a file, a directory, a symlink) is an error and is left exactly
//! as it is, since it is somebody's file, not ours. When the server stops,
//! the file is removed only if it is still the socket it made (same device
//! and inode): another file, or another server's socket, put there since
//! is left alone.
//!
//! The mode (`--socket-mode`) is set right after the bind, as Node and
//! uvicorn do: the socket is created with what the umask leaves, for the
//! moment before. It is set without following a link, so that a link put
//! in the socket's place in that moment does not pass the mode on to
//! another file. (The other way, changing the umask around the bind,
//! would change it for every thread of the process, uploads included.)
//! This module knows nothing of listening or serving: `listener.rs` holds
//! the socket, and drops this with it.

use crate::sys;
use std::fs::{self, Permissions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The socket file a listener made; removed when dropped if still ours.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    device: u64,
    inode: u64,
}

/// Binds a Unix socket at `path`, first replacing a stale socket there,
/// and gives its file `mode` if asked.
///
/// # Errors
///
/// `AddrInUse` when a server answers at `path`, `AlreadyExists` when
/// `path` is not a socket, or the system's error (a missing directory,
/// permissions, a path too long for a socket address).
pub fn bind(path: &Path, mode: Option<u32>) -> io::Result<(UnixListener, SocketFile)> {
    clear_stale_socket(path)?;
    let listener = UnixListener::bind(path)?;
    // Known before the mode is set, so that a failure there removes it.
    let file = SocketFile::made_at(path)?;
    if let Some(mode) = mode {
        set_mode(path, &file, mode)?;
    }
    Ok((listener, file))
}

/// Gives the socket just made at `path` its mode, never through a link:
/// whoever may write in the directory could put one in the socket's place
/// in the moment since the bind, and a plain `chmod` would then change the
/// mode of the file it leads to (any file, for a server run as root).
fn set_mode(path: &Path, file: &SocketFile, mode: u32) -> io::Result<()> {
    let ours = || same_file(path, file.device, file.inode);
    let set = sys::set_mode_no_follow(path, mode).or_else(|e| {
        // A C library without the flag (or a system without the call)
        // refuses every file: then by name, if the path is still ours.
        match ours() {
            true => fs::set_permissions(path, Permissions::from_mode(mode)),
            false => Err(e),
        }
    });
    // Looked at again: the BSDs set a link's own mode, and say nothing.
    if !ours() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the socket file was replaced while it was being made (left as it is)",
        ));
    }
    set
}

/// Makes way at `path` for a new socket: removes a stale socket, and
/// refuses anything else that is there.
fn clear_stale_socket(path: &Path) -> io::Result<()> {
    let found = match fs::symlink_metadata(path) {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !found.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the path exists and is not a socket (left as it is; remove it or choose another)",
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "address in use: a server answers on this socket",
        )),
        // Nobody listens: left by a server that did not remove it.
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            if same_file(path, found.dev(), found.ino()) {
                fs::remove_file(path)?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Whether `path` is, without following a link, the socket with this
/// device and inode.
fn same_file(path: &Path, device: u64, inode: u64) -> bool {
    fs::symlink_metadata(path)
        .is_ok_and(|now| now.file_type().is_socket() && now.dev() == device && now.ino() == inode)
}

impl SocketFile {
    /// The socket just bound at `path`.
    fn made_at(path: &Path) -> io::Result<SocketFile> {
        let made = fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            device: made.dev(),
            inode: made.ino(),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if same_file(&self.path, self.device, self.inode) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hfs-sockfile-{}-{label}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_one_is_in_use() {
        let dir = temp_dir("stale");
        let path = dir.join("s.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "left behind");
        let (listener, file) = bind(&path, Some(0o600)).unwrap();
        let mode = fs::symlink_metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let err = bind(&path, None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(err.to_string().contains("address in use"), "{err}");
        drop(listener);
        drop(file);
        assert!(!path.exists(), "removed");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn anything_but_a_socket_is_left_alone() {
        let dir = temp_dir("not-socket");
        let path = dir.join("s.sock");
        fs::write(&path, "mine").unwrap();
        let err = bind(&path, None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&path).unwrap(), "mine");
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), &path).unwrap();
        assert_eq!(
            bind(&path, None).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert!(fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Whoever may write in the socket's directory can put a link in its
    /// place in the moment between the bind and the chmod; the mode must
    /// not reach the file the link leads to (any file, for a server
    /// running as root).
    #[test]
    fn the_mode_is_never_set_through_a_link_put_in_the_socket_s_place() {
        let dir = temp_dir("link-swapped");
        let (path, victim) = (dir.join("s.sock"), dir.join("victim"));
        fs::write(&victim, "somebody's").unwrap();
        fs::set_permissions(&victim, Permissions::from_mode(0o600)).unwrap();
        let (_listener, file) = bind(&path, None).unwrap();
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(set_mode(&path, &file, 0o666).is_err(), "not its socket");
        let mode = fs::metadata(&victim).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the linked file keeps its mode");
        assert!(fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_socket_made_is_removed() {
        let dir = temp_dir("replaced");
        let path = dir.join("s.sock");
        let (listener, file) = bind(&path, None).unwrap();
        drop(listener);
        fs::remove_file(&path).unwrap();
        fs::write(&path, "a file put there since").unwrap();
        drop(file);
        assert_eq!(fs::read_to_string(&path).unwrap(), "a file put there since");
        fs::remove_file(&path).unwrap();
        let (listener, file) = bind(&path, None).unwrap();
        drop(listener);
        // Moved, not removed, so that its inode cannot be reused.
        fs::rename(&path, dir.join("moved.sock")).unwrap();
        let _other = UnixListener::bind(&path).unwrap();
        drop(file);
        assert!(path.exists(), "another server's socket stays");
        fs::remove_dir_all(&dir).unwrap();
    }
}
