//! JWT test kit: the committed test keys, token minting, and a JWKS served on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use scim::auth::jwks::JwksSource;
use scim::auth::{CredentialKind, CredentialSpec, JwtSpec, KeySource, Scope};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://sts.windows.net/00000000-1111-2222-3333-444444444444/";
pub const AUDIENCE: &str = "api://falcon-scim-bridge";
pub const HS_SECRET: &str = "hs256-shared-secret-for-tests-0123456789abcdef";

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/jwt/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn rsa_key(n: u8) -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture(&format!("rsa-{n}.key.pem"))).unwrap()
}

pub fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec-1.key.pem")).unwrap()
}

/// The public JWK of `key` under key id `kid`.
pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims a valid token carries: issued now, valid for ten minutes.
pub fn claims() -> Value {
    let now = now();
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "provisioning", "iat": now, "nbf": now - 5, "exp": now + 600})
}

pub fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub fn rs256(kid: &str, claims: &Value) -> String {
    sign(Algorithm::RS256, Some(kid), claims, &rsa_key(1))
}

/// An unsigned token (`alg: none`).
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg":"none","typ":"JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A JWKS on a loopback port whose keys can change, counting how often it is fetched.
pub struct JwksServer {
    pub url: String,
    keys: Arc<std::sync::Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start(keys: Vec<Jwk>) -> Self {
        let keys = Arc::new(std::sync::Mutex::new(JwkSet { keys }));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (keys.clone(), fetches.clone());
        let app = Router::new().route(
            "/keys",
            get(move || {
                let (k, f) = (k.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::to_value(&*k.lock().unwrap()).unwrap())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, keys, fetches }
    }

    pub fn set_keys(&self, keys: Vec<Jwk>) {
        self.keys.lock().unwrap().keys = keys;
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

pub fn jwt_spec(algorithms: Vec<Algorithm>, keys: KeySource) -> JwtSpec {
    JwtSpec {
        issuers: vec![ISSUER.to_owned()],
        audiences: vec![AUDIENCE.to_owned()],
        algorithms,
        keys,
        leeway: Duration::from_secs(60),
        require_nbf: true,
        jwks_max_age: Duration::from_secs(3600),
        jwks_min_refetch: Duration::from_secs(60),
    }
}

pub fn jwks_credential(name: &str, url: &str, min_refetch: Duration) -> CredentialSpec {
    let mut spec = jwt_spec(
        vec![Algorithm::RS256, Algorithm::ES256],
        KeySource::Jwks(JwksSource::Url(url.to_owned())),
    );
    spec.jwks_min_refetch = min_refetch;
    CredentialSpec {
        name: name.to_owned(),
        scope: Scope::ReadWrite,
        rate_limit_per_minute: None,
        kind: CredentialKind::Jwt(spec),
    }
}

pub fn hs_credential(name: &str, scope: Scope) -> CredentialSpec {
    CredentialSpec {
        name: name.to_owned(),
        scope,
        rate_limit_per_minute: None,
        kind: CredentialKind::Jwt(jwt_spec(
            vec![Algorithm::HS256],
            KeySource::SharedSecret(SecretString::from(HS_SECRET)),
        )),
    }
}
