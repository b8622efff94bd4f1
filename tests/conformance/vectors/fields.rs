//! Field-line vectors (RFC 9112 §2.2, §5, §5.1, §5.2; RFC 9110 §5.1, §5.5,
//! §5.6.2): field-name tokens, the colon, obs-fold, which bytes a value may
//! hold, OWS trimming, and CRLF as the only line ending.

use http_from_scratch::config::Limits;

accepts! { accepted, Limits::default;
    field_value_is_found_by_name: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n" => { fields: 2, value: ("x-a", b"1") }, // RFC 9110 §5.1
    field_name_lookup_ignores_case: b"GET / HTTP/1.1\r\nhOsT: a\r\nx-A: 1\r\n\r\n" => { host: Some("a"), value: ("X-a", b"1") }, // RFC 9110 §5.1
    field_name_may_use_every_tchar: b"GET / HTTP/1.1\r\nHost: a\r\nX!#$%&'*+-.^_`|~9: v\r\n\r\n" => { value: ("x!#$%&'*+-.^_`|~9", b"v") }, // RFC 9110 §5.6.2
    value_without_space_after_colon: b"GET / HTTP/1.1\r\nHost: a\r\nX-A:v\r\n\r\n" => { value: ("x-a", b"v") }, // RFC 9112 §5
    leading_and_trailing_spaces_are_trimmed: b"GET / HTTP/1.1\r\nHost: a\r\nX-A:   v w   \r\n\r\n" => { value: ("x-a", b"v w") }, // RFC 9112 §5
    leading_and_trailing_tabs_are_trimmed: b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\t v\t \t\r\n\r\n" => { value: ("x-a", b"v") }, // RFC 9112 §5
    empty_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\r\n" => { value: ("x-a", b"") }, // RFC 9110 §5.5
    whitespace_only_value_is_empty: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: \t \r\n\r\n" => { value: ("x-a", b"") }, // RFC 9112 §5
    inner_spaces_are_kept: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a  b\r\n\r\n" => { value: ("x-a", b"a  b") }, // RFC 9110 §5.5
    inner_tab_is_kept: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\tb\r\n\r\n" => { value: ("x-a", b"a\tb") }, // RFC 9110 §5.5
    obs_text_0x80_is_allowed: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: \x80\r\n\r\n" => { value: ("x-a", b"\x80") }, // RFC 9110 §5.5
    obs_text_0xff_is_allowed: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\xffb\r\n\r\n" => { value: ("x-a", b"a\xffb") }, // RFC 9110 §5.5
    utf8_bytes_are_obs_text: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xc3\xa9\r\n\r\n" => { value: ("x-a", b"caf\xc3\xa9") }, // RFC 9110 §5.5
    colons_inside_a_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a:b::c\r\n\r\n" => { value: ("x-a", b"a:b::c") }, // RFC 9112 §5
    quotes_and_backslashes_inside_a_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: \"q\\\"\"\r\n\r\n" => { value: ("x-a", b"\"q\\\"\"") }, // RFC 9110 §5.6.4
    every_visible_ascii_byte_in_a_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\r\n\r\n" => { value: ("x-a", b"!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~") }, // RFC 9110 §5.5
    repeated_field_lines_are_all_kept: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-A: 2\r\n\r\n" => { fields: 3, value: ("x-a", b"1") }, // RFC 9110 §5.3
    head_without_fields_in_http_1_0: b"GET / HTTP/1.0\r\n\r\n" => { fields: 0 }, // RFC 9112 §2.1
}

rejects! { rejected, Limits::default;
    space_before_colon: b"GET / HTTP/1.1\r\nHost : a\r\n\r\n" => WhitespaceBeforeColon 400, // RFC 9112 §5.1
    tab_before_colon: b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n" => WhitespaceBeforeColon 400, // RFC 9112 §5.1
    space_inside_name: b"GET / HTTP/1.1\r\nX A: a\r\n\r\n" => WhitespaceBeforeColon 400, // RFC 9112 §5.1
    missing_colon: b"GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n" => MissingColon 400, // RFC 9112 §5
    empty_field_name: b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.1
    paren_in_name: b"GET / HTTP/1.1\r\nX(A): v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    quote_in_name: b"GET / HTTP/1.1\r\nX\"A: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    slash_in_name: b"GET / HTTP/1.1\r\nX/A: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    at_sign_in_name: b"GET / HTTP/1.1\r\nX@A: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    bracket_in_name: b"GET / HTTP/1.1\r\nX[A]: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    equals_in_name: b"GET / HTTP/1.1\r\nX=A: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    nul_in_name: b"GET / HTTP/1.1\r\nX\0A: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    del_in_name: b"GET / HTTP/1.1\r\nX\x7fA: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    non_ascii_in_name: b"GET / HTTP/1.1\r\nX\xc3\xa9: v\r\n\r\n" => FieldName 400, // RFC 9110 §5.6.2
    obs_fold_with_space: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n" => ObsFold 400, // RFC 9112 §5.2
    obs_fold_with_tab: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n" => ObsFold 400, // RFC 9112 §5.2
    whitespace_before_first_field: b"GET / HTTP/1.1\r\n Host: a\r\n\r\n" => ObsFold 400, // RFC 9112 §2.2
    nul_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    soh_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: \x01\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    backspace_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x08\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    vertical_tab_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x0bb\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    form_feed_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x0cb\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    escape_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: \x1b[0m\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    unit_separator_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x1f\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    del_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n" => FieldValue 400, // RFC 9110 §5.5
    bare_cr_inside_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_inside_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nb\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_ends_field_line: b"GET / HTTP/1.1\r\nHost: a\nX-A: 1\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    cr_cr_lf_ends_field_line: b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_as_empty_line: b"GET / HTTP/1.1\r\nHost: a\r\n\n" => LineEnding 400, // RFC 9112 §2.2
    bare_cr_as_empty_line: b"GET / HTTP/1.1\r\nHost: a\r\n\rX" => LineEnding 400, // RFC 9112 §2.2
    bare_lf_after_empty_value: b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\n\r\n" => LineEnding 400, // RFC 9112 §2.2
}
