//! A JSON Web Key Set (RFC 7517): the public keys an issuer signs its tokens with, read from a
//! file or an https URL, cached, and fetched again when a token names a key id (`kid`) the cache
//! does not know (issuers rotate keys without notice: Entra does every few weeks).
//!
//! A fetch happens at most once per `min_refetch`, whatever tokens arrive, so a flood of
//! tokens with made-up key ids cannot turn the bridge into a load generator against the
//! issuer. When a fetch fails the keys already known stay in use: availability of provisioning
//! matters more than a key the issuer has just retired.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

/// Largest key set accepted; real ones are a few kilobytes.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// RSA keys shorter than this are ignored (NIST SP 800-131A; every major issuer uses 2048+).
const MIN_RSA_BITS: usize = 2048;

/// Where the key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    Url(String),
    File(PathBuf),
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.write_str(url),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot fetch the key set from {source_name}: {problem}")]
    Fetch {
        source_name: String,
        problem: String,
    },
    #[error("the key set from {source_name} is not a JWKS: {problem}")]
    Parse {
        source_name: String,
        problem: String,
    },
}

/// Why no key could be found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The token names a key id the set does not hold (also after a refetch).
    UnknownKid(String),
    /// The token has no `kid`, and the set holds no single key for its algorithm.
    NoKid,
    /// The set holds no key at all (never fetched successfully).
    NoKeys,
}

struct Key {
    kid: Option<String>,
    family: AlgorithmFamily,
    /// The algorithm the key is pinned to by its `alg` member, if any.
    alg: Option<Algorithm>,
    /// For EC keys, the curve (ES256 needs P-256, ES384 P-384).
    curve: Option<EllipticCurve>,
    key: Arc<DecodingKey>,
}

impl Key {
    fn fits(&self, alg: Algorithm) -> bool {
        let curve_ok = match (alg, &self.curve) {
            (Algorithm::ES256, Some(c)) => *c == EllipticCurve::P256,
            (Algorithm::ES384, Some(c)) => *c == EllipticCurve::P384,
            (Algorithm::EdDSA, Some(c)) => *c == EllipticCurve::Ed25519,
            _ => true,
        };
        self.family == alg.family() && self.alg.is_none_or(|a| a == alg) && curve_ok
    }
}

#[derive(Default)]
struct Cache {
    keys: Vec<Key>,
    fetched_at: Option<Instant>,
}

/// A cached key set.
pub struct Jwks {
    source: JwksSource,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// Serialises fetches; holds when the last one was tried.
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    max_age: Duration,
    min_refetch: Duration,
}

impl Jwks {
    pub fn new(source: JwksSource, max_age: Duration, min_refetch: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap_or_default();
        Self {
            source,
            http,
            cache: RwLock::new(Cache::default()),
            last_attempt: tokio::sync::Mutex::new(None),
            max_age,
            min_refetch,
        }
    }

    pub fn source(&self) -> &JwksSource {
        &self.source
    }

    /// Loads the key set now (at start), so the first request does not wait for it.
    pub async fn load(&self) -> Result<usize, JwksError> {
        let mut last = self.last_attempt.lock().await;
        *last = Some(Instant::now());
        let keys = self.fetch().await?;
        let count = keys.len();
        self.store(keys);
        Ok(count)
    }

