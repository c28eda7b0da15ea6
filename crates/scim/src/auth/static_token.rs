//! Static bearer tokens: long random strings the IdP pastes into its "Secret Token" field.
//!
//! Every configured token is compared in constant time, and every token is compared whatever
//! matched before it (no early exit), so response timing tells an attacker nothing about how
//! close a guess was or which credential it resembled. Only the lengths of the configured tokens
//! could leak, and those are not secret (anything from 32 characters up is accepted).

use subtle::ConstantTimeEq;

/// Shortest static token accepted at start: 32 characters of a random base64 string are about
/// 190 bits, which no online guessing can reach.
pub const MIN_TOKEN_LEN: usize = 32;

/// Why a static token is refused at start, or `None` when it is strong enough.
pub fn weakness(token: &str) -> Option<String> {
    let len = token.chars().count();
    (len < MIN_TOKEN_LEN).then(|| {
        format!(
            "is {len} characters long; at least {MIN_TOKEN_LEN} are required so that it cannot \
             be guessed (generate one with: openssl rand -base64 33)"
        )
    })
}

/// The configured static tokens, each with the index of the credential it belongs to.
#[derive(Default)]
pub(super) struct StaticTokens {
    tokens: Vec<(usize, Vec<u8>)>,
}

impl StaticTokens {
    pub(super) fn push(&mut self, credential: usize, token: &str) {
        self.tokens.push((credential, token.as_bytes().to_vec()));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The credential index whose token `presented` is, if any.
    pub(super) fn find(&self, presented: &[u8]) -> Option<usize> {
        let mut found = None;
        for (credential, token) in &self.tokens {
            // `ct_eq` runs in time independent of the contents; `found.is_none()` is evaluated
            // after it, so a match does not shorten the loop.
            if bool::from(token.as_slice().ct_eq(presented)) && found.is_none() {
                found = Some(*credential);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_matching_credential_only() {
        let mut tokens = StaticTokens::default();
        tokens.push(0, &"a".repeat(40));
        tokens.push(1, &"b".repeat(40));
        assert_eq!(tokens.find("b".repeat(40).as_bytes()), Some(1));
        assert_eq!(tokens.find("b".repeat(39).as_bytes()), None);
        assert_eq!(tokens.find(b""), None);
    }

    #[test]
    fn short_tokens_are_weak() {
        assert!(weakness(&"x".repeat(31)).unwrap().contains("31 characters"));
        assert!(weakness(&"x".repeat(32)).is_none());
    }
}
