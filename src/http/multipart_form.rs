//! `multipart/form-data` (RFC 7578) read as it streams in: the format a
//! browser's file form and `curl -F` send files in.
//!
//! The body is a list of parts between boundary lines (RFC 2046 §5.1.1):
//!
//! ```text
//! [preamble CRLF]
//! --BOUNDARY [padding] CRLF
//! Content-Disposition: form-data; name="file"; filename="a.txt"
//! Content-Type: text/plain
//!
//! ...the file's bytes...
//! CRLF --BOUNDARY [padding] CRLF
//! ...the next part...
//! CRLF --BOUNDARY-- [epilogue]
//! ```
//!
//! The boundary comes from the request's `Content-Type` ([`boundary_of`]).
//! A part's content ends where `CRLF --BOUNDARY` next appears, so content is
//! never measured in advance: it is whatever comes before the delimiter.
//!
//! [`FormParser`] is a state machine over bytes, like the chunked decoder:
//! given what is buffered, it says how many bytes it used and what they
//! were (framing to skip, a part's head, content, the end of a part), or
//! that it needs more. It never copies content, and it holds back only the
//! tail of the buffer that could be the start of a delimiter, so a form of
//! any size is read in the memory of one buffer ([`BUFFER_BYTES`]); no part
//! is ever held whole. [`FormReader`] joins the parser to such a buffer and
//! a source of bytes. Part heads are field lines read by the same rules as
//! a request's (`headers::parse_fields`), within their own small limits.
//!
//! Owned here: the boundary, delimiters, part heads and the parameters of
//! `Content-Disposition`. Not owned: what the parts are for (the file
//! server's uploads decide which names may be stored), and the request
//! body's own framing (`request::Body`).

use crate::config::Limits;
use crate::http::error::ParseError;
use crate::http::headers::{is_tchar, parse_fields, trim_ows, FieldSpan, Fields};
use crate::http::status::Status;
use std::fmt;

/// The longest boundary RFC 2046 §5.1.1 allows.
pub const MAX_BOUNDARY: usize = 70;

/// The largest part head (its field lines and the empty line): a browser
/// sends two short lines.
pub const MAX_PART_HEAD: usize = 8 * 1024;

/// The most field lines in one part head.
pub const MAX_PART_FIELDS: usize = 16;

/// Spaces and tabs taken after a boundary (RFC 2046 "transport padding",
/// which senders must not generate but receivers must accept).
const MAX_PADDING: usize = 256;

/// The buffer a [`FormReader`] works in: far more than any head or
/// delimiter the parser may have to see whole, and the size of the pieces
/// of content it hands out.
pub const BUFFER_BYTES: usize = 64 * 1024;

/// Why a form could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// The body is not `multipart/form-data`: 415.
    NotForm,
    /// The `boundary` parameter is missing, repeated, or not 1 to 70 of the
    /// characters RFC 2046 allows: 400.
    BadBoundary,
    /// A boundary line followed by something other than padding and CRLF
    /// or `--`, a form without parts, or an unclosed quoted string: 400.
    Malformed,
    /// A part head that is not field lines, or without a `form-data`
    /// disposition and a name: 400.
    BadHead,
    /// A part head over [`MAX_PART_HEAD`] or [`MAX_PART_FIELDS`]: 400.
    HeadTooLarge,
    /// A `Content-Transfer-Encoding` other than `7bit`, `8bit` or
    /// `binary`: RFC 7578 §4.7 deprecates it and nothing here decodes it.
    UnsupportedEncoding,
    /// A name or file name that is not UTF-8 (RFC 7578 §5.1).
    NotUtf8,
    /// The body ended before the closing boundary.
    Truncated,
}

