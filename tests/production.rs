//! What an orchestrator and an operator see: the `healthcheck` subcommand, `/readyz` following
//! Falcon access, `/metrics` in Prometheus text format, graceful shutdown on SIGTERM, and logs
//! that never carry a secret. The process-level tests run the real binary against a simulator.

mod common;

use common::jwt::{self as kit, AUDIENCE, HS_SECRET, ISSUER, JwksServer};
use std::time::{Duration, Instant};

use common::process::{BIN, drain, finish, free_port, output_of, serve, signal, wait_healthy};
use common::{TEST_TOKEN, spawn_app, spawn_app_custom, spawn_sim};
use falcon::model::routes;
use falcon::sim::RunningSim;
use falcon::sim::{ApiClientSpec, Fault, Scopes, SimConfig};
use serde_json::json;
use tokio::process::{Child, Command};

/// `serve` against `sim` with `RUST_LOG=rust_log` and more environment variables.
fn serve_with(sim: &RunningSim, port: u16, rust_log: &str, env: &[(&str, String)]) -> Child {
    let mut env = env.to_vec();
    env.push(("RUST_LOG", rust_log.to_owned()));
    serve(sim, port, &env)
}

fn sigterm(child: &Child) {
    signal(child, "-TERM");
}

#[tokio::test]
async fn healthcheck_subcommand_follows_the_bridge() {
    let app = spawn_app().await;
    let probe = |listen: String| async move {
        Command::new(BIN)
            .arg("healthcheck")
            .env_clear()
            .env("BRIDGE_LISTEN", listen)
            .env("RUST_LOG", "off")
            .status()
            .await
            .unwrap()
    };
    assert!(probe(app.bridge_addr.to_string()).await.success());
    let closed = format!("127.0.0.1:{}", free_port());
    assert_eq!(probe(closed).await.code(), Some(1));
}

