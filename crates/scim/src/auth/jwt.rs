//! JWT bearer tokens (RFC 7519), verified with `jsonwebtoken`.
//!
//! Each JWT credential pins its issuers, audiences and algorithms, and has exactly one kind of
//! key: a shared secret for the HMAC algorithms (HS256/384/512), or a JWKS (file or URL) for the
//! public-key ones (RS*, PS*, ES256/384, EdDSA). A token's header is read before anything else
//! and refused early when its `alg` is `none`, unknown, or not pinned by the credential; the key
//! is then chosen by the *credential's* kind of key, never by the token, so an HS256 token
//! signed with an RSA public key (the classic key confusion) finds no key to verify against.
//! `exp`, `iss` and `aud` are always required, `nbf` by default, with a small leeway for clock
//! skew. Every refusal names the check that failed (for the log); no token text is ever kept.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};

use super::jwks::{Jwks, JwksSource, KeyProblem};
use secrecy::{ExposeSecret, SecretString};

/// Longest bearer token looked at as a JWT; Entra's are 1-3 KB.
const MAX_JWT_LEN: usize = 16 * 1024;
/// Shortest HMAC secret accepted: 256 bits, as RFC 7518 §3.2 requires for HS256.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// One JWT credential's validation rules.
#[derive(Debug, Clone)]
pub struct JwtSpec {
    /// Accepted `iss` values (exact match).
    pub issuers: Vec<String>,
    /// Accepted `aud` values; a token must name at least one.
    pub audiences: Vec<String>,
    /// The algorithms a token may be signed with; all of one family as `keys`.
    pub algorithms: Vec<Algorithm>,
    pub keys: KeySource,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// Whether a token without `nbf` is refused (it is always checked when present).
    pub require_nbf: bool,
    /// How long fetched keys are used before they are fetched again.
    pub jwks_max_age: Duration,
    /// Fetches happen at most this often, whatever tokens arrive.
    pub jwks_min_refetch: Duration,
}

#[derive(Debug, Clone)]
pub enum KeySource {
    /// A shared secret for HS256/HS384/HS512.
    SharedSecret(SecretString),
    /// Public keys from a JWKS.
    Jwks(JwksSource),
}

/// The check a token failed: what the log line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtCheck {
    /// Not three base64url parts, or a header or payload that is not JSON.
    Format,
    /// `alg: none` (an unsigned token).
    AlgNone,
    /// An algorithm that is unknown or not configured for the credential.
    Algorithm,
    /// A header with `crit` extensions this verifier does not understand (RFC 7515 §4.1.11).
    Critical,
    /// `iss` is missing or names no configured issuer.
    Issuer,
    /// No key for the token (unknown `kid`, key set unavailable).
    Key,
    Signature,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    Audience,
    /// A required claim (`exp`, `nbf`, `aud`, `iss`) is missing or has the wrong type.
    Claims,
}

impl JwtCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::AlgNone => "alg-none",
            Self::Algorithm => "algorithm",
            Self::Critical => "crit",
            Self::Issuer => "issuer",
            Self::Key => "key",
            Self::Signature => "signature",
            Self::Expired => "exp",
            Self::NotYetValid => "nbf",
            Self::Audience => "audience",
            Self::Claims => "claims",
        }
    }
}

/// A refused token: the check and a reason in words. Neither ever holds token text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtRefusal {
    pub check: JwtCheck,
    pub reason: String,
}

fn refuse(check: JwtCheck, reason: impl Into<String>) -> JwtRefusal {
    JwtRefusal {
        check,
        reason: reason.into(),
    }
}

/// What is read from a token before its signature is verified: only to route it to the right
/// credential and key. Nothing here is trusted.
#[derive(Debug)]
pub(super) struct Unverified {
    pub alg: String,
    pub kid: Option<String>,
    pub iss: Option<String>,
    has_crit: bool,
}

/// Whether `token` has the shape of a JWS compact serialisation (three base64url parts).
pub(super) fn looks_like_jwt(token: &[u8]) -> bool {
    token.len() <= MAX_JWT_LEN
        && token.iter().filter(|b| **b == b'.').count() == 2
        && token
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

pub(super) fn peek(token: &str) -> Result<Unverified, JwtRefusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refuse(
            JwtCheck::Format,
            "not a JWT (three dot-separated parts)",
        ));
    };
    let json = |part: &str,
                what: &str|
     -> Result<serde_json::Map<String, serde_json::Value>, JwtRefusal> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|_| refuse(JwtCheck::Format, format!("the {what} is not base64url")))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| refuse(JwtCheck::Format, format!("the {what} is not a JSON object")))
    };
    let header = json(header, "header")?;
    let claims = json(payload, "payload")?;
    let alg = match header.get("alg") {
        Some(serde_json::Value::String(a)) => a.clone(),
        _ => return Err(refuse(JwtCheck::Algorithm, "the header has no alg")),
    };
    Ok(Unverified {
        alg,
        kid: header
            .get("kid")
            .and_then(|k| k.as_str())
            .map(str::to_owned),
        iss: claims
            .get("iss")
            .and_then(|i| i.as_str())
            .map(str::to_owned),
        has_crit: header.contains_key("crit"),
    })
}

/// One JWT credential, ready to verify.
pub(super) struct JwtVerifier {
    spec: JwtSpec,
    hmac: Option<DecodingKey>,
    jwks: Option<Arc<Jwks>>,
}

