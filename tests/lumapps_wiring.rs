//! The bridge with `BRIDGE_TARGET=lumapps` as it starts and reports its health: `/readyz`
//! names LumApps (never Falcon) when its credentials are refused, and a `[groups]` mapping,
//! which `check` says is ignored for LumApps, neither stops the start nor changes what a group
//! push does.

mod common;

use common::lumapps::{feed, serve, settings, start_sim};
use lumapps::sim::FEED_SUBSCRIBERS_SAVE;
use serde_json::{Value, json};

#[tokio::test]
async fn readyz_names_lumapps_and_never_falcon() {
    let sim = start_sim(|_| {}).await;
    let ready = serve(settings(&sim)).await;
    let (status, body) = ready.readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"status":"ready"}"#);

    // A secret LumApps refuses: the bridge still serves, and says why it is not ready.
    let mut wrong = settings(&sim);
    common::lumapps::lumapps_of(&mut wrong).client_secret =
        secrecy::SecretString::from("not-the-secret");
    let refused = serve(wrong).await;
    let (status, body) = refused.readyz().await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["problems"][0]["component"], "lumapps", "{body}");
    assert!(
        !body.to_string().to_lowercase().contains("falcon"),
        "{body}"
    );
}

#[tokio::test]
async fn a_groups_mapping_neither_stops_the_start_nor_changes_a_group_push() {
    let sim = start_sim(|sim| {
        sim.seed_user(json!({"email": "ann@corp.example"})).unwrap();
    })
    .await;
    let mut config = settings(&sim);
    // Names no feed: were the mapping checked against the feeds, the start would stop.
    config.tenants[0].core.group_roles =
        [("Security Team".to_owned(), vec!["no-such-feed".to_owned()])]
            .into_iter()
            .collect();
    let app = serve(config).await;
    let (status, ann) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    assert_eq!(status, 201, "{ann}");
    let group = app.create_group("Security Team").await;
    app.patch_members(&group, "add", &[ann["id"].as_str().unwrap()])
        .await;
    let feed = feed(&sim, "Security Team").expect("the group's own feed");
    assert_eq!(
        sim.sim.feed_members(feed["uid"].as_str().unwrap()).unwrap(),
        [sim.sim.user_by_email("ann@corp.example").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()]
    );
    assert_eq!(sim.sim.call_count("POST", FEED_SUBSCRIBERS_SAVE), 1);
}
