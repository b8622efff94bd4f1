//! Generated valid requests for the properties in `props.rs`: a random
//! method, origin-form target, version, Host, extra fields with OWS padding,
//! Connection, Expect and a body framed by Content-Length or chunked with
//! random chunk boundaries; the bytes they serialise to, and the parse
//! result each must give.

use crate::prefixes::Summary;
use http_from_scratch::http::body::BodyFraming;
use http_from_scratch::http::method::Method;
use http_from_scratch::http::parse::TargetForm;
use http_from_scratch::http::version::Version;
use proptest::prelude::*;
use proptest::sample::select;

/// Known methods and the variant each must parse to (CONNECT needs an
/// authority-form target, so it is left to the vector tables).
pub const KNOWN: &[(&str, Method)] = &[
    ("GET", Method::Get),
    ("HEAD", Method::Head),
    ("POST", Method::Post),
    ("PUT", Method::Put),
    ("DELETE", Method::Delete),
    ("OPTIONS", Method::Options),
    ("TRACE", Method::Trace),
    ("PATCH", Method::Patch),
];

/// Names the parser interprets; generated extra fields avoid them.
const SPECIAL: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

/// How a generated request frames its body.
#[derive(Debug, Clone)]
pub enum Framing {
    None,
    Length,
    /// Chunk sizes (cycled), uppercase hex, leading zeros, trailer fields.
    Chunked(Vec<usize>, bool, usize, Vec<(String, String)>),
}

/// A valid request, before it is serialised.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: (String, Method),
    pub target: String,
    pub version: (&'static str, Version),
    pub host: Option<String>,
    /// Name, raw value (before OWS padding), padding before, padding after.
    pub extras: Vec<(String, Vec<u8>, String, String)>,
    pub connection: Option<&'static str>,
    pub expect: bool,
    pub body: Vec<u8>,
    pub framing: Framing,
}

impl Request {
    /// The field lines in wire order, as (name, wire value).
    pub fn lines(&self) -> Vec<(String, Vec<u8>)> {
        let mut lines = Vec::new();
        if let Some(host) = &self.host {
            lines.push(("Host".to_owned(), host.clone().into_bytes()));
        }
        for (name, raw, before, after) in &self.extras {
            lines.push((
                name.clone(),
                [before.as_bytes(), raw, after.as_bytes()].concat(),
            ));
        }
        if let Some(connection) = self.connection {
            lines.push(("Connection".to_owned(), connection.as_bytes().to_vec()));
        }
        if self.expect {
            lines.push(("Expect".to_owned(), b"100-continue".to_vec()));
        }
        match self.framing {
            Framing::None => {}
            Framing::Length => {
                let length = self.body.len().to_string().into_bytes();
                lines.push(("Content-Length".to_owned(), length));
            }
            Framing::Chunked(..) => {
                lines.push(("Transfer-Encoding".to_owned(), b"chunked".to_vec()))
            }
        }
        lines
    }

