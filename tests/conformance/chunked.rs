//! Chunked transfer coding (RFC 9112 §7.1, §7.1.1, §7.1.2): bodies that must
//! decode to given bytes, whole, in 1-byte data steps and fed one byte at a
//! time; bodies that must fail with a given `ChunkError` and status.

use http_from_scratch::config::Limits;
use http_from_scratch::http::body::{ChunkError, ChunkedDecoder, Step};

/// A finished decode: the body and how many input bytes it took.
pub type Decoded = (Vec<u8>, usize);

/// Decodes `input` handed over whole; `Ok(None)` if it needs more bytes.
pub fn decode_whole(
    input: &[u8],
    max_data: usize,
    limits: &Limits,
) -> Result<Option<Decoded>, ChunkError> {
    let mut decoder = ChunkedDecoder::new();
    let (mut pos, mut body) = (0, Vec::new());
    loop {
        match decoder.step(&input[pos..], max_data, limits)? {
            Step::Skip(n) => pos += n,
            Step::Data(n) => {
                assert!(
                    n >= 1 && n <= max_data,
                    "Data({n}) with max_data {max_data}"
                );
                body.extend_from_slice(&input[pos..pos + n]);
                pos += n;
            }
            Step::NeedMore => return Ok(None),
            Step::Done(n) => {
                assert!(decoder.is_done());
                return Ok(Some((body, pos + n)));
            }
        }
    }
}

/// Decodes `input` as a trickling client sends it: one byte is appended to
/// the buffer each time the decoder asks for more.
pub fn decode_bytewise(input: &[u8], limits: &Limits) -> Result<Option<Decoded>, ChunkError> {
    let mut decoder = ChunkedDecoder::new();
    let (mut buf, mut pos, mut body) = (Vec::new(), 0, Vec::new());
    loop {
        match decoder.step(&buf[pos..], usize::MAX, limits)? {
            Step::Skip(n) => pos += n,
            Step::Data(n) => {
                body.extend_from_slice(&buf[pos..pos + n]);
                pos += n;
            }
            Step::NeedMore if buf.len() == input.len() => return Ok(None),
            Step::NeedMore => buf.push(input[buf.len()]),
            Step::Done(n) => return Ok(Some((body, pos + n))),
        }
    }
}

fn assert_decodes(input: &[u8], body: &[u8], limits: &Limits) {
    let whole = Some((body.to_vec(), input.len()));
    assert_eq!(
        decode_whole(input, usize::MAX, limits),
        Ok(whole.clone()),
        "whole"
    );
    assert_eq!(
        decode_whole(input, 1, limits),
        Ok(whole.clone()),
        "1-byte data steps"
    );
    assert_eq!(
        decode_bytewise(input, limits),
        Ok(whole.clone()),
        "fed one byte at a time"
    );
    let followed = [input, b"GET / HTTP/1.1\r\n"].concat();
    assert_eq!(
        decode_whole(&followed, usize::MAX, limits),
        Ok(whole),
        "followed by more bytes"
    );
    for end in 0..input.len() {
        assert_eq!(
            decode_whole(&input[..end], usize::MAX, limits),
            Ok(None),
            "prefix of {end} bytes"
        );
    }
}

fn assert_refused(input: &[u8], error: ChunkError, status: u16, limits: &Limits) {
    assert_eq!(decode_whole(input, usize::MAX, limits), Err(error), "whole");
    assert_eq!(
        decode_whole(input, 1, limits),
        Err(error),
        "1-byte data steps"
    );
    assert_eq!(error.status().0, status, "status of {error:?}");
    // Fed byte by byte it must fail too, and be answered the same way.
    let fed = decode_bytewise(input, limits).expect_err("fed one byte at a time");
    assert_eq!(fed.status().0, status, "fed one byte at a time: {fed:?}");
    // A prefix cut before the offending byte could still become a valid
    // body, so it needs more; one that holds it already fails, and so does
    // every longer one.
    let mut failed_from = None;
    for end in 0..input.len() {
        let got = decode_whole(&input[..end], usize::MAX, limits);
        match (&got, failed_from) {
            (Ok(None), None) => {}
            (Err(e), _) if *e == error => {
                failed_from.get_or_insert(end);
            }
            _ => panic!("prefix of {end} bytes gave {got:?} (failing from {failed_from:?})"),
        }
    }
}

