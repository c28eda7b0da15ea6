//! The token endpoint's state: issued access tokens and their expiry.
//!
//! A token looks like a JWT (`header.payload.signature`, base64url without padding) whose
//! payload carries `tenantUid`, because the SDK reads the tenant from it. The signature part is
//! random bytes: nobody outside the simulator can verify it, and the simulator only looks the
//! whole string up in its table, so an unknown, altered or revoked token is simply absent.
//! Expiry is real (monotonic clock), so tests can watch a token die mid-sequence.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;

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
            Self::Missing => "Full authentication is required to access this resource",
            Self::Unknown => "Invalid access token",
            Self::Expired => "Access token expired",
        }
    }
}

/// Issued tokens and the lifetime of the next ones.
#[derive(Debug)]
pub(crate) struct TokenBook {
    lifetime: Duration,
    issued: HashMap<String, Instant>,
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

    /// Issues a token for `client_id` in `tenant_uid`; returns it with its lifetime in whole
    /// seconds (what `expires_in` announces). Expired tokens are forgotten here, so the table
    /// stays small however long a run lasts.
    pub(crate) fn issue(
        &mut self,
        tenant_uid: &str,
        client_id: &str,
        now: Instant,
    ) -> (String, u64) {
        self.issued.retain(|_, expires| *expires > now);
        let token = jwt_like(tenant_uid, client_id, self.lifetime);
        self.issued.insert(token.clone(), now + self.lifetime);
        (token, self.lifetime.as_secs())
    }

    /// Whether `token` may be used at `now`; a token is dead from its expiry instant on.
    pub(crate) fn check(&self, token: Option<&str>, now: Instant) -> Result<(), Refusal> {
        let token = token.ok_or(Refusal::Missing)?;
        match self.issued.get(token) {
            None => Err(Refusal::Unknown),
            Some(expires) if *expires <= now => Err(Refusal::Expired),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn revoke_all(&mut self) {
        self.issued.clear();
    }
}

fn jwt_like(tenant_uid: &str, client_id: &str, lifetime: Duration) -> String {
    let now = chrono::Utc::now().timestamp();
    let lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let payload = json!({
        "sub": client_id,
        "tenantUid": tenant_uid,
        "iat": now,
        "exp": now.saturating_add(lifetime),
        // Two tokens issued in the same second must still differ.
        "jti": Uuid::new_v4().to_string(),
    });
    let mut signature = [0u8; 32];
    rand::rng().fill_bytes(&mut signature);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
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
    fn tokens_expire_at_their_instant_and_revocation_kills_them() {
        let mut book = TokenBook::new(Duration::from_secs(900));
        let t0 = Instant::now();
        let (token, secs) = book.issue("tenant", "client", t0);
        assert_eq!(secs, 900);
        assert_eq!(book.check(Some(&token), t0), Ok(()));
        assert_eq!(
            book.check(Some(&token), t0 + Duration::from_secs(899)),
            Ok(())
        );
        assert_eq!(
            book.check(Some(&token), t0 + Duration::from_secs(900)),
            Err(Refusal::Expired)
        );
        assert_eq!(book.check(None, t0), Err(Refusal::Missing));
        assert_eq!(book.check(Some("x.y.z"), t0), Err(Refusal::Unknown));
        book.revoke_all();
        assert_eq!(book.check(Some(&token), t0), Err(Refusal::Unknown));
    }

    #[test]
    fn a_token_is_three_base64url_parts_carrying_the_tenant() {
        let mut book = TokenBook::new(Duration::from_secs(60));
        let (token, _) = book.issue("tenant-42", "client", Instant::now());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload["tenantUid"], "tenant-42");
        let (other, _) = book.issue("tenant-42", "client", Instant::now());
        assert_ne!(token, other);
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
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Basic abc"), None);
    }
}
