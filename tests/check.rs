//! `falcon-scim-bridge check` against the simulator: its exit status for good credentials, a
//! wrong secret, a read-only API client, a wrong region and an unknown mapped role; and that it
//! needs no SCIM credential, reporting `serve`'s own settings as `[warn]` or `[FAIL]` lines.
//! The same against the Incydr simulator with `BRIDGE_TARGET=incydr`, which needs no Falcon
//! setting and says that it cannot probe write access; and against the LumApps simulator with
//! `BRIDGE_TARGET=lumapps`, which reports the feeds it found and ignores `[groups]` with a
//! warning.

mod common;

use tokio::process::Command;

use common::spawn_sim;
use falcon::sim::{ApiClientSpec, Scopes, SimConfig};

const TOKENS: (&str, &str) = (
    "SCIM_BEARER_TOKENS",
    "a-long-enough-token-for-the-check-subcommand",
);

/// Runs `check` with a SCIM token; its exit code (1 when a line is FAIL, 0 otherwise) and its
/// output.
async fn check(
    base_url: &str,
    spec: &ApiClientSpec,
    extra: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut env = vec![TOKENS];
    env.extend_from_slice(extra);
    check_with(base_url, spec, &env).await
}

/// Runs `check` with only the Falcon access, the store and `env` in its environment.
async fn check_with(
    base_url: &str,
    spec: &ApiClientSpec,
    extra: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"));
    cmd.arg("check")
        .env_clear()
        .env("FALCON_BASE_URL", base_url)
        .env("FALCON_CLIENT_ID", &spec.client_id)
        .env("FALCON_CLIENT_SECRET", &spec.client_secret)
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "error");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(&spec.client_secret),
        "the secret is never printed"
    );
    (out.status.code(), text)
}

#[tokio::test]
async fn good_credentials_pass() {
    let sim = spawn_sim(SimConfig::default()).await;
    let (code, text) = check(&sim.base_url, &sim.sim.default_client(), &[]).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("[ok  ] write scope"), "{text}");
    assert!(
        text.contains("[ok  ] SCIM endpoint: 1 credential(s), HTTP on 0.0.0.0:8080"),
        "{text}"
    );
    // No [groups]: a warning, which is worth a look but no failure.
    assert!(text.contains("[warn] group mapping: no [groups]"), "{text}");
    assert!(
        text.contains("verdict: all checks passed; the bridge can provision this Falcon tenant (1 warning above: worth a look, not a failure)"),
        "{text}"
    );
    assert_eq!(sim.sim.users().len(), 0, "check creates nothing");
}

#[tokio::test]
async fn no_scim_credential_is_needed_and_a_bad_one_fails() {
    let sim = spawn_sim(SimConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("fsb-check-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bridge.toml");
    std::fs::write(
        &file,
        "[groups]\n\"Falcon Analysts\" = [\"falcon_analyst\"]\n",
    )
    .unwrap();
    let config = ("BRIDGE_CONFIG", file.to_str().unwrap());
    let client = sim.sim.default_client();
    // Every line OK: exit 0 and no warning.
    let (code, text) = check(&sim.base_url, &client, &[config]).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("[warn]"), "{text}");
    assert!(
        text.contains("verdict: all checks passed; the bridge can provision this Falcon tenant\n"),
        "{text}"
    );
    // Without SCIM_BEARER_TOKENS: check runs, warns that serve needs one, and passes.
    let (code, text) = check_with(&sim.base_url, &client, &[config]).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("[warn] SCIM endpoint: no SCIM credential")
            && text.contains("'serve' needs one"),
        "{text}"
    );
    assert!(text.contains("[ok  ] write scope"), "{text}");
    assert!(text.contains("(1 warning above"), "{text}");
    // A token serve would refuse: check fails and says why.
    let (code, text) = check_with(
        &sim.base_url,
        &client,
        &[config, ("SCIM_BEARER_TOKENS", "too-short")],
    )
    .await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] SCIM endpoint: SCIM_BEARER_TOKENS: token 1 of 1")
            && text.contains("('serve' would stop at start)")
            && !text.contains("too-short"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_wrong_secret_fails() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut spec = sim.sim.default_client();
    spec.client_secret = "x".repeat(40);
    let (code, text) = check(&sim.base_url, &spec, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("verdict: NOT ready") && text.contains("falcon-scim-bridge: check failed"),
        "{text}"
    );
    assert!(
        text.contains("[FAIL] Falcon token") && text.contains("FALCON_CLIENT_SECRET"),
        "{text}"
    );
}