/// `decodes! { module, limits_fn; name: b"chunked body" => b"decoded", }`
macro_rules! decodes {
    ($module:ident, $limits:expr; $($name:ident: $input:literal => $body:literal),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(#[test] fn $name() { super::assert_decodes($input, $body, &($limits)()) })*
        }
    };
}

/// `refuses! { module, limits_fn; name: b"chunked body" => Variant(Inner)? status, }`
macro_rules! refuses {
    ($module:ident, $limits:expr;
     $($name:ident: $input:literal => $error:ident $(($inner:ident))? $status:literal),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use http_from_scratch::http::parse::ParseError;
            $(#[test] fn $name() {
                let error = ChunkError::$error $((ParseError::$inner))?;
                super::assert_refused($input, error, $status, &($limits)())
            })*
        }
    };
}

/// Bodies of up to 10 bytes.
fn small_body() -> Limits {
    Limits {
        max_body_bytes: 10,
        ..Limits::default()
    }
}

/// Chunk-size lines and trailer lines of up to 16 bytes.
fn short_lines() -> Limits {
    Limits {
        max_chunk_line: 16,
        max_field_line: 16,
        ..Limits::default()
    }
}

/// One trailer field at most.
fn one_trailer() -> Limits {
    Limits {
        max_fields: 1,
        ..Limits::default()
    }
}

/// A trailer section of up to 32 bytes.
fn small_trailers() -> Limits {
    Limits {
        max_head_bytes: 32,
        ..Limits::default()
    }
}

decodes! { valid, Limits::default;
    one_chunk: b"5\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1
    two_chunks: b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" => b"hello world", // RFC 9112 §7.1
    empty_body: b"0\r\n\r\n" => b"", // RFC 9112 §7.1
    one_byte_chunks: b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n" => b"abc", // RFC 9112 §7.1
    uppercase_hex_size: b"A\r\n0123456789\r\n0\r\n\r\n" => b"0123456789", // RFC 9112 §7.1 HEXDIG
    lowercase_hex_size: b"a\r\n0123456789\r\n0\r\n\r\n" => b"0123456789", // RFC 9112 §7.1
    two_digit_mixed_case_size: b"1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n" => b"abcdefghijklmnopqrstuvwxyz", // RFC 9112 §7.1
    size_with_leading_zeros: b"0005\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1 1*HEXDIG
    size_of_sixteen_digits: b"0000000000000005\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1
    last_chunk_of_several_zeros: b"000\r\n\r\n" => b"", // RFC 9112 §7.1 last-chunk = 1*("0")
    extension_with_value: b"5;name=value\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    extension_with_quoted_value: b"5;name=\"a b;c\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    extension_without_value: b"5;flag\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    several_extensions: b"5;a=1;b=2\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    space_before_extension: b"5 ;a=1\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    tab_before_extension: b"5\t;a\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    spaces_around_extension_equals: b"5;a = 1\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    extension_on_last_chunk: b"5\r\nhello\r\n0;done\r\n\r\n" => b"hello", // RFC 9112 §7.1
    one_trailer_field: b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n" => b"hello", // RFC 9112 §7.1.2
    two_trailer_fields: b"0\r\nX-A: 1\r\nX-B: 2\r\n\r\n" => b"", // RFC 9112 §7.1.2
    trailer_with_empty_value: b"0\r\nX-Empty:\r\n\r\n" => b"", // RFC 9112 §7.1.2
    data_holding_crlfs: b"4\r\n\r\n\r\n\r\n0\r\n\r\n" => b"\r\n\r\n", // RFC 9112 §7.1 chunk-data is opaque
    data_holding_a_last_chunk: b"5\r\n0\r\n\r\n\r\n0\r\n\r\n" => b"0\r\n\r\n", // RFC 9112 §7.1
    binary_data: b"4\r\n\0\xff\n\r\r\n0\r\n\r\n" => b"\0\xff\n\r", // RFC 9112 §7.1
}

decodes! { valid_small_body, small_body;
    body_of_exactly_the_limit: b"a\r\n0123456789\r\n0\r\n\r\n" => b"0123456789", // RFC 9110 §15.5.14
    chunks_adding_up_to_the_limit: b"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n" => b"0123456789", // RFC 9110 §15.5.14
}

