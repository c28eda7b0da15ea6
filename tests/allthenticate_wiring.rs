//! The bridge with `BRIDGE_TARGET=allthenticate` as it starts, reports its health and is
//! checked: its settings from the environment (the key from `_FILE`, a key header of the
//! organisation's own that reaches Allthenticate), each missing one named, the key in no output,
//! `check` (key and read access in one `/multipleusers`, the ranks, the mapping), `/readyz`
//! naming Allthenticate, and a `[groups]` mapping to SUPER stopping the start unless
//! `allow_super_rank` says otherwise. The SCIM lifecycle (invitations, pending users, ranks,
//! suspension) is `scim_allthenticate.rs`'s.

mod common;

use allthenticate::Rank;
use common::allthenticate::{
    KEY, allthenticate_of, command, settings, start_sim, start_sim_with_header, user, writes,
};
use common::process::{drain, finish, free_port, signal, wait_healthy};
use falcon_scim_bridge::startup::Application;
use serde_json::Value;

const SCIM_TOKENS: (&str, &str) = ("SCIM_BEARER_TOKENS", common::allthenticate::TOKEN);

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fsb-allth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// Runs `check` with `env`; its exit code and everything it printed.
async fn check(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = command(&["check"], env)
        .output()
        .await
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(KEY), "the key is never printed:\n{text}");
    (out.status.code(), text)
}

#[tokio::test]
async fn check_reads_the_key_from_a_file_sends_it_in_the_configured_header_and_shows_the_ranks() {
    let sim = start_sim_with_header("X-API-Key", |sim| sim.seed_demo()).await;
    let key_file = temp_file("allthenticate-key", &format!("{KEY}\n"));
    let config = temp_file(
        "bridge.toml",
        "[groups]\n\"Allthenticate Admins\" = \"ADMIN\"\n\"Helpdesk\" = [\"REGULAR\"]\n",
    );
    let (code, text) = check(&[
        SCIM_TOKENS,
        ("ALLTHENTICATE_BASE_URL", &sim.base_url),
        ("ALLTHENTICATE_API_KEY_FILE", key_file.to_str().unwrap()),
        ("ALLTHENTICATE_API_KEY_HEADER", "X-API-Key"),
        ("BRIDGE_CONFIG", config.to_str().unwrap()),
    ])
    .await;
    assert_eq!(code, Some(0), "{text}");
    for line in [
        format!(
            "[ok  ] configuration: Allthenticate API at {}, store sqlite::memory:",
            sim.base_url
        ),
        "[ok  ] Allthenticate API key: accepted (sent in X-API-Key)".to_owned(),
        "[ok  ] read access: 5 Allthenticate users visible".to_owned(),
        "[warn] write access: not probed: Allthenticate's API has no dry run".to_owned(),
        "[ok  ] capabilities: Allthenticate: POST /Users invites the user; active:false \
         deactivates the user; DELETE removes the user from the organisation; groups map to one \
         rank per user; names read-only"
            .to_owned(),
        "[ok  ] rank catalogue: 3 ranks: REGULAR, ADMIN, SUPER".to_owned(),
        "[ok  ] group mapping: 'Allthenticate Admins' -> ADMIN".to_owned(),
        "[ok  ] group mapping: 'Helpdesk' -> REGULAR".to_owned(),
        "[ok  ] rank mapping: a user gets the highest rank its groups map, REGULAR when none"
            .to_owned(),
        "no group may grant SUPER (allow_super_rank is off); new users are invited by \
         Allthenticate's e-mail"
            .to_owned(),
        "verdict: all checks passed; the bridge can provision this Allthenticate tenant (1 \
         warning above"
            .to_owned(),
    ] {
        assert!(text.contains(&line), "no '{line}' in:\n{text}");
    }
    // One call proves the key and the read access; nothing is written.
    assert_eq!(sim.sim.call_count("GET", "/multipleusers"), 1);
    assert_eq!(writes(&sim), Vec::<(String, u64)>::new());
    let _ = std::fs::remove_dir_all(key_file.parent().unwrap());
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[tokio::test]
async fn check_fails_on_a_wrong_key_or_header_and_on_super_unless_allowed() {
    let sim = start_sim(|sim| sim.seed_demo()).await;
    let base = sim.base_url.clone();
    let access = [SCIM_TOKENS, ("ALLTHENTICATE_BASE_URL", base.as_str())];

    let wrong = "not-the-allthenticate-key-0123456789";
    let (code, text) = check(&[access[0], access[1], ("ALLTHENTICATE_API_KEY", wrong)]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] Allthenticate API key: ")
            && text.contains(
                "(sent in Authorization: Bearer; ALLTHENTICATE_API_KEY, \
                              ALLTHENTICATE_API_KEY_HEADER;"
            )
            && text.contains("verdict: NOT ready")
            && !text.contains(wrong),
        "{text}"
    );

    // The right key in a header the organisation does not read.
    let (code, text) = check(&[
        access[0],
        access[1],
        ("ALLTHENTICATE_API_KEY", KEY),
        ("ALLTHENTICATE_API_KEY_HEADER", "X-API-Key"),
    ])
    .await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] Allthenticate API key: ") && text.contains("(sent in X-API-Key;"),
        "{text}"
    );

    // SUPER needs allow_super_rank, from the file's [allthenticate] table or the variable.
    let owners = temp_file(
        "bridge.toml",
        "[groups]\n\"Allthenticate Owners\" = \"SUPER\"\n",
    );
    let with_owners = [
        access[0],
        access[1],
        ("ALLTHENTICATE_API_KEY", KEY),
        ("BRIDGE_CONFIG", owners.to_str().unwrap()),
    ];
    let (code, text) = check(&with_owners).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "[FAIL] rank mapping: group 'Allthenticate Owners' in [groups] maps to \
             Allthenticate's SUPER rank"
        ) && text.contains("allow_super_rank = true")
            && text.contains("('serve' would stop at start)"),
        "{text}"
    );
    let mut allowed = with_owners.to_vec();
    allowed.push(("ALLTHENTICATE_ALLOW_SUPER_RANK", "true"));
    let (code, text) = check(&allowed).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("[ok  ] group mapping: 'Allthenticate Owners' -> SUPER")
            && text.contains("a group may grant SUPER (allow_super_rank)"),
        "{text}"
    );
    let allowing_file = temp_file(
        "bridge.toml",
        "[groups]\n\"Allthenticate Owners\" = \"SUPER\"\n\n[allthenticate]\nallow_super_rank = true\n",
    );
    let (code, text) = check(&[
        access[0],
        access[1],
        ("ALLTHENTICATE_API_KEY", KEY),
        ("BRIDGE_CONFIG", allowing_file.to_str().unwrap()),
    ])
    .await;
    assert_eq!(code, Some(0), "{text}");
    let _ = std::fs::remove_dir_all(owners.parent().unwrap());
    let _ = std::fs::remove_dir_all(allowing_file.parent().unwrap());
}

