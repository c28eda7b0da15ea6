//! API keys: the organisation's keys, their expiry, and reading one off a request.
//!
//! Allthenticate keys are generated in the admin portal with a custom expiry, or 0 for never.
//! The simulator keeps a table of keys, each with an optional expiry instant (monotonic clock,
//! so tests can watch a key die mid-sequence) and a revoked flag. The header the key travels in
//! is configurable, as in the client: `Authorization` carries `Bearer <key>`, any other header
//! the bare key.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::Rng;

/// Why a request's key was refused (all answered 401; the message tells them apart and never
/// repeats the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Missing,
    Unknown,
    Expired,
    Revoked,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Missing => "Missing API key",
            Self::Unknown => "Invalid API key",
            Self::Expired => "API key expired",
            Self::Revoked => "API key revoked",
        }
    }
}

#[derive(Debug, Clone)]
struct Key {
    expires: Option<Instant>,
    revoked: bool,
}

/// Every key the organisation has issued.
#[derive(Debug, Default)]
pub(crate) struct KeyBook {
    keys: HashMap<String, Key>,
}

impl KeyBook {
    /// Registers `key`; `None` lifetime means it never expires (the portal's 0).
    pub(crate) fn insert(&mut self, key: &str, lifetime: Option<Duration>, now: Instant) {
        self.keys.insert(
            key.to_owned(),
            Key {
                expires: lifetime.map(|l| now + l),
                revoked: false,
            },
        );
    }

    /// Generates, registers and returns a new key, as "Generate" in the portal does.
    pub(crate) fn generate(&mut self, lifetime: Option<Duration>, now: Instant) -> String {
        let key = format!("atk_{:032x}", rand::rng().random::<u128>());
        self.insert(&key, lifetime, now);
        key
    }

    /// Whether `key` may be used at `now`; a key is dead from its expiry instant on.
    pub(crate) fn check(&self, key: Option<&str>, now: Instant) -> Result<(), Refusal> {
        let key = key.ok_or(Refusal::Missing)?;
        match self.keys.get(key) {
            None => Err(Refusal::Unknown),
            Some(k) if k.revoked => Err(Refusal::Revoked),
            Some(Key {
                expires: Some(at), ..
            }) if *at <= now => Err(Refusal::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Expires `key` (every key when `None`) at `now`; how many keys it touched.
    pub(crate) fn expire(&mut self, key: Option<&str>, now: Instant) -> usize {
        self.matching(key).map(|k| k.expires = Some(now)).count()
    }

    /// Revokes `key` (every key when `None`); how many keys it touched.
    pub(crate) fn revoke(&mut self, key: Option<&str>) -> usize {
        self.matching(key).map(|k| k.revoked = true).count()
    }

    fn matching<'a>(&'a mut self, key: Option<&'a str>) -> impl Iterator<Item = &'a mut Key> {
        self.keys
            .iter_mut()
            .filter(move |(k, _)| key.is_none_or(|wanted| wanted == k.as_str()))
            .map(|(_, v)| v)
    }
}

/// The key a request carries in `header` (already looked up): `Bearer <key>` when the header
/// is `Authorization`, the bare value otherwise.
pub(crate) fn key_from(header_name: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let key = if header_name.eq_ignore_ascii_case("authorization") {
        let (scheme, key) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        key.trim()
    } else {
        value
    };
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_expire_at_their_instant_and_can_be_expired_or_revoked() {
        let mut book = KeyBook::default();
        let t0 = Instant::now();
        book.insert("forever", None, t0);
        let short = book.generate(Some(Duration::from_secs(60)), t0);
        assert!(short.starts_with("atk_"));
        assert_eq!(
            book.check(Some(&short), t0 + Duration::from_secs(59)),
            Ok(())
        );
        assert_eq!(
            book.check(Some(&short), t0 + Duration::from_secs(60)),
            Err(Refusal::Expired)
        );
        assert_eq!(
            book.check(Some("forever"), t0 + Duration::from_secs(1 << 30)),
            Ok(())
        );
        assert_eq!(book.check(None, t0), Err(Refusal::Missing));
        assert_eq!(book.check(Some("other"), t0), Err(Refusal::Unknown));
        assert_eq!(book.expire(Some("forever"), t0), 1);
        assert_eq!(book.check(Some("forever"), t0), Err(Refusal::Expired));
        book.insert("again", None, t0);
        assert_eq!(book.revoke(None), 3);
        assert_eq!(book.check(Some("again"), t0), Err(Refusal::Revoked));
    }

    #[test]
    fn the_key_is_read_from_bearer_or_a_bare_header() {
        assert_eq!(
            key_from("Authorization", "Bearer k1").as_deref(),
            Some("k1")
        );
        assert_eq!(
            key_from("authorization", "bearer  k1 ").as_deref(),
            Some("k1")
        );
        assert_eq!(key_from("Authorization", "k1"), None);
        assert_eq!(key_from("Authorization", "Basic k1"), None);
        assert_eq!(key_from("X-API-Key", " k1 ").as_deref(), Some("k1"));
        assert_eq!(key_from("X-API-Key", " "), None);
    }
}
