//! API clients, access tokens and scopes.
//!
//! A token is bound at issue time to its client's scopes, to the CID it acts in (the client's
//! own CID, or the `member_cid` it asked for), and to the CID its calls are charged to: always
//! the client's own (home) CID, so a parent API client acting in several children draws on one
//! rate-limit window, its own. Tokens expire for real after the configured lifetime, and
//! revocation is immediate, so a client's refresh logic is exercised against the same failures
//! it meets in production.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use thiserror::Error;

use super::config::{ApiClientSpec, Scopes};
use super::ids::{is_hex32, random_token};

/// Why `/oauth2/token` refused; the text is Falcon's message, the status its code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum TokenError {
    /// Falcon answers a malformed or unknown client id with 400.
    #[error("Failed to generate access token for clientID={0}")]
    UnknownClient(String),
    #[error("Failed to issue access token - Client authentication failed")]
    BadSecret,
    /// The exact text is undocumented; the status follows the other authorisation failures.
    #[error("Failed to issue access token - member_cid '{0}' is not accessible to this client")]
    MemberCid(String),
}

impl TokenError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::UnknownClient(_) => StatusCode::BAD_REQUEST,
            Self::BadSecret | Self::MemberCid(_) => StatusCode::FORBIDDEN,
        }
    }
}

/// Who is calling: attached to every authenticated `/user-management` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub token: String,
    pub client_id: String,
    /// The CID the token acts in: whose users and roles it sees and changes.
    pub cid: String,
    /// The CID whose rate-limit window the token's calls are charged to: the home CID of the
    /// API client that minted it, even when `cid` is a `member_cid` child.
    pub billed_cid: String,
    pub scopes: Scopes,
}

#[derive(Debug, Clone)]
struct Session {
    caller: Caller,
    expires_at: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct AuthRegistry {
    clients: HashMap<String, ApiClientSpec>,
    sessions: HashMap<String, Session>,
}

impl AuthRegistry {
    pub(crate) fn add_client(&mut self, spec: ApiClientSpec) {
        self.clients.insert(spec.client_id.clone(), spec);
    }

    /// Checks a client id / secret pair.
    pub(crate) fn verify(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<&ApiClientSpec, TokenError> {
        let client = self
            .clients
            .get(client_id)
            .filter(|_| is_hex32(client_id))
            .ok_or_else(|| TokenError::UnknownClient(client_id.to_owned()))?;
        if client.client_secret == secret {
            Ok(client)
        } else {
            Err(TokenError::BadSecret)
        }
    }

    /// Mints a token for `client` acting in `cid`, charged to the client's own CID.
    pub(crate) fn issue(
        &mut self,
        client: &ApiClientSpec,
        cid: &str,
        lifetime: Duration,
        now: Instant,
    ) -> String {
        // Expired sessions are only ever looked up to be refused, so drop them here rather than
        // letting a long benchmark accumulate them.
        self.sessions.retain(|_, s| s.expires_at > now);
        let token = random_token();
        let caller = Caller {
            token: token.clone(),
            client_id: client.client_id.clone(),
            cid: cid.to_owned(),
            billed_cid: client.cid.clone(),
            scopes: client.scopes,
        };
        self.sessions.insert(
            token.clone(),
            Session {
                caller,
                expires_at: now + lifetime,
            },
        );
        token
    }

    /// The caller behind a bearer token, if the token is known, unrevoked and unexpired.
    pub(crate) fn authenticate(&self, token: &str, now: Instant) -> Option<Caller> {
        self.sessions
            .get(token)
            .filter(|s| s.expires_at > now)
            .map(|s| s.caller.clone())
    }

    /// Revokes `token` if it belongs to `client_id`; unknown tokens are ignored (RFC 7009).
    pub(crate) fn revoke(&mut self, token: &str, client_id: &str) {
        if self
            .sessions
            .get(token)
            .is_some_and(|s| s.caller.client_id == client_id)
        {
            self.sessions.remove(token);
        }
    }

    pub(crate) fn revoke_all(&mut self) {
        self.sessions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::{random_hex32, random_secret};

    fn client(scopes: Scopes) -> ApiClientSpec {
        ApiClientSpec {
            client_id: random_hex32(),
            client_secret: random_secret(),
            cid: random_hex32(),
            scopes,
            region: "us-1".into(),
        }
    }

    #[test]
    fn verification_distinguishes_unknown_ids_from_bad_secrets() {
        let mut registry = AuthRegistry::default();
        let spec = client(Scopes::READ_WRITE);
        registry.add_client(spec.clone());
        assert!(
            registry
                .verify(&spec.client_id, &spec.client_secret)
                .is_ok()
        );
        assert_eq!(
            registry.verify(&spec.client_id, "wrong").err(),
            Some(TokenError::BadSecret)
        );
        assert_eq!(
            registry.verify("abc", "x").err(),
            Some(TokenError::UnknownClient("abc".into()))
        );
        assert_eq!(TokenError::BadSecret.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            TokenError::UnknownClient(String::new()).status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn tokens_expire_and_revoke() {
        let mut registry = AuthRegistry::default();
        let spec = client(Scopes::READ_ONLY);
        registry.add_client(spec.clone());
        let now = Instant::now();
        let token = registry.issue(&spec, &spec.cid, Duration::from_secs(10), now);
        let caller = registry.authenticate(&token, now + Duration::from_secs(9));
        assert_eq!(caller.map(|c| c.scopes), Some(Scopes::READ_ONLY));
        assert!(
            registry
                .authenticate(&token, now + Duration::from_secs(10))
                .is_none()
        );

        let token = registry.issue(&spec, &spec.cid, Duration::from_secs(10), now);
        registry.revoke(&token, "someone-else");
        assert!(
            registry.authenticate(&token, now).is_some(),
            "only the owner can revoke"
        );
        registry.revoke(&token, &spec.client_id);
        assert!(registry.authenticate(&token, now).is_none());
    }

    #[test]
    fn a_member_cid_token_acts_in_the_child_and_is_billed_to_the_clients_cid() {
        let mut registry = AuthRegistry::default();
        let spec = client(Scopes::READ_WRITE);
        registry.add_client(spec.clone());
        let now = Instant::now();
        let child = random_hex32();
        let token = registry.issue(&spec, &child, Duration::from_secs(10), now);
        let caller = registry.authenticate(&token, now);
        assert_eq!(
            caller.map(|c| (c.cid, c.billed_cid)),
            Some((child, spec.cid))
        );
    }
}
