//! A response body on its way out without a thread waiting on it: what a
//! connection still has to send of a large file or a large block of bytes,
//! and how far it has got.
//!
//! The writer (`response.rs`) puts the head on the wire and hands large
//! file, byte and multipart bodies over as an [`Outgoing`] (it knows the
//! response types; this module does not). The connection sends as
//! much as the socket takes at once ([`Outgoing::send_now`]); when the
//! client reads slowly and the socket is full, the connection parks in the
//! poller until there is room, with the offset kept here, and no worker
//! waits for it. A file goes out with `sendfile(2)` where the system has it
//! (the kernel copies from the page cache to the socket), else through a
//! buffer read at the offset. This module knows nothing of connections or
//! the poller.

use crate::socket::Stream;
use crate::sys;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

/// Bytes read from a file per send where there is no `sendfile`.
const PIECE: usize = 64 * 1024;

/// A body still to send.
pub enum Outgoing {
    /// `remaining` bytes of `file` from `offset`.
    File {
        /// The open file.
        file: File,
        /// Where the next byte comes from.
        offset: u64,
        /// How many are left.
        remaining: u64,
    },
    /// Bytes in memory, from `sent` on.
    Bytes {
        /// The whole body.
        bytes: Cow<'static, [u8]>,
        /// How many are already sent.
        sent: usize,
    },
    /// Bytes shared with a cache, from `sent` on.
    Shared {
        /// The whole body.
        bytes: Arc<[u8]>,
        /// How many are already sent.
        sent: usize,
    },
    /// A reader that yields exactly `remaining` more bytes (a multipart
    /// range body), read a piece at a time.
    Reader {
        /// Where the bytes come from.
        reader: Box<dyn Read + Send>,
        /// Bytes not yet sent, `held[start..]` included.
        remaining: u64,
        /// The piece read and not yet all sent.
        held: Vec<u8>,
        /// How much of `held` is sent.
        start: usize,
    },
}

/// How far [`Outgoing::send_now`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// All of it is sent.
    Done,
    /// The socket is full: wait until it has room, then send again.
    Blocked,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outgoing({} bytes left)", self.remaining())
    }
}

impl Outgoing {
    /// `len` bytes to be read from `reader` a piece at a time.
    pub fn reader(reader: Box<dyn Read + Send>, len: u64) -> Outgoing {
        Outgoing::Reader {
            reader,
            remaining: len,
            held: Vec::new(),
            start: 0,
        }
    }

    /// Bytes left to send.
    pub fn remaining(&self) -> u64 {
        match self {
            Outgoing::File { remaining, .. } => *remaining,
            Outgoing::Bytes { bytes, sent } => (bytes.len() - sent) as u64,
            Outgoing::Shared { bytes, sent } => (bytes.len() - sent) as u64,
            Outgoing::Reader { remaining, .. } => *remaining,
        }
    }

    /// Sends what the socket takes now, without waiting (the socket must be
    /// in non-blocking mode for a file sent with `sendfile`).
    ///
    /// # Errors
    ///
    /// The socket's error, or `UnexpectedEof` if the file shrank: its
    /// length is already on the wire, so the connection must close.
    pub fn send_now(&mut self, socket: &Stream, piece: &mut Vec<u8>) -> io::Result<Progress> {
        loop {
            if self.remaining() == 0 {
                return Ok(Progress::Done);
            }
            let sent = match self {
                Outgoing::File {
                    file,
                    offset,
                    remaining,
                } => send_file_now(socket, file, *offset, *remaining, piece),
                Outgoing::Bytes { bytes, sent } => sys::send_now(socket, &bytes[*sent..]),
                Outgoing::Shared { bytes, sent } => sys::send_now(socket, &bytes[*sent..]),
                Outgoing::Reader {
                    reader,
                    remaining,
                    held,
                    start,
                } => send_read_now(socket, reader, *remaining, held, start),
            };
            let n = match sent {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Progress::Blocked),
                Err(e) => return Err(e),
            };
            match self {
                Outgoing::File {
                    offset, remaining, ..
                } => {
                    *offset += n as u64;
                    *remaining -= n as u64;
                }
                Outgoing::Bytes { sent, .. } | Outgoing::Shared { sent, .. } => *sent += n,
                Outgoing::Reader {
                    remaining, start, ..
                } => {
                    *start += n;
                    *remaining -= n as u64;
                }
            }
        }
    }
}

/// Sends up to `len` bytes of `file` from `offset`. Zero bytes with some
/// left means the file is shorter than when its length was sent.
fn send_file_now(
    socket: &Stream,
    file: &File,
    offset: u64,
    len: u64,
    piece: &mut Vec<u8>,
) -> io::Result<usize> {
    let n = match sys::send_file(socket, file, offset, len) {
        Some(result) => result?,
        None => send_piece_now(socket, file, offset, len, piece)?,
    };
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file shrank while being sent",
        ));
    }
    Ok(n)
}

/// Without `sendfile`: read a piece at `offset`, send what the socket
/// takes. What it does not take is read again next time (from the page
/// cache), which keeps the only state the offset.
fn send_piece_now(
    socket: &Stream,
    file: &File,
    offset: u64,
    len: u64,
    piece: &mut Vec<u8>,
) -> io::Result<usize> {
    piece.resize(PIECE, 0);
    let want = PIECE.min(usize::try_from(len).unwrap_or(PIECE));
    let read = read_at(file, &mut piece[..want], offset)?;
    if read == 0 {
        return Ok(0);
    }
    sys::send_now(socket, &piece[..read])
}

/// Sends from the piece held, reading the next piece once it is all sent.
fn send_read_now(
    socket: &Stream,
    reader: &mut Box<dyn Read + Send>,
    remaining: u64,
    held: &mut Vec<u8>,
    start: &mut usize,
) -> io::Result<usize> {
    if *start == held.len() {
        held.resize(PIECE.min(usize::try_from(remaining).unwrap_or(PIECE)), 0);
        let n = loop {
            match reader.read(held) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body shorter than its length",
            ));
        }
        held.truncate(n);
        *start = 0;
    }
    sys::send_now(socket, &held[*start..])
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}
