//! Authentication and authorisation of SCIM requests.
//!
//! Every inbound credential has a name (what logs and the audit trail show; the secret never
//! is) and a [`Scope`]. A request presents `Authorization: Bearer <token>`; the token is one of
//! the configured static tokens (`static_token.rs`) or a JWT that a JWT credential verifies
//! (`jwt.rs`, with keys from `jwks.rs`). A credential whose scope is read-only may
//! only read (GET, HEAD): anything else is a 403. Whoever authenticated is put into the
//! request's extensions as a [`Caller`], for the handlers, the rate limiter and the audit log.

pub mod jwks;
pub mod jwt;
mod static_token;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use jwt::{JwtCheck, JwtSpec, KeySource, MIN_HMAC_SECRET_BYTES};
pub use static_token::{MIN_TOKEN_LEN, weakness};

use super::error::ScimError;
use jwt::JwtVerifier;
use secrecy::{ExposeSecret, SecretString};
use static_token::StaticTokens;

/// What a credential may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Read and change users and groups (what a provisioning IdP needs).
    #[default]
    ReadWrite,
    /// GET and HEAD only: for audits, dashboards and "test connection" from a second tool.
    ReadOnly,
}

impl Scope {
    pub fn allows(self, method: &Method) -> bool {
        match self {
            Self::ReadWrite => true,
            Self::ReadOnly => method == Method::GET || method == Method::HEAD,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadWrite => "read-write",
            Self::ReadOnly => "read-only",
        }
    }
}

/// One configured inbound credential.
#[derive(Debug, Clone)]
pub struct CredentialSpec {
    /// Shown in logs and the audit log; unique among the credentials.
    pub name: String,
    pub scope: Scope,
    /// Writes per minute this credential may make, also a cap on its reads; `None` uses the
    /// global budgets (see `limits::RateLimit`).
    pub rate_limit_per_minute: Option<u32>,
    pub kind: CredentialKind,
}

#[derive(Debug, Clone)]
pub enum CredentialKind {
    /// A static bearer token (at least [`MIN_TOKEN_LEN`] characters).
    StaticToken(SecretString),
    /// JWTs verified by these rules.
    Jwt(JwtSpec),
}

impl CredentialSpec {
    /// A read-write static token, the common case (`SCIM_BEARER_TOKENS`, the demo, tests).
    pub fn static_token(name: impl Into<String>, token: SecretString) -> Self {
        Self {
            name: name.into(),
            scope: Scope::ReadWrite,
            rate_limit_per_minute: None,
            kind: CredentialKind::StaticToken(token),
        }
    }
}

/// Who a request authenticated as, put into the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub scope: Scope,
}

/// Why a request was not authenticated. The `Display` text goes to the log; it never contains
/// the presented token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("no Authorization: Bearer header")]
    Missing,
    #[error("the bearer token matches no configured credential")]
    UnknownToken,
    /// A JWT was refused; `credential` is the one whose issuer it named, if any.
    #[error("JWT refused{}: {} check failed: {reason}", credential.as_deref().map(|c| format!(" by credential '{c}'")).unwrap_or_default(), check.as_str())]
    Jwt {
        credential: Option<String>,
        check: JwtCheck,
        reason: String,
    },
}

impl AuthFailure {
    /// A short, bounded label for the metric.
    fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::UnknownToken => "unknown-token",
            Self::Jwt { check, .. } => check.as_str(),
        }
    }

    /// What the client is told (the IdP shows it to its admin).
    fn detail(&self) -> String {
        match self {
            Self::Missing => "an Authorization: Bearer token is required".to_owned(),
            Self::UnknownToken => "the bearer token is not valid".to_owned(),
            Self::Jwt { reason, .. } => format!("the bearer token is not valid: {reason}"),
        }
    }
}

/// The configured inbound credentials.
pub struct Credentials {
    specs: Vec<CredentialSpec>,
    tokens: StaticTokens,
    /// JWT credentials with the index of their spec.
    jwts: Vec<(usize, JwtVerifier)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.specs.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Credentials")
            .field("names", &names)
            .finish()
    }
}

