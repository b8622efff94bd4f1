//! Byte ranges (RFC 9110 §14): parsing `Range`, resolving it against a
//! length, and the `multipart/byteranges` body for several ranges.
//!
//! A request cannot use ranges to amplify: overlapping and nearby ranges are
//! merged, and a set of more than [`MAX_RANGES`] is answered with the whole
//! file, so the response is never much larger than the file itself.

use crate::http::number::parse_decimal_saturating;
use crate::response::push_field_line;
use std::io::{self, Read, Seek, SeekFrom};

/// Most ranges answered as multipart; beyond this the full file is sent.
pub const MAX_RANGES: usize = 16;

/// Ranges closer than this are merged: a part header costs about as much.
const MERGE_GAP: u64 = 80;

/// What to do with a Range header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// No (usable) Range: send the whole representation with 200.
    Full,
    /// Send these byte ranges (`start..end`, disjoint) with 206: in the order
    /// asked, or in file order once overlapping ones were merged.
    Partial(Vec<(u64, u64)>),
    /// Valid syntax but nothing inside the representation: 416.
    Unsatisfiable,
}

/// Resolves a Range value against a representation of `len` bytes.
///
/// ```text
/// Range = "bytes=" range-spec *( OWS "," OWS range-spec )
/// range-spec = first-pos "-" [ last-pos ] / "-" suffix-length
/// ```
///
/// Invalid syntax, another unit, or `last < first` means the header is
/// ignored (RFC 9110 §14.2 lets a server ignore Range).
pub fn evaluate(value: &[u8], len: u64) -> RangeOutcome {
    let Ok(text) = std::str::from_utf8(value) else {
        return RangeOutcome::Full;
    };
    let Some((unit, specs)) = text.split_once('=') else {
        return RangeOutcome::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeOutcome::Full;
    }
    let mut ranges = Vec::new();
    let mut count = 0;
    for spec in specs.split(',') {
        let spec = spec.trim_matches([' ', '\t']);
        if spec.is_empty() {
            continue;
        }
        count += 1;
        if count > MAX_RANGES * 4 {
            return RangeOutcome::Full;
        }
        match parse_spec(spec, len) {
            Spec::Invalid => return RangeOutcome::Full,
            Spec::Unsatisfiable => {}
            Spec::Range(start, end) => ranges.push((start, end)),
        }
    }
    if count == 0 {
        return RangeOutcome::Full;
    }
    if ranges.is_empty() {
        return RangeOutcome::Unsatisfiable;
    }
    let merged = merge(ranges);
    if merged.len() > MAX_RANGES {
        return RangeOutcome::Full;
    }
    RangeOutcome::Partial(merged)
}

enum Spec {
    Invalid,
    Unsatisfiable,
    Range(u64, u64),
}

fn parse_spec(spec: &str, len: u64) -> Spec {
    let Some((first, last)) = spec.split_once('-') else {
        return Spec::Invalid;
    };
    // A position too large for u64 is still a valid position (RFC 9110
    // §14.1.1: `1*DIGIT`), past the end of any file: it saturates, so a
    // last position is clamped to the end and a first position is
    // unsatisfiable, as §14.1.2 says.
    let number = |s: &str| parse_decimal_saturating(s.as_bytes());
    match (first.is_empty(), last.is_empty()) {
        (true, true) => Spec::Invalid,
        (true, false) => match number(last) {
            None => Spec::Invalid,
            Some(0) => Spec::Unsatisfiable,
            Some(_) if len == 0 => Spec::Unsatisfiable,
            Some(n) => Spec::Range(len.saturating_sub(n), len),
        },
        (false, _) => {
            let Some(start) = number(first) else {
                return Spec::Invalid;
            };
            let end = if last.is_empty() {
                len
            } else {
                match number(last) {
                    Some(last) if last >= start => last.saturating_add(1).min(len),
                    _ => return Spec::Invalid,
                }
            };
            if start >= len {
                Spec::Unsatisfiable
            } else {
                Spec::Range(start, end)
            }
        }
    }
}

