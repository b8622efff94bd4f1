//! Vectors for the fields the parser gives meaning to besides framing
//! (RFC 9112 §3.2, §9.3; RFC 9110 §7.2, §7.6.1, §10.1.1): Host, Connection
//! and Expect.

use http_from_scratch::config::Limits;

accepts! { accepted, Limits::default;
    host_reg_name: b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n" => { host: Some("example.com") }, // RFC 9110 §7.2
    host_with_port: b"GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n" => { host: Some("example.com:8080") }, // RFC 9110 §7.2
    host_ipv4_with_port: b"GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n" => { host: Some("127.0.0.1:80") }, // RFC 3986 §3.2.2
    host_ipv6_literal: b"GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n" => { host: Some("[::1]") }, // RFC 3986 §3.2.2
    host_ipv6_literal_with_port: b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n" => { host: Some("[2001:db8::1]:443") }, // RFC 3986 §3.2.2
    host_ipv4_mapped_ipv6: b"GET / HTTP/1.1\r\nHost: [::ffff:192.0.2.1]\r\n\r\n" => { host: Some("[::ffff:192.0.2.1]") }, // RFC 3986 §3.2.2
    host_may_be_empty: b"GET / HTTP/1.1\r\nHost:\r\n\r\n" => { host: Some("") }, // RFC 9112 §3.2
    host_with_empty_port: b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n" => { host: Some("a:") }, // RFC 3986 §3.2.3 port = *DIGIT
    host_with_unreserved_bytes: b"GET / HTTP/1.1\r\nHost: a-b_c~d.e\r\n\r\n" => { host: Some("a-b_c~d.e") }, // RFC 3986 §3.2.2
    host_value_is_trimmed: b"GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n" => { host: Some("a") }, // RFC 9112 §5
    host_case_is_kept: b"GET / HTTP/1.1\r\nHost: ExAmple.COM\r\n\r\n" => { host: Some("ExAmple.COM") }, // RFC 9110 §4.2.3
    host_is_optional_in_http_1_0: b"GET / HTTP/1.0\r\n\r\n" => { host: None }, // RFC 9112 §3.2
    host_is_read_in_http_1_0: b"GET / HTTP/1.0\r\nHost: a\r\n\r\n" => { host: Some("a") }, // RFC 9112 §3.2
    absolute_form_supplies_host_in_http_1_0: b"GET http://a/ HTTP/1.0\r\n\r\n" => { host: Some("a") }, // RFC 9112 §3.2.2
    http_1_1_persists_by_default: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => { keep_alive: true }, // RFC 9112 §9.3
    http_1_1_close: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" => { keep_alive: false }, // RFC 9112 §9.6
    http_1_1_close_ignores_case: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: ClOsE\r\n\r\n" => { keep_alive: false }, // RFC 9110 §7.6.1
    http_1_1_close_in_a_list: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n" => { keep_alive: false }, // RFC 9110 §7.6.1
    http_1_1_close_on_a_second_line: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: close\r\n\r\n" => { keep_alive: false }, // RFC 9110 §5.3
    close_wins_over_keep_alive: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n" => { keep_alive: false }, // RFC 9112 §9.3
    http_1_1_keep_alive: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n" => { keep_alive: true }, // RFC 9112 §9.3
    http_1_1_other_connection_option: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n" => { keep_alive: true }, // RFC 9110 §7.6.1
    close_must_be_a_whole_element: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n" => { keep_alive: true }, // RFC 9110 §7.6.1
    http_1_2_persists_by_default: b"GET / HTTP/1.2\r\nHost: a\r\n\r\n" => { keep_alive: true }, // RFC 9112 §9.3
    http_1_0_closes_by_default: b"GET / HTTP/1.0\r\n\r\n" => { keep_alive: false }, // RFC 9112 §9.3
    http_1_0_keep_alive: b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" => { keep_alive: true }, // RFC 9112 §9.3
    http_1_0_keep_alive_ignores_case: b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" => { keep_alive: true }, // RFC 9112 §9.3
    http_1_0_keep_alive_and_close: b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n" => { keep_alive: false }, // RFC 9112 §9.3
    http_1_0_other_connection_option: b"GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n" => { keep_alive: false }, // RFC 9112 §9.3
    no_expect: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => { expect_continue: false }, // RFC 9110 §10.1.1
    expect_100_continue: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n" => { expect_continue: true, body: Length(1) }, // RFC 9110 §10.1.1
    expect_100_continue_ignores_case: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-CONTINUE\r\n\r\n" => { expect_continue: true }, // RFC 9110 §10.1.1
    expect_100_continue_twice: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n" => { expect_continue: true }, // RFC 9110 §10.1.1
    empty_expect_expects_nothing: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n" => { expect_continue: false }, // RFC 9110 §5.6.1
    expect_100_continue_is_ignored_in_http_1_0: b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n" => { expect_continue: false }, // RFC 9110 §10.1.1
    other_expectation_is_ignored_in_http_1_0: b"PUT / HTTP/1.0\r\nExpect: foo\r\n\r\n" => { expect_continue: false }, // RFC 9110 §10.1.1 (417 is a MAY)
}