    /// The head bytes with the given field lines, ending in the empty line.
    pub fn head(&self, lines: &[(String, Vec<u8>)]) -> Vec<u8> {
        let (token, version) = (&self.method.0, self.version.0);
        let mut head = format!("{token} {} {version}\r\n", self.target).into_bytes();
        for (name, value) in lines {
            head.extend_from_slice(format!("{name}:").as_bytes());
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        head
    }

    /// The encoded body as it follows the head.
    pub fn wire_body(&self) -> Vec<u8> {
        let Framing::Chunked(sizes, upper, zeros, trailers) = &self.framing else {
            return self.body.clone();
        };
        let mut out = Vec::new();
        let mut rest = &self.body[..];
        let mut sizes = sizes.iter().cycle();
        while !rest.is_empty() {
            // With no sizes given, the whole body is one chunk.
            let size = sizes.next().copied().unwrap_or(rest.len());
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            let hex = if *upper {
                format!("{:X}", chunk.len())
            } else {
                format!("{:x}", chunk.len())
            };
            out.extend_from_slice(format!("{}{hex}\r\n", "0".repeat(*zeros)).as_bytes());
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
            rest = tail;
        }
        out.extend_from_slice(b"0\r\n");
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// What the parser must report for this request.
    pub fn expected(&self, head_len: usize) -> Summary {
        let version = self.version.1;
        let connection = self.connection.map(str::to_ascii_lowercase);
        let keep_alive = match version {
            Version::Http11 => connection.as_deref() != Some("close"),
            Version::Http10 => connection.as_deref() == Some("keep-alive"),
        };
        let trim = |v: &[u8]| {
            let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
            let start = v.iter().position(|b| !is_ows(b)).unwrap_or(v.len());
            let end = v.iter().rposition(|b| !is_ows(b)).map_or(start, |i| i + 1);
            v[start..end].to_vec()
        };
        Summary {
            len: head_len,
            method: self.method.1,
            token: self.method.0.clone(),
            target: self.target.clone(),
            form: TargetForm::Origin,
            path: self.target.clone(),
            version,
            host: self.host.clone(),
            body: match self.framing {
                Framing::None => BodyFraming::None,
                Framing::Length => BodyFraming::Length(self.body.len() as u64),
                Framing::Chunked(..) => BodyFraming::Chunked,
            },
            keep_alive,
            expect_continue: self.expect && version == Version::Http11,
            fields: self
                .lines()
                .into_iter()
                .map(|(n, v)| (n, trim(&v)))
                .collect(),
        }
    }
}

/// A `tchar` as a regex class (RFC 9110 §5.6.2).
const TCHAR: &str = "[!#$%&'*+.^_`|~0-9A-Za-z-]";

fn method() -> impl Strategy<Value = (String, Method)> {
    // Longer tokens are refused with 501 by the parser (see
    // `overlong_method()`), so a parsed unknown method is at most this long.
    let pattern = format!("{TCHAR}{{1,{}}}", Method::LONGEST_TOKEN);
    let unknown = proptest::string::string_regex(&pattern)
        .expect("valid regex")
        .prop_filter("not a known method", |t| {
            t != "CONNECT" && KNOWN.iter().all(|(k, _)| k != t)
        })
        .prop_map(|t| (t, Method::Unknown));
    prop_oneof![select(KNOWN).prop_map(|(t, m)| (t.to_owned(), m)), unknown]
}

/// A method token longer than any method the server knows.
pub fn overlong_method() -> impl Strategy<Value = String> {
    let pattern = format!("{TCHAR}{{{},40}}", Method::LONGEST_TOKEN + 1);
    proptest::string::string_regex(&pattern).expect("valid regex")
}

fn target() -> impl Strategy<Value = String> {
    let pchar = r"[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2}";
    let pattern = format!(r"/({pchar}){{0,30}}(\?({pchar}|\?){{0,15}})?");
    proptest::string::string_regex(&pattern).expect("valid regex")
}

fn value_byte() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0x21u8..=0x7e, 1 => 0x80u8..=0xff, 1 => Just(b' '), 1 => Just(b'\t')]
}

fn extra_field() -> impl Strategy<Value = (String, Vec<u8>, String, String)> {
    let name = "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}".prop_filter("not interpreted", |n| {
        !SPECIAL.contains(&n.to_ascii_lowercase().as_str())
    });
    (
        name,
        prop::collection::vec(value_byte(), 0..30),
        "[ \t]{0,3}",
        "[ \t]{0,3}",
    )
}

fn framing() -> impl Strategy<Value = Framing> {
    let trailer = ("X-[A-Za-z]{1,8}", "[ -~]{0,10}").prop_map(|(n, v)| (n, v.trim().to_owned()));
    let chunked = (
        prop::collection::vec(1usize..40, 0..6),
        any::<bool>(),
        0usize..3,
        prop::collection::vec(trailer, 0..3),
    );
    prop_oneof![
        Just(Framing::None),
        Just(Framing::Length),
        chunked.prop_map(|(sizes, upper, zeros, trailers)| Framing::Chunked(
            sizes, upper, zeros, trailers
        )),
    ]
}

