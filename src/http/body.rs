//! Message body framing (RFC 9112 §6-§7): how long a request body is, and
//! the chunked decoder.
//!
//! [`framing`] decides from the head how the body is delimited, enforcing the
//! rules that stop one request being read two ways. [`ChunkedDecoder`] is an
//! explicit state machine over bytes: it never reads a socket, it tells its
//! caller how many bytes it used and which of them are body data. The
//! `request::Body` reader drives both against the connection.
//!
//! Trailers are field lines, so their syntax is `headers`'s; the framing
//! errors found in a head are `error::ParseError`, answered before any body
//! byte is read. This module uses both and is used by `parse`, never the
//! other way round.

use crate::config::Limits;
use crate::http::error::ParseError;
use crate::http::headers::{
    is_field_value_byte, is_tchar, is_token, parse_fields, trim_ows, unterminated_len, FieldSpan,
    Fields,
};
use crate::http::number::{hex_digit, parse_decimal};
use crate::http::status::Status;
use crate::http::version::Version;

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (RFC 9112 §6.3 rule 6).
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// A chunked body follows.
    Chunked,
}

/// Decides the framing of a request body, per RFC 9112 §6.3.
///
/// # Errors
///
/// Every ambiguity is an error, and each closes the connection, so that no
/// byte after a doubtful body is ever read as a second request.
pub fn framing(
    fields: Fields<'_>,
    version: Version,
    limits: &Limits,
) -> Result<BodyFraming, ParseError> {
    let has_transfer_encoding = fields.get("transfer-encoding").is_some();
    let has_content_length = fields.get("content-length").is_some();
    // RFC 9112 §6.3, for requests (rules 1, 2 and 7 are about responses):
    //
    // 3. Transfer-Encoding and Content-Length together: "ought to be handled
    //    as an error" because it is the classic smuggling vector. We reject,
    //    and the connection then closes, as §6.1 requires of a server that
    //    receives both ("MUST close the connection after responding").
    if has_transfer_encoding && has_content_length {
        return Err(ParseError::TransferEncodingWithContentLength);
    }
    //    Transfer-Encoding in HTTP/1.0 cannot be trusted (§6.1): a 1.0
    //    intermediary may not have understood it. We reject.
    if has_transfer_encoding && version == Version::Http10 {
        return Err(ParseError::TransferEncodingInHttp10);
    }
    // 4. Transfer-Encoding present and chunked is the final coding: the
    //    body is chunked. Chunked not final in a request: 400. Any coding we
    //    do not implement: 501 (§6.1).
    if has_transfer_encoding {
        return chunked_framing(fields);
    }
    // 5. Content-Length invalid, or several different values: 400.
    // 6. Content-Length valid: that many bytes.
    if has_content_length {
        let length = content_length(fields)?;
        if length > limits.max_body_bytes {
            return Err(ParseError::ContentTooLarge);
        }
        return Ok(BodyFraming::Length(length));
    }
    // 7. A request with neither has no body.
    Ok(BodyFraming::None)
}

fn chunked_framing(fields: Fields<'_>) -> Result<BodyFraming, ParseError> {
    let mut codings = fields.list("transfer-encoding").peekable();
    let mut saw_unknown = false;
    let mut chunked_count = 0;
    let mut last_is_chunked = false;
    while let Some(coding) = codings.next() {
        let is_chunked = coding.eq_ignore_ascii_case(b"chunked");
        if is_chunked {
            chunked_count += 1;
        } else if is_token(coding) {
            saw_unknown = true;
        } else {
            return Err(ParseError::ChunkedNotFinal);
        }
        last_is_chunked = codings.peek().is_none() && is_chunked;
    }
    if saw_unknown && last_is_chunked {
        Err(ParseError::UnsupportedTransferCoding)
    } else if !last_is_chunked || chunked_count != 1 {
        Err(ParseError::ChunkedNotFinal)
    } else {
        Ok(BodyFraming::Chunked)
    }
}

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6), possibly repeated as a list or
/// over several lines, in which case every value must be the same.
fn content_length(fields: Fields<'_>) -> Result<u64, ParseError> {
    let mut length = None;
    for value in fields.get_all("content-length") {
        // An empty element (`Content-Length: 5,`) is not a number: reject
        // rather than let list rules quietly drop it.
        for element in value.split(|&b| b == b',') {
            let element = trim_ows(element);
            let parsed = parse_decimal(element).ok_or(ParseError::ContentLength)?;
            if length.is_some_and(|seen| seen != parsed) {
                return Err(ParseError::ContentLength);
            }
            length = Some(parsed);
        }
    }
    length.ok_or(ParseError::ContentLength)
}

