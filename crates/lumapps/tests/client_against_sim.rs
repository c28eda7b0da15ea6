//! The LumApps client against the LumApps simulator over loopback HTTP: the two were written
//! apart from one reference, so this is where their readings of it must agree (impersonated
//! token, cursor paging with the empty-page edge case, whole-object saves that keep unknown
//! fields, duplicate e-mails, per-uid deletions, feeds and their members, a revoked token).

use std::time::Duration;

use lumapps::LumAppsError;
use lumapps::client::{ClientConfig, LumAppsClient};
use lumapps::model::{Feed, User, UserStatus};
use lumapps::sim::{RunningSim, SimConfig, Simulator, TOKEN};
use secrecy::SecretString;
use serde_json::json;

async fn start(prepare: impl FnOnce(&Simulator)) -> RunningSim {
    let sim = Simulator::new(SimConfig::default());
    prepare(&sim);
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client_for(running: &RunningSim) -> LumAppsClient {
    let sim = running.sim.config();
    let mut cfg = ClientConfig::new(
        running.base_url.clone(),
        sim.org_id.clone(),
        sim.client_id.clone(),
        SecretString::from(sim.client_secret.clone()),
        sim.admin_email.clone(),
    );
    cfg.retry_base_delay = Duration::from_millis(10);
    LumAppsClient::new(cfg).unwrap()
}

fn seed(sim: &Simulator, n: usize) {
    for i in 0..n {
        sim.seed_user(json!({
            "email": format!("user{i}@corp.example"),
            "firstName": "User",
            "lastName": format!("N{i}"),
            "accountType": "external",
        }))
        .unwrap();
    }
}

#[tokio::test]
async fn every_user_is_listed_across_capped_pages_and_the_empty_page() {
    let running = start(|sim| seed(sim, 230)).await;
    running.sim.set_empty_page_before_next(true);
    let client = client_for(&running);
    let users = client.list_users().await.unwrap();
    // 230 seeded plus the impersonated admin, each once.
    assert_eq!(users.len(), 231);
    let mut emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), 231);
}

#[tokio::test]
async fn a_rename_is_a_whole_object_save_that_keeps_what_the_bridge_does_not_know() {
    let running = start(|sim| {
        sim.seed_user(json!({
            "email": "ann@corp.example",
            "firstName": "Ann",
            "lastName": "Lee",
            "accountType": "external",
            "customProfile": {"office": "Lyon", "badges": [1, 2]},
            "locale": "fr",
        }))
        .unwrap();
    })
    .await;
    let client = client_for(&running);
    let mut ann = client
        .user_by_email("ANN@corp.example")
        .await
        .unwrap()
        .expect("found whatever the case");
    ann.last_name = Some("Martin".into());
    let saved = client.save_user(&ann).await.unwrap();
    assert_eq!(saved.last_name.as_deref(), Some("Martin"));
    let stored = running.sim.user_by_email("ann@corp.example").unwrap();
    assert_eq!(stored["lastName"], "Martin");
    assert_eq!(
        stored["customProfile"],
        json!({"office": "Lyon", "badges": [1, 2]})
    );
    assert_eq!(stored["locale"], "fr");
    assert!(
        client
            .user_by_email("nobody@corp.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn create_disable_duplicate_and_delete() {
    let running = start(|_| {}).await;
    let client = client_for(&running);
    let created = client
        .save_user(&User::new_external("new@corp.example", "New", "Person"))
        .await
        .unwrap();
    let uid = created.key().unwrap().to_owned();
    assert!(created.is_enabled());

    let mut off = client.user(&uid).await.unwrap();
    off.status = Some(UserStatus::Disabled);
    assert!(!client.save_user(&off).await.unwrap().is_enabled());
    assert_eq!(running.sim.user(&uid).unwrap()["status"], "disabled");

    let again = client
        .save_user(&User::new_external("NEW@corp.example", "New", "Person"))
        .await
        .unwrap_err();
    assert!(matches!(again, LumAppsError::Conflict { .. }), "{again:?}");

    let outcome = client
        .delete_users(&[uid.clone(), "999999".to_owned()])
        .await
        .unwrap();
    assert_eq!(outcome.len(), 2, "{outcome:?}");
    assert!(running.sim.user(&uid).is_none());
    assert!(matches!(
        client.user(&uid).await.unwrap_err(),
        LumAppsError::NotFound { .. }
    ));
}

#[tokio::test]
async fn feeds_are_created_renamed_filled_in_one_call_and_deleted() {
    let running = start(|sim| seed(sim, 3)).await;
    let client = client_for(&running);
    let feed = client.save_feed(&Feed::named("Security")).await.unwrap();
    let uid = feed.key().unwrap().to_owned();
    let duplicate = client
        .save_feed(&Feed::named("Security"))
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, LumAppsError::Conflict { .. }),
        "{duplicate:?}"
    );

    running.sim.reset_counts();
    let added: Vec<String> = (0..3).map(|i| format!("user{i}@corp.example")).collect();
    client.save_subscribers(&uid, &added, &[]).await.unwrap();
    let members = client.feed_members(&uid).await.unwrap();
    assert_eq!(members.len(), 3);
    client
        .save_subscribers(&uid, &[], &["user1@corp.example".to_owned()])
        .await
        .unwrap();
    assert_eq!(running.sim.feed_members(&uid).unwrap().len(), 2);

    let mut renamed = client.feed(&uid).await.unwrap();
    renamed.name = Some("Security Team".into());
    client.save_feed(&renamed).await.unwrap();
    assert!(
        client
            .list_feeds()
            .await
            .unwrap()
            .iter()
            .any(|f| f.name.as_deref() == Some("Security Team"))
    );
    client.delete_feed(&uid).await.unwrap();
    assert!(running.sim.feed_members(&uid).is_none());
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let running = start(|sim| seed(sim, 1)).await;
    let client = client_for(&running);
    client.list_users().await.unwrap();
    let fetched = running.sim.call_count("POST", TOKEN);
    assert_eq!(fetched, 1);
    running.sim.revoke_all_tokens();
    client.list_users().await.unwrap();
    assert_eq!(running.sim.call_count("POST", TOKEN), fetched + 1);
}
