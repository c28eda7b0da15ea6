//! Generators and validators for the identifier formats Falcon uses.
//!
//! CIDs, client ids and custom-role ids are 32 lowercase hex characters without the `-XX`
//! checksum suffix the console shows; secrets are 40 alphanumerics; timestamps are RFC 3339 with
//! microseconds and `Z`.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

/// A fresh 32-character lowercase hex id (CID, client id, custom role id).
pub(crate) fn random_hex32() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// A fresh 40-character client secret.
pub(crate) fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 40)
}

/// An opaque bearer token; callers must not parse it, so neither do we make it a JWT.
pub(crate) fn random_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 64)
}

/// Whether `s` has the CID / client-id shape: exactly 32 lowercase hex characters.
pub(crate) fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Falcon's timestamp format: RFC 3339, microsecond precision, `Z` suffix.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_falcon_shapes() {
        let id = random_hex32();
        assert!(is_hex32(&id), "{id}");
        assert_eq!(random_secret().len(), 40);
        assert!(!is_hex32(&id.to_uppercase().replace(char::is_numeric, "A")));
        assert!(!is_hex32(&format!("{id}-1f")));
        assert!(!is_hex32(""));
    }

    #[test]
    fn timestamps_have_microseconds_and_z() {
        let at = DateTime::parse_from_rfc3339("2026-03-02T09:15:42.118203Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        assert_eq!(timestamp(at), "2026-03-02T09:15:42.118203Z");
    }
}
