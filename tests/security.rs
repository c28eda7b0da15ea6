//! Inbound security as an IdP (or an attacker) sees it: who may call, what a read-only
//! credential may do, and the exact SCIM error every refusal carries.

mod common;

use common::{TEST_TOKEN, spawn_app_custom};
use falcon::sim::SimConfig;
use scim::auth::{CredentialSpec, Scope};
use secrecy::SecretString;
use serde_json::{Value, json};

const READ_ONLY_TOKEN: &str = "read-only-token-0123456789abcdefghijklmnopqrstuv";

/// Checks an error response: status, SCIM content type, exactly the RFC 7644 §3.12 members.
async fn scim_error(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ctype, "application/scim+json");
    let body: Value = resp.json().await.unwrap();
    let obj = body.as_object().expect("an object");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.to_string());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    for key in obj.keys() {
        assert!(
            ["schemas", "status", "detail", "scimType"].contains(&key.as_str()),
            "unexpected member {key} in {body}"
        );
    }
    body
}

#[tokio::test]
async fn a_read_only_credential_reads_and_is_refused_writes_with_403() {
    let app = spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| {
            s.tenants[0].credentials.push(CredentialSpec {
                scope: Scope::ReadOnly,
                ..CredentialSpec::static_token("auditor", SecretString::from(READ_ONLY_TOKEN))
            })
        },
    )
    .await;
    let user = json!({"userName":"ro@example.com","name":{"givenName":"R","familyName":"O"}});
    let created = app.expect(app.post("/Users", &user), 201).await;
    let id = created["id"].as_str().unwrap();

    let reader = |method: reqwest::Method, path: &str| {
        app.http
            .request(method, app.url(path))
            .bearer_auth(READ_ONLY_TOKEN)
    };
    for path in ["/Users", &format!("/Users/{id}"), "/Groups", "/Schemas"] {
        let resp = reader(reqwest::Method::GET, path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
    }
    let writes = [
        (
            reqwest::Method::POST,
            "/Users".to_owned(),
            Some(user.clone()),
        ),
        (
            reqwest::Method::PUT,
            format!("/Users/{id}"),
            Some(user.clone()),
        ),
        (
            reqwest::Method::PATCH,
            format!("/Users/{id}"),
            Some(
                json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations":[{"op":"replace","value":{"active":false}}]}),
            ),
        ),
        (reqwest::Method::DELETE, format!("/Users/{id}"), None),
        (
            reqwest::Method::POST,
            "/Groups".to_owned(),
            Some(json!({"displayName":"x"})),
        ),
    ];
    for (method, path, body) in writes {
        let mut req = reader(method.clone(), &path);
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let err = scim_error(req.send().await.unwrap(), 403).await;
        assert!(
            err["detail"]
                .as_str()
                .unwrap()
                .contains("'auditor' is read-only"),
            "{method} {path}: {err}"
        );
    }
    // Nothing changed.
    let after = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    assert_eq!(after["active"], true);
}

#[tokio::test]
async fn missing_malformed_and_unknown_tokens_are_401_with_www_authenticate() {
    let app = spawn_app_custom(SimConfig::default(), |_| {}, |_| {}).await;
    let url = app.url("/Users");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("empty bearer", Some("Bearer ".into())),
        ("basic auth", Some(format!("Basic {TEST_TOKEN}"))),
        ("unknown token", Some(format!("Bearer {}", "z".repeat(46)))),
        (
            "prefix of the token",
            Some(format!("Bearer {}", &TEST_TOKEN[..40])),
        ),
        ("token plus a byte", Some(format!("Bearer {TEST_TOKEN}x"))),
    ];
    for (what, header) in cases {
        let mut req = app.http.get(&url);
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.unwrap();
        let www = resp
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(www.starts_with("Bearer"), "{what}: {www}");
        let err = scim_error(resp, 401).await;
        assert!(err.get("scimType").is_none(), "{what}");
    }
    // The scheme is case-insensitive (RFC 7235).
    let resp = app
        .http
        .get(&url)
        .header("authorization", format!("bearer {TEST_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