impl JwtVerifier {
    pub(super) fn new(spec: JwtSpec) -> Self {
        let (hmac, jwks) = match &spec.keys {
            KeySource::SharedSecret(secret) => (
                Some(DecodingKey::from_secret(secret.expose_secret().as_bytes())),
                None,
            ),
            KeySource::Jwks(source) => (
                None,
                Some(Arc::new(Jwks::new(
                    source.clone(),
                    spec.jwks_max_age,
                    spec.jwks_min_refetch,
                ))),
            ),
        };
        Self { spec, hmac, jwks }
    }

    pub(super) fn accepts_issuer(&self, iss: &str) -> bool {
        self.spec.issuers.iter().any(|i| i == iss)
    }

    pub(super) fn jwks(&self) -> Option<&Arc<Jwks>> {
        self.jwks.as_ref()
    }

    /// Verifies `token` (whose unverified header and issuer are `seen`) against this credential.
    pub(super) async fn verify(&self, token: &str, seen: &Unverified) -> Result<(), JwtRefusal> {
        if seen.alg.eq_ignore_ascii_case("none") {
            return Err(refuse(
                JwtCheck::AlgNone,
                "unsigned tokens (alg none) are never accepted",
            ));
        }
        let alg: Algorithm = seen.alg.parse().map_err(|_| {
            refuse(
                JwtCheck::Algorithm,
                format!("algorithm '{}' is not supported", printable(&seen.alg)),
            )
        })?;
        if !self.spec.algorithms.contains(&alg) {
            return Err(refuse(
                JwtCheck::Algorithm,
                format!("algorithm {alg:?} is not accepted for this credential"),
            ));
        }
        if seen.has_crit {
            return Err(refuse(
                JwtCheck::Critical,
                "the header has critical extensions (crit) this bridge does not understand",
            ));
        }
        // The kind of key comes from the credential, never from the token.
        let key: Arc<DecodingKey>;
        let key_ref = match (alg.family(), &self.hmac, &self.jwks) {
            (AlgorithmFamily::Hmac, Some(secret), _) => secret,
            (AlgorithmFamily::Hmac, None, _) => {
                return Err(refuse(
                    JwtCheck::Algorithm,
                    "an HMAC algorithm without a shared secret configured",
                ));
            }
            (_, _, Some(jwks)) => {
                key = jwks.key_for(seen.kid.as_deref(), alg).await.map_err(|p| {
                    refuse(
                        JwtCheck::Key,
                        match p {
                            KeyProblem::UnknownKid(kid) => {
                                format!("no key '{}' for {alg:?} in the key set", printable(&kid))
                            }
                            KeyProblem::NoKid => {
                                "the token names no kid and the key set has no single key for it"
                                    .to_owned()
                            }
                            KeyProblem::NoKeys => "the key set could not be loaded".to_owned(),
                        },
                    )
                })?;
                &key
            }
            (_, _, None) => {
                return Err(refuse(
                    JwtCheck::Algorithm,
                    "a public-key algorithm without a key set configured",
                ));
            }
        };
        let mut validation = Validation::new(alg);
        validation.leeway = self.spec.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        let mut required = vec!["exp", "iss", "aud"];
        if self.spec.require_nbf {
            required.push("nbf");
        }
        validation.set_required_spec_claims(&required);
        validation.set_issuer(&self.spec.issuers);
        validation.set_audience(&self.spec.audiences);
        jsonwebtoken::decode::<serde_json::Value>(token, key_ref, &validation)
            .map(|_| ())
            .map_err(|e| classify(e.kind()))
    }
}

/// A refusal for a `jsonwebtoken` error, in fixed words: library messages can quote claim
/// values, and nothing from the token goes into the log.
fn classify(kind: &ErrorKind) -> JwtRefusal {
    match kind {
        ErrorKind::InvalidSignature => refuse(JwtCheck::Signature, "the signature does not verify"),
        ErrorKind::ExpiredSignature => refuse(JwtCheck::Expired, "the token has expired (exp)"),
        ErrorKind::ImmatureSignature => {
            refuse(JwtCheck::NotYetValid, "the token is not valid yet (nbf)")
        }
        ErrorKind::InvalidAudience => {
            refuse(JwtCheck::Audience, "the audience (aud) is not accepted")
        }
        ErrorKind::InvalidIssuer => refuse(JwtCheck::Issuer, "the issuer (iss) is not accepted"),
        ErrorKind::MissingRequiredClaim(claim) => refuse(
            JwtCheck::Claims,
            format!("the required claim {} is missing", printable(claim)),
        ),
        ErrorKind::InvalidClaimFormat(claim) => refuse(
            JwtCheck::Claims,
            format!("the claim {} has the wrong type", printable(claim)),
        ),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => refuse(
            JwtCheck::Algorithm,
            "the algorithm does not fit the credential's key",
        ),
        _ => refuse(JwtCheck::Format, "the token cannot be decoded"),
    }
}

/// A header value fit for a log line: short, printable.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn peek_reads_alg_kid_and_iss_only() {
        let t = encode(
            serde_json::json!({"alg":"RS256","kid":"k1"}),
            serde_json::json!({"iss":"https://issuer/"}),
        );
        assert!(looks_like_jwt(t.as_bytes()));
        let seen = peek(&t).unwrap();
        assert_eq!(
            (seen.alg.as_str(), seen.kid.as_deref(), seen.iss.as_deref()),
            ("RS256", Some("k1"), Some("https://issuer/"))
        );
        assert!(!looks_like_jwt(b"a-static-token-without-dots"));
        assert!(!looks_like_jwt(b"a.b.c.d"));
        assert_eq!(peek("a.b.c").unwrap_err().check, JwtCheck::Format);
        let no_alg = encode(serde_json::json!({"typ":"JWT"}), serde_json::json!({}));
        assert_eq!(peek(&no_alg).unwrap_err().check, JwtCheck::Algorithm);
    }
}