#[tokio::test]
async fn readyz_waits_for_falcon_to_accept_the_credentials() {
    let unknown = ApiClientSpec {
        client_id: "00112233445566778899aabbccddeeff".into(),
        client_secret: "s".repeat(40),
        cid: String::new(),
        scopes: Scopes::READ_WRITE,
        region: "us-1".into(),
    };
    let spec = unknown.clone();
    let app = spawn_app_custom(
        SimConfig::default(),
        |_| {},
        move |settings| {
            let falcon = common::falcon_of(settings);
            falcon.client_id = spec.client_id.clone();
            falcon.client_secret = secrecy::SecretString::from(spec.client_secret.clone());
            settings.directory_refresh = Duration::from_secs(1);
        },
    )
    .await;
    let readyz = format!("http://{}/readyz", app.bridge_addr);
    let resp = reqwest::get(&readyz).await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["problems"][0]["component"], "falcon", "{body}");
    let healthz = reqwest::get(format!("http://{}/healthz", app.bridge_addr))
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200, "alive even when not ready");

    // The customer fixes the API client in Falcon; the bridge notices on its own.
    let mut fixed = unknown;
    fixed.cid = app.sim.sim.default_client().cid;
    app.sim.sim.add_client(fixed);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let resp = reqwest::get(&readyz).await.unwrap();
        if resp.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never ready: {}",
            resp.text().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Probes cost no Falcon call.
    let before = app.sim.sim.total_calls();
    for _ in 0..5 {
        assert_eq!(reqwest::get(&readyz).await.unwrap().status(), 200);
    }
    assert_eq!(app.sim.sim.total_calls(), before);
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_requests() {
    let app = spawn_app().await;
    let user = json!({"userName":"metered@example.com","name":{"givenName":"M","familyName":"E"}});
    app.expect(app.post("/Users", &user), 201).await;
    app.expect(app.get("/Users?count=1"), 200).await;
    let text = reqwest::get(format!("http://{}/metrics", app.bridge_addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text");
    let count = |name: &str, pred: &dyn Fn(&prometheus_parse::Sample) -> bool| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name && pred(s))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    let posts = count("scim_requests_total", &|s| {
        s.labels.get("route") == Some("/scim/v2/Users")
            && s.labels.get("method") == Some("POST")
            && s.labels.get("status") == Some("201")
    });
    assert!(posts >= 1.0, "{text}");
    let creates = count("falcon_calls_total", &|s| {
        s.labels.get("operation") == Some("createUserV1")
    });
    assert!(creates >= 1.0, "{text}");
    assert!(
        count("falcon_token_refreshes_total", &|_| true) >= 1.0,
        "{text}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric.starts_with("scim_request_duration_seconds")),
        "latency histogram present"
    );
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_then_exits_zero() {
    let sim = spawn_sim(SimConfig::default()).await;
    let port = free_port();
    let child = serve(&sim, port, &[]);
    wait_healthy(port).await;
    sim.sim.inject_fault(
        routes::USERS,
        Some("POST"),
        Fault::Delay(Duration::from_millis(1500)),
        1,
    );

    let slow = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/scim/v2/Users"))
            .bearer_auth(TEST_TOKEN)
            .body(json!({"userName":"late@example.com"}).to_string())
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // SIGTERM while the create waits on Falcon.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.sim.call_count(routes::USERS) == 0 {
        assert!(Instant::now() < deadline, "the create never reached Falcon");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(&child, "-TERM");
    assert_eq!(slow.await.unwrap().expect("answered, not cut off"), 201);
    let (status, log) = output_of(child).await;
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(sim.sim.user_by_uid("late@example.com").is_some());
    assert!(log.contains("stopped"), "{log}");
}

#[tokio::test]
async fn no_secret_reaches_the_log_even_at_debug_level() {
    let sim = spawn_sim(SimConfig::default()).await;
    let port = free_port();
    let child = serve(&sim, port, &[("RUST_LOG", "debug".into())]);
    wait_healthy(port).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/scim/v2");
    let send = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(TEST_TOKEN);
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        req.send()
    };
    // An Okta sequence, plus a caller with a wrong token.
    let resp = send(
        reqwest::Method::POST,
        "/Users",
        Some(json!({"userName":"secret.keeper@example.com","name":{"givenName":"S","familyName":"K"},"password":"hunter2-password"})),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    let created: serde_json::Value = resp.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let deactivate = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]});
    let reactivate = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]});
    for (method, path, body, expected) in [
        (
            reqwest::Method::GET,
            "/Users?filter=userName%20eq%20%22secret.keeper@example.com%22".to_owned(),
            None,
            200,
        ),
        (
            reqwest::Method::PATCH,
            format!("/Users/{id}"),
            Some(deactivate),
            200,
        ),
        (
            reqwest::Method::PATCH,
            format!("/Users/{id}"),
            Some(reactivate),
            200,
        ),
        (
            reqwest::Method::POST,
            "/Groups".to_owned(),
            Some(json!({"displayName":"Falcon Analyst","members":[{"value":id}]})),
            201,
        ),
    ] {
        let status = send(method, &path, body).await.unwrap().status();
        assert_eq!(status, expected, "{path}");
    }
    let wrong = "wrong-token-that-must-not-be-logged-0123456789";
    let resp = http
        .get(format!("{base}/Users"))
        .bearer_auth(wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    signal(&child, "-TERM");
    let (status, log) = output_of(child).await;
    assert!(status.success(), "{log}");
    assert!(log.contains("\"level\":\"DEBUG\""), "debug logging was on");
    let client = sim.sim.default_client();
    let mut secrets = vec![
        client.client_secret.clone(),
        TEST_TOKEN.to_owned(),
        wrong.to_owned(),
        "hunter2-password".to_owned(),
    ];
    secrets.extend(sim.sim.calls_per_token().into_keys());
    assert!(
        secrets.len() > 4,
        "the bridge used at least one Falcon access token"
    );
    for secret in secrets {
        assert!(
            !log.contains(&secret),
            "a secret leaked into the log: {}…",
            &secret[..6]
        );
    }
}

