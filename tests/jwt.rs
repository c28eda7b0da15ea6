//! JWT bearer tokens end to end: a bridge with JWT credentials (a JWKS served on loopback, a
//! JWKS file, an HS256 shared secret), and every way a token must be refused.

mod common;

use std::time::Duration;

use common::jwt::{
    self as kit, AUDIENCE, HS_SECRET, ISSUER, JwksServer, claims, ec_key, hs_credential, jwk,
    jwks_credential, rs256, rsa_key, sign, unsigned,
};
use common::{TestApp, spawn_app_custom};
use falcon::sim::SimConfig;
use jsonwebtoken::{Algorithm, EncodingKey};
use scim::auth::jwks::JwksSource;
use scim::auth::{CredentialKind, CredentialSpec, KeySource, Scope};
use serde_json::{Value, json};

async fn app_with(credentials: Vec<CredentialSpec>) -> TestApp {
    spawn_app_custom(
        SimConfig::default(),
        |_| {},
        move |s| s.tenants[0].credentials.extend(credentials),
    )
    .await
}

async fn get_users(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/Users?count=1"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Asserts a 401 with `WWW-Authenticate: Bearer` and the exact SCIM error members.
async fn refused(resp: reqwest::Response, what: &str) -> String {
    assert_eq!(resp.status(), 401, "{what}");
    let www = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(www.starts_with("Bearer"), "{what}: {www}");
    assert_eq!(
        resp.headers()["content-type"],
        "application/scim+json",
        "{what}"
    );
    let body: Value = resp.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["detail", "schemas", "status"], "{what}: {body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], "401");
    body["detail"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rs256_tokens_from_a_jwks_url_are_accepted_and_bad_ones_refused() {
    let jwks = JwksServer::start(vec![jwk(&rsa_key(1), Algorithm::RS256, "k1")]).await;
    let app = app_with(vec![jwks_credential(
        "entra",
        &jwks.url,
        Duration::from_secs(60),
    )])
    .await;
    assert_eq!(jwks.fetches(), 1, "loaded once at start");

    let good = rs256("k1", &claims());
    assert_eq!(get_users(&app, &good).await.status(), 200);
    // A write too, as Entra would.
    let user = json!({"userName":"jwt.user@example.com","name":{"givenName":"J","familyName":"W"}});
    let resp = app
        .http
        .post(app.url("/Users"))
        .bearer_auth(&good)
        .body(user.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    let now = kit::now();
    let with = |patch: Value| {
        let mut c = claims();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let rsa_public_pem = kit::fixture("rsa-1.pub.pem");
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", unsigned(&claims()), "alg none"),
        (
            "HS256 not configured",
            sign(
                Algorithm::HS256,
                Some("k1"),
                &claims(),
                &EncodingKey::from_secret(HS_SECRET.as_bytes()),
            ),
            "HS256 is not accepted",
        ),
        (
            "key confusion: HS256 signed with the RSA public key",
            sign(
                Algorithm::HS256,
                Some("k1"),
                &claims(),
                &EncodingKey::from_secret(&rsa_public_pem),
            ),
            "HS256 is not accepted",
        ),
        (
            "RS384 not configured",
            sign(Algorithm::RS384, Some("k1"), &claims(), &rsa_key(1)),
            "RS384 is not accepted",
        ),
        (
            "wrong audience",
            rs256("k1", &with(json!({"aud": "api://another-app"}))),
            "audience",
        ),
        (
            "no audience",
            rs256("k1", &with(json!({"aud": null}))),
            "aud is missing",
        ),
        (
            "wrong issuer",
            rs256("k1", &with(json!({"iss": "https://evil.example/"}))),
            "issuer",
        ),
        (
            "expired beyond the leeway",
            rs256("k1", &with(json!({"exp": now - 120}))),
            "expired",
        ),
        (
            "not valid yet beyond the leeway",
            rs256("k1", &with(json!({"nbf": now + 300}))),
            "not valid yet",
        ),
        (
            "no nbf",
            rs256("k1", &with(json!({"nbf": null}))),
            "nbf is missing",
        ),
        (
            "no exp",
            rs256("k1", &with(json!({"exp": null}))),
            "exp is missing",
        ),
        (
            "signed by another key under a known kid",
            sign(Algorithm::RS256, Some("k1"), &claims(), &rsa_key(2)),
            "signature",
        ),
        (
            "tampered payload",
            {
                let t = rs256("k1", &claims());
                let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
                parts[1] = base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    with(json!({"sub": "admin"})).to_string(),
                );
                parts.join(".")
            },
            "signature",
        ),
        ("garbage with dots", "abc.def.ghi".to_owned(), "not valid"),
    ];
    for (what, token, expected) in cases {
        let detail = refused(get_users(&app, &token).await, what).await;
        assert!(detail.contains(expected), "{what}: {detail}");
    }
    // Within the leeway, a just-expired token still passes (clock skew).
    let skewed = rs256("k1", &with(json!({"exp": now - 20})));
    assert_eq!(get_users(&app, &skewed).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_key_set_at_most_once_per_interval() {
    let jwks = JwksServer::start(vec![jwk(&rsa_key(1), Algorithm::RS256, "k1")]).await;
    let app = app_with(vec![jwks_credential(
        "okta",
        &jwks.url,
        Duration::from_millis(1500),
    )])
    .await;
    assert_eq!(jwks.fetches(), 1);
    // The issuer rotates: a new key appears and tokens start naming it.
    jwks.set_keys(vec![
        jwk(&rsa_key(1), Algorithm::RS256, "k1"),
        jwk(&rsa_key(2), Algorithm::RS256, "k2"),
    ]);
    let rotated = sign(Algorithm::RS256, Some("k2"), &claims(), &rsa_key(2));
    // Right after the start-up fetch, the bridge does not fetch again...
    refused(get_users(&app, &rotated).await, "too soon").await;
    assert_eq!(jwks.fetches(), 1);
    // ...but once the interval has passed, the unknown kid triggers one fetch.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(get_users(&app, &rotated).await.status(), 200);
    assert_eq!(jwks.fetches(), 2);
    // A flood of made-up kids costs no fetch within the interval.
    for i in 0..20 {
        let bogus = sign(
            Algorithm::RS256,
            Some(&format!("made-up-{i}")),
            &claims(),
            &rsa_key(2),
        );
        let detail = refused(get_users(&app, &bogus).await, "made-up kid").await;
        assert!(detail.contains("no key"), "{detail}");
    }
    assert_eq!(jwks.fetches(), 2);
    // Known keys keep working throughout.
    assert_eq!(get_users(&app, &rs256("k1", &claims())).await.status(), 200);
}

#[tokio::test]
async fn es256_from_a_jwks_file_and_hs256_with_a_shared_secret() {
    let dir = std::env::temp_dir().join(format!("fsb-jwks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.json");
    let set = json!({"keys": [jwk(&ec_key(), Algorithm::ES256, "ec1")]});
    std::fs::write(&file, set.to_string()).unwrap();
    let mut es = kit::jwt_spec(
        vec![Algorithm::ES256],
        KeySource::Jwks(JwksSource::File(file)),
    );
    es.issuers = vec!["https://example.okta.com/oauth2/aus1".to_owned()];
    let app = app_with(vec![
        CredentialSpec {
            name: "okta-jwt".into(),
            scope: Scope::ReadWrite,
            rate_limit_per_minute: None,
            kind: CredentialKind::Jwt(es),
        },
        hs_credential("hs-reader", Scope::ReadOnly),
    ])
    .await;

    let mut okta_claims = claims();
    okta_claims["iss"] = json!("https://example.okta.com/oauth2/aus1");
    let es_token = sign(Algorithm::ES256, Some("ec1"), &okta_claims, &ec_key());
    assert_eq!(get_users(&app, &es_token).await.status(), 200);
    // The EC key set cannot verify an RS256 token even when its kid matches.
    let rs_token = sign(Algorithm::RS256, Some("ec1"), &okta_claims, &rsa_key(1));
    refused(get_users(&app, &rs_token).await, "RS256 for ES credential").await;

    let hs = EncodingKey::from_secret(HS_SECRET.as_bytes());
    let hs_token = sign(Algorithm::HS256, None, &claims(), &hs);
    assert_eq!(get_users(&app, &hs_token).await.status(), 200);
    // The HS credential is read-only: a write is a 403.
    let resp = app
        .http
        .post(app.url("/Groups"))
        .bearer_auth(&hs_token)
        .body(json!({"displayName":"x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "403");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("'hs-reader' is read-only")
    );
    // A wrong shared secret.
    let forged = sign(
        Algorithm::HS256,
        None,
        &claims(),
        &EncodingKey::from_secret(b"not-the-shared-secret-0123456789abcdef"),
    );
    let detail = refused(get_users(&app, &forged).await, "wrong secret").await;
    assert!(detail.contains("signature"), "{detail}");
    // The audience check applies to HS tokens too.
    let mut other = claims();
    other["aud"] = json!(["api://other", "api://another"]);
    refused(
        get_users(&app, &sign(Algorithm::HS256, None, &other, &hs)).await,
        "HS wrong aud",
    )
    .await;
    // A list of audiences that includes ours passes.
    other["aud"] = json!(["api://other", AUDIENCE]);
    assert_eq!(
        get_users(&app, &sign(Algorithm::HS256, None, &other, &hs))
            .await
            .status(),
        200
    );
    assert_eq!(ISSUER, claims()["iss"]);
    let _ = std::fs::remove_dir_all(dir);
}
