//! Properties checked with proptest: arbitrary and HTTP-shaped bytes never
//! panic the head parser or the chunked decoder and split the same way at
//! any point; generated valid requests (see `generate.rs`) serialise, parse
//! back to the fields they were built from and decode to the body they
//! carry; and mutating a valid request in one known-bad way gets the
//! matching `ParseError`.

use crate::chunked::{decode_bytewise, decode_whole};
use crate::generate::{
    chunk_ext, overlong_method, request, request_with_extra, unterminated_chunk_ext, Framing, KNOWN,
};
use crate::prefixes::outcome;
use http_from_scratch::config::Limits;
use http_from_scratch::http::body::ChunkError;
use http_from_scratch::http::parse::ParseError;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::FileFailurePersistence;

/// Pieces of request heads, to reach deeper parser states than random bytes.
const HEAD_PIECES: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"OPTIONS",
    b"CONNECT",
    b" ",
    b"/",
    b"/a?b",
    b"*",
    b"http://a",
    b"[::1]:1",
    b"%4",
    b"%",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/2.0",
    b"\r\n",
    b"\r",
    b"\n",
    b"\t",
    b":",
    b"Host: a",
    b"Host",
    b"Content-Length: ",
    b"5",
    b",",
    b"+",
    b"Transfer-Encoding: ",
    b"chunked",
    b"gzip",
    b"Expect: 100-continue",
    b"Connection: close",
    b"\0",
    b"\x7f",
    b"\xff",
];

/// Pieces of chunked bodies.
const CHUNK_PIECES: &[&[u8]] = &[
    b"0",
    b"5",
    b"a",
    b"F",
    b"\r\n",
    b"\r",
    b"\n",
    b";",
    b"x=1",
    b" ",
    b"\t",
    b"hello",
    b":",
    b"X: 1",
    b"\0",
    b"ffffffffffffffff",
];

fn shaped(pieces: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => select(pieces).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Asserts `wire` is rejected with `error`, and each prefix is `Incomplete`
/// or already that error.
fn assert_mutation_rejected(
    wire: &[u8],
    error: ParseError,
    split: Index,
) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    prop_assert_eq!(outcome(wire, &limits, &mut Vec::new()), Err(error));
    let prefix = outcome(&wire[..split.index(wire.len())], &limits, &mut Vec::new());
    // Cut before the mutation, the prefix could still become valid
    // (Incomplete); cut after it, it already fails the same way.
    prop_assert!(
        prefix == Ok(None) || prefix == Err(error),
        "prefix gave {:?}, neither Incomplete nor the whole input's {:?}",
        prefix,
        error
    );
    Ok(())
}