impl Credentials {
    pub fn new(specs: Vec<CredentialSpec>) -> Self {
        let mut tokens = StaticTokens::default();
        let mut jwts = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            match &spec.kind {
                CredentialKind::StaticToken(token) => tokens.push(index, token.expose_secret()),
                CredentialKind::Jwt(jwt) => jwts.push((index, JwtVerifier::new(jwt.clone()))),
            }
        }
        Self {
            specs,
            tokens,
            jwts,
        }
    }

    /// Loads every key set once, so the first request does not wait for it. A key set that
    /// cannot be loaded is logged, not fatal: the bridge tries again when a token needs it.
    pub async fn load_key_sets(&self) {
        for (index, verifier) in &self.jwts {
            let Some(jwks) = verifier.jwks() else {
                continue;
            };
            let name = &self.specs[*index].name;
            match jwks.load().await {
                Ok(keys) => {
                    tracing::info!(credential = %name, source = %jwks.source(), keys, "JWKS loaded")
                }
                Err(e) => tracing::error!(credential = %name, error = %e, "JWKS not loaded yet"),
            }
        }
    }

    /// Every configured credential, in order.
    pub fn specs(&self) -> &[CredentialSpec] {
        &self.specs
    }

    /// The credential `presented` (the bearer token) belongs to.
    pub async fn authenticate(&self, presented: &[u8]) -> Result<Caller, AuthFailure> {
        if !self.tokens.is_empty()
            && let Some(index) = self.tokens.find(presented)
        {
            return Ok(self.caller(index));
        }
        if self.jwts.is_empty() || !jwt::looks_like_jwt(presented) {
            return Err(AuthFailure::UnknownToken);
        }
        let token = std::str::from_utf8(presented).map_err(|_| AuthFailure::UnknownToken)?;
        let seen = jwt::peek(token).map_err(|r| AuthFailure::Jwt {
            credential: None,
            check: r.check,
            reason: r.reason,
        })?;
        if seen.alg.eq_ignore_ascii_case("none") {
            return Err(AuthFailure::Jwt {
                credential: None,
                check: JwtCheck::AlgNone,
                reason: "unsigned tokens (alg none) are never accepted".to_owned(),
            });
        }
        // The (unverified) issuer routes the token to the credentials that trust that issuer.
        let mut first_refusal = None;
        for (index, verifier) in &self.jwts {
            if !seen
                .iss
                .as_deref()
                .is_some_and(|i| verifier.accepts_issuer(i))
            {
                continue;
            }
            match verifier.verify(token, &seen).await {
                Ok(()) => return Ok(self.caller(*index)),
                Err(refusal) => {
                    first_refusal.get_or_insert((self.specs[*index].name.clone(), refusal));
                }
            }
        }
        Err(match first_refusal {
            Some((name, r)) => AuthFailure::Jwt {
                credential: Some(name),
                check: r.check,
                reason: r.reason,
            },
            None => AuthFailure::Jwt {
                credential: None,
                check: JwtCheck::Issuer,
                reason: if seen.iss.is_some() {
                    "the issuer (iss) is not accepted".to_owned()
                } else {
                    "the token has no issuer (iss)".to_owned()
                },
            },
        })
    }

    fn caller(&self, index: usize) -> Caller {
        let spec = &self.specs[index];
        Caller {
            name: spec.name.clone(),
            scope: spec.scope,
        }
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

/// Authenticates the request, then checks that the credential's scope allows its method.
pub async fn require_bearer(
    State(credentials): State<Arc<Credentials>>,
    mut request: Request,
    next: Next,
) -> Response {
    let outcome = match bearer(&request) {
        None => Err(AuthFailure::Missing),
        Some(token) => credentials.authenticate(token).await,
    };
    let caller = match outcome {
        Ok(caller) => caller,
        Err(failure) => {
            match failure {
                AuthFailure::Missing => {
                    tracing::info!(reason = %failure, "SCIM request refused: not authenticated");
                }
                _ => tracing::warn!(reason = %failure, "SCIM request refused: not authenticated"),
            }
            metrics::counter!(crate::telemetry::AUTH_REFUSALS, "reason" => failure.reason())
                .increment(1);
            return ScimError::unauthorized(failure.detail()).into_response();
        }
    };
    tracing::Span::current().record("credential", caller.name.as_str());
    if !caller.scope.allows(request.method()) {
        tracing::warn!(
            credential = %caller.name,
            method = %request.method(),
            "SCIM request refused: the credential is read-only"
        );
        metrics::counter!(crate::telemetry::AUTH_REFUSALS, "reason" => "read-only").increment(1);
        return ScimError::forbidden(format!(
            "the credential '{}' is read-only; {} is not allowed with it",
            caller.name,
            request.method()
        ))
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(vec![
            CredentialSpec::static_token("okta", SecretString::from("a".repeat(40))),
            CredentialSpec {
                scope: Scope::ReadOnly,
                ..CredentialSpec::static_token("auditor", SecretString::from("b".repeat(40)))
            },
        ])
    }

    #[tokio::test]
    async fn finds_the_matching_name_and_scope_only() {
        let creds = creds();
        let caller = creds.authenticate("b".repeat(40).as_bytes()).await.unwrap();
        assert_eq!(
            caller,
            Caller {
                name: "auditor".into(),
                scope: Scope::ReadOnly
            }
        );
        assert_eq!(
            creds.authenticate("b".repeat(39).as_bytes()).await,
            Err(AuthFailure::UnknownToken)
        );
        assert_eq!(
            creds.authenticate(b"").await,
            Err(AuthFailure::UnknownToken)
        );
        assert!(
            !format!("{creds:?}").contains("aaaa"),
            "Debug never shows a token"
        );
    }

    #[test]
    fn read_only_allows_reads_only() {
        for method in [Method::GET, Method::HEAD] {
            assert!(Scope::ReadOnly.allows(&method));
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(!Scope::ReadOnly.allows(&method));
            assert!(Scope::ReadWrite.allows(&method));
        }
    }
}
