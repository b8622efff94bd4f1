//! Request-head vector tables: the macros that turn one line per case into a
//! `#[test]`, and the shared list of every case for the prefix sweep.
//!
//! `accepts!` rows name the fields a parse must produce; `rejects!` rows name
//! the exact `ParseError` and the status it is answered with. Each table
//! becomes a module holding its tests and a `CASES` list, so `prefixes.rs`
//! can run the same inputs through every split point.

use http_from_scratch::config::Limits;
use http_from_scratch::http::headers::FieldSpan;
use http_from_scratch::http::parse::{parse_request, ParseError, Parsed, RequestHead};

/// One vector: the bytes, the limits it is parsed under, and the verdict.
pub struct Case {
    /// The test's name, for failure messages.
    pub name: &'static str,
    /// The bytes handed to the parser.
    pub input: &'static [u8],
    /// The limits the vector is parsed under.
    pub limits: fn() -> Limits,
    /// `None` for a head that parses whole, else the error it must give.
    pub expected: Option<ParseError>,
}

/// Parses `input`, which must be exactly one complete head.
pub fn parse_complete<'b>(
    input: &'b [u8],
    limits: &Limits,
    spans: &'b mut Vec<FieldSpan>,
) -> RequestHead<'b> {
    match parse_request(input, limits, spans) {
        Ok(Parsed::Complete { head, len }) => {
            assert_eq!(len, input.len(), "the head must take every byte");
            head
        }
        other => panic!("expected a complete head, got {other:?}"),
    }
}

/// Asserts that `input` is rejected with `error`, answered with `status`.
pub fn assert_rejected(input: &[u8], limits: &Limits, error: ParseError, status: u16) {
    let got = parse_request(input, limits, &mut Vec::new()).map(|_| ());
    assert_eq!(
        got,
        Err(error),
        "input {:?}",
        String::from_utf8_lossy(input)
    );
    assert_eq!(error.status().0, status, "status of {error:?}");
}

/// One assertion about a parsed head, chosen by the key before the colon.
macro_rules! check {
    ($h:ident, method, $v:expr) => {{
        #[allow(unused_imports)]
        use http_from_scratch::http::method::Method::*;
        assert_eq!($h.method, $v, "method");
    }};
    ($h:ident, token, $v:expr) => {
        assert_eq!($h.method_token, $v, "method token")
    };
    ($h:ident, target, $v:expr) => {
        assert_eq!($h.target, $v, "target")
    };
    ($h:ident, form, $v:expr) => {{
        use http_from_scratch::http::parse::TargetForm::*;
        assert_eq!($h.form, $v, "target form");
    }};
    ($h:ident, path, $v:expr) => {
        assert_eq!($h.path_and_query, $v, "path and query")
    };
    ($h:ident, version, $v:expr) => {{
        use http_from_scratch::http::version::Version::*;
        assert_eq!($h.version, $v, "version");
    }};
    ($h:ident, host, $v:expr) => {
        assert_eq!($h.host, $v, "host")
    };
    ($h:ident, body, $v:expr) => {{
        use http_from_scratch::http::body::BodyFraming::*;
        assert_eq!($h.body, $v, "body framing");
    }};
    ($h:ident, keep_alive, $v:expr) => {
        assert_eq!($h.keep_alive, $v, "keep-alive")
    };
    ($h:ident, expect_continue, $v:expr) => {
        assert_eq!($h.expect_continue, $v, "100-continue")
    };
    ($h:ident, fields, $v:expr) => {
        assert_eq!($h.fields.len(), $v, "field count")
    };
    ($h:ident, value, $v:expr) => {{
        let (name, want) = $v;
        assert_eq!($h.fields.get(name), Some(&want[..]), "value of {}", name);
    }};
}

/// `accepts! { mod_name, limits_fn; name: b"head" => { key: value, .. }, }`
macro_rules! accepts {
    ($module:ident, $limits:expr;
     $($name:ident: $input:literal => { $($key:ident: $value:expr),* $(,)? }),* $(,)?) => {
        pub mod $module {
            #[allow(unused_imports)]
            use super::*;
            use crate::vectors::Case;

            /// Every vector of this table, for the prefix sweep.
            pub const CASES: &[Case] = &[$(Case {
                name: stringify!($name),
                input: $input,
                limits: $limits,
                expected: None,
            }),*];

            $(
                #[test]
                fn $name() {
                    let limits = ($limits)();
                    let mut spans = Vec::new();
                    let head = crate::vectors::parse_complete($input, &limits, &mut spans);
                    $(check!(head, $key, $value);)*
                }
            )*
        }
    };
}

/// `rejects! { mod_name, limits_fn; name: b"head" => Variant status, }`
macro_rules! rejects {
    ($module:ident, $limits:expr;
     $($name:ident: $input:literal => $error:ident $status:literal),* $(,)?) => {
        pub mod $module {
            #[allow(unused_imports)]
            use super::*;
            use crate::vectors::Case;
            use http_from_scratch::http::parse::ParseError;

            /// Every vector of this table, for the prefix sweep.
            pub const CASES: &[Case] = &[$(Case {
                name: stringify!($name),
                input: $input,
                limits: $limits,
                expected: Some(ParseError::$error),
            }),*];

            $(
                #[test]
                fn $name() {
                    let limits = ($limits)();
                    crate::vectors::assert_rejected($input, &limits, ParseError::$error, $status);
                }
            )*
        }
    };
}

pub mod fields;
pub mod framing;
pub mod limits;
pub mod request_line;
pub mod semantics;

/// Every table whose prefixes must be `Incomplete` (accepted) or the same
/// error (rejected). Two tables are left out; see `prefixes.rs`.
pub fn swept_tables() -> Vec<&'static [Case]> {
    vec![
        request_line::accepted::CASES,
        request_line::rejected::CASES,
        fields::accepted::CASES,
        fields::rejected::CASES,
        semantics::accepted::CASES,
        semantics::rejected::CASES,
        framing::accepted::CASES,
        framing::rejected::CASES,
        limits::accepted_line::CASES,
        limits::accepted_field::CASES,
        limits::accepted_count::CASES,
        limits::accepted_head::CASES,
        limits::accepted_body::CASES,
        limits::rejected_line::CASES,
        limits::rejected_field::CASES,
        limits::rejected_count::CASES,
        limits::rejected_head::CASES,
        limits::rejected_body::CASES,
        request_line::after_empty_lines::CASES,
        limits::at_limit::CASES,
        limits::field_at_limit::CASES,
    ]
}

/// Every table: the swept ones plus those whose prefixes the parser gets
/// wrong today, which still must not be changed by bytes after the head.
pub fn all_tables() -> Vec<&'static [Case]> {
    swept_tables()
}
