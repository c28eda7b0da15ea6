//! The LumApps target against the LumApps simulator over loopback HTTP, as the core drives it:
//! the directory, create and its conflict, whole-object renames (refused for directory-owned
//! users), the status field, deletion, and what the target says it cannot do yet.

use std::time::Duration;

use lumapps::LumAppsTarget;
use lumapps::client::{ClientConfig, LumAppsClient};
use lumapps::sim::{FEED_SUBSCRIBERS_SAVE, RunningSim, SimConfig, Simulator, USER_SAVE};
use secrecy::SecretString;
use serde_json::json;
use target_api::{AccountRef, EntitlementChange, ErrorKind, Profile, Target};

async fn start() -> RunningSim {
    let sim = Simulator::new(SimConfig::default());
    sim.seed_user(json!({
        "email": "ann@corp.example",
        "firstName": "Ann",
        "lastName": "Lee",
        "accountType": "external",
        "customProfile": {"office": "Lyon"},
    }))
    .unwrap();
    sim.seed_user(json!({
        "email": "bo@corp.example",
        "firstName": "Bo",
        "lastName": "Chen",
        "accountType": "microsoft",
    }))
    .unwrap();
    sim.seed_feed("Security Team", &[]).unwrap();
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn target_for(running: &RunningSim) -> LumAppsTarget {
    let sim = running.sim.config();
    let mut cfg = ClientConfig::new(
        running.base_url.clone(),
        sim.org_id.clone(),
        sim.client_id.clone(),
        SecretString::from(sim.client_secret.clone()),
        sim.admin_email.clone(),
    );
    cfg.retry_base_delay = Duration::from_millis(10);
    LumAppsTarget::new(LumAppsClient::new(cfg).unwrap())
}

fn profile(login: &str, given: &str, family: &str) -> Profile {
    Profile {
        login: login.into(),
        given_name: given.into(),
        family_name: family.into(),
    }
}

fn id_of(running: &RunningSim, email: &str) -> AccountRef {
    let user = running.sim.user_by_email(email).unwrap();
    AccountRef::new(user["id"].as_str().unwrap(), None)
}

#[tokio::test]
async fn the_directory_and_look_ups() {
    let running = start().await;
    let target = target_for(&running);
    let accounts = target.list_accounts().await.unwrap();
    // Ann, Bo and the impersonated admin.
    assert_eq!(accounts.len(), 3);
    let ann = target
        .find_by_login("ANN@corp.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann.profile, profile("ann@corp.example", "Ann", "Lee"));
    assert!(ann.active);
    assert!(ann.created.is_some(), "createdAt is read");
    assert!(
        target
            .find_by_login("nobody@corp.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(target.credentials_accepted_at().is_some());
}

#[tokio::test]
async fn create_then_a_second_create_of_the_same_login_is_a_conflict() {
    let running = start().await;
    let target = target_for(&running);
    let created = target
        .create(&profile("new@corp.example", "New", "Person"))
        .await
        .unwrap();
    let stored = running.sim.user(&created.reference.id).unwrap();
    assert_eq!(stored["accountType"], "external");
    assert_eq!(stored["firstName"], "New");
    let again = target
        .create(&profile("NEW@corp.example", "New", "Person"))
        .await
        .unwrap_err();
    assert_eq!(again.kind(), &ErrorKind::Conflict, "{again}");
    assert!(again.trace_id().is_some(), "the call id travels along");
}

#[tokio::test]
async fn renames_keep_unknown_fields_and_directory_users_keep_their_names() {
    let running = start().await;
    let target = target_for(&running);
    let ann = id_of(&running, "ann@corp.example");
    target
        .update_profile(&ann, &profile("ann@corp.example", "Ann", "Martin"))
        .await
        .unwrap();
    let stored = running.sim.user(&ann.id).unwrap();
    assert_eq!(stored["lastName"], "Martin");
    assert_eq!(stored["customProfile"], json!({"office": "Lyon"}));

    // Same names: nothing to save.
    running.sim.reset_counts();
    target
        .update_profile(&ann, &profile("ann@corp.example", "Ann", "Martin"))
        .await
        .unwrap();
    assert_eq!(running.sim.call_count("POST", USER_SAVE), 0);

    let bo = id_of(&running, "bo@corp.example");
    let refused = target
        .update_profile(&bo, &profile("bo@corp.example", "Robert", "Chen"))
        .await
        .unwrap_err();
    match refused.kind() {
        ErrorKind::ReadOnly { reason } => {
            assert!(reason.contains("microsoft directory"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(running.sim.call_count("POST", USER_SAVE), 0);
    assert_eq!(running.sim.user(&bo.id).unwrap()["firstName"], "Bo");
}

#[tokio::test]
async fn deactivation_is_the_status_field_and_saves_only_a_change() {
    let running = start().await;
    let target = target_for(&running);
    // A directory user can be deactivated: only its names are the directory's.
    let bo = id_of(&running, "bo@corp.example");
    target.set_active(&bo, false).await.unwrap();
    assert_eq!(running.sim.user(&bo.id).unwrap()["status"], "disabled");
    running.sim.reset_counts();
    target.set_active(&bo, false).await.unwrap();
    assert_eq!(running.sim.call_count("POST", USER_SAVE), 0, "already off");
    target.set_active(&bo, true).await.unwrap();
    assert_eq!(running.sim.user(&bo.id).unwrap()["status"], "enabled");
    assert_eq!(running.sim.call_count("POST", USER_SAVE), 1);
}

#[tokio::test]
async fn delete_removes_the_user_and_a_second_delete_is_not_found() {
    let running = start().await;
    let target = target_for(&running);
    let ann = id_of(&running, "ann@corp.example");
    target.delete(&ann).await.unwrap();
    assert!(running.sim.user(&ann.id).is_none());
    let again = target.delete(&ann).await.unwrap_err();
    assert_eq!(again.kind(), &ErrorKind::NotFound, "{again}");
}

#[tokio::test]
async fn feeds_are_groups_created_renamed_filled_in_one_call_and_deleted() {
    let running = start().await;
    let target = target_for(&running);
    let catalogue = target.entitlement_catalogue().await.unwrap();
    assert_eq!(catalogue.len(), 1);
    assert_eq!(catalogue[0].display_name, "Security Team");
    let taken = target.create_group("Security Team").await.unwrap_err();
    assert_eq!(taken.kind(), &ErrorKind::Conflict, "{taken}");

    let feed = target.create_group("Analysts").await.unwrap();
    let (ann, bo) = (
        id_of(&running, "ann@corp.example"),
        id_of(&running, "bo@corp.example"),
    );
    running.sim.reset_counts();
    target
        .change_group_members(&feed.id, &[ann.clone(), bo.clone()], &[])
        .await
        .unwrap();
    assert_eq!(
        running.sim.call_count("POST", FEED_SUBSCRIBERS_SAVE),
        1,
        "one call for the group"
    );
    let mut members = running.sim.feed_members(feed.id.as_str()).unwrap();
    members.sort();
    let mut expected = vec![ann.id.clone(), bo.id.clone()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(
        target.entitlements(&ann).await.unwrap(),
        [feed.id.clone()].into()
    );

    // One user on its own: its feeds by the same call, one per feed it joins or leaves.
    let leave = EntitlementChange {
        applied: [feed.id.clone()].into(),
        ..Default::default()
    };
    target.set_entitlements(&bo, &leave).await.unwrap();
    let left = running.sim.feed_members(feed.id.as_str()).unwrap();
    assert_eq!(left, vec![ann.id.clone()]);

    target
        .rename_group(&feed.id, "Risk Analysts")
        .await
        .unwrap();
    assert!(
        running
            .sim
            .feeds()
            .iter()
            .any(|f| f["name"] == "Risk Analysts")
    );
    target.delete_group(&feed.id).await.unwrap();
    assert!(running.sim.feed_members(feed.id.as_str()).is_none());
}

#[tokio::test]
async fn an_admin_that_is_not_one_is_a_misconfiguration() {
    let running = start().await;
    let admin = running.sim.config().admin_email.clone();
    let admin_id = running.sim.user_by_email(&admin).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    running.sim.set_super_admin(&admin_id, false).unwrap();
    let target = target_for(&running);
    let ann = id_of(&running, "ann@corp.example");
    let refused = target.set_active(&ann, false).await.unwrap_err();
    assert_eq!(refused.kind(), &ErrorKind::Misconfigured, "{refused}");
    assert!(
        refused.to_string().contains("global administrator"),
        "{refused}"
    );
}