    /// The key to verify a token signed with `alg` under key id `kid`.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, KeyProblem> {
        let (found, stale) = self.lookup(kid, alg);
        if let (Ok(key), false) = (&found, stale) {
            return Ok(key.clone());
        }
        // Unknown kid, or a cache past its age: fetch, unless a fetch was tried very recently.
        self.refresh().await;
        let (again, _) = self.lookup(kid, alg);
        match (again, found) {
            (Ok(key), _) => Ok(key),
            // The fetch failed or dropped the key: keep using what verified before.
            (Err(_), Ok(key)) => Ok(key),
            (Err(problem), Err(_)) => Err(problem),
        }
    }

    fn lookup(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> (Result<Arc<DecodingKey>, KeyProblem>, bool) {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let stale = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.max_age);
        if cache.keys.is_empty() {
            return (Err(KeyProblem::NoKeys), stale);
        }
        let found = match kid {
            Some(kid) => cache
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid) && k.fits(alg))
                .map(|k| k.key.clone())
                .ok_or_else(|| KeyProblem::UnknownKid(kid.to_owned())),
            None => {
                let mut fitting = cache.keys.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => Ok(k.key.clone()),
                    _ => Err(KeyProblem::NoKid),
                }
            }
        };
        (found, stale)
    }

    async fn refresh(&self) {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_refetch) {
            return;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(source = %self.source, keys = keys.len(), "JWKS refreshed");
                self.store(keys);
            }
            Err(e) => tracing::error!(error = %e, "JWKS refresh failed; keeping the keys known"),
        }
    }

    fn store(&self, keys: Vec<Key>) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
    }

    async fn fetch(&self) -> Result<Vec<Key>, JwksError> {
        let source_name = self.source.to_string();
        let fetch_err = |problem: String| JwksError::Fetch {
            source_name: source_name.clone(),
            problem,
        };
        let bytes = match &self.source {
            JwksSource::File(path) => tokio::fs::read(path)
                .await
                .map_err(|e| fetch_err(e.to_string()))?,
            JwksSource::Url(url) => {
                let mut resp = self
                    .http
                    .get(url)
                    .header("accept", "application/json")
                    .send()
                    .await
                    .map_err(|e| fetch_err(e.without_url().to_string()))?;
                if !resp.status().is_success() {
                    return Err(fetch_err(format!("HTTP {}", resp.status())));
                }
                let mut body = Vec::new();
                while let Some(chunk) = resp
                    .chunk()
                    .await
                    .map_err(|e| fetch_err(e.without_url().to_string()))?
                {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_JWKS_BYTES {
                        return Err(fetch_err(format!("larger than {MAX_JWKS_BYTES} bytes")));
                    }
                }
                body
            }
        };
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(fetch_err(format!("larger than {MAX_JWKS_BYTES} bytes")));
        }
        parse_key_set(&bytes).map_err(|problem| JwksError::Parse {
            source_name,
            problem,
        })
    }
}

/// The usable verification keys of a JWKS document. Keys this bridge cannot or must not use
/// (symmetric `oct` keys, encryption keys, short RSA keys, unknown types) are skipped, so one
/// odd entry does not take the whole set down.
fn parse_key_set(bytes: &[u8]) -> Result<Vec<Key>, String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        keys: Vec<serde_json::Value>,
    }
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    for raw in doc.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            continue;
        }
        let (family, curve) = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let bits = URL_SAFE_NO_PAD
                    .decode(rsa.n.trim_end_matches('='))
                    .map(|n| n.iter().skip_while(|b| **b == 0).count() * 8)
                    .unwrap_or(0);
                if bits < MIN_RSA_BITS {
                    tracing::warn!(kid = ?jwk.common.key_id, bits, "JWKS: RSA key too short; ignored");
                    continue;
                }
                (AlgorithmFamily::Rsa, None)
            }
            AlgorithmParameters::EllipticCurve(ec) => (AlgorithmFamily::Ec, Some(ec.curve.clone())),
            AlgorithmParameters::OctetKeyPair(okp) => {
                (AlgorithmFamily::Ed, Some(okp.curve.clone()))
            }
            // A shared secret has no place in a published key set; using one would let anyone
            // who can read the set sign tokens.
            _ => continue,
        };
        let alg = jwk
            .common
            .key_algorithm
            .and_then(|a| a.to_string().parse::<Algorithm>().ok());
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            family,
            alg,
            curve,
            key: Arc::new(key),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_entries_are_skipped_not_fatal() {
        let doc = serde_json::json!({"keys": [
            {"kty":"oct","k":"c2VjcmV0","kid":"sym"},
            {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"short"},
            {"kty":"XYZ","kid":"unknown"},
            {"kty":"EC","crv":"P-256","kid":"ec","use":"sig",
             "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"EC","crv":"P-256","kid":"enc","use":"enc",
             "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]});
        let keys = parse_key_set(doc.to_string().as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("ec")]);
        assert!(keys[0].fits(Algorithm::ES256));
        assert!(!keys[0].fits(Algorithm::ES384));
        assert!(!keys[0].fits(Algorithm::HS256));
        assert!(parse_key_set(b"{\"nokeys\":1}").is_err());
    }
}