#[tokio::test]
async fn each_missing_setting_is_named_and_no_other_targets_is_asked_for() {
    let (code, text) = check(&[SCIM_TOKENS, ("ALLTHENTICATE_API_KEY", KEY)]).await;
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.contains("falcon-scim-bridge: ALLTHENTICATE_BASE_URL: required but not set"),
        "{text}"
    );
    let (code, text) = check(&[
        SCIM_TOKENS,
        ("ALLTHENTICATE_BASE_URL", "http://127.0.0.1:9"),
    ])
    .await;
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "ALLTHENTICATE_API_KEY: required but not set (set ALLTHENTICATE_API_KEY or \
             ALLTHENTICATE_API_KEY_FILE)"
        ),
        "{text}"
    );
    assert!(!text.contains("FALCON_"), "{text}");
}

#[tokio::test]
async fn readyz_names_allthenticate_and_never_falcon() {
    let sim = start_sim(|sim| sim.seed_demo()).await;
    let ready = common::allthenticate::serve(settings(&sim)).await;
    let (status, body) = ready.readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"status":"ready"}"#);

    // A key Allthenticate refuses: the bridge still serves, and says why it is not ready.
    let mut wrong = settings(&sim);
    allthenticate_of(&mut wrong).client.api_key = secrecy::SecretString::from("not-the-key");
    let refused = common::allthenticate::serve(wrong).await;
    let (status, body) = refused.readyz().await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["problems"][0]["component"], "allthenticate", "{body}");
    assert!(
        body["problems"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("Allthenticate has not accepted the API key"),
        "{body}"
    );
    assert!(
        !body.to_string().to_lowercase().contains("falcon"),
        "{body}"
    );
}