/// Coalesces overlapping or nearby ranges (RFC 9110 §14.3 allows it).
/// Ranges that need no coalescing keep the order they were asked in, as
/// §15.3.7.2 asks; once any are merged, the result is in file order.
fn merge(ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    let mut sorted = ranges.clone();
    sorted.sort_unstable();
    let needs_merge = sorted
        .windows(2)
        .any(|pair| pair[1].0 <= pair[0].1.saturating_add(MERGE_GAP));
    if !needs_merge {
        return ranges;
    }
    let ranges = sorted;
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(MERGE_GAP) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// A `multipart/byteranges` body (RFC 9110 §14.6) read part by part from
/// the file, with its exact length known in advance.
pub struct Multipart<S> {
    file: S,
    pieces: Vec<Piece>,
    current: usize,
    offset_in_piece: u64,
}

enum Piece {
    Text(Vec<u8>),
    File { start: u64, len: u64 },
}

impl<S: Read + Seek> Multipart<S> {
    /// Builds the parts for `ranges` of a `len`-byte file of `content_type`,
    /// separated by `boundary`. Returns the body and its total length.
    pub fn new(
        file: S,
        ranges: &[(u64, u64)],
        len: u64,
        content_type: &str,
        boundary: &str,
    ) -> (Multipart<S>, u64) {
        let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
        for &(start, end) in ranges {
            // RFC 9110 §14.6: each part is a boundary, its own fields, an
            // empty line, then the bytes.
            let mut head = format!("\r\n--{boundary}\r\n").into_bytes();
            push_field_line(&mut head, "Content-Type", content_type);
            let range = format!("bytes {start}-{}/{len}", end - 1);
            push_field_line(&mut head, "Content-Range", &range);
            head.extend_from_slice(b"\r\n");
            pieces.push(Piece::Text(head));
            pieces.push(Piece::File {
                start,
                len: end - start,
            });
        }
        pieces.push(Piece::Text(format!("\r\n--{boundary}--\r\n").into_bytes()));
        let total = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len() as u64,
                Piece::File { len, .. } => *len,
            })
            .sum();
        let body = Multipart {
            file,
            pieces,
            current: 0,
            offset_in_piece: 0,
        };
        (body, total)
    }
}

impl<S: Read + Seek> Read for Multipart<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.current) {
            let n = match piece {
                Piece::Text(text) => {
                    let rest = &text[self.offset_in_piece as usize..];
                    let n = rest.len().min(out.len());
                    out[..n].copy_from_slice(&rest[..n]);
                    n
                }
                Piece::File { start, len } => {
                    let want = (len - self.offset_in_piece).min(out.len() as u64) as usize;
                    self.file
                        .seek(SeekFrom::Start(start + self.offset_in_piece))?;
                    let n = self.file.read(&mut out[..want])?;
                    if n == 0 && want > 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    n
                }
            };
            let piece_len = match piece {
                Piece::Text(text) => text.len() as u64,
                Piece::File { len, .. } => *len,
            };
            self.offset_in_piece += n as u64;
            if self.offset_in_piece == piece_len {
                self.current += 1;
                self.offset_in_piece = 0;
            }
            if n > 0 {
                return Ok(n);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeOutcome::*;

    #[test]
    fn range_forms_resolve_against_the_length() {
        let table: &[(&str, RangeOutcome)] = &[
            ("bytes=0-9", Partial(vec![(0, 10)])),
            ("bytes=5-", Partial(vec![(5, 100)])),
            ("bytes=-10", Partial(vec![(90, 100)])),
            ("bytes=-1000", Partial(vec![(0, 100)])),
            ("bytes=90-1000", Partial(vec![(90, 100)])),
            ("BYTES = 0-0", Partial(vec![(0, 1)])),
            ("bytes=0-0,-1", Partial(vec![(0, 1), (99, 100)])),
            ("bytes=-1,0-0", Partial(vec![(99, 100), (0, 1)])),
            ("bytes=0-10,5-20", Partial(vec![(0, 21)])),
            ("bytes=100-", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=100-200, 300-", Unsatisfiable),
            ("bytes=100-200, 0-1", Partial(vec![(0, 2)])),
            ("bytes=5-1", Full),
            ("bytes=a-b", Full),
            ("bytes=+1-2", Full),
            ("items=0-1", Full),
            ("bytes", Full),
            ("bytes=", Full),
            ("bytes=-", Full),
            // Positions past u64 (a regression: these answered 200).
            ("bytes=0-99999999999999999999999", Partial(vec![(0, 100)])),
            ("bytes=-99999999999999999999999", Partial(vec![(0, 100)])),
            ("bytes=99999999999999999999999-", Unsatisfiable),
        ];
        for (header, want) in table {
            assert_eq!(&evaluate(header.as_bytes(), 100), want, "{header}");
        }
    }

    #[test]
    fn many_ranges_cannot_amplify() {
        let many: Vec<String> = (0..40)
            .map(|i| format!("{}-{}", i * 200, i * 200))
            .collect();
        let header = format!("bytes={}", many.join(","));
        assert_eq!(evaluate(header.as_bytes(), 100_000), Full);
        let overlapping = format!("bytes={}", vec!["0-99999"; 30].join(","));
        assert_eq!(
            evaluate(overlapping.as_bytes(), 100_000),
            Partial(vec![(0, 100_000)])
        );
    }
}
