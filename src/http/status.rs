//! Status codes and their reason phrases (RFC 9110 §15).
//!
//! A `Status` is a plain number with a known reason phrase; the response
//! writer decides from it whether a body is allowed (1xx, 204 and 304 have
//! none, RFC 9112 §6.3 rule 1).

use std::fmt;

/// An HTTP status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u16);

impl Status {
    /// 100 Continue
    pub const CONTINUE: Status = Status(100);
    /// 200 OK
    pub const OK: Status = Status(200);
    /// 201 Created
    pub const CREATED: Status = Status(201);
    /// 204 No Content
    pub const NO_CONTENT: Status = Status(204);
    /// 206 Partial Content
    pub const PARTIAL_CONTENT: Status = Status(206);
    /// 301 Moved Permanently
    pub const MOVED_PERMANENTLY: Status = Status(301);
    /// 302 Found
    pub const FOUND: Status = Status(302);
    /// 303 See Other (after a form: go and GET this)
    pub const SEE_OTHER: Status = Status(303);
    /// 304 Not Modified
    pub const NOT_MODIFIED: Status = Status(304);
    /// 307 Temporary Redirect
    pub const TEMPORARY_REDIRECT: Status = Status(307);
    /// 308 Permanent Redirect
    pub const PERMANENT_REDIRECT: Status = Status(308);
    /// 400 Bad Request
    pub const BAD_REQUEST: Status = Status(400);
    /// 401 Unauthorized (send `WWW-Authenticate` with it)
    pub const UNAUTHORIZED: Status = Status(401);
    /// 403 Forbidden
    pub const FORBIDDEN: Status = Status(403);
    /// 404 Not Found
    pub const NOT_FOUND: Status = Status(404);
    /// 405 Method Not Allowed
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: Status = Status(408);
    /// 409 Conflict
    pub const CONFLICT: Status = Status(409);
    /// 411 Length Required
    pub const LENGTH_REQUIRED: Status = Status(411);
    /// 412 Precondition Failed
    pub const PRECONDITION_FAILED: Status = Status(412);
    /// 413 Content Too Large
    pub const CONTENT_TOO_LARGE: Status = Status(413);
    /// 414 URI Too Long
    pub const URI_TOO_LONG: Status = Status(414);
    /// 415 Unsupported Media Type
    pub const UNSUPPORTED_MEDIA_TYPE: Status = Status(415);
    /// 416 Range Not Satisfiable
    pub const RANGE_NOT_SATISFIABLE: Status = Status(416);
    /// 417 Expectation Failed
    pub const EXPECTATION_FAILED: Status = Status(417);
    /// 422 Unprocessable Content (well-formed, but the content is wrong)
    pub const UNPROCESSABLE_CONTENT: Status = Status(422);
    /// 429 Too Many Requests
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    /// 431 Request Header Fields Too Large
    pub const HEADER_FIELDS_TOO_LARGE: Status = Status(431);
    /// 500 Internal Server Error
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: Status = Status(501);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    /// 505 HTTP Version Not Supported
    pub const VERSION_NOT_SUPPORTED: Status = Status(505);

    /// The numeric code.
    pub fn code(self) -> u16 {
        self.0
    }

    /// The reason phrase RFC 9110 gives this code: "Not Found" for 404;
    /// empty for a code this crate does not know, which the grammar allows.
    pub fn reason(self) -> &'static str {
        match self.text() {
            // "404 Not Found\n" without "404 " and the newline.
            Some(text) => &text[4..text.len() - 1],
            None => "",
        }
    }

    /// The code, its reason phrase and a newline ("404 Not Found\n"), or
    /// `None` for a code this crate does not know. This table is the one
    /// place each phrase is spelled: [`Status::reason`] is the middle of it,
    /// and the server's own error pages use the whole of it as their body,
    /// a `&'static str`, so answering an error allocates nothing.
    pub fn text(self) -> Option<&'static str> {
        Some(match self.0 {
            100 => "100 Continue\n",
            101 => "101 Switching Protocols\n",
            200 => "200 OK\n",
            201 => "201 Created\n",
            202 => "202 Accepted\n",
            204 => "204 No Content\n",
            206 => "206 Partial Content\n",
            301 => "301 Moved Permanently\n",
            302 => "302 Found\n",
            303 => "303 See Other\n",
            304 => "304 Not Modified\n",
            307 => "307 Temporary Redirect\n",
            308 => "308 Permanent Redirect\n",
            400 => "400 Bad Request\n",
            401 => "401 Unauthorized\n",
            403 => "403 Forbidden\n",
            404 => "404 Not Found\n",
            405 => "405 Method Not Allowed\n",
            406 => "406 Not Acceptable\n",
            408 => "408 Request Timeout\n",
            409 => "409 Conflict\n",
            410 => "410 Gone\n",
            411 => "411 Length Required\n",
            412 => "412 Precondition Failed\n",
            413 => "413 Content Too Large\n",
            414 => "414 URI Too Long\n",
            415 => "415 Unsupported Media Type\n",
            416 => "416 Range Not Satisfiable\n",
            417 => "417 Expectation Failed\n",
            422 => "422 Unprocessable Content\n",
            429 => "429 Too Many Requests\n",
            431 => "431 Request Header Fields Too Large\n",
            500 => "500 Internal Server Error\n",
            501 => "501 Not Implemented\n",
            502 => "502 Bad Gateway\n",
            503 => "503 Service Unavailable\n",
            504 => "504 Gateway Timeout\n",
            505 => "505 HTTP Version Not Supported\n",
            _ => return None,
        })
    }

    /// Whether a response with this status never carries content
    /// (1xx, 204 No Content, 304 Not Modified: RFC 9112 §6.3 rule 1).
    pub fn forbids_body(self) -> bool {
        self.0 < 200 || self.0 == 204 || self.0 == 304
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}