#[tokio::test]
async fn a_custom_key_header_reaches_the_simulator() {
    let sim = start_sim_with_header("X-Allthenticate-Key", |sim| sim.seed_demo()).await;
    let mut config = settings(&sim);
    assert_eq!(
        allthenticate_of(&mut config).client.key_header,
        "X-Allthenticate-Key"
    );
    let app = common::allthenticate::serve(config).await;
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200, "{body}");
    // The directory came through that header: the organisation's members are listed.
    let (status, page) = app.get("/Users?count=50").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 5, "{page}");
    assert!(sim.sim.call_count("GET", "/multipleusers") >= 1);

    // The same key as a bearer token is refused by this organisation.
    let mut bearer = settings(&sim);
    allthenticate_of(&mut bearer).client.key_header = "Authorization".to_owned();
    let refused = common::allthenticate::serve(bearer).await;
    let (status, body) = refused.readyz().await;
    assert_eq!(status, 503, "{body}");
}

#[tokio::test]
async fn a_super_mapping_stops_the_start_unless_allowed() {
    let sim = start_sim(|sim| {
        sim.seed_user("ann.lee@corp.example", "Ann", "Lee");
    })
    .await;
    let mut refused = settings(&sim);
    refused.tenants[0].core.group_roles = [
        ("Allthenticate Admins".to_owned(), vec!["ADMIN".to_owned()]),
        ("Allthenticate Owners".to_owned(), vec!["SUPER".to_owned()]),
    ]
    .into_iter()
    .collect();
    let Err(err) = Application::build(refused.clone()).await else {
        panic!("a SUPER mapping without allow_super_rank must stop the start");
    };
    let text = format!("{err:#}");
    assert!(
        text.starts_with(
            "group 'Allthenticate Owners' in [groups] maps to Allthenticate's SUPER rank"
        ) && text.contains("allow_super_rank = true in the [allthenticate] table of BRIDGE_CONFIG")
            && text.contains("ALLTHENTICATE_ALLOW_SUPER_RANK=true"),
        "{text}"
    );
    assert!(
        !text.contains("Admins"),
        "only the SUPER group is named: {text}"
    );
    // Stopped before any call to Allthenticate.
    assert_eq!(sim.sim.total_calls(), 0);

    let mut allowed = refused;
    allthenticate_of(&mut allowed).options.allow_super_rank = true;
    let app = common::allthenticate::serve(allowed).await;
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200, "{body}");
    // The allowed mapping does what it says: a member of the group gets SUPER.
    let (status, ann) = app.post_user("ann.lee@corp.example", "Ann", "Lee").await;
    assert_eq!(status, 201, "{ann}");
    let owners = app.create_group("Allthenticate Owners").await;
    app.patch_members(&owners, "add", &[ann["id"].as_str().unwrap()])
        .await;
    assert_eq!(user(&sim, "ann.lee@corp.example").rank, Rank::Super);
    assert_eq!(sim.sim.call_count("POST", "/modifyrank"), 1);
}

#[tokio::test]
async fn the_key_is_in_no_log_line() {
    let sim = start_sim(|sim| sim.seed_demo()).await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // Debug logging: everything the bridge says about its calls.
    let env = [
        SCIM_TOKENS,
        ("ALLTHENTICATE_BASE_URL", sim.base_url.as_str()),
        ("ALLTHENTICATE_API_KEY", KEY),
        ("BRIDGE_LISTEN", listen.as_str()),
        ("RUST_LOG", "debug"),
    ];
    let mut child = command(&["serve"], &env)
        .spawn()
        .expect("the binary starts");
    let output = drain(&mut child);
    wait_healthy(port).await;
    let http = reqwest::Client::new();
    let page: Value = http
        .get(format!("http://{listen}/scim/v2/Users"))
        .bearer_auth(common::allthenticate::TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalResults"], 5, "{page}");
    signal(&child, "-TERM");
    let (status, text) = finish(child, output).await;
    assert!(status.success(), "{text}");
    assert!(
        text.contains("directory loaded from Allthenticate"),
        "{text}"
    );
    assert!(!text.contains(KEY), "the key is in the log:\n{text}");
}
