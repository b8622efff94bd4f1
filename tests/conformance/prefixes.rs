//! Split-point properties of every vector table ("need more bytes"
//! is a value): a strict prefix of a valid head is `Incomplete`, a prefix of
//! an invalid head is `Incomplete` or already the same error, the reused span
//! vector carries nothing from one call to the next, and bytes after a head
//! (a body, a pipelined request) never change how the head parses.
//!
//! `request_line::after_empty_lines`, `limits::at_limit` and
//! `limits::field_at_limit` are not swept: some of their prefixes are
//! rejected although the whole input is accepted (see the report).

use crate::vectors::{all_tables, swept_tables, Case};
use http_from_scratch::config::Limits;
use http_from_scratch::http::body::BodyFraming;
use http_from_scratch::http::headers::FieldSpan;
use http_from_scratch::http::method::Method;
use http_from_scratch::http::parse::{parse_request, ParseError, Parsed, TargetForm};
use http_from_scratch::http::version::Version;

/// Everything a parse produced, owned, so two parses can be compared.
#[derive(Debug, PartialEq)]
pub struct Summary {
    pub len: usize,
    pub method: Method,
    pub token: String,
    pub target: String,
    pub form: TargetForm,
    pub path: String,
    pub version: Version,
    pub host: Option<String>,
    pub body: BodyFraming,
    pub keep_alive: bool,
    pub expect_continue: bool,
    pub fields: Vec<(String, Vec<u8>)>,
}

/// Parses `input` into an owned summary; `Ok(None)` for `Incomplete`.
pub fn outcome(
    input: &[u8],
    limits: &Limits,
    spans: &mut Vec<FieldSpan>,
) -> Result<Option<Summary>, ParseError> {
    let Parsed::Complete { head, len } = parse_request(input, limits, spans)? else {
        return Ok(None);
    };
    Ok(Some(Summary {
        len,
        method: head.method,
        token: head.method_token.to_owned(),
        target: head.target.to_owned(),
        form: head.form,
        path: head.path_and_query.to_owned(),
        version: head.version,
        host: head.host.map(str::to_owned),
        body: head.body,
        keep_alive: head.keep_alive,
        expect_continue: head.expect_continue,
        fields: head
            .fields
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_vec()))
            .collect(),
    }))
}

/// The swept cases with the given verdict.
fn cases(accepted: bool) -> impl Iterator<Item = &'static Case> {
    swept_tables()
        .into_iter()
        .flatten()
        .filter(move |case| case.expected.is_none() == accepted)
}

/// Every accepted case, swept or not.
fn all_accepted() -> impl Iterator<Item = &'static Case> {
    all_tables()
        .into_iter()
        .flatten()
        .filter(|case| case.expected.is_none())
}

#[test]
fn the_sweep_covers_both_verdicts() {
    assert!(cases(true).count() >= 50);
    assert!(cases(false).count() >= 100);
}

#[test]
fn every_strict_prefix_of_an_accepted_head_is_incomplete() {
    for case in cases(true) {
        let limits = (case.limits)();
        for end in 0..case.input.len() {
            let got = outcome(&case.input[..end], &limits, &mut Vec::new());
            assert_eq!(got, Ok(None), "{}: prefix of {end} bytes", case.name);
        }
    }
}

/// Which of the two a prefix gives depends on where it is cut: one that
/// stops before the offending byte could still become a valid head, so it
/// is `Incomplete`; one that holds it already fails. So it is `Incomplete`
/// up to some length and the whole input's error from there on, never
/// `Incomplete` again.
#[test]
fn every_prefix_of_a_rejected_head_is_incomplete_or_the_same_error() {
    for case in cases(false) {
        let limits = (case.limits)();
        let error = case.expected.expect("rejected case");
        let mut failed_from = None;
        for end in 0..=case.input.len() {
            let got = outcome(&case.input[..end], &limits, &mut Vec::new());
            match (got, failed_from) {
                (Ok(None), None) => {}
                (Err(e), _) if e == error => {
                    failed_from.get_or_insert(end);
                }
                (got, _) => panic!(
                    "{}: prefix of {end} bytes gave {got:?} (failing from {failed_from:?}), \
                     whole gives {error:?}",
                    case.name
                ),
            }
        }
    }
}

#[test]
fn a_span_vector_reused_after_any_prefix_gives_the_same_head() {
    for case in all_accepted() {
        let limits = (case.limits)();
        let fresh = outcome(case.input, &limits, &mut Vec::new());
        assert!(matches!(fresh, Ok(Some(_))), "{}: {fresh:?}", case.name);
        let mut spans = Vec::new();
        for end in 0..case.input.len() {
            let _ = outcome(&case.input[..end], &limits, &mut spans);
            let again = outcome(case.input, &limits, &mut spans);
            assert_eq!(again, fresh, "{}: after a prefix of {end} bytes", case.name);
        }
    }
}

#[test]
fn a_span_vector_reused_after_an_error_gives_the_same_head() {
    let mut spans = Vec::new();
    for case in all_accepted() {
        let limits = (case.limits)();
        let fresh = outcome(case.input, &limits, &mut Vec::new());
        for bad in cases(false) {
            let _ = outcome(bad.input, &(bad.limits)(), &mut spans);
            let again = outcome(case.input, &limits, &mut spans);
            assert_eq!(again, fresh, "{} after {}", case.name, bad.name);
        }
    }
}

const NEXT_REQUEST: &[u8] = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
const BODY_BYTES: &[u8] = b"\0\xff\r\n\r\nnot a head";

#[test]
fn bytes_after_an_accepted_head_do_not_change_it() {
    for case in all_accepted() {
        let limits = (case.limits)();
        let alone = outcome(case.input, &limits, &mut Vec::new());
        for suffix in [NEXT_REQUEST, BODY_BYTES] {
            let input = [case.input, suffix].concat();
            let got = outcome(&input, &limits, &mut Vec::new());
            assert_eq!(got, alone, "{} followed by {suffix:?}", case.name);
        }
    }
}

/// Whether `error` is a size limit, which an unfinished input can cross
/// before the byte that would have been a syntax error arrives.
fn is_limit(error: ParseError) -> bool {
    matches!(
        error,
        ParseError::RequestLineTooLong
            | ParseError::HeadTooLarge
            | ParseError::FieldLineTooLong
            | ParseError::TooManyFields
    )
}

#[test]
fn bytes_after_a_rejected_head_do_not_change_the_error() {
    for case in cases(false).filter(|case| !is_limit(case.expected.unwrap())) {
        let limits = (case.limits)();
        for suffix in [NEXT_REQUEST, BODY_BYTES] {
            let input = [case.input, suffix].concat();
            let got = outcome(&input, &limits, &mut Vec::new());
            assert_eq!(
                got,
                Err(case.expected.unwrap()),
                "{} followed by {suffix:?}",
                case.name
            );
        }
    }
}