decodes! { valid_short_lines, short_lines;
    chunk_line_one_under_the_limit: b"5;aaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    trailer_line_one_under_the_limit: b"0\r\nX-Sum: 12345678\r\n\r\n" => b"", // RFC 9112 §7.1.2
}

decodes! { valid_one_trailer, one_trailer;
    trailer_count_at_the_limit: b"0\r\nX-Sum: 1\r\n\r\n" => b"", // RFC 9112 §7.1.2
}

refuses! { invalid, Limits::default;
    data_not_followed_by_crlf: b"5\r\nhelloX\r\n0\r\n\r\n" => DataEnd 400, // RFC 9112 §7.1
    data_followed_by_bare_lf: b"5\r\nhello\n0\r\n\r\n" => DataEnd 400, // RFC 9112 §2.2
    data_followed_by_bare_cr: b"5\r\nhello\rX0\r\n\r\n" => DataEnd 400, // RFC 9112 §2.2
    chunk_longer_than_its_size: b"3\r\nhello\r\n0\r\n\r\n" => DataEnd 400, // RFC 9112 §7.1
    non_hex_size: b"zz\r\nhello\r\n0\r\n\r\n" => Size 400, // RFC 9112 §7.1
    negative_size: b"-5\r\nhello\r\n0\r\n\r\n" => Size 400, // RFC 9112 §7.1
    size_with_plus_sign: b"+5\r\nhello\r\n0\r\n\r\n" => Size 400, // RFC 9112 §7.1
    empty_size_line: b"\r\nhello\r\n0\r\n\r\n" => Size 400, // RFC 9112 §7.1
    extension_without_size: b";a=b\r\nhello\r\n0\r\n\r\n" => Size 400, // RFC 9112 §7.1
    size_of_seventeen_hex_digits: b"10000000000000000\r\nhello\r\n" => Size 400, // RFC 9112 §7.1 overflow
    size_with_hex_prefix: b"0x5\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1
    junk_after_size: b"5g\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1
    space_after_size_without_extension: b"5 \r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    extension_without_semicolon: b"5 a=1\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    obs_text_in_unquoted_extension_value: b"5;a=\xff\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1 token
    ctl_in_extension: b"5;a=\x01\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    nul_in_extension: b"5;a\0\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    del_in_extension: b"5;a\x7f\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    bare_lf_after_size: b"5\nhello\r\n0\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_after_last_chunk: b"0\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_cr_in_size_line: b"5\rhello\r\n0\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    size_of_u64_max: b"ffffffffffffffff\r\nhello\r\n" => TooLarge 413, // RFC 9110 §15.5.14
    size_over_max_body_bytes: b"1000001\r\nhello\r\n" => TooLarge 413, // RFC 9110 §15.5.14
    trailer_ending_in_bare_lf: b"0\r\nX-Sum: 1\n\r\n" => Trailer(LineEnding) 400, // RFC 9112 §2.2
    trailer_section_ending_in_bare_lf: b"0\r\n\n" => Trailer(LineEnding) 400, // RFC 9112 §2.2
    trailer_with_space_before_colon: b"0\r\nX-Sum : 1\r\n\r\n" => Trailer(WhitespaceBeforeColon) 400, // RFC 9112 §5.1
    trailer_with_nul_in_value: b"0\r\nX-Sum: 1\0\r\n\r\n" => Trailer(FieldValue) 400, // RFC 9110 §5.5
    trailer_with_obs_fold: b"0\r\nX-Sum: 1\r\n 2\r\n\r\n" => Trailer(ObsFold) 400, // RFC 9112 §5.2
    trailer_without_colon: b"0\r\nX-Sum\r\n\r\n" => Trailer(MissingColon) 400, // RFC 9112 §5
    trailer_with_bad_name: b"0\r\nX(Sum): 1\r\n\r\n" => Trailer(FieldName) 400, // RFC 9110 §5.6.2
    trailer_with_empty_name: b"0\r\n: 1\r\n\r\n" => Trailer(FieldName) 400, // RFC 9110 §5.1
}