/// Why a chunked body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// The chunk size is missing, not hex, or overflows.
    Size,
    /// The bytes between the chunk size and its CRLF break the `chunk-ext`
    /// grammar (RFC 9112 §7.1.1).
    Extension,
    /// A chunk-size line ended by a bare LF, or holding a bare CR, where
    /// CRLF was required (RFC 9112 §2.2).
    LineEnding,
    /// A chunk-size line longer than `Limits::max_chunk_line`, counted
    /// without its CRLF.
    LineTooLong,
    /// Chunk data not followed by exactly CRLF.
    DataEnd,
    /// A trailer field broke the field-line rules.
    Trailer(ParseError),
    /// The decoded body is larger than `Limits::max_body_bytes`.
    TooLarge,
}

impl ChunkError {
    /// The status a client is answered with (if nothing was sent yet).
    pub fn status(self) -> Status {
        match self {
            ChunkError::TooLarge => Status::CONTENT_TOO_LARGE,
            ChunkError::Trailer(e) => e.status(),
            _ => Status::BAD_REQUEST,
        }
    }
}

/// What one call to [`ChunkedDecoder::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The first `n` input bytes were framing; drop them and call again.
    Skip(usize),
    /// The first `n` input bytes are body data; take them and call again.
    Data(usize),
    /// Nothing consumed: the decoder needs more bytes after the ones given.
    NeedMore,
    /// The body ended after the first `n` input bytes (last chunk and
    /// trailers).
    Done(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeLine,
    Data { remaining: u64 },
    DataEnd,
    Trailers,
    Done,
}

/// Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1):
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// ```
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    decoded: u64,
    trailer_spans: Vec<FieldSpan>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::SizeLine,
            decoded: 0,
            trailer_spans: Vec::new(),
        }
    }

    /// Whether the whole body, trailers included, has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Advances over the start of `input`, handing out at most `max_data`
    /// body bytes. Lines (chunk-size lines, the CRLF after data, the trailer
    /// section) are only consumed whole; until they are, the answer is
    /// [`Step::NeedMore`] and the caller must append.
    ///
    /// # Errors
    ///
    /// A [`ChunkError`] for malformed framing or a crossed limit.
    pub fn step(
        &mut self,
        input: &[u8],
        max_data: usize,
        limits: &Limits,
    ) -> Result<Step, ChunkError> {
        match self.state {
            State::SizeLine => self.size_line(input, limits),
            State::Data { remaining } => {
                if input.is_empty() {
                    return Ok(Step::NeedMore);
                }
                let n = remaining.min(input.len().min(max_data) as u64);
                let left = remaining - n;
                self.state = if left == 0 {
                    State::DataEnd
                } else {
                    State::Data { remaining: left }
                };
                Ok(Step::Data(n as usize))
            }
            State::DataEnd => match input {
                [b'\r', b'\n', ..] => {
                    self.state = State::SizeLine;
                    Ok(Step::Skip(2))
                }
                [] | [b'\r'] => Ok(Step::NeedMore),
                _ => Err(ChunkError::DataEnd),
            },
            State::Trailers => {
                let end = parse_fields(input, 0, limits, &mut self.trailer_spans)
                    .map_err(ChunkError::Trailer)?;
                self.trailer_spans.clear();
                match end {
                    Some(len) => {
                        self.state = State::Done;
                        Ok(Step::Done(len))
                    }
                    None if input.len() >= limits.max_head_bytes => {
                        Err(ChunkError::Trailer(ParseError::HeadTooLarge))
                    }
                    None => Ok(Step::NeedMore),
                }
            }
            State::Done => Ok(Step::Done(0)),
        }
    }

    /// `chunk-size [ chunk-ext ] CRLF`. A line with more than one fault is
    /// named by the one its bytes reach first, so the error is the same
    /// however the line is split as it arrives.
    fn size_line(&mut self, input: &[u8], limits: &Limits) -> Result<Step, ChunkError> {
        let digits = size_digits(input)?;
        let lf = input.iter().position(|&b| b == b'\n');
        let line = &input[..lf.unwrap_or(input.len())];
        check_line_so_far(line, digits, limits)?;
        let Some(lf) = lf else {
            return Ok(Step::NeedMore);
        };
        let Some(line) = line.strip_suffix(b"\r") else {
            return Err(ChunkError::LineEnding);
        };
        check_extensions(&line[digits..], false)?;
        let size = line[..digits].iter().try_fold(0u64, |acc, &b| {
            let digit = u64::from(hex_digit(b)?);
            acc.checked_mul(16)?.checked_add(digit)
        });
        let size = size.ok_or(ChunkError::Size)?;
        self.decoded = self.decoded.checked_add(size).ok_or(ChunkError::TooLarge)?;
        if self.decoded > limits.max_body_bytes {
            return Err(ChunkError::TooLarge);
        }
        self.state = if size == 0 {
            State::Trailers
        } else {
            State::Data { remaining: size }
        };
        Ok(Step::Skip(lf + 1))
    }
}