prop_compose! {
    /// A valid request: HTTP/1.0 ones may omit Host and never use chunked.
    pub fn request()(
        method in method(),
        target in target(),
        version in select(&[("HTTP/1.0", Version::Http10), ("HTTP/1.1", Version::Http11), ("HTTP/1.2", Version::Http11)][..]),
        host in r"[a-z0-9][a-z0-9.-]{0,15}(:[0-9]{1,5})?|\[::1\](:[0-9]{1,4})?",
        send_host_in_1_0 in any::<bool>(),
        extras in prop::collection::vec(extra_field(), 0..8),
        connection in select(&[None, Some("close"), Some("keep-alive"), Some("Keep-Alive"), Some("upgrade")][..]),
        expect in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..200),
        framing in framing(),
    ) -> Request {
        let is_1_0 = version.1 == Version::Http10;
        let framing = match framing {
            Framing::Chunked(..) if is_1_0 => Framing::Length,
            Framing::None => Framing::None,
            other => other,
        };
        let body = if matches!(framing, Framing::None) { Vec::new() } else { body };
        let host = (!is_1_0 || send_host_in_1_0).then_some(host);
        Request { method, target, version, host, extras, connection, expect, body, framing }
    }
}

/// A request with at least one extra field, for mutations of a field line.
pub fn request_with_extra() -> impl Strategy<Value = Request> {
    (request(), extra_field()).prop_map(|(mut request, extra)| {
        request.extras.push(extra);
        request
    })
}

/// Optional whitespace where RFC 9112 §7.1.1 allows it (BWS).
const BWS: &str = "[ \t]{0,2}";

/// The inside of a quoted-string (RFC 9110 §5.6.4), without its quotes:
/// qdtext bytes and quoted-pairs, obs-text included.
fn quoted_content() -> impl Strategy<Value = Vec<u8>> {
    let qdtext = prop_oneof![
        Just(b'\t'),
        Just(b' '),
        Just(0x21u8),
        0x23u8..=0x5b,
        0x5du8..=0x7e,
        0x80u8..=0xff
    ]
    .prop_map(|b| vec![b]);
    let quoted_pair = prop_oneof![Just(b'\t'), Just(b' '), 0x21u8..=0x7e, 0x80u8..=0xff]
        .prop_map(|b| vec![b'\\', b]);
    prop::collection::vec(prop_oneof![3 => qdtext, 1 => quoted_pair], 0..8)
        .prop_map(|parts| parts.concat())
}

/// A short `token` (RFC 9110 §5.6.2).
fn token() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{TCHAR}{{1,8}}")).expect("valid regex")
}

/// `BWS ";" BWS name`, the start of every chunk extension.
fn chunk_ext_name() -> impl Strategy<Value = Vec<u8>> {
    (BWS, BWS, token())
        .prop_map(|(before, after, name)| format!("{before};{after}{name}").into_bytes())
}

/// One valid chunk extension as it follows a chunk size (RFC 9112 §7.1.1):
/// `BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ]`, the value a
/// token or a quoted-string.
pub fn chunk_ext() -> impl Strategy<Value = Vec<u8>> {
    let token = token().prop_map(String::into_bytes);
    let quoted = quoted_content().prop_map(|content| [&b"\""[..], &content, b"\""].concat());
    let value = prop_oneof![token, quoted];
    let assignment = prop::option::of((BWS, BWS, value));
    (chunk_ext_name(), assignment).prop_map(|(mut ext, assignment)| {
        if let Some((before, after, value)) = assignment {
            ext.extend_from_slice(format!("{before}={after}").as_bytes());
            ext.extend_from_slice(&value);
        }
        ext
    })
}

/// A chunk extension whose quoted value never closes before the line ends.
pub fn unterminated_chunk_ext() -> impl Strategy<Value = Vec<u8>> {
    (chunk_ext_name(), BWS, BWS, quoted_content()).prop_map(|(mut ext, before, after, content)| {
        ext.extend_from_slice(format!("{before}={after}\"").as_bytes());
        ext.extend_from_slice(&content);
        ext
    })
}
