//! Passwords in front of any handler: HTTP Basic authentication (RFC 7617).
//!
//! [`BasicAuth`] wraps a handler; a request passes only with an
//! `Authorization: Basic ...` field naming one of its [`User`]s with the
//! right password, and gets `401` with a `WWW-Authenticate` challenge
//! otherwise, which makes a browser ask for a name and password. Browsers
//! never send credentials on a CORS preflight, so where the inner handler
//! answers preflights (the file server with `--cors`) they may be let
//! through with [`BasicAuth::passing_cors_preflights`]; the inner handler
//! must then answer them alike for every path, revealing nothing. The user
//! who passed is put on the request, for the access log.
//!
//! Only the SHA-256 of each password is kept, and what a client sends is
//! hashed and compared in constant time, user and password both, against
//! every user: the time an answer takes says nothing about which part was
//! wrong. Basic credentials cross the network readable by anyone on the
//! path unless TLS protects them (README: "Behind a proxy").
//!
//! This module owns the check and the challenge. Parsing the field is
//! `http::credentials`; the hash is `sha256`.

use crate::handler::Handler;
use crate::http::credentials::{constant_time_eq, parse_basic};
use crate::http::status::Status;
use crate::request::Request;
use crate::response::Response;
use crate::sha256::{from_hex, sha256, DIGEST_LEN};

/// The protection space named in the challenge; browsers show it.
pub const REALM: &str = "http-from-scratch";

/// One user who may pass: a name and the SHA-256 of the password.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    name: String,
    password_sha256: [u8; DIGEST_LEN],
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The digest stays out of logs and panic messages too.
        f.debug_struct("User").field("name", &self.name).finish()
    }
}

impl User {
    /// A user with this password.
    pub fn with_password(name: &str, password: &str) -> User {
        User {
            name: name.to_string(),
            password_sha256: sha256(password.as_bytes()),
        }
    }

    /// A user whose password has this SHA-256 (so the password itself need
    /// not appear on a command line or in a shell's history).
    pub fn with_sha256(name: &str, digest: [u8; DIGEST_LEN]) -> User {
        User {
            name: name.to_string(),
            password_sha256: digest,
        }
    }

    /// `USER:PASSWORD`, or `USER:sha256:HEX` when HEX is exactly 64 hex
    /// digits (anything else after `USER:` is the password, `sha256:`
    /// included: see [`User::looks_mistyped`]). `None` without a `:`, with
    /// an empty name or password, or with a name the Basic scheme cannot
    /// carry (a control character).
    pub fn parse(spec: &str) -> Option<User> {
        let (name, secret) = spec.split_once(':')?;
        if name.is_empty() || secret.is_empty() || name.chars().any(char::is_control) {
            return None;
        }
        let hashed = secret.strip_prefix("sha256:").and_then(from_hex);
        Some(match hashed {
            Some(digest) => User::with_sha256(name, digest),
            None => User::with_password(name, secret),
        })
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `spec` reads as a hashed password that is not one: it says
    /// `sha256:` but what follows is not 64 hex digits, so [`User::parse`]
    /// takes all of it as the password, which is then on the command line
    /// for anyone to read. Worth a warning.
    pub fn looks_mistyped(spec: &str) -> bool {
        spec.split_once(':')
            .and_then(|(_, secret)| secret.strip_prefix("sha256:"))
            .is_some_and(|hex| from_hex(hex).is_none())
    }
}

/// A handler that lets only its users through to `inner`.
pub struct BasicAuth<H> {
    inner: H,
    users: Vec<User>,
    pass_preflights: bool,
}

impl<H: Handler> BasicAuth<H> {
    /// Puts `inner` behind a password for `users`.
    pub fn new(inner: H, users: Vec<User>) -> BasicAuth<H> {
        BasicAuth {
            inner,
            users,
            pass_preflights: false,
        }
    }

    /// Lets CORS preflights (which never carry credentials) through to the
    /// inner handler. Only for a handler that answers every preflight the
    /// same whatever the path, as the file server does: anything else it
    /// answers would be open to anyone.
    pub fn passing_cors_preflights(mut self) -> BasicAuth<H> {
        self.pass_preflights = true;
        self
    }

    /// The name of the user whose credentials `value` carries, if they are
    /// right. Every user is compared, name and password, with no early
    /// exit, so the time taken does not depend on what was wrong.
    fn user_for(&self, value: &[u8]) -> Option<&str> {
        let sent = parse_basic(value)?;
        let sent_sha256 = sha256(sent.password.as_bytes());
        // Names are compared as digests too: fixed length, so not even the
        // length of a user's name shows in the time taken.
        let sent_name = sha256(sent.user.as_bytes());
        let mut found = None;
        for user in &self.users {
            let name_ok = constant_time_eq(&sha256(user.name.as_bytes()), &sent_name);
            let password_ok = constant_time_eq(&user.password_sha256, &sent_sha256);
            if name_ok & password_ok {
                found = Some(user.name.as_str());
            }
        }
        found
    }
}

impl<H: Handler> Handler for BasicAuth<H> {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        if self.pass_preflights && request.is_cors_preflight() {
            return self.inner.handle(request);
        }
        // RFC 9110 §5.3: Authorization is not a list; two of them would
        // mean whichever one a proxy or this server picked.
        if request.fields().get_all("authorization").nth(1).is_some() {
            return Response::error(Status::BAD_REQUEST);
        }
        let user = request
            .header("authorization")
            .and_then(|value| self.user_for(value));
        match user {
            Some(name) => {
                request.set_user(name.to_string());
                self.inner.handle(request)
            }
            None => unauthorized(),
        }
    }
}

