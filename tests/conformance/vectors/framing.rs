//! Body-framing vectors (RFC 9112 §6.1, §6.3, §7; RFC 9110 §8.6): which of
//! Transfer-Encoding and Content-Length decides the body length, and every
//! ambiguous combination that must be refused rather than guessed at.

use http_from_scratch::config::Limits;

accepts! { accepted, Limits::default;
    no_framing_fields_means_no_body: b"POST / HTTP/1.1\r\nHost: a\r\n\r\n" => { body: None }, // RFC 9112 §6.3 rule 7
    content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n" => { body: Length(5) }, // RFC 9112 §6.3 rule 6
    content_length_zero: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n" => { body: Length(0) }, // RFC 9110 §8.6
    content_length_with_leading_zeros: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n" => { body: Length(7) }, // RFC 9110 §8.6 1*DIGIT
    content_length_name_ignores_case: b"POST / HTTP/1.1\r\nHost: a\r\ncontent-LENGTH: 5\r\n\r\n" => { body: Length(5) }, // RFC 9110 §5.1
    content_length_with_ows: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t 5 \t\r\n\r\n" => { body: Length(5) }, // RFC 9112 §5
    content_length_list_of_equal_values: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n" => { body: Length(5) }, // RFC 9110 §8.6
    content_length_list_without_spaces: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5,5\r\n\r\n" => { body: Length(5) }, // RFC 9110 §8.6
    content_length_on_two_equal_lines: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n" => { body: Length(5) }, // RFC 9110 §8.6
    content_length_at_max_body_bytes: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16777216\r\n\r\n" => { body: Length(16_777_216) }, // RFC 9110 §15.5.14
    content_length_in_http_1_0: b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n" => { body: Length(3), version: Http10 }, // RFC 9112 §6.3
    chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" => { body: Chunked }, // RFC 9112 §6.3 rule 4
    chunked_uppercase: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n" => { body: Chunked }, // RFC 9112 §7
    chunked_mixed_case: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n" => { body: Chunked }, // RFC 9112 §7
    chunked_with_surrounding_ows: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:   chunked   \r\n\r\n" => { body: Chunked }, // RFC 9112 §5
    chunked_after_empty_list_element: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n" => { body: Chunked }, // RFC 9110 §5.6.1
    chunked_with_an_empty_second_line: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n" => { body: Chunked }, // RFC 9110 §5.6.1
    transfer_encoding_name_ignores_case: b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n" => { body: Chunked }, // RFC 9110 §5.1
    get_may_have_a_body: b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n" => { method: Get, body: Length(2) }, // RFC 9110 §9.3.1
}

rejects! { rejected, Limits::default;
    transfer_encoding_with_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" => TransferEncodingWithContentLength 400, // RFC 9112 §6.3 rule 3
    content_length_with_transfer_encoding: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" => TransferEncodingWithContentLength 400, // RFC 9112 §6.1
    transfer_encoding_with_content_length_in_http_1_0: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" => TransferEncodingWithContentLength 400, // RFC 9112 §6.1
    transfer_encoding_in_http_1_0: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" => TransferEncodingInHttp10 400, // RFC 9112 §6.1
    gzip_alone: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.3 rule 4
    identity_alone: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.3 rule 4
    chunked_then_identity: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.3 rule 4
    chunked_then_gzip: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.3 rule 4
    gzip_then_chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" => UnsupportedTransferCoding 501, // RFC 9112 §6.1
    gzip_then_chunked_on_two_lines: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" => UnsupportedTransferCoding 501, // RFC 9110 §5.3
    chunked_twice_in_a_list: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §7
    chunked_on_two_lines: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §7
    empty_transfer_encoding: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.1
    transfer_coding_with_a_space: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §6.1
    chunked_with_a_parameter: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n" => ChunkedNotFinal 400, // RFC 9112 §7
    content_length_with_plus_sign: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    negative_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    hex_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_with_inner_space: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    decimal_point_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    non_ascii_digit_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xd9\xa5\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    empty_content_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_list_of_different_values: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_list_with_empty_element: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_on_two_different_lines: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n" => ContentLength 400, // RFC 9112 §6.3 rule 5
    content_length_overflowing_u64: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_one_past_u64_max: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n" => ContentLength 400, // RFC 9110 §8.6
    content_length_of_u64_max: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n" => ContentTooLarge 413, // RFC 9110 §15.5.14
    content_length_over_max_body_bytes: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16777217\r\n\r\n" => ContentTooLarge 413, // RFC 9110 §15.5.14
}