/// How many hex digits a chunk-size line starts with.
fn size_digits(input: &[u8]) -> Result<usize, ChunkError> {
    let digits = input.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    // Leading zeros are allowed (`1*HEXDIG`); what must fit is the value.
    let leading_zeros = input[..digits].iter().take_while(|&&b| b == b'0').count();
    if digits - leading_zeros > 16 {
        return Err(ChunkError::Size);
    }
    if digits == 0 && !input.is_empty() {
        return Err(ChunkError::Size);
    }
    Ok(digits)
}

/// What a chunk-size line can be refused for before it ends, in the order
/// its bytes come: a byte that cannot follow the size, then the length.
/// `line` is what has arrived of it, up to but not including any LF.
fn check_line_so_far(line: &[u8], digits: usize, limits: &Limits) -> Result<(), ChunkError> {
    // Garbage is refused as soon as it arrives. Bytes past the limit are
    // only counted: the first fault there is the length, not the byte. A CR
    // just past it is still looked at, since it may begin the CRLF, which
    // the limit does not count.
    let counted = line.len().min(limits.max_chunk_line);
    let within = match line.get(counted) {
        Some(b'\r') => &line[..=counted],
        _ => &line[..counted],
    };
    check_extensions(within.get(digits..).unwrap_or_default(), true)?;
    // The limit counts the line without its CRLF, as for head lines.
    if unterminated_len(line) > limits.max_chunk_line {
        return Err(ChunkError::LineTooLong);
    }
    Ok(())
}

/// Checks that `ext`, the bytes between the chunk size and the CRLF, are
/// chunk extensions (RFC 9112 §7.1.1). With `partial` the line has not
/// ended yet: `ext` need only be the start of valid extensions, and a
/// trailing CR may be the start of the CRLF.
///
/// We ignore extensions, but only once they are well formed: a parser next
/// to ours that reads `2;` or an unclosed quote some other way would find
/// the chunk data somewhere else, and that difference is what a smuggled
/// request hides in.
///
/// # Errors
///
/// [`ChunkError::LineEnding`] if the first byte the grammar refuses is a
/// CR (no CR is allowed anywhere in it, so that CR is a bare one), else
/// [`ChunkError::Extension`].
fn check_extensions(ext: &[u8], partial: bool) -> Result<(), ChunkError> {
    let ext = match ext {
        [rest @ .., b'\r'] if partial => rest,
        _ => ext,
    };
    let mut state = Ext::End;
    for &b in ext {
        state = match state.next(b) {
            Some(next) => next,
            None if b == b'\r' => return Err(ChunkError::LineEnding),
            None => return Err(ChunkError::Extension),
        };
    }
    if partial || state.may_end_line() {
        Ok(())
    } else {
        Err(ChunkError::Extension)
    }
}

/// Where a scan of chunk extensions stands, one state per place in the
/// grammar (RFC 9112 §7.1.1, with quoted-string from RFC 9110 §5.6.4):
///
/// ```text
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-name = token
/// chunk-ext-val  = token / quoted-string
/// quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
/// qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
/// quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
/// BWS            = *( SP / HTAB )
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ext {
    /// After the size or a whole extension.
    End,
    /// In BWS that must lead to `;`.
    BeforeSemicolon,
    /// After `;`: a name must come.
    BeforeName,
    /// In a name.
    Name,
    /// In BWS after a name: `=` or the next `;` must come.
    AfterName,
    /// After `=`: a value must come.
    BeforeValue,
    /// In a token value.
    Token,
    /// Inside a quoted-string.
    Quoted,
    /// After a backslash inside a quoted-string.
    QuotedPair,
}

