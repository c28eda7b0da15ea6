//! Optional TLS: the bridge serving HTTPS itself with a certificate from files, shutting down
//! gracefully like the plain one, and the Docker health probe following it.

mod common;

use std::path::PathBuf;

use common::spawn_app_custom;
use falcon::sim::SimConfig;
use falcon_scim_bridge::tls::TlsFiles;
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

fn files() -> TlsFiles {
    TlsFiles {
        cert: fixture("cert.pem"),
        key: fixture("key.pem"),
    }
}

fn https_client() -> reqwest::Client {
    let cert =
        reqwest::Certificate::from_pem(&std::fs::read(fixture("cert.pem")).unwrap()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap()
}

#[tokio::test]
async fn scim_over_https_then_a_graceful_stop() {
    let app = spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| s.security.tls = Some(files()),
    )
    .await;
    assert!(app.base.starts_with("https://127.0.0.1:"), "{}", app.base);
    let client = https_client();
    let user = json!({"userName":"tls.user@example.com","name":{"givenName":"T","familyName":"L"}});
    let resp = client
        .post(app.url("/Users"))
        .bearer_auth(&app.token)
        .body(user.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // ALPN offers h2 first; reqwest takes it.
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let resp = client
        .get(app.url("/Users?filter=userName%20eq%20%22tls.user@example.com%22"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["totalResults"], 1);

    // Plain HTTP on the TLS port gets no SCIM answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", app.bridge_addr))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await;
    // The TLS handshake fails on it: no HTTP answer at all.
    assert!(plain.is_err(), "{plain:?}");
    // A client that does not trust the certificate is refused by the handshake.
    assert!(
        reqwest::Client::new()
            .get(format!(
                "https://127.0.0.1:{}/healthz",
                app.bridge_addr.port()
            ))
            .send()
            .await
            .is_err()
    );

    // The Docker health probe speaks HTTPS when BRIDGE_TLS_CERT is set.
    let probe = tokio::process::Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"))
        .arg("healthcheck")
        .env_clear()
        .env("BRIDGE_LISTEN", app.bridge_addr.to_string())
        .env("BRIDGE_TLS_CERT", fixture("cert.pem"))
        .env("RUST_LOG", "off")
        .status()
        .await
        .unwrap();
    assert!(probe.success());

    let addr = app.bridge_addr;
    app.stop().await.expect("a clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn unusable_certificate_files_stop_the_start_naming_the_variable() {
    let sim = common::spawn_sim(SimConfig::default()).await;
    let settings_for = |files: TlsFiles| {
        let mut settings = common::falcon_settings(&sim);
        settings.security.tls = Some(files);
        settings
    };
    let cases = [
        (
            TlsFiles {
                cert: fixture("key.pem"),
                key: fixture("key.pem"),
            },
            "BRIDGE_TLS_CERT",
        ),
        (
            TlsFiles {
                cert: fixture("cert.pem"),
                key: fixture("cert.pem"),
            },
            "BRIDGE_TLS_KEY",
        ),
        (
            TlsFiles {
                cert: fixture("cert.pem"),
                key: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/jwt/ec-1.key.pem"),
            },
            "do not form a usable pair",
        ),
    ];
    for (files, expected) in cases {
        let err = match falcon_scim_bridge::startup::Application::build(settings_for(files)).await {
            Ok(_) => panic!("{expected}: started anyway"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains('\n'));
    }
}
