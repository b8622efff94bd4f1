//! Request-line vectors (RFC 9112 §2.2, §3, §3.2; RFC 9110 §5.6.2, §9):
//! method tokens, the single spaces, the four target forms and the bytes a
//! target may hold, versions, and empty lines before the request line.

use http_from_scratch::config::Limits;
use http_from_scratch::http::parse::ParseError;

accepts! { accepted, Limits::default;
    get_origin_form_root: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Get, token: "GET", target: "/", form: Origin, path: "/", version: Http11 }, // RFC 9112 §3
    head_is_known: b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Head }, // RFC 9110 §9.3.2
    post_is_known: b"POST / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Post }, // RFC 9110 §9.3.3
    put_is_known: b"PUT / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Put }, // RFC 9110 §9.3.4
    delete_is_known: b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Delete }, // RFC 9110 §9.3.5
    options_is_known: b"OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Options }, // RFC 9110 §9.3.7
    trace_is_known: b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Trace }, // RFC 9110 §9.3.8
    patch_is_known: b"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Patch }, // RFC 5789
    lowercase_get_is_an_unknown_method: b"get / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "get" }, // RFC 9110 §9.1 case-sensitive
    mixed_case_get_is_an_unknown_method: b"Get / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "Get" }, // RFC 9110 §9.1
    extension_method_is_unknown: b"MKCOL /d HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "MKCOL" }, // RFC 9110 §9.1
    unknown_method_as_long_as_the_longest_known: b"OPTIONZ / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "OPTIONZ" }, // RFC 9110 §9.1
    method_may_use_tchar_symbols: b"!#$%& / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "!#$%&" }, // RFC 9110 §5.6.2
    method_may_use_more_tchar_symbols: b"'*+-. / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "'*+-." }, // RFC 9110 §5.6.2
    method_may_use_the_last_tchar_symbols: b"^_`|~ / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "^_`|~" }, // RFC 9110 §5.6.2
    method_may_be_digits: b"123 / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Unknown, token: "123" }, // RFC 9110 §5.6.2
    origin_form_with_query: b"GET /search?q=rust&page=2 HTTP/1.1\r\nHost: a\r\n\r\n" => { form: Origin, path: "/search?q=rust&page=2" }, // RFC 9112 §3.2.1
    origin_form_with_empty_query: b"GET /? HTTP/1.1\r\nHost: a\r\n\r\n" => { path: "/?" }, // RFC 9112 §3.2.1
    origin_form_with_sub_delims: b"GET /a;b=c/!$&'()*+,=:@ HTTP/1.1\r\nHost: a\r\n\r\n" => { target: "/a;b=c/!$&'()*+,=:@" }, // RFC 3986 §3.3 via RFC 9112 §3.2
    origin_form_with_unreserved: b"GET /~user/a-b_c.d HTTP/1.1\r\nHost: a\r\n\r\n" => { target: "/~user/a-b_c.d" }, // RFC 3986 §2.3
    origin_form_keeps_escapes_undecoded: b"GET /a%20b%2Fc%2f HTTP/1.1\r\nHost: a\r\n\r\n" => { path: "/a%20b%2Fc%2f" }, // RFC 3986 §2.1
    query_may_hold_slash_and_question_mark: b"GET /p?a=/b?c HTTP/1.1\r\nHost: a\r\n\r\n" => { path: "/p?a=/b?c" }, // RFC 3986 §3.4
    origin_form_with_double_slash: b"GET //x HTTP/1.1\r\nHost: a\r\n\r\n" => { form: Origin, path: "//x" }, // RFC 9112 §3.2.1
    dot_segments_are_left_for_the_router: b"GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n" => { path: "/a/../b" }, // RFC 9112 §3.2.1
    absolute_form_http: b"GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n" => { form: Absolute, path: "/x?y", host: Some("example.com") }, // RFC 9112 §3.2.2
    absolute_form_https: b"GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n" => { form: Absolute, path: "/" }, // RFC 9112 §3.2.2
    absolute_form_scheme_is_case_insensitive: b"GET HTTP://Example.COM/a HTTP/1.1\r\nHost: x\r\n\r\n" => { form: Absolute, host: Some("Example.COM"), path: "/a" }, // RFC 3986 §3.1
    absolute_form_without_path: b"GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n" => { form: Absolute, path: "" }, // RFC 9112 §3.2.1
    absolute_form_with_query_and_no_path: b"GET http://example.com?q HTTP/1.1\r\nHost: x\r\n\r\n" => { path: "?q" }, // RFC 9112 §3.2.1
    absolute_form_with_port: b"GET http://example.com:8080/ HTTP/1.1\r\nHost: x\r\n\r\n" => { host: Some("example.com:8080") }, // RFC 9112 §3.2.2
    absolute_form_with_ipv6_literal: b"GET http://[::1]:8080/x HTTP/1.1\r\nHost: x\r\n\r\n" => { host: Some("[::1]:8080"), path: "/x" }, // RFC 3986 §3.2.2
    absolute_form_authority_overrides_host: b"GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n" => { host: Some("a.example"), value: ("host", b"b.example") }, // RFC 9112 §3.2.2
    asterisk_form_with_options: b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Options, form: Asterisk, path: "*" }, // RFC 9112 §3.2.4
    options_in_absolute_form: b"OPTIONS http://example.com HTTP/1.1\r\nHost: x\r\n\r\n" => { form: Absolute, path: "" }, // RFC 9112 §3.2.4
    authority_form_with_connect: b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" => { method: Connect, form: Authority, path: "example.com:443" }, // RFC 9112 §3.2.3
    authority_form_with_ipv6_literal: b"CONNECT [::1]:443 HTTP/1.1\r\nHost: a\r\n\r\n" => { form: Authority, target: "[::1]:443" }, // RFC 9112 §3.2.3
    http_1_0: b"GET / HTTP/1.0\r\n\r\n" => { version: Http10, host: None }, // RFC 9112 §2.3
    http_1_1: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => { version: Http11 }, // RFC 9112 §2.3
    http_1_2_is_served_as_1_1: b"GET / HTTP/1.2\r\nHost: a\r\n\r\n" => { version: Http11 }, // RFC 9110 §2.5
    http_1_9_is_served_as_1_1: b"GET / HTTP/1.9\r\nHost: a\r\n\r\n" => { version: Http11 }, // RFC 9110 §2.5
}

// Left out of the prefix sweep: the prefix b"\r" is rejected (see report).
accepts! { after_empty_lines, Limits::default;
    one_empty_line_before_request_line_is_ignored: b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Get, target: "/" }, // RFC 9112 §2.2
    several_empty_lines_before_request_line_are_ignored: b"\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" => { method: Get }, // RFC 9112 §2.2
}

rejects! { rejected, Limits::default;
    empty_method: b" / HTTP/1.1\r\nHost: a\r\n\r\n" => Method 400, // RFC 9112 §3
    tab_after_method: b"GET\t/ HTTP/1.1\r\n" => Method 400, // RFC 9112 §3
    paren_in_method: b"GE(T / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    slash_in_method: b"GE/T / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    at_sign_in_method: b"G@T / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    colon_after_method: b"GET: / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    nul_in_method: b"G\0T / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    del_in_method: b"GE\x7fT / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    non_ascii_in_method: b"G\xc3\x89T / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    request_line_of_method_only: b"GET\r\n\r\n" => Method 400, // RFC 9112 §3
    non_token_byte_right_after_the_longest_method_length: b"OPTIONS\0 / HTTP/1.1\r\n" => Method 400, // RFC 9110 §5.6.2
    method_longer_than_any_known: b"PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n" => MethodTooLong 501, // RFC 9110 §9.1, §15.6.2
    method_one_byte_longer_than_options: b"OPTIONSS / HTTP/1.1\r\nHost: a\r\n\r\n" => MethodTooLong 501, // RFC 9110 §15.6.2
    overlong_method_of_every_tchar_symbol: b"!#$%&'*+-.^_`|~ / HTTP/1.1\r\nHost: a\r\n\r\n" => MethodTooLong 501, // RFC 9110 §15.6.2
    unfinished_method_longer_than_any_known: b"PROPFIND" => MethodTooLong 501, // RFC 9110 §15.6.2, not 414 (§15.5.15 is about the target)
    overlong_method_then_a_non_token_byte: b"PROPFIND\0 / HTTP/1.1\r\n" => MethodTooLong 501, // RFC 9110 §15.6.2, known at the 8th byte
    overlong_lowercase_method: b"propfind / HTTP/1.1\r\nHost: a\r\n\r\n" => MethodTooLong 501, // RFC 9110 §9.1 case-sensitive
    overlong_method_after_empty_lines: b"\r\nPROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n" => MethodTooLong 501, // RFC 9112 §2.2
    two_spaces_after_method: b"GET  / HTTP/1.1\r\n" => Target 400, // RFC 9112 §3 single SP
    two_spaces_before_version: b"GET /  HTTP/1.1\r\n" => Version 400, // RFC 9112 §3 single SP
    raw_space_in_target: b"GET /a b HTTP/1.1\r\n" => Version 400, // RFC 9112 §3.2
    tab_in_target: b"GET /a\tb HTTP/1.1\r\n" => Target 400, // RFC 9112 §3.2
    nul_in_target: b"GET /a\0 HTTP/1.1\r\n" => Target 400, // RFC 9112 §3.2
    ctl_in_target: b"GET /a\x01 HTTP/1.1\r\n" => Target 400, // RFC 9112 §3.2
    del_in_target: b"GET /a\x7f HTTP/1.1\r\n" => Target 400, // RFC 9112 §3.2
    raw_utf8_in_target: b"GET /caf\xc3\xa9 HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    raw_latin1_in_target: b"GET /\xff HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    fragment_in_target: b"GET /a#frag HTTP/1.1\r\n" => Target 400, // RFC 9112 §3.2
    less_than_in_target: b"GET /<a HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    greater_than_in_target: b"GET /a> HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    double_quote_in_target: b"GET /\"a\" HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    backslash_in_target: b"GET /a\\b HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    caret_in_target: b"GET /a^b HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    backtick_in_target: b"GET /a`b HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    braces_in_target: b"GET /{a} HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    pipe_in_target: b"GET /a|b HTTP/1.1\r\n" => Target 400, // RFC 3986 §2
    brackets_in_origin_path: b"GET /a[1] HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 3986 §3.3
    percent_with_non_hex_digits: b"GET /%zz HTTP/1.1\r\n" => Target 400, // RFC 3986 §2.1
    percent_with_one_hex_digit: b"GET /%4 HTTP/1.1\r\n" => Target 400, // RFC 3986 §2.1
    percent_with_second_digit_bad: b"GET /%4g HTTP/1.1\r\n" => Target 400, // RFC 3986 §2.1
    lone_percent_at_target_end: b"GET /% HTTP/1.1\r\n" => Target 400, // RFC 3986 §2.1
    request_line_without_version: b"GET /\r\n\r\n" => Target 400, // RFC 9112 §3
    missing_target: b"GET HTTP/1.1\r\n\r\n" => Target 400, // RFC 9112 §3
    relative_target: b"GET a/b HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2
    query_only_target: b"GET ?q HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.1
    asterisk_with_get: b"GET * HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.4
    asterisk_with_unknown_method: b"FOO * HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.4
    asterisk_with_suffix: b"OPTIONS */x HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.4
    absolute_form_with_other_scheme: b"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.2
    absolute_form_with_empty_authority: b"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9110 §4.2.1
    absolute_form_with_userinfo: b"GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9110 §4.2.4
    absolute_form_with_bad_port: b"GET http://a:80x/ HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 3986 §3.2.3
    absolute_form_with_brackets_in_path: b"GET http://a/[x] HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 3986 §3.3
    connect_with_origin_form: b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.3
    connect_without_port: b"CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.3
    connect_without_host: b"CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.3
    connect_with_absolute_form: b"CONNECT http://a:80 HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.3
    connect_with_asterisk: b"CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n" => Target 400, // RFC 9112 §3.2.3
    lowercase_protocol_name: b"GET / http/1.1\r\n" => Version 400, // RFC 9112 §2.3 case-sensitive
    version_without_minor: b"GET / HTTP/1\r\n" => Version 400, // RFC 9112 §2.3
    version_with_empty_minor: b"GET / HTTP/1.\r\n" => Version 400, // RFC 9112 §2.3
    version_without_dot: b"GET / HTTP/11\r\n" => Version 400, // RFC 9112 §2.3
    version_with_comma: b"GET / HTTP/1,1\r\n" => Version 400, // RFC 9112 §2.3
    version_with_letter_minor: b"GET / HTTP/1.x\r\n" => Version 400, // RFC 9112 §2.3
    version_with_letter_major: b"GET / HTTP/a.1\r\n" => Version 400, // RFC 9112 §2.3
    https_as_protocol_name: b"GET / HTTPS/1.1\r\n" => Version 400, // RFC 9112 §2.3
    space_inside_version: b"GET / HTTP /1.1\r\n" => Version 400, // RFC 9112 §2.3
    http_2_0_is_unsupported: b"GET / HTTP/2.0\r\nHost: a\r\n\r\n" => UnsupportedVersion 505, // RFC 9110 §15.6.6
    http_3_0_is_unsupported: b"GET / HTTP/3.0\r\nHost: a\r\n\r\n" => UnsupportedVersion 505, // RFC 9110 §15.6.6
    http_0_9_is_unsupported: b"GET / HTTP/0.9\r\n\r\n" => UnsupportedVersion 505, // RFC 9110 §15.6.6
    bare_lf_after_version: b"GET / HTTP/1.1\nHost: a\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    bare_cr_after_version: b"GET / HTTP/1.1\rHost: a\r\n\r\n" => LineEnding 400, // RFC 9112 §2.2
    lf_only_message: b"GET / HTTP/1.1\nHost: a\n\n" => LineEnding 400, // RFC 9112 §2.2
}

/// A byte other than CR or LF after `HTTP/d.d` makes the version token
/// malformed: `ParseError::Version`, 400 (RFC 9112 §2.3).
#[test]
fn junk_after_a_well_formed_version_is_a_version_error() {
    let inputs: [&[u8]; 4] = [
        b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\t\r\nHost: a\r\n\r\n",
    ];
    for input in inputs {
        let mut spans = Vec::new();
        let got =
            http_from_scratch::http::parse::parse_request(input, &Limits::default(), &mut spans);
        let error = got.expect_err("junk after the version must be rejected");
        assert_eq!(
            (error, error.status().0),
            (ParseError::Version, 400),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// A bare LF or CR before the request line is a line-ending error, like a
/// bare LF anywhere else (RFC 9112 §2.2).
#[test]
fn bare_line_endings_before_the_request_line_are_line_ending_errors() {
    let inputs: [&[u8]; 3] = [
        b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ];
    for input in inputs {
        let mut spans = Vec::new();
        let got =
            http_from_scratch::http::parse::parse_request(input, &Limits::default(), &mut spans);
        assert_eq!(
            got.err(),
            Some(ParseError::LineEnding),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}