impl FormError {
    /// The status to answer with.
    pub fn status(self) -> Status {
        match self {
            FormError::NotForm => Status::UNSUPPORTED_MEDIA_TYPE,
            _ => Status::BAD_REQUEST,
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormError::NotForm => "the body is not multipart/form-data",
            FormError::BadBoundary => "the form's boundary is missing or invalid",
            FormError::Malformed => "the form's framing is broken",
            FormError::BadHead => "a part of the form has a bad head",
            FormError::HeadTooLarge => "a part of the form has too large a head",
            FormError::UnsupportedEncoding => "a part of the form has a transfer encoding",
            FormError::NotUtf8 => "a name in the form is not UTF-8",
            FormError::Truncated => "the form ends before its closing boundary",
        })
    }
}

impl std::error::Error for FormError {}

/// What a part's head says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The form field's name (`name=`).
    pub name: String,
    /// The file name as sent (`filename=`), for a file field. It may carry
    /// a directory part, which a receiver must not use (RFC 7578 §4.2).
    pub filename: Option<String>,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<String>,
}

/// What the first bytes of the input were, as [`FormParser::step`] reads
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The first `n` bytes are framing (preamble, a boundary line before
    /// the first part, epilogue): used up.
    Skip(usize),
    /// The first `n` bytes were a part's head, which says this.
    Part(usize, PartHead),
    /// The first `n` bytes are the current part's content.
    Data(usize),
    /// The current part ended: the first `n` bytes were the boundary line
    /// after it.
    PartEnd(usize),
    /// Nothing can be decided without more bytes; none were used.
    NeedMore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the very beginning: the first boundary may come without the CRLF
    /// before it.
    Start,
    /// Before the first boundary.
    Preamble,
    /// After a boundary line: a part's head.
    Head,
    /// A part's content.
    Content,
    /// After the closing boundary: everything is skipped.
    Epilogue,
}

/// The state machine (see the module doc).
#[derive(Debug, Clone)]
pub struct FormParser {
    /// `CRLF "--" boundary`: what ends a part.
    delimiter: Vec<u8>,
    state: State,
    /// Field positions of the head being read, reused.
    spans: Vec<FieldSpan>,
    limits: Limits,
}

impl FormParser {
    /// A parser for a form with this boundary (the parameter's value, from
    /// [`boundary_of`]).
    ///
    /// # Errors
    ///
    /// [`FormError::BadBoundary`] for a boundary RFC 2046 does not allow.
    pub fn new(boundary: &[u8]) -> Result<FormParser, FormError> {
        if !is_valid_boundary(boundary) {
            return Err(FormError::BadBoundary);
        }
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        Ok(FormParser {
            delimiter,
            state: State::Start,
            spans: Vec::new(),
            limits: Limits {
                max_field_line: MAX_PART_HEAD,
                max_fields: MAX_PART_FIELDS,
                ..Limits::default()
            },
        })
    }

    /// Whether the closing boundary has been read: the form is complete,
    /// and what follows is epilogue.
    pub fn is_done(&self) -> bool {
        self.state == State::Epilogue
    }

    /// Reads from the start of `input` (every byte not yet used). Never asks
    /// for more while `input` holds [`MAX_PART_HEAD`] bytes or more: past
    /// that, whatever it waited for is an error.
    ///
    /// # Errors
    ///
    /// A [`FormError`] as soon as the bytes cannot be a form.
    pub fn step(&mut self, input: &[u8]) -> Result<Step, FormError> {
        match self.state {
            State::Start => self.start(input),
            State::Preamble => self.search(input, false),
            State::Head => self.head(input),
            State::Content => self.search(input, true),
            State::Epilogue if input.is_empty() => Ok(Step::NeedMore),
            State::Epilogue => Ok(Step::Skip(input.len())),
        }
    }

    /// The body may begin with `--boundary` itself: the delimiter without
    /// its CRLF (RFC 2046: `[preamble CRLF] dash-boundary`).
    fn start(&mut self, input: &[u8]) -> Result<Step, FormError> {
        let dash_boundary = &self.delimiter[2..];
        if input.len() < dash_boundary.len() && dash_boundary.starts_with(input) {
            return Ok(Step::NeedMore);
        }
        if input.starts_with(dash_boundary) {
            let len = dash_boundary.len();
            return self.boundary_line(input, len, false);
        }
        self.state = State::Preamble;
        self.search(input, false)
    }