refuses! { invalid_small_body, small_body;
    chunks_adding_up_to_one_over_the_limit: b"8\r\n01234567\r\n3\r\nabc\r\n0\r\n\r\n" => TooLarge 413, // RFC 9110 §15.5.14
    one_chunk_over_the_limit: b"b\r\n0123456789a\r\n0\r\n\r\n" => TooLarge 413, // RFC 9110 §15.5.14
}

refuses! { invalid_short_lines, short_lines;
    complete_chunk_line_over_the_limit: b"5;aaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n" => LineTooLong 400, // RFC 9112 §7.1.1
    endless_chunk_line_over_the_limit: b"5;aaaaaaaaaaaaaaaaaa" => LineTooLong 400, // RFC 9112 §7.1.1
    trailer_line_over_the_limit: b"0\r\nX-Sum: 1234567890\r\n\r\n" => Trailer(FieldLineTooLong) 431, // RFC 6585 §5
}

refuses! { invalid_one_trailer, one_trailer;
    one_trailer_too_many: b"0\r\nX-A: 1\r\nX-B: 2\r\n\r\n" => Trailer(TooManyFields) 431, // RFC 6585 §5
}

refuses! { invalid_small_trailers, small_trailers;
    endless_trailer_section: b"0\r\nX-A: 0123456789012345678901234567" => Trailer(HeadTooLarge) 431, // RFC 6585 §5
}

// Chunk extensions (RFC 9112 §7.1.1): ignored when they follow the grammar,
// refused (400, and the connection closes) when they do not, so that no
// parser beside ours can find the chunk data somewhere else.
//
//   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-name = token
//   chunk-ext-val  = token / quoted-string    (RFC 9110 §5.6.4)

decodes! { valid_extensions, Limits::default;
    extension_name_of_every_tchar: b"5;!#$%&'*+-.^_`|~09azAZ\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.2
    extension_value_of_every_tchar: b"5;a=!#$%&'*+-.^_`|~09azAZ\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.2
    several_names_without_values: b"5;a;b;c\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    names_with_and_without_values: b"5;a;b=1;c\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    bws_on_both_sides_of_semicolon: b"5 \t; \tname\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    bws_on_both_sides_of_equals: b"5;a \t= \tb\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    bws_between_a_name_and_the_next_semicolon: b"5;a ;b\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    bws_between_a_value_and_the_next_semicolon: b"5;a=1\t;b=2\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    bws_between_a_quoted_value_and_the_next_semicolon: b"5;a=\"1\" ;b\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1 BWS
    empty_quoted_value: b"5;a=\"\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4
    quoted_value_holding_semicolon_equals_and_spaces: b"5;a=\" ;b=c\t\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 qdtext
    quoted_value_holding_obs_text: b"5;a=\"\x80\xff\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 obs-text
    quoted_pair_escaping_a_quote: b"5;a=\"x\\\"y\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 quoted-pair
    quoted_pair_escaping_a_backslash: b"5;a=\"x\\\\\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 quoted-pair
    quoted_pair_escaping_space_tab_and_obs_text: b"5;a=\"\\ \\\t\\\xff\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 quoted-pair
    quoted_pair_escaping_a_letter: b"5;a=\"\\n\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9110 §5.6.4 quoted-pair
    two_quoted_values: b"5;a=\"abc\";b=\"def; ghi\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
    quoted_value_on_last_chunk: b"5\r\nhello\r\n0;a=\"b c\"\r\n\r\n" => b"hello", // RFC 9112 §7.1
    extensions_on_last_chunk_before_trailers: b"0 ;a=1; b\r\nX-Sum: 1\r\n\r\n" => b"", // RFC 9112 §7.1
    extension_on_last_chunk_of_several_zeros: b"000;a=b\r\n\r\n" => b"", // RFC 9112 §7.1
}

decodes! { valid_extensions_short_lines, short_lines;
    quoted_chunk_line_of_exactly_the_limit: b"5;a=\"bcdefghijk\"\r\nhello\r\n0\r\n\r\n" => b"hello", // RFC 9112 §7.1.1
}