#[tokio::test]
async fn jwt_refusals_name_the_check_and_no_token_or_secret_reaches_the_log() {
    let sim = spawn_sim(SimConfig::default()).await;
    let jwks = JwksServer::start(vec![kit::jwk(
        &kit::rsa_key(1),
        jsonwebtoken::Algorithm::RS256,
        "k1",
    )])
    .await;
    let dir = std::env::temp_dir().join(format!("fsb-prod-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let okta_token = "okta-static-token-from-a-variable-0123456789abcdef";
    let config = dir.join("bridge.toml");
    std::fs::write(
        &config,
        format!(
            "[[credentials]]\nname = \"okta-static\"\ntoken_env = \"OKTA_SCIM_TOKEN\"\n\
             [[credentials]]\nname = \"okta-hs\"\n[credentials.jwt]\nissuer = \"https://okta.example/oauth2/aus1\"\n\
             audience = \"{AUDIENCE}\"\nalgorithms = [\"HS256\"]\nsecret_env = \"JWT_HS_SECRET\"\n\
             [[credentials]]\nname = \"entra\"\n[credentials.jwt]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\n\
             algorithms = [\"RS256\"]\njwks_url = \"{}\"\n",
            jwks.url
        ),
    )
    .unwrap();
    let port = free_port();
    let mut child = serve_with(
        &sim,
        port,
        "debug",
        &[
            ("BRIDGE_CONFIG", config.display().to_string()),
            ("OKTA_SCIM_TOKEN", okta_token.to_owned()),
            ("JWT_HS_SECRET", HS_SECRET.to_owned()),
        ],
    );
    let output = drain(&mut child);
    wait_healthy(port).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/scim/v2");

    let mut hs_claims = kit::claims();
    hs_claims["iss"] = json!("https://okta.example/oauth2/aus1");
    let hs_token = kit::sign(
        jsonwebtoken::Algorithm::HS256,
        None,
        &hs_claims,
        &jsonwebtoken::EncodingKey::from_secret(HS_SECRET.as_bytes()),
    );
    let rs_token = kit::rs256("k1", &kit::claims());
    // A full Okta sequence with each kind of credential.
    for (n, token) in [okta_token.to_owned(), hs_token.clone(), rs_token.clone()]
        .iter()
        .enumerate()
    {
        let send = |method: reqwest::Method, path: String, body: Option<serde_json::Value>| {
            let mut req = http
                .request(method, format!("{base}{path}"))
                .bearer_auth(token);
            if let Some(body) = body {
                req = req.body(body.to_string());
            }
            req.send()
        };
        let user_name = format!("jwt.keeper{n}@example.com");
        let resp = send(
            reqwest::Method::GET,
            format!("/Users?filter=userName%20eq%20%22{user_name}%22&startIndex=1&count=100"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            resp.status(),
            200,
            "credential {n}: {}",
            resp.text().await.unwrap()
        );
        let resp = send(
            reqwest::Method::POST,
            "/Users".into(),
            Some(json!({"userName": user_name, "name":{"givenName":"J","familyName":"K"},"active":true})),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 201, "credential {n}");
        let created: serde_json::Value = resp.json().await.unwrap();
        let id = created["id"].as_str().expect("created").to_owned();
        for active in [false, true] {
            let resp = send(
                reqwest::Method::PATCH,
                format!("/Users/{id}"),
                Some(
                    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations":[{"op":"replace","value":{"active":active}}]}),
                ),
            )
            .await
            .unwrap();
            assert_eq!(resp.status(), 200, "credential {n}");
            let body: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(body["active"], active, "credential {n}");
        }
        let resp = send(
            reqwest::Method::POST,
            "/Groups".into(),
            Some(json!({"displayName": format!("Group {n}"),"members":[{"value":id}]})),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 201);
    }

    // Refused tokens, each with the check the log must name.
    let now = kit::now();
    let mut expired = kit::claims();
    expired["exp"] = json!(now - 3600);
    let mut wrong_aud = kit::claims();
    wrong_aud["aud"] = json!("api://someone-else");
    let confused = kit::sign(
        jsonwebtoken::Algorithm::HS256,
        Some("k1"),
        &kit::claims(),
        &jsonwebtoken::EncodingKey::from_secret(&kit::fixture("rsa-1.pub.pem")),
    );
    let refused = [
        (kit::unsigned(&kit::claims()), "alg-none check failed"),
        (kit::rs256("k1", &expired), "exp check failed"),
        (kit::rs256("k1", &wrong_aud), "audience check failed"),
        (confused, "algorithm check failed"),
        (
            kit::sign(
                jsonwebtoken::Algorithm::RS256,
                Some("k1"),
                &kit::claims(),
                &kit::rsa_key(2),
            ),
            "signature check failed",
        ),
    ];
    for (token, _) in &refused {
        let resp = http
            .get(format!("{base}/Users"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }

    sigterm(&child);
    let (status, log) = finish(child, output).await;
    assert!(status.success(), "{log}");
    assert!(log.contains("\"level\":\"DEBUG\""), "debug logging was on");
    for (_, check) in &refused {
        assert!(
            log.contains(check),
            "the log names the failed check: {check}"
        );
    }
    assert!(
        log.contains("okta-hs") && log.contains("entra"),
        "credential names are logged"
    );
    let mut secrets = vec![okta_token.to_owned(), HS_SECRET.to_owned()];
    for token in [&hs_token, &rs_token]
        .into_iter()
        .chain(refused.iter().map(|(t, _)| t))
    {
        secrets.push(token.clone());
        // No part of a token either: header, payload or signature.
        secrets.extend(token.split('.').filter(|p| p.len() > 16).map(str::to_owned));
    }
    for secret in secrets {
        assert!(
            !log.contains(&secret),
            "a secret or token leaked into the log: {}…",
            &secret[..8]
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
