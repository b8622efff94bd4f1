//! The memory a connection works in, and the stock of it that waiting
//! connections give back.
//!
//! A connection reads into `buf`, notes field positions in `spans`, builds
//! response heads in `out` and queues answers in `pending`, all reused from
//! one request to the next, so a busy connection allocates nothing per
//! request. A connection that parks idle with nothing buffered gives its set
//! back to [`SpareBuffers`] and takes a set again when it wakes: a waiting
//! connection then costs a few hundred bytes instead of several KiB. This
//! module owns the sizes; what goes into the buffers is the connection's
//! business.

use crate::http::headers::FieldSpan;
use std::sync::{Mutex, PoisonError};

/// Most bytes of batched pipelined answers held before writing.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;

/// Room after the largest head for body bytes and chunk lines.
pub const BODY_SLACK: usize = 4096;

/// The read buffer a connection starts with. Almost every request head fits;
/// the buffer grows once, to the head limit plus [`BODY_SLACK`], for the
/// connection that needs more.
const INITIAL_BUFFER: usize = 4096;

/// Most buffer sets kept in the stock for connections that wake.
const SPARE_BUFFERS: usize = 256;

/// A connection's reusable buffers.
#[derive(Debug, Default)]
pub struct Buffers {
    /// What the client sent, not yet used.
    pub buf: Vec<u8>,
    /// Where each field line of the head being parsed lies in `buf`.
    pub spans: Vec<FieldSpan>,
    /// Scratch space for building a response head.
    pub out: Vec<u8>,
    /// Kept here only while parked (the connection's `pending` when out).
    pub pending: Vec<u8>,
}

impl Buffers {
    /// Whether the set has been given back (a parked idle connection).
    pub fn is_given_back(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Buffer sets that parked connections gave back.
#[derive(Debug, Default)]
pub struct SpareBuffers(Mutex<Vec<Buffers>>);

impl SpareBuffers {
    /// A set from the stock, or a new one.
    pub fn take(&self) -> Buffers {
        let spare = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_else(|| Buffers {
            buf: vec![0u8; INITIAL_BUFFER],
            spans: Vec::new(),
            out: Vec::with_capacity(1024),
            pending: Vec::new(),
        })
    }

    /// Keeps `buffers` for the next connection that wakes, unless the stock
    /// is full.
    pub fn give(&self, buffers: Buffers) {
        // A buffer that grew for a large head, or a long pipeline's output,
        // is not kept at its peak.
        if buffers.buf.len() != INITIAL_BUFFER || buffers.pending.capacity() > MAX_PENDING_BYTES {
            return;
        }
        let mut spare = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < SPARE_BUFFERS {
            spare.push(buffers);
        }
    }
}