    /// Looks for the next delimiter: what comes before it is content (or
    /// preamble), except a tail that could be the start of one.
    fn search(&mut self, input: &[u8], in_part: bool) -> Result<Step, FormError> {
        let used = match find(input, &self.delimiter) {
            Some(0) => return self.boundary_line(input, self.delimiter.len(), in_part),
            Some(at) => at,
            None => input.len() - delimiter_prefix_at_end(input, &self.delimiter),
        };
        Ok(match (used, in_part) {
            (0, _) => Step::NeedMore,
            (n, true) => Step::Data(n),
            (n, false) => Step::Skip(n),
        })
    }

    /// `input` starts with a delimiter of `len` bytes: it is followed by
    /// `--` (the form is over) or by padding and CRLF (a part follows).
    fn boundary_line(
        &mut self,
        input: &[u8],
        len: usize,
        ends_part: bool,
    ) -> Result<Step, FormError> {
        let rest = &input[len..];
        let used = |n| {
            if ends_part {
                Step::PartEnd(n)
            } else {
                Step::Skip(n)
            }
        };
        if rest.is_empty() || rest == b"-" {
            return Ok(Step::NeedMore);
        }
        if rest.starts_with(b"--") {
            // RFC 2046 asks for at least one part.
            if !ends_part {
                return Err(FormError::Malformed);
            }
            self.state = State::Epilogue;
            return Ok(used(len + 2));
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if padding > MAX_PADDING {
            return Err(FormError::Malformed);
        }
        match (rest.get(padding), rest.get(padding + 1)) {
            (Some(b'\r'), Some(b'\n')) => {
                self.state = State::Head;
                Ok(used(len + padding + 2))
            }
            (None, _) | (Some(b'\r'), None) => Ok(Step::NeedMore),
            _ => Err(FormError::Malformed),
        }
    }

    /// A part's head: field lines up to an empty line.
    fn head(&mut self, input: &[u8]) -> Result<Step, FormError> {
        match parse_fields(input, 0, &self.limits, &mut self.spans) {
            Ok(Some(end)) if end > MAX_PART_HEAD => Err(FormError::HeadTooLarge),
            Ok(Some(end)) => {
                let head = part_head(Fields::new(input, &self.spans))?;
                self.spans.clear();
                self.state = State::Content;
                Ok(Step::Part(end, head))
            }
            Ok(None) if input.len() >= MAX_PART_HEAD => Err(FormError::HeadTooLarge),
            Ok(None) => {
                self.spans.clear();
                Ok(Step::NeedMore)
            }
            Err(ParseError::TooManyFields | ParseError::FieldLineTooLong) => {
                Err(FormError::HeadTooLarge)
            }
            Err(_) => Err(FormError::BadHead),
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(offset) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// How many bytes at the end of `input` are the start of `delimiter`: those
/// must wait for the bytes after them before they can be called content.
fn delimiter_prefix_at_end(input: &[u8], delimiter: &[u8]) -> usize {
    let earliest = input.len().saturating_sub(delimiter.len() - 1);
    (earliest..input.len())
        .find(|&at| delimiter.starts_with(&input[at..]))
        .map_or(0, |at| input.len() - at)
}

/// What a part head says, checked: exactly one `Content-Disposition`, of
/// type `form-data`, with one `name` and at most one `filename`; no
/// transfer encoding that would need decoding.
fn part_head(fields: Fields<'_>) -> Result<PartHead, FormError> {
    let mut dispositions = fields.get_all("content-disposition");
    let (Some(disposition), None) = (dispositions.next(), dispositions.next()) else {
        return Err(FormError::BadHead);
    };
    let (kind, parameters) = split_parameters(disposition)?;
    if !kind.eq_ignore_ascii_case(b"form-data") {
        return Err(FormError::BadHead);
    }
    let name = only_parameter(&parameters, b"name")?.ok_or(FormError::BadHead)?;
    let filename = only_parameter(&parameters, b"filename")?;
    if let Some(encoding) = fields.get("content-transfer-encoding") {
        let identity = [&b"7bit"[..], b"8bit", b"binary"];
        if !identity.iter().any(|e| encoding.eq_ignore_ascii_case(e)) {
            return Err(FormError::UnsupportedEncoding);
        }
    }
    let utf8 = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| FormError::NotUtf8);
    Ok(PartHead {
        name: utf8(name)?,
        filename: filename.map(utf8).transpose()?,
        content_type: fields.get_str("content-type").map(str::to_string),
    })
}

/// The value of the parameter `name` (compared case-insensitively), if it
/// is there once; given twice, the head is refused rather than guessed at.
fn only_parameter(parameters: &[Parameter<'_>], name: &[u8]) -> Result<Option<Vec<u8>>, FormError> {
    let mut found = parameters
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name));
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some((_, value)), None) => Ok(Some(value.clone())),
        (Some(_), Some(_)) => Err(FormError::BadHead),
    }
}

