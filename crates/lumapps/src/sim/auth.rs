//! The token endpoint's state: issued access tokens, whom each impersonates, and their expiry.
//!
//! A token is an opaque random string (LumApps documents no structure for it); the simulator
//! only looks the whole string up in its table, so an unknown, altered or revoked token is
//! simply absent. Each token remembers the id of the user it impersonates (so a change of that
//! user's e-mail does not break it): the gateway reads that user's *current* `isSuperAdmin`
//! flag on every write, so demoting the user takes effect at once. Expiry is real (monotonic clock), so tests can watch a token die.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// Why a bearer token was refused (all answered 401; the message tells them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Missing,
    Unknown,
    Expired,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Missing => "Login Required: no bearer token",
            Self::Unknown => "Invalid Credentials: unknown or revoked token",
            Self::Expired => "Invalid Credentials: token expired",
        }
    }
}

#[derive(Debug)]
struct Issued {
    user_id: String,
    expires: Instant,
}

/// Issued tokens and the lifetime of the next ones.
#[derive(Debug)]
pub(crate) struct TokenBook {
    lifetime: Duration,
    issued: HashMap<String, Issued>,
}

impl TokenBook {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            issued: HashMap::new(),
        }
    }

    pub(crate) fn set_lifetime(&mut self, lifetime: Duration) {
        self.lifetime = lifetime;
    }

    /// Issues a token impersonating the user `user_id`; returns it with its lifetime in whole seconds
    /// (what `expires_in` announces). Expired tokens are forgotten here, so the table stays
    /// small however long a run lasts.
    pub(crate) fn issue(&mut self, user_id: &str, now: Instant) -> (String, u64) {
        self.issued.retain(|_, t| t.expires > now);
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        self.issued.insert(
            token.clone(),
            Issued {
                user_id: user_id.to_owned(),
                expires: now + self.lifetime,
            },
        );
        (token, self.lifetime.as_secs())
    }

    /// The id of the user `token` impersonates, if it may be used at `now`; a token is dead from its
    /// expiry instant on.
    pub(crate) fn check(&self, token: Option<&str>, now: Instant) -> Result<String, Refusal> {
        let token = token.ok_or(Refusal::Missing)?;
        match self.issued.get(token) {
            None => Err(Refusal::Unknown),
            Some(t) if t.expires <= now => Err(Refusal::Expired),
            Some(t) => Ok(t.user_id.clone()),
        }
    }

    pub(crate) fn revoke_all(&mut self) {
        self.issued.clear();
    }
}

/// `Basic base64(id:secret)` → `(id, secret)`; `None` for anything else.
pub(crate) fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `Bearer <token>` → the token.
pub(crate) fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_user_expire_and_die_on_revocation() {
        let mut book = TokenBook::new(Duration::from_secs(3600));
        let t0 = Instant::now();
        let (token, secs) = book.issue("5700000000000000", t0);
        assert_eq!(secs, 3600);
        assert_eq!(
            book.check(Some(&token), t0),
            Ok("5700000000000000".to_owned())
        );
        let late = t0 + Duration::from_secs(3600);
        assert_eq!(book.check(Some(&token), late), Err(Refusal::Expired));
        assert_eq!(book.check(None, t0), Err(Refusal::Missing));
        assert_eq!(book.check(Some("nope"), t0), Err(Refusal::Unknown));
        let (other, _) = book.issue("5700000000000000", t0);
        assert_ne!(token, other);
        book.revoke_all();
        assert_eq!(book.check(Some(&other), t0), Err(Refusal::Unknown));
    }

    #[test]
    fn authorization_headers_parse() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:se:cret")
        );
        assert_eq!(
            basic_credentials(&header),
            Some(("id".to_owned(), "se:cret".to_owned()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Bearer "), None);
    }
}
