//! Bearer-token authentication of SCIM requests.
//!
//! Every configured token is compared in constant time (no early exit on the first match
//! either), so response timing tells an attacker nothing about how close a guess was. The
//! caller is known afterwards by the token's configured name, which is what logs and the audit
//! trail show; the token itself is never logged.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ScimError;

/// The configured inbound credentials: `(name, token)` pairs.
pub struct Credentials {
    tokens: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.tokens.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Credentials")
            .field("names", &names)
            .finish()
    }
}

/// Who a request authenticated as, put into the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
}

impl Credentials {
    pub fn new(tokens: Vec<(String, String)>) -> Self {
        Self {
            tokens: tokens
                .into_iter()
                .map(|(name, token)| (name, token.into_bytes()))
                .collect(),
        }
    }

    /// The name of the credential `presented` matches, if any.
    pub fn authenticate(&self, presented: &[u8]) -> Option<&str> {
        let mut found = None;
        for (name, token) in &self.tokens {
            if bool::from(token.as_slice().ct_eq(presented)) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(request: &Request) -> Option<&[u8]> {
    let value = request.headers().get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = token.trim_ascii();
    (!token.is_empty()).then_some(token)
}

pub async fn require_bearer(
    State(credentials): State<Arc<Credentials>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer(&request) else {
        tracing::info!("SCIM request without a bearer token refused");
        return ScimError::unauthorized("an Authorization: Bearer token is required")
            .into_response();
    };
    let Some(name) = credentials.authenticate(token) else {
        tracing::warn!("SCIM request with an unknown bearer token refused");
        return ScimError::unauthorized("the bearer token is not valid").into_response();
    };
    let caller = Caller {
        name: name.to_owned(),
    };
    tracing::Span::current().record("credential", caller.name.as_str());
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_matching_name_only() {
        let creds = Credentials::new(vec![
            ("okta".into(), "a".repeat(40)),
            ("entra".into(), "b".repeat(40)),
        ]);
        assert_eq!(creds.authenticate("b".repeat(40).as_bytes()), Some("entra"));
        assert_eq!(creds.authenticate("b".repeat(39).as_bytes()), None);
        assert_eq!(creds.authenticate(b""), None);
        assert!(
            !format!("{creds:?}").contains("aaaa"),
            "Debug never shows a token"
        );
    }
}