/// A parameter's name as it was written, and its value unquoted.
type Parameter<'v> = (&'v [u8], Vec<u8>);

/// Splits `type; name=value; name="quoted value"` (the shape of both
/// `Content-Type` and `Content-Disposition`, RFC 9110 §5.6.6) into the type
/// and its parameters, quoted values unquoted.
fn split_parameters(value: &[u8]) -> Result<(&[u8], Vec<Parameter<'_>>), FormError> {
    let end_of_type = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    let kind = trim_ows(&value[..end_of_type]);
    let mut parameters = Vec::new();
    let mut i = end_of_type;
    // At each turn `value[i]` is a `;` or the end.
    while i < value.len() {
        i = skip_ows(value, i + 1);
        if i == value.len() || value[i] == b';' {
            // An empty parameter is allowed (`*( OWS ";" OWS [ parameter ] )`).
            continue;
        }
        let name_start = i;
        while i < value.len() && is_tchar(value[i]) {
            i += 1;
        }
        let name = &value[name_start..i];
        if name.is_empty() || value.get(i) != Some(&b'=') {
            return Err(FormError::Malformed);
        }
        let (parameter, next) = parameter_value(value, i + 1)?;
        parameters.push((name, parameter));
        i = skip_ows(value, next);
        if i < value.len() && value[i] != b';' {
            return Err(FormError::Malformed);
        }
    }
    Ok((kind, parameters))
}

fn skip_ows(value: &[u8], mut i: usize) -> usize {
    while i < value.len() && (value[i] == b' ' || value[i] == b'\t') {
        i += 1;
    }
    i
}