/// `401` with the challenge that makes a browser ask (RFC 7617 §2; the
/// charset parameter says names and passwords are UTF-8, §2.1).
pub fn unauthorized() -> Response {
    let challenge = format!("Basic realm=\"{REALM}\", charset=\"UTF-8\"");
    Response::error(Status::UNAUTHORIZED).with_header("WWW-Authenticate", challenge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::base64;
    use crate::testing::TestRequest;
    use crate::{Response, Router, Status};

    fn app() -> BasicAuth<Router> {
        let router = Router::new().get("/", |req| {
            Response::text(Status::OK, format!("hello {}", req.user().unwrap_or("?")))
        });
        let hashed = User::parse(&format!(
            "bob:sha256:{}",
            crate::sha256::to_hex(&sha256(b"b0b"))
        ));
        let users = vec![User::parse("ada:lovelace:1815").unwrap(), hashed.unwrap()];
        BasicAuth::new(router, users)
    }

    fn basic(user_and_password: &str) -> String {
        format!("Basic {}", base64::encode(user_and_password.as_bytes()))
    }

    #[test]
    fn the_right_credentials_pass_and_name_the_user() {
        let r = TestRequest::get("/")
            .header("Authorization", &basic("ada:lovelace:1815"))
            .send(&app());
        assert_eq!(
            (r.status(), r.text()),
            (Status::OK, "hello ada".to_string())
        );
        let r = TestRequest::get("/")
            .header("Authorization", &basic("bob:b0b"))
            .send(&app());
        assert_eq!(r.text(), "hello bob", "the hashed form");
    }

    #[test]
    fn anything_else_is_challenged() {
        for value in [
            None,
            Some(basic("ada:wrong")),
            Some(basic("ada:lovelace")),
            Some(basic("bob:sha256:")),
            Some(basic("eve:lovelace:1815")),
            Some("Bearer abc".to_string()),
            Some("Basic !!!".to_string()),
        ] {
            let mut request = TestRequest::get("/");
            if let Some(value) = &value {
                request = request.header("Authorization", value);
            }
            let r = request.send(&app());
            assert_eq!(r.status(), Status::UNAUTHORIZED, "{value:?}");
            assert_eq!(
                r.header("www-authenticate"),
                Some("Basic realm=\"http-from-scratch\", charset=\"UTF-8\"")
            );
        }
    }

    #[test]
    fn the_hashed_form_needs_exactly_64_hex_digits() {
        // Shorter: the whole rest is the password, `sha256:` included.
        let user = User::parse("u:sha256:abc").unwrap();
        assert_eq!(user.password_sha256, sha256(b"sha256:abc"));
        let hex = "ab".repeat(32);
        let user = User::parse(&format!("u:sha256:{hex}")).unwrap();
        assert_eq!(crate::sha256::to_hex(&user.password_sha256), hex);
        assert!(User::parse("no-colon").is_none());
        assert!(User::parse(":password").is_none());
    }

    #[test]
    fn utf8_names_and_passwords_work() {
        let router = Router::new().get("/", |req| {
            Response::text(Status::OK, req.user().unwrap_or("").to_string())
        });
        let app = BasicAuth::new(router, vec![User::parse("zoë:пароль").unwrap()]);
        let r = TestRequest::get("/")
            .header("Authorization", &basic("zoë:пароль"))
            .send(&app);
        assert_eq!((r.status(), r.text()), (Status::OK, "zoë".to_string()));
    }

    #[test]
    fn cors_preflights_pass_without_credentials_only_when_asked() {
        let router = Router::new()
            .get("/", |_req| Response::text(Status::OK, "x"))
            .fallback(|_req| Response::text(Status::OK, "secret"));
        let preflight = || {
            TestRequest::options("/anything")
                .header("Origin", "https://example.com")
                .header("Access-Control-Request-Method", "GET")
        };
        let app = BasicAuth::new(router, vec![User::parse("a:b").unwrap()]);
        assert_eq!(
            preflight().send(&app).status(),
            Status::UNAUTHORIZED,
            "not by default"
        );
        let app = app.passing_cors_preflights();
        assert_eq!(
            preflight().send(&app).text(),
            "secret",
            "the inner handler answers"
        );
        // A plain OPTIONS is not a preflight: it needs credentials.
        let r = TestRequest::options("/").send(&app);
        assert_eq!(r.status(), Status::UNAUTHORIZED);
    }

    #[test]
    fn two_authorization_fields_are_a_bad_request() {
        let r = TestRequest::get("/")
            .header("Authorization", &basic("ada:lovelace:1815"))
            .header("Authorization", &basic("eve:x"))
            .send(&app());
        assert_eq!(r.status(), Status::BAD_REQUEST);
    }

    #[test]
    fn empty_passwords_and_mistyped_hashes_are_caught() {
        assert!(User::parse("e:").is_none());
        assert!(User::looks_mistyped(&format!(
            "t:sha256:{}",
            "a".repeat(63)
        )));
        assert!(User::looks_mistyped("t:sha256:xyz"));
        assert!(!User::looks_mistyped(&format!(
            "t:sha256:{}",
            "a".repeat(64)
        )));
        assert!(!User::looks_mistyped("t:plain"));
    }
}