rejects! { rejected, Limits::default;
    http_1_1_without_host: b"GET / HTTP/1.1\r\n\r\n" => MissingHost 400, // RFC 9112 §3.2
    http_1_2_without_host: b"GET / HTTP/1.2\r\n\r\n" => MissingHost 400, // RFC 9112 §3.2
    absolute_form_without_host_in_http_1_1: b"GET http://a/ HTTP/1.1\r\n\r\n" => MissingHost 400, // RFC 9112 §3.2
    host_twice_with_same_value: b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n" => DuplicateHost 400, // RFC 9112 §3.2
    host_twice_with_different_values: b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" => DuplicateHost 400, // RFC 9112 §3.2
    host_twice_with_different_name_case: b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n" => DuplicateHost 400, // RFC 9112 §3.2
    host_twice_in_http_1_0: b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n" => DuplicateHost 400, // RFC 9112 §3.2
    host_with_space: b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_tab: b"GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_path: b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_scheme: b"GET / HTTP/1.1\r\nHost: http://a\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_userinfo: b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n" => InvalidHost 400, // RFC 9110 §4.2.4
    host_with_two_colons: b"GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_six_digit_port: b"GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n" => InvalidHost 400, // RFC 9110 §7.2
    host_with_non_digit_port: b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.3
    host_with_quote: b"GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_with_obs_text: b"GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_unbracketed_ipv6: b"GET / HTTP/1.1\r\nHost: ::1\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_unclosed_ipv6: b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_empty_ipv6: b"GET / HTTP/1.1\r\nHost: []\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_ipv6_with_junk_after: b"GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    host_ipv6_with_bad_port: b"GET / HTTP/1.1\r\nHost: [::1]:x\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.3
    host_ipv6_with_non_hex: b"GET / HTTP/1.1\r\nHost: [g::1]\r\n\r\n" => InvalidHost 400, // RFC 3986 §3.2.2
    invalid_host_in_http_1_0: b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n" => InvalidHost 400, // RFC 9112 §3.2
    invalid_host_with_absolute_form: b"GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n" => InvalidHost 400, // RFC 9112 §3.2
    unknown_expectation: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n" => UnsupportedExpectation 417, // RFC 9110 §10.1.1
    expectation_101_continue: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 101-continue\r\n\r\n" => UnsupportedExpectation 417, // RFC 9110 §10.1.1
    continue_with_another_expectation: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\n\r\n" => UnsupportedExpectation 417, // RFC 9110 §10.1.1
    continue_then_another_expect_line: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: bar\r\n\r\n" => UnsupportedExpectation 417, // RFC 9110 §10.1.1
    continue_with_a_parameter: b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue;x=1\r\n\r\n" => UnsupportedExpectation 417, // RFC 9110 §10.1.1
}