/// A parameter's value at `value[i..]`: a token, or a quoted string. In a
/// quoted string `\"` and `\\` are escapes (RFC 9110 quoted-pair), and any
/// other backslash is itself: browsers send file names unescaped (they
/// write `"` as `%22`, WHATWG HTML's multipart/form-data encoding), and a
/// Windows path's backslashes must survive to be recognised as directory
/// separators. Returns the value and the index after it.
fn parameter_value(value: &[u8], mut i: usize) -> Result<(Vec<u8>, usize), FormError> {
    if value.get(i) != Some(&b'"') {
        let start = i;
        while i < value.len() && is_tchar(value[i]) {
            i += 1;
        }
        if i == start {
            return Err(FormError::Malformed);
        }
        return Ok((value[start..i].to_vec(), i));
    }
    i += 1;
    let mut out = Vec::new();
    while let Some(&b) = value.get(i) {
        match (b, value.get(i + 1)) {
            (b'"', _) => return Ok((out, i + 1)),
            (b'\\', Some(&escaped @ (b'"' | b'\\'))) => {
                out.push(escaped);
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err(FormError::Malformed)
}

/// The boundary of a `multipart/form-data` body, from its `Content-Type`
/// value (`multipart/form-data; boundary=----x`).
///
/// # Errors
///
/// [`FormError::NotForm`] for another media type; [`FormError::BadBoundary`]
/// for a missing, repeated or invalid boundary.
pub fn boundary_of(content_type: &[u8]) -> Result<Vec<u8>, FormError> {
    let Ok((kind, parameters)) = split_parameters(content_type) else {
        return Err(FormError::BadBoundary);
    };
    if !kind.eq_ignore_ascii_case(b"multipart/form-data") {
        return Err(FormError::NotForm);
    }
    match only_parameter(&parameters, b"boundary") {
        Ok(Some(boundary)) if is_valid_boundary(&boundary) => Ok(boundary),
        _ => Err(FormError::BadBoundary),
    }
}

/// RFC 2046 §5.1.1: `1*69bchars bcharsnospace`, where `bchars` are
/// letters, digits, `'()+_,-./:=?` and space.
fn is_valid_boundary(boundary: &[u8]) -> bool {
    let bchar = |b: &u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(b);
    (1..=MAX_BOUNDARY).contains(&boundary.len())
        && boundary.iter().all(bchar)
        && !boundary.ends_with(b" ")
}

/// One thing read from a form by [`FormReader::next`].
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A part begins.
    Part(PartHead),
    /// A piece of the current part's content (at most [`BUFFER_BYTES`]).
    Data(&'a [u8]),
    /// The current part is complete.
    PartEnd,
    /// The form is complete and the body is read to its end.
    End,
}

/// Why [`FormReader::next`] stopped.
#[derive(Debug)]
pub enum ReadError<E> {
    /// The bytes are not a form.
    Form(FormError),
    /// Reading more failed.
    Source(E),
}

/// A [`FormParser`] with its buffer, reading from any source of bytes.
#[derive(Debug)]
pub struct FormReader {
    parser: FormParser,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
}

impl FormReader {
    /// A reader for a form with this boundary.
    ///
    /// # Errors
    ///
    /// As [`FormParser::new`].
    pub fn new(boundary: &[u8]) -> Result<FormReader, FormError> {
        Ok(FormReader {
            parser: FormParser::new(boundary)?,
            buf: vec![0; BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
        })
    }

    /// The next thing in the form. `read` fills a buffer as `Read::read`
    /// does (`Ok(0)` at the end of the body); it is called only when the
    /// parser needs more.
    ///
    /// # Errors
    ///
    /// [`ReadError::Form`] for a body that is not a form (or ends before
    /// its closing boundary), [`ReadError::Source`] for a failed read.
    pub fn next<E, F>(&mut self, read: &mut F) -> Result<Item<'_>, ReadError<E>>
    where
        F: FnMut(&mut [u8]) -> Result<usize, E>,
    {
        loop {
            let input = &self.buf[self.start..self.end];
            match self.parser.step(input).map_err(ReadError::Form)? {
                Step::Skip(n) => self.start += n,
                Step::Part(n, head) => {
                    self.start += n;
                    return Ok(Item::Part(head));
                }
                Step::Data(n) => {
                    let at = self.start;
                    self.start += n;
                    return Ok(Item::Data(&self.buf[at..at + n]));
                }
                Step::PartEnd(n) => {
                    self.start += n;
                    return Ok(Item::PartEnd);
                }
                Step::NeedMore if self.eof && self.parser.is_done() => return Ok(Item::End),
                Step::NeedMore if self.eof => return Err(ReadError::Form(FormError::Truncated)),
                Step::NeedMore => self.fill(read)?,
            }
        }
    }

    /// Moves what is unread to the front and reads more after it.
    fn fill<E, F>(&mut self, read: &mut F) -> Result<(), ReadError<E>>
    where
        F: FnMut(&mut [u8]) -> Result<usize, E>,
    {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            // The parser never waits on this much; kept as a guard.
            return Err(ReadError::Form(FormError::HeadTooLarge));
        }
        let n = read(&mut self.buf[self.end..]).map_err(ReadError::Source)?;
        self.end += n;
        self.eof = n == 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A part as a test sees it: head and every content byte.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Got {
        head: PartHead,
        content: Vec<u8>,
    }

    /// Reads `body` in pieces of the given sizes (cycled; 0 means 1).
    fn read_form(boundary: &[u8], body: &[u8], pieces: &[usize]) -> Result<Vec<Got>, FormError> {
        let mut reader = FormReader::new(boundary)?;
        let mut at = 0;
        let mut turn = 0;
        let mut source = |buf: &mut [u8]| -> Result<usize, ()> {
            let want = pieces
                .get(turn % pieces.len().max(1))
                .copied()
                .unwrap_or(usize::MAX);
            turn += 1;
            let n = want.max(1).min(buf.len()).min(body.len() - at);
            buf[..n].copy_from_slice(&body[at..at + n]);
            at += n;
            Ok(n)
        };
        let mut parts: Vec<Got> = Vec::new();
        loop {
            match reader.next(&mut source) {
                Ok(Item::Part(head)) => parts.push(Got {
                    head,
                    content: Vec::new(),
                }),
                Ok(Item::Data(bytes)) => parts.last_mut().unwrap().content.extend_from_slice(bytes),
                Ok(Item::PartEnd) => {}
                Ok(Item::End) => return Ok(parts),
                Err(ReadError::Form(e)) => return Err(e),
                Err(ReadError::Source(())) => unreachable!(),
            }
        }
    }

    fn whole(boundary: &str, body: &[u8]) -> Result<Vec<Got>, FormError> {
        read_form(boundary.as_bytes(), body, &[])
    }

    fn file(name: &str, filename: Option<&str>, content: &[u8]) -> Got {
        Got {
            head: PartHead {
                name: name.to_string(),
                filename: filename.map(str::to_string),
                content_type: None,
            },
            content: content.to_vec(),
        }
    }

    /// What `curl -F file=@a.txt -F note=hi` sends, less its boundary.
    const CURL: &[u8] = b"--xyz\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        line one\r\n--xy not yet\r\n\
        \r\n--xyz\r\n\
        Content-Disposition: form-data; name=\"note\"\r\n\
        \r\n\
        hi\r\n--xyz--\r\n";

    #[test]
    fn a_curl_form_gives_its_parts_and_exact_content() {
        let parts = whole("xyz", CURL).unwrap();
        let mut first = file("file", Some("a.txt"), b"line one\r\n--xy not yet\r\n");
        first.head.content_type = Some("text/plain".to_string());
        assert_eq!(parts, vec![first, file("note", None, b"hi")]);
    }

    #[test]
    fn every_split_of_a_form_reads_the_same() {
        let want = whole("xyz", CURL).unwrap();
        for size in 1..CURL.len() {
            assert_eq!(read_form(b"xyz", CURL, &[size]).unwrap(), want, "{size}");
        }
    }

    #[test]
    fn preamble_padding_and_epilogue_are_skipped() {
        let body = b"preamble, ignored\r\n--b  \t\r\n\
            Content-Disposition: form-data; name=x\r\n\r\n\
            \r\n--b-- epilogue\r\nwhatever";
        assert_eq!(whole("b", body).unwrap(), vec![file("x", None, b"")]);
    }

    #[test]
    fn broken_framing_is_refused() {
        let head = "Content-Disposition: form-data; name=x\r\n\r\n";
        let table: &[(String, FormError)] = &[
            (format!("--b\r\n{head}data"), FormError::Truncated),
            (format!("--b\r\n{head}data\r\n--b"), FormError::Truncated),
            (
                format!("--b\r\n{head}data\r\n--bX\r\n"),
                FormError::Malformed,
            ),
            ("--b--\r\n".to_string(), FormError::Malformed),
            ("no boundary at all".to_string(), FormError::Truncated),
            (format!("--b\r\n{head}"), FormError::Truncated),
            (
                "--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b--".to_string(),
                FormError::BadHead,
            ),
            (
                "--b\r\nContent-Disposition: attachment; name=x\r\n\r\n\r\n--b--".to_string(),
                FormError::BadHead,
            ),
            (
                "--b\r\nContent-Disposition: form-data\r\n\r\n\r\n--b--".to_string(),
                FormError::BadHead,
            ),
            (
                "--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n\r\n--b--"
                    .to_string(),
                FormError::BadHead,
            ),
            (
                "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n\r\n--b--".to_string(),
                FormError::Malformed,
            ),
            (
                "--b\r\nNo colon here\r\n\r\n\r\n--b--".to_string(),
                FormError::BadHead,
            ),
            (
                "--b\r\nContent-Disposition: form-data; name=x\nX: y\r\n\r\n\r\n--b--".to_string(),
                FormError::BadHead,
            ),
            (
                format!("--b\r\nContent-Transfer-Encoding: base64\r\n{head}\r\n--b--"),
                FormError::UnsupportedEncoding,
            ),
            (
                format!("--b{}\r\n{head}\r\n--b--", " ".repeat(300)),
                FormError::Malformed,
            ),
        ];
        for (body, want) in table {
            assert_eq!(whole("b", body.as_bytes()), Err(*want), "{body:?}");
        }
    }

    #[test]
    fn an_oversized_part_head_is_refused_without_waiting_for_its_end() {
        let mut body = b"--b\r\nContent-Disposition: form-data; name=x\r\nX-Pad: ".to_vec();
        body.extend(std::iter::repeat_n(b'a', MAX_PART_HEAD + 10));
        assert_eq!(whole("b", &body), Err(FormError::HeadTooLarge));
        let many: String = (0..MAX_PART_FIELDS + 1)
            .map(|i| format!("X-{i}: y\r\n"))
            .collect();
        let body = format!("--b\r\n{many}\r\n\r\n--b--");
        assert_eq!(whole("b", body.as_bytes()), Err(FormError::HeadTooLarge));
    }

    #[test]
    fn file_names_keep_what_browsers_and_rfc_senders_mean() {
        let name_of = |disposition: &str| {
            let body = format!("--b\r\nContent-Disposition: {disposition}\r\n\r\n\r\n--b--");
            whole("b", body.as_bytes()).map(|parts| parts[0].head.filename.clone())
        };
        let table: &[(&str, Option<&str>)] = &[
            ("form-data; name=f; filename=\"a b.txt\"", Some("a b.txt")),
            ("FORM-DATA;NAME=f;FILENAME=plain.txt", Some("plain.txt")),
            (
                "form-data; name=f; filename=\"say \\\"hi\\\".txt\"",
                Some("say \"hi\".txt"),
            ),
            (
                "form-data; name=f; filename=\"C:\\Users\\me\\x.txt\"",
                Some("C:\\Users\\me\\x.txt"),
            ),
            (
                "form-data; name=f; filename=\"r\u{e9}sum\u{e9}.pdf\"",
                Some("r\u{e9}sum\u{e9}.pdf"),
            ),
            ("form-data; name=f; filename=\"\"", Some("")),
            ("form-data; name=f;", None),
        ];
        for (disposition, want) in table {
            assert_eq!(
                name_of(disposition),
                Ok(want.map(str::to_string)),
                "{disposition}"
            );
        }
        assert_eq!(
            name_of("form-data; name=f; filename=\"\u{0}\""),
            Err(FormError::BadHead)
        );
        let latin1 =
            b"--b\r\nContent-Disposition: form-data; name=f; filename=\"\xe9\"\r\n\r\n\r\n--b--";
        assert_eq!(whole("b", latin1), Err(FormError::NotUtf8));
    }

    #[test]
    fn the_boundary_comes_from_content_type() {
        let ok: &[(&[u8], &[u8])] = &[
            (b"multipart/form-data; boundary=abc", b"abc"),
            (b"Multipart/Form-Data;boundary=\"a b:c\"", b"a b:c"),
            (
                b"multipart/form-data; charset=utf-8; BOUNDARY=----WebKitFormBoundary7MA4YWxk",
                b"----WebKitFormBoundary7MA4YWxk",
            ),
        ];
        for (value, want) in ok {
            assert_eq!(boundary_of(value).as_deref(), Ok(*want));
        }
        let long = format!("multipart/form-data; boundary={}", "a".repeat(71));
        let bad: &[(&[u8], FormError)] = &[
            (b"text/plain", FormError::NotForm),
            (b"multipart/mixed; boundary=a", FormError::NotForm),
            (b"application/x-www-form-urlencoded", FormError::NotForm),
            (b"multipart/form-data", FormError::BadBoundary),
            (b"multipart/form-data; boundary=", FormError::BadBoundary),
            (
                b"multipart/form-data; boundary=\"\"",
                FormError::BadBoundary,
            ),
            (
                b"multipart/form-data; boundary=\"ends in space \"",
                FormError::BadBoundary,
            ),
            (
                b"multipart/form-data; boundary=\"a;b\"",
                FormError::BadBoundary,
            ),
            (
                b"multipart/form-data; boundary=a; boundary=b",
                FormError::BadBoundary,
            ),
            (b"multipart/form-data; boundary", FormError::BadBoundary),
            (long.as_bytes(), FormError::BadBoundary),
        ];
        for (value, want) in bad {
            assert_eq!(
                boundary_of(value),
                Err(*want),
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    /// Encodes parts as a sender would.
    fn encode(boundary: &str, parts: &[Got]) -> Vec<u8> {
        let mut body = Vec::new();
        for part in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!(
                "Content-Disposition: form-data; name=\"{}\"",
                part.head.name
            );
            if let Some(filename) = &part.head.filename {
                disposition.push_str(&format!("; filename=\"{filename}\""));
            }
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(&part.content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        body
    }

    /// Content made of the pieces that trip delimiter matching up:
    /// CR, LF, dashes and the boundary's own letters.
    fn content() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"-".to_vec()),
            Just(b"\r\n--".to_vec()),
            Just(b"\r\n--bo".to_vec()),
            Just(b"bound".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(piece, 0..40)
            .prop_map(|pieces| pieces.concat())
            .prop_filter("content never holds the delimiter", |c| {
                find(c, b"\r\n--boundary").is_none()
            })
    }

    fn parts() -> impl Strategy<Value = Vec<Got>> {
        let part = ("[a-z]{1,8}", prop::option::of("[a-z .]{1,12}"), content()).prop_map(
            |(name, filename, content)| Got {
                head: PartHead {
                    name,
                    filename,
                    content_type: None,
                },
                content,
            },
        );
        prop::collection::vec(part, 1..5)
    }

    proptest! {
        /// However the body arrives, in pieces of whatever sizes, the same
        /// parts come out, with every content byte and nothing else.
        #[test]
        fn any_split_gives_the_same_parts(
            parts in parts(),
            pieces in prop::collection::vec(1usize..40, 1..8),
        ) {
            let body = encode("boundary", &parts);
            prop_assert_eq!(read_form(b"boundary", &body, &pieces), Ok(parts.clone()));
            prop_assert_eq!(read_form(b"boundary", &body, &[]), Ok(parts));
        }

        /// Arbitrary bytes after a valid start never panic.
        #[test]
        fn arbitrary_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut body = b"--b\r\n".to_vec();
            body.extend_from_slice(&tail);
            let _ = whole("b", &body);
        }
    }
}