#[tokio::test]
async fn a_read_only_client_fails_on_write_scope() {
    let sim = spawn_sim(SimConfig::default()).await;
    let default = sim.sim.default_client();
    let reader = ApiClientSpec {
        client_id: "0123456789abcdef0123456789abcd01".into(),
        client_secret: "r".repeat(40),
        scopes: Scopes {
            read: true,
            write: false,
        },
        ..default
    };
    sim.sim.add_client(reader.clone());
    let (code, text) = check(&sim.base_url, &reader, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("verdict: NOT ready") && text.contains("falcon-scim-bridge: check failed"),
        "{text}"
    );
    assert!(text.contains("[ok  ] read scope"), "{text}");
    assert!(
        text.contains("[FAIL] write scope") && text.contains("Write scope"),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_region_fails_in_plain_words() {
    let sim = spawn_sim(SimConfig::default()).await;
    let default = sim.sim.default_client();
    let eu = ApiClientSpec {
        client_id: "0123456789abcdef0123456789abcd02".into(),
        client_secret: "e".repeat(40),
        region: "eu-1".into(),
        ..default
    };
    sim.sim.add_client(eu.clone());
    // FALCON_CLOUD names the expected region even when FALCON_BASE_URL points elsewhere.
    let (code, text) = check(&sim.base_url, &eu, &[("FALCON_CLOUD", "us-2")]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("verdict: NOT ready") && text.contains("falcon-scim-bridge: check failed"),
        "{text}"
    );
    assert!(
        text.contains("these credentials belong to eu-1; set FALCON_CLOUD=eu-1"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_mapped_role_fails_with_suggestions() {
    let sim = spawn_sim(SimConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("fsb-check-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bridge.toml");
    std::fs::write(
        &file,
        "[groups]\n\"Falcon Admins\" = [\"falcon_admin\"]\n\
         \"Falcon Administrators\" = [\"Falcon Administrator\"]\n",
    )
    .unwrap();
    let (code, text) = check(
        &sim.base_url,
        &sim.sim.default_client(),
        &[("BRIDGE_CONFIG", file.to_str().unwrap())],
    )
    .await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("verdict: NOT ready") && text.contains("falcon-scim-bridge: check failed"),
        "{text}"
    );
    assert!(
        text.contains("group 'Falcon Admins' maps to Falcon role 'falcon_admin', which does not exist; closest existing role ids: falcon_administrator"),
        "{text}"
    );
    // A role's display name, spelled as Falcon spells it, is as good as its id.
    assert!(
        text.contains("[ok  ] group mapping: 'Falcon Administrators' -> falcon_administrator"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The Incydr simulator with two users, on a loopback port.
async fn incydr_sim() -> incydr::sim::RunningSim {
    let sim = incydr::sim::Simulator::new(incydr::sim::SimConfig::default());
    sim.seed_user("ann.lee@corp.example", "Ann", "Lee");
    sim.seed_user("bo.chen@corp.example", "Bo", "Chen");
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Runs `check` with `BRIDGE_TARGET=incydr`, no Falcon variable, and `env`.
async fn check_incydr(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"));
    cmd.arg("check")
        .env_clear()
        .env("BRIDGE_TARGET", "incydr")
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "error");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A file in a fresh temporary directory holding `text`.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fsb-check-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

#[tokio::test]
async fn incydr_passes_with_its_token_roles_mapping_and_reads_and_says_writes_are_unprobed() {
    let sim = incydr_sim().await;
    let config = sim.sim.config().clone();
    // The secret from a file, as Docker and Kubernetes mount it.
    let secret = temp_file("incydr-secret", &format!("{}\n", config.client_secret));
    let mapping = temp_file(
        "bridge.toml",
        "[groups]\n\"Insider Risk Analysts\" = [\"insider-risk-analyst\", \"alerts-read\"]\n",
    );
    let (code, text) = check_incydr(&[
        TOKENS,
        ("INCYDR_BASE_URL", &sim.base_url),
        ("INCYDR_CLIENT_ID", &config.client_id),
        ("INCYDR_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
        ("BRIDGE_CONFIG", mapping.to_str().unwrap()),
    ])
    .await;
    assert_eq!(code, Some(0), "{text}");
    for line in [
        format!(
            "[ok  ] configuration: Incydr API at {}, store sqlite::memory:",
            sim.base_url
        ),
        format!(
            "[ok  ] Incydr token: obtained for API client {}",
            config.client_id
        ),
        "[ok  ] read access: 2 Incydr users visible".to_owned(),
        "[warn] write access: not probed: Incydr's API has no dry run".to_owned(),
        "[ok  ] capabilities: Incydr: POST /Users only adopts existing users".to_owned(),
        "[ok  ] role catalogue: 6 roles: desktop-user,".to_owned(),
        "[ok  ] group mapping: 'Insider Risk Analysts' -> insider-risk-analyst, alerts-read"
            .to_owned(),
        "verdict: all checks passed; the bridge can provision this Incydr tenant (1 warning above"
            .to_owned(),
    ] {
        assert!(text.contains(&line), "no '{line}' in:\n{text}");
    }
    assert!(!text.contains("Falcon"), "{text}");
    assert!(
        !text.contains(&config.client_secret),
        "the secret is never printed"
    );
    let writes = sim
        .sim
        .call_counts()
        .routes
        .into_keys()
        .filter(|route| !route.starts_with("GET ") && route != "POST /v1/oauth")
        .collect::<Vec<_>>();
    assert_eq!(
        writes,
        Vec::<String>::new(),
        "check changes nothing in Incydr"
    );
    for file in [secret, mapping] {
        let _ = std::fs::remove_dir_all(file.parent().unwrap());
    }
}

#[tokio::test]
async fn incydr_fails_on_a_wrong_secret_an_unknown_role_or_a_missing_url() {
    let sim = incydr_sim().await;
    let config = sim.sim.config().clone();
    let access = [
        ("INCYDR_BASE_URL", sim.base_url.as_str()),
        ("INCYDR_CLIENT_ID", config.client_id.as_str()),
    ];

    let wrong = "not-the-incydr-secret-0123456789";
    let (code, text) = check_incydr(&[access[0], access[1], ("INCYDR_CLIENT_SECRET", wrong)]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] Incydr token: Incydr refused API client")
            && text.contains("INCYDR_CLIENT_SECRET")
            && text.contains("verdict: NOT ready")
            && !text.contains(wrong),
        "{text}"
    );

    let mapping = temp_file(
        "bridge.toml",
        "[groups]\n\"Incydr Admins\" = [\"cloud-admn\"]\n",
    );
    let (code, text) = check_incydr(&[
        access[0],
        access[1],
        ("INCYDR_CLIENT_SECRET", &config.client_secret),
        ("BRIDGE_CONFIG", mapping.to_str().unwrap()),
    ])
    .await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "[FAIL] group mapping: group 'Incydr Admins' maps to Incydr role 'cloud-admn', which \
             does not exist; closest existing role ids: cloud-admin"
        ),
        "{text}"
    );

    // Falcon's variables are not wanted; Incydr's are, each by name.
    let (code, text) =
        check_incydr(&[access[1], ("INCYDR_CLIENT_SECRET", &config.client_secret)]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("falcon-scim-bridge: INCYDR_BASE_URL: required but not set"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(mapping.parent().unwrap());
}

/// The LumApps simulator with one user and the feeds `feeds`, on a loopback port.
async fn lumapps_sim(feeds: &[&str]) -> lumapps::sim::RunningSim {
    let sim = lumapps::sim::Simulator::new(lumapps::sim::SimConfig::default());
    sim.seed_user(serde_json::json!({"email": "ann.lee@corp.example"}))
        .unwrap();
    for feed in feeds {
        sim.seed_feed(feed, &[]).unwrap();
    }
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Runs `check` with `BRIDGE_TARGET=lumapps`, the simulator's access but for `secret`, and
/// `env`.
async fn check_lumapps(
    sim: &lumapps::sim::RunningSim,
    secret: (&str, &str),
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let config = sim.sim.config();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"));
    cmd.arg("check")
        .env_clear()
        .env("BRIDGE_TARGET", "lumapps")
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "error")
        .env("LUMAPPS_BASE_URL", &sim.base_url)
        .env("LUMAPPS_ORGANIZATION_ID", &config.org_id)
        .env("LUMAPPS_CLIENT_ID", &config.client_id)
        .env("LUMAPPS_ADMIN_EMAIL", &config.admin_email)
        .env(secret.0, secret.1);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test]
async fn lumapps_passes_with_its_token_users_and_feeds_and_says_writes_are_unprobed() {
    let sim = lumapps_sim(&["Security Team", "All Staff"]).await;
    let config = sim.sim.config().clone();
    // The secret from a file, as Docker and Kubernetes mount it.
    let secret = temp_file("lumapps-secret", &format!("{}\n", config.client_secret));
    let (code, text) = check_lumapps(
        &sim,
        ("LUMAPPS_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
        &[TOKENS],
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    for line in [
        format!(
            "[ok  ] configuration: LumApps API at {}, store sqlite::memory:",
            sim.base_url
        ),
        format!(
            "[ok  ] LumApps token: obtained for application {}, impersonating {}",
            config.client_id, config.admin_email
        ),
        format!(
            "[ok  ] user list: 2 LumApps users visible to {}",
            config.admin_email
        ),
        "[ok  ] feed list: 2 feeds (a SCIM group of the same name adopts its feed): \
         'Security Team', 'All Staff'"
            .to_owned(),
        "[warn] write access: not probed: LumApps' API has no dry run".to_owned(),
        "[ok  ] capabilities: LumApps: POST /Users creates the user".to_owned(),
        "verdict: all checks passed; the bridge can provision this LumApps tenant (1 warning above"
            .to_owned(),
    ] {
        assert!(text.contains(&line), "no '{line}' in:\n{text}");
    }
    assert!(!text.contains("role catalogue"), "{text}");
    assert!(!text.contains("group mapping"), "{text}");
    assert!(!text.contains(&config.client_secret), "{text}");
    let writes = sim
        .sim
        .call_counts()
        .routes
        .into_keys()
        .filter(|route| !route.starts_with("GET ") && !route.ends_with("/application-token"))
        .collect::<Vec<_>>();
    assert_eq!(
        writes,
        Vec::<String>::new(),
        "check changes nothing in LumApps"
    );
    let _ = std::fs::remove_dir_all(secret.parent().unwrap());
}

#[tokio::test]
async fn lumapps_says_when_there_is_no_feed_and_that_groups_are_ignored() {
    let sim = lumapps_sim(&[]).await;
    let config = sim.sim.config().clone();
    let mapping = temp_file(
        "bridge.toml",
        "[groups]\n\"Security Team\" = [\"whatever\"]\n",
    );
    let (code, text) = check_lumapps(
        &sim,
        ("LUMAPPS_CLIENT_SECRET", &config.client_secret),
        &[TOKENS, ("BRIDGE_CONFIG", mapping.to_str().unwrap())],
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    for line in [
        "[ok  ] feed list: no feeds yet: each SCIM group will create its own",
        "[warn] group mapping: [groups] ('Security Team') is ignored for LumApps: a SCIM group is \
         the LumApps group of the same name, adopted or created",
        "(2 warnings above",
    ] {
        assert!(text.contains(line), "no '{line}' in:\n{text}");
    }
    let _ = std::fs::remove_dir_all(mapping.parent().unwrap());
}

#[tokio::test]
async fn lumapps_fails_on_a_wrong_secret_or_a_missing_variable() {
    let sim = lumapps_sim(&[]).await;
    let wrong = "not-the-lumapps-secret-0123456789";
    let (code, text) = check_lumapps(&sim, ("LUMAPPS_CLIENT_SECRET", wrong), &[]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] LumApps token: ")
            && text.contains("LUMAPPS_CLIENT_SECRET, LUMAPPS_ADMIN_EMAIL)")
            && text.contains("verdict: NOT ready")
            && !text.contains(wrong),
        "{text}"
    );

    // LumApps' variables are each required by name.
    let config = sim.sim.config().clone();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"));
    cmd.arg("check")
        .env_clear()
        .env("BRIDGE_TARGET", "lumapps")
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("LUMAPPS_BASE_URL", &sim.base_url)
        .env("LUMAPPS_ORGANIZATION_ID", &config.org_id)
        .env("LUMAPPS_CLIENT_ID", &config.client_id)
        .env("LUMAPPS_CLIENT_SECRET", &config.client_secret);
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("falcon-scim-bridge: LUMAPPS_ADMIN_EMAIL: required but not set"),
        "{stderr}"
    );
}