/// A chunked body: each chunk's data with the extensions on its size line,
/// then the last chunk with `last` on its line and no trailers.
fn chunked_with_extensions(chunks: &[(Vec<u8>, Vec<Vec<u8>>)], last: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (data, exts) in chunks {
        out.extend_from_slice(format!("{:x}", data.len()).as_bytes());
        out.extend_from_slice(&exts.concat());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0");
    out.extend_from_slice(&last.concat());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

fn chunks_with_extensions() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<Vec<u8>>)>> {
    let data = prop::collection::vec(any::<u8>(), 1..20);
    let exts = prop::collection::vec(chunk_ext(), 0..4);
    prop::collection::vec((data, exts), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Failing seeds are kept next to this file, as props.regressions.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::with_cases(256)
    })]

    #[test]
    fn arbitrary_bytes_never_panic_the_head_parser(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = outcome(&bytes, &Limits::default(), &mut Vec::new());
        let small = Limits { max_request_line: 16, max_head_bytes: 64, max_field_line: 16, max_fields: 2, ..Limits::default() };
        let _ = outcome(&bytes, &small, &mut Vec::new());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_chunked_decoder(bytes in prop::collection::vec(any::<u8>(), 0..2048), max_data in 1usize..64) {
        let limits = Limits { max_body_bytes: 1024, max_chunk_line: 32, ..Limits::default() };
        let _ = decode_whole(&bytes, max_data, &limits);
        let _ = decode_bytewise(&bytes, &limits);
    }

    #[test]
    fn head_shaped_bytes_split_anywhere_give_the_same_result(start in select(KNOWN), rest in shaped(HEAD_PIECES), split: Index) {
        let input = [start.0.as_bytes(), &rest].concat();
        let limits = Limits::default();
        let whole = outcome(&input, &limits, &mut Vec::new());
        let prefix = outcome(&input[..split.index(input.len() + 1)], &limits, &mut Vec::new());
        // A prefix may stop before the bytes that decide the outcome
        // (Incomplete); one that holds them decides as the whole does.
        prop_assert!(prefix == Ok(None) || prefix == whole, "prefix {:?}, whole {:?}", prefix, whole);
    }

    #[test]
    fn chunk_shaped_bytes_decode_the_same_whole_or_fed_bytewise(input in shaped(CHUNK_PIECES), max_data in 1usize..8) {
        let limits = Limits { max_body_bytes: 1024, max_chunk_line: 32, ..Limits::default() };
        let whole = decode_whole(&input, max_data, &limits);
        let fed = decode_bytewise(&input, &limits);
        match (&whole, &fed) {
            (Err(a), Err(b)) => prop_assert_eq!(a.status(), b.status()),
            _ => prop_assert_eq!(&whole, &fed),
        }
    }

    #[test]
    fn generated_requests_parse_back_to_their_fields_and_body(request in request(), split: Index, max_data in 1usize..300) {
        let head = request.head(&request.lines());
        let body = request.wire_body();
        let wire = [&head[..], &body].concat();
        let limits = Limits::default();
        prop_assert_eq!(outcome(&wire, &limits, &mut Vec::new()), Ok(Some(request.expected(head.len()))));
        prop_assert_eq!(outcome(&head[..split.index(head.len())], &limits, &mut Vec::new()), Ok(None));
        if let Framing::Chunked(..) = request.framing {
            let decoded = Some((request.body.clone(), body.len()));
            prop_assert_eq!(decode_whole(&body, max_data, &limits), Ok(decoded.clone()));
            prop_assert_eq!(decode_bytewise(&body, &limits), Ok(decoded));
        }
    }

    #[test]
    fn cr_inside_a_field_value_is_a_line_ending_error(request in request_with_extra(), at: Index, split: Index) {
        let mut request = request;
        let raw = &mut request.extras.last_mut().unwrap().1;
        raw.insert(at.index(raw.len() + 1), b'\r');
        assert_mutation_rejected(&request.head(&request.lines()), ParseError::LineEnding, split)?;
    }

    #[test]
    fn nul_inside_a_field_value_is_a_field_value_error(request in request_with_extra(), at: Index, split: Index) {
        let mut request = request;
        let raw = &mut request.extras.last_mut().unwrap().1;
        raw.insert(at.index(raw.len() + 1), b'\0');
        assert_mutation_rejected(&request.head(&request.lines()), ParseError::FieldValue, split)?;
    }

    #[test]
    fn space_before_a_colon_is_rejected(request in request_with_extra(), which: Index, split: Index) {
        let mut lines = request.lines();
        let line = which.index(lines.len());
        lines[line].0.push(' ');
        assert_mutation_rejected(&request.head(&lines), ParseError::WhitespaceBeforeColon, split)?;
    }

    #[test]
    fn a_second_different_content_length_is_rejected(request in request(), split: Index) {
        let mut request = request;
        request.framing = Framing::Length;
        let mut lines = request.lines();
        lines.push(("Content-Length".to_owned(), format!(" {}", request.body.len() + 1).into_bytes()));
        assert_mutation_rejected(&request.head(&lines), ParseError::ContentLength, split)?;
    }

    #[test]
    fn a_plus_sign_in_content_length_is_rejected(request in request(), split: Index) {
        let mut request = request;
        request.framing = Framing::Length;
        let mut lines = request.lines();
        let length = lines.last_mut().unwrap();
        length.1.insert(0, b'+');
        assert_mutation_rejected(&request.head(&lines), ParseError::ContentLength, split)?;
    }

    #[test]
    fn a_bare_lf_ending_any_head_line_is_rejected(request in request(), which: Index, split: Index) {
        let mut head = request.head(&request.lines());
        let crs: Vec<usize> = head.windows(2).enumerate().filter(|(_, w)| w == b"\r\n").map(|(i, _)| i).collect();
        head.remove(crs[which.index(crs.len())]);
        assert_mutation_rejected(&head, ParseError::LineEnding, split)?;
    }

    #[test]
    fn a_byte_outside_rfc_3986_in_the_target_is_rejected(request in request(), bad in prop_oneof![0u8..0x20, 0x7fu8..=0xff, select(&b"\"#<>\\^`{|}"[..])], at: Index, split: Index) {
        let mut request = request;
        request.target.insert(at.index(request.target.len() + 1), char::from(bad));
        let mut head = request.head(&request.lines());
        if bad >= 0x80 {
            // `char::from` wrote it as two UTF-8 bytes; put the raw byte back.
            let at = head.iter().position(|&b| b >= 0x80).unwrap();
            head.splice(at..at + 2, [bad]);
        }
        assert_mutation_rejected(&head, ParseError::Target, split)?;
    }

    #[test]
    fn generated_valid_chunk_extensions_are_accepted(chunks in chunks_with_extensions(), last in prop::collection::vec(chunk_ext(), 0..4), split: Index, max_data in 1usize..8) {
        let input = chunked_with_extensions(&chunks, &last);
        let body: Vec<u8> = chunks.iter().flat_map(|(data, _)| data.clone()).collect();
        let limits = Limits::default();
        let decoded = Some((body, input.len()));
        prop_assert_eq!(decode_whole(&input, max_data, &limits), Ok(decoded.clone()));
        prop_assert_eq!(decode_bytewise(&input, &limits), Ok(decoded));
        let end = split.index(input.len());
        prop_assert_eq!(decode_whole(&input[..end], max_data, &limits), Ok(None));
    }

    #[test]
    fn an_unterminated_quoted_chunk_extension_is_refused(chunks in chunks_with_extensions(), exts in prop::collection::vec(chunk_ext(), 0..3), bad in unterminated_chunk_ext(), on_last_chunk: bool, split: Index) {
        let mut chunks = chunks;
        let mut last = Vec::new();
        let line = if on_last_chunk || chunks.is_empty() {
            &mut last
        } else {
            &mut chunks.last_mut().unwrap().1
        };
        *line = exts;
        line.push(bad);
        let input = chunked_with_extensions(&chunks, &last);
        let limits = Limits::default();
        prop_assert_eq!(decode_whole(&input, usize::MAX, &limits), Err(ChunkError::Extension));
        prop_assert_eq!(decode_bytewise(&input, &limits), Err(ChunkError::Extension));
        let prefix = decode_whole(&input[..split.index(input.len())], usize::MAX, &limits);
        // Cut before the line ends, a closing quote could still come
        // (Incomplete); cut after, the open quote already fails.
        prop_assert!(prefix == Ok(None) || prefix == Err(ChunkError::Extension), "prefix gave {:?}", prefix);
    }

    #[test]
    fn a_method_longer_than_any_known_is_not_implemented(request in request(), token in overlong_method(), split: Index) {
        let mut request = request;
        request.method.0 = token;
        assert_mutation_rejected(&request.head(&request.lines()), ParseError::MethodTooLong, split)?;
    }
}