refuses! { invalid_extensions, Limits::default;
    semicolon_without_name: b"2;\r\nab\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1 chunk-ext-name = token
    semicolon_without_name_on_last_chunk: b"2\r\nab\r\n0;\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    semicolon_and_bws_without_name: b"2; \r\nab\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    empty_name_between_semicolons: b"5;a;;b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    semicolon_after_the_last_extension: b"5;a=1;\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    equals_without_name: b"5;=x\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    equals_alone: b"5;=\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    equals_without_value: b"5;a=\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1 chunk-ext-val
    equals_without_value_before_semicolon: b"5;a=;b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    two_equals: b"5;a==b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    equals_inside_token_value: b"5;a=b=c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    comma_between_extensions: b"5;a=1,b=2\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    space_inside_name: b"5;a b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    space_inside_token_value: b"5;a=b c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    bws_after_name_at_line_end: b"5;a \r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1 BWS only before ";" and around "="
    bws_after_equals_at_line_end: b"5;a= \r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    bws_after_token_value_at_line_end: b"5;a=b\t\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    bws_after_quoted_value_at_line_end: b"5;a=\"b\" \r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    paren_in_name: b"5;a(b)\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    slash_in_name: b"5;a/b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    colon_in_name: b"5;a:b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    at_sign_in_name: b"5;a@b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    brackets_in_name: b"5;[a]\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    braces_in_name: b"5;{a}\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    question_mark_in_name: b"5;a?\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    backslash_in_name: b"5;a\\b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    quoted_name: b"5;\"a\"=b\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1 chunk-ext-name = token
    obs_text_in_name: b"5;\xffa\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    tab_inside_name: b"5;a\tb=c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    slash_in_token_value: b"5;a=b/c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    comma_in_token_value: b"5;a=b,c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    parens_in_token_value: b"5;a=(b)\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.2
    quote_inside_token_value: b"5;a=b\"c\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4
    unterminated_quoted_value: b"5;a=\"abc\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4
    unterminated_quote_after_a_closed_one: b"5;a=\"abc\";b=\"def; ghi\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4
    unterminated_quote_on_last_chunk: b"5\r\nhello\r\n0;a=\"b\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4
    closing_quote_escaped: b"5;a=\"abc\\\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 quoted-pair
    backslash_before_the_line_end: b"5;a=\"abc\\\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 quoted-pair
    quoted_pair_of_nul: b"5;a=\"\\\0\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 quoted-pair
    quoted_pair_of_del: b"5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 quoted-pair
    nul_in_quoted_value: b"5;a=\"b\0\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 qdtext
    ctl_in_quoted_value: b"5;a=\"b\x1f\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 qdtext
    del_in_quoted_value: b"5;a=\"b\x7f\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9110 §5.6.4 qdtext
    bare_cr_in_quoted_value: b"5;a=\"b\rc\"\r\nhello\r\n0\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_in_quoted_value: b"5;a=\"b\nc\"\r\nhello\r\n0\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    token_right_after_quoted_value: b"5;a=\"b\"c\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
    quote_right_after_quoted_value: b"5;a=\"b\"\"c\"\r\nhello\r\n0\r\n\r\n" => Extension 400, // RFC 9112 §7.1.1
}

refuses! { invalid_extensions_short_lines, short_lines;
    quoted_chunk_line_one_over_the_limit: b"5;a=\"bcdefghijkl\"\r\nhello\r\n0\r\n\r\n" => LineTooLong 400, // RFC 9112 §7.1.1
    endless_quoted_value_over_the_limit: b"5;a=\"bcdefghijklmnopqrstuvwxyz" => LineTooLong 400, // RFC 9112 §7.1.1
}

#[test]
fn data_is_handed_out_at_most_max_data_bytes_at_a_time() {
    let input = b"5\r\nhello\r\n0\r\nX: 1\r\n\r\n";
    let (limits, mut decoder, mut pos, mut steps) =
        (Limits::default(), ChunkedDecoder::new(), 0, vec![]);
    while !decoder.is_done() {
        let step = decoder.step(&input[pos..], 2, &limits).expect("valid body");
        pos += match step {
            Step::Skip(n) | Step::Data(n) | Step::Done(n) => n,
            Step::NeedMore => panic!("the whole body was given"),
        };
        steps.push(step);
    }
    use Step::{Data, Done, Skip};
    assert_eq!(
        steps,
        [
            Skip(3),
            Data(2),
            Data(2),
            Data(1),
            Skip(2),
            Skip(3),
            Done(8)
        ]
    );
    assert_eq!(
        decoder.step(b"more", 2, &limits),
        Ok(Done(0)),
        "a finished decoder takes nothing"
    );
}