impl Ext {
    /// The state after byte `b`, or `None` if `b` cannot come here.
    fn next(self, b: u8) -> Option<Ext> {
        let bws = b == b' ' || b == b'\t';
        let next = match self {
            Ext::End | Ext::BeforeSemicolon | Ext::Token if bws => Ext::BeforeSemicolon,
            Ext::End | Ext::BeforeSemicolon | Ext::Name | Ext::AfterName | Ext::Token
                if b == b';' =>
            {
                Ext::BeforeName
            }
            Ext::BeforeName if bws => Ext::BeforeName,
            Ext::BeforeName | Ext::Name if is_tchar(b) => Ext::Name,
            Ext::Name | Ext::AfterName if bws => Ext::AfterName,
            Ext::Name | Ext::AfterName if b == b'=' => Ext::BeforeValue,
            Ext::BeforeValue if bws => Ext::BeforeValue,
            Ext::BeforeValue if b == b'"' => Ext::Quoted,
            Ext::BeforeValue | Ext::Token if is_tchar(b) => Ext::Token,
            Ext::Quoted if b == b'"' => Ext::End,
            Ext::Quoted if b == b'\\' => Ext::QuotedPair,
            Ext::Quoted if is_qdtext(b) => Ext::Quoted,
            // HTAB / SP / VCHAR / obs-text: exactly the field-value bytes.
            Ext::QuotedPair if is_field_value_byte(b) => Ext::Quoted,
            _ => return None,
        };
        Some(next)
    }

    /// Whether the chunk-size line may end in this state: not inside BWS,
    /// after `;` or `=`, or inside a quoted-string.
    fn may_end_line(self) -> bool {
        matches!(self, Ext::End | Ext::Name | Ext::Token)
    }
}

/// `qdtext` (RFC 9110 §5.6.4): any byte a quoted-string holds as it is,
/// which is every field-value byte but `"` and `\`.
const fn is_qdtext(b: u8) -> bool {
    is_field_value_byte(b) && b != b'"' && b != b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<u8>, ChunkError> {
        let limits = Limits::default();
        let mut decoder = ChunkedDecoder::new();
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match decoder.step(&input[pos..], 3, &limits)? {
                Step::Skip(n) => pos += n,
                Step::Data(n) => {
                    out.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                }
                Step::NeedMore => return Err(ChunkError::DataEnd),
                Step::Done(n) => {
                    assert_eq!(pos + n, input.len());
                    return Ok(out);
                }
            }
        }
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let body = b"5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n";
        assert_eq!(decode_all(body).unwrap(), b"hello world");
    }

    #[test]
    fn rejects_bad_framing() {
        assert_eq!(
            decode_all(b"5\r\nhelloX\r\n0\r\n\r\n"),
            Err(ChunkError::DataEnd)
        );
        assert_eq!(decode_all(b"x\r\n"), Err(ChunkError::Size));
        assert_eq!(decode_all(b"5\nhello\r\n"), Err(ChunkError::LineEnding));
        assert_eq!(decode_all(b"11111111111111111\r\n"), Err(ChunkError::Size));
    }

    #[test]
    fn names_each_way_a_size_line_goes_wrong() {
        assert_eq!(decode_all(b"5;a=\r\nhello\r\n"), Err(ChunkError::Extension));
        assert_eq!(decode_all(b"5 a\r\nhello\r\n"), Err(ChunkError::Extension));
        assert_eq!(decode_all(b"0\n\r\n"), Err(ChunkError::LineEnding));
        assert_eq!(decode_all(b"5\rhello\r\n"), Err(ChunkError::LineEnding));
        assert_eq!(
            decode_all(b"5;a=\"b\rc\"\r\nhello\r\n"),
            Err(ChunkError::LineEnding)
        );
        let limits = Limits {
            max_chunk_line: 4,
            ..Limits::default()
        };
        // Over the limit whether or not the line has ended.
        for line in [&b"5;abc\r\n"[..], b"5;abc"] {
            assert_eq!(
                ChunkedDecoder::new().step(line, usize::MAX, &limits),
                Err(ChunkError::LineTooLong)
            );
        }
    }

    #[test]
    fn a_line_with_two_faults_is_named_by_the_first_however_it_arrives() {
        let limits = Limits {
            max_chunk_line: 4,
            ..Limits::default()
        };
        let cases: [(&[u8], ChunkError); 3] = [
            (b"5;a(bcdef\r\n", ChunkError::Extension),
            (b"5;abc(\r\n", ChunkError::LineTooLong),
            (b"5;a(\n", ChunkError::Extension),
        ];
        for (line, error) in cases {
            for end in 1..=line.len() {
                let got = ChunkedDecoder::new().step(&line[..end], usize::MAX, &limits);
                assert!(
                    got == Ok(Step::NeedMore) || got == Err(error),
                    "{end} bytes of {line:?} gave {got:?}"
                );
            }
            let whole = ChunkedDecoder::new().step(line, usize::MAX, &limits);
            assert_eq!(whole, Err(error), "{line:?}");
        }
    }
}
