//! `IncydrTarget` (client included) against the Incydr simulator over real HTTP on 127.0.0.1:
//! what the core will see of Incydr through the target seam, and the Incydr calls it costs.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use incydr::model::routes;
use incydr::sim::{DEACTIVATE, Fault, RunningSim, SimConfig, Simulator, USER_ROLES};
use incydr::{ClientConfig, IncydrClient, IncydrTarget};
use secrecy::SecretString;
use target_api::{AccountRef, EntitlementChange, EntitlementId, ErrorKind, Profile, Target};

async fn start() -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Simulator::new(SimConfig::default())
        .spawn(addr)
        .await
        .unwrap()
}

fn target_for(running: &RunningSim, tune: impl FnOnce(&mut ClientConfig)) -> IncydrTarget {
    let config = running.sim.config();
    let mut client = ClientConfig::new(
        running.base_url.clone(),
        config.client_id.clone(),
        SecretString::from(config.client_secret.clone()),
    );
    client.retry_base_delay = Duration::from_millis(10);
    tune(&mut client);
    IncydrTarget::new(IncydrClient::new(client).unwrap())
}

fn ids(names: &[&str]) -> BTreeSet<EntitlementId> {
    names
        .iter()
        .map(|n| EntitlementId::parse(n).unwrap())
        .collect()
}

fn account(id: &str) -> AccountRef {
    AccountRef::new(id, None)
}

#[tokio::test]
async fn every_user_is_listed_in_pages_and_found_by_login_whatever_its_case() {
    let running = start().await;
    running.sim.seed_users(250, "corp.example");
    let ann = running.sim.seed_user("Ann.Lee@corp.example", "Ann", "Lee");
    let target = target_for(&running, |_| {});

    let accounts = target.list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 251);
    // 251 users at 100 a page: three pages, and the token.
    assert_eq!(running.sim.call_count("GET", routes::USERS), 3);

    let found = target
        .find_by_login("ann.lee@CORP.example")
        .await
        .unwrap()
        .expect("found whatever the case");
    assert_eq!(found.reference.id, ann.user_id);
    assert_eq!(
        (
            found.profile.given_name.as_str(),
            found.profile.family_name.as_str()
        ),
        ("Ann", "Lee")
    );
    assert!(found.active);
    assert!(
        target
            .find_by_login("nobody@corp.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn incydr_cannot_create_rename_or_delete_and_says_so_without_calling_it() {
    let running = start().await;
    let target = target_for(&running, |_| {});
    let profile = Profile {
        login: "new@corp.example".into(),
        given_name: "New".into(),
        family_name: "Hire".into(),
    };
    let created = target.create(&profile).await.unwrap_err();
    assert_eq!(created.kind(), &ErrorKind::Unsupported);
    assert!(created.to_string().contains("cannot create"), "{created}");
    let renamed = target
        .update_profile(&account("u-1"), &profile)
        .await
        .unwrap_err();
    assert_eq!(renamed.kind(), &ErrorKind::Unsupported);
    let deleted = target.delete(&account("u-1")).await.unwrap_err();
    assert_eq!(deleted.kind(), &ErrorKind::Unsupported);
    assert_eq!(
        running.sim.total_calls(),
        0,
        "no Incydr call for what it cannot do"
    );
}

#[tokio::test]
async fn deactivation_is_native_idempotent_keeps_roles_and_stops_at_a_legal_hold() {
    let running = start().await;
    let user = running.sim.seed_user("dee@corp.example", "Dee", "Act");
    running
        .sim
        .grant_roles(&user.user_id, &["desktop-user"])
        .unwrap();
    let target = target_for(&running, |_| {});
    let who = account(&user.user_id);

    target.set_active(&who, false).await.unwrap();
    target.set_active(&who, false).await.unwrap();
    assert!(!running.sim.user(&user.user_id).unwrap().active);
    assert_eq!(
        running.sim.roles_of(&user.user_id).unwrap(),
        ["desktop-user"],
        "roles survive deactivation, so reactivation restores access exactly"
    );
    target.set_active(&who, true).await.unwrap();
    assert!(running.sim.user(&user.user_id).unwrap().active);

    running.sim.set_legal_hold(&user.user_id, true).unwrap();
    let held = target.set_active(&who, false).await.unwrap_err();
    match held.kind() {
        ErrorKind::Blocked { reason } => {
            assert!(reason.contains("legal hold"), "{reason}");
            assert!(reason.contains("released"), "{reason}");
        }
        other => panic!("expected Blocked, got {other:?}: {held}"),
    }
    assert!(
        running.sim.user(&user.user_id).unwrap().active,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_role_change_is_one_put_of_the_whole_set_and_keeps_roles_set_by_hand() {
    let running = start().await;
    let user = running.sim.seed_user("rho@corp.example", "Rho", "Les");
    // An Incydr admin granted this one in the console; no group manages it.
    running
        .sim
        .grant_roles(&user.user_id, &["alerts-read"])
        .unwrap();
    let target = target_for(&running, |_| {});
    let who = account(&user.user_id);

    let managed = ids(&["desktop-user", "security-center-user"]);
    let first = EntitlementChange {
        desired: ids(&["desktop-user", "security-center-user"]),
        applied: ids(&[]),
        managed: managed.clone(),
    };
    target.set_entitlements(&who, &first).await.unwrap();
    assert_eq!(
        running.sim.roles_of(&user.user_id).unwrap(),
        ["alerts-read", "desktop-user", "security-center-user"]
    );
    assert_eq!(running.sim.call_count("PUT", USER_ROLES), 1);

    // Removed from the group that granted security-center-user.
    let second = EntitlementChange {
        desired: ids(&["desktop-user"]),
        applied: ids(&["desktop-user", "security-center-user"]),
        managed: managed.clone(),
    };
    target.set_entitlements(&who, &second).await.unwrap();
    assert_eq!(
        running.sim.roles_of(&user.user_id).unwrap(),
        ["alerts-read", "desktop-user"]
    );
    assert_eq!(running.sim.call_count("PUT", USER_ROLES), 2);
    assert_eq!(
        target.entitlements(&who).await.unwrap(),
        ids(&["alerts-read", "desktop-user"])
    );

    // Nothing to change: no PUT.
    let same = EntitlementChange {
        desired: ids(&["desktop-user"]),
        applied: ids(&["desktop-user"]),
        managed,
    };
    target.set_entitlements(&who, &same).await.unwrap();
    assert_eq!(running.sim.call_count("PUT", USER_ROLES), 2);
}

#[tokio::test]
async fn a_role_incydr_ignores_is_an_error_the_admin_sees() {
    let running = start().await;
    let user = running.sim.seed_user("ign@corp.example", "Ig", "Nored");
    let target = target_for(&running, |_| {});
    let change = EntitlementChange {
        desired: ids(&["desktop-user", "no-such-role"]),
        ..Default::default()
    };
    let err = target
        .set_entitlements(&account(&user.user_id), &change)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::UnknownEntitlement {
            id: EntitlementId::parse("no-such-role").unwrap()
        }
    );
    assert!(err.to_string().contains("no-such-role"), "{err}");
}

#[tokio::test]
async fn the_catalogue_is_the_roles_incydr_lets_this_client_assign() {
    let running = start().await;
    let target = target_for(&running, |_| {});
    let catalogue = target.entitlement_catalogue().await.unwrap();
    let desktop = catalogue
        .iter()
        .find(|e| e.id.as_str() == "desktop-user")
        .expect("the default catalogue has desktop-user");
    assert_eq!(desktop.display_name, "Desktop User");
    assert_eq!(catalogue.len(), running.sim.roles().len());
}

#[tokio::test]
async fn an_expired_or_revoked_token_is_replaced_once_mid_sequence() {
    let running = start().await;
    let user = running.sim.seed_user("tok@corp.example", "To", "Ken");
    let target = target_for(&running, |_| {});
    target.list_accounts().await.unwrap();
    running.sim.revoke_all_tokens();
    // The next call meets a 401, takes a new token and goes on.
    target
        .set_active(&account(&user.user_id), false)
        .await
        .unwrap();
    assert!(!running.sim.user(&user.user_id).unwrap().active);
    assert_eq!(running.sim.call_count("POST", routes::TOKEN), 2);
}

#[tokio::test]
async fn a_429_storm_past_the_bound_is_a_rate_limited_error_and_a_short_one_is_waited_out() {
    let running = start().await;
    let user = running.sim.seed_user("storm@corp.example", "St", "Orm");
    let target = target_for(&running, |c| c.max_rate_limit_wait = Duration::from_secs(2));
    let who = account(&user.user_id);

    // One 429 with Retry-After 1 s: waited out, then done.
    running.sim.inject_fault(
        DEACTIVATE,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: Some(1),
        },
        1,
    );
    target.set_active(&who, false).await.unwrap();
    assert!(!running.sim.user(&user.user_id).unwrap().active);

    // Incydr asks for a minute: past the 2 s bound, the caller hears it at once.
    running.sim.inject_fault(
        routes::USERS,
        Some("GET"),
        Fault::RateLimit {
            retry_after_secs: Some(60),
        },
        100,
    );
    let err = target.list_accounts().await.unwrap_err();
    match err.kind() {
        ErrorKind::RateLimited { retry_after } => {
            assert!(*retry_after >= Duration::from_secs(59), "{retry_after:?}")
        }
        other => panic!("expected RateLimited, got {other:?}: {err}"),
    }
}

#[tokio::test]
async fn accepted_credentials_are_known_from_the_token_in_use_without_a_call() {
    let running = start().await;
    let target = target_for(&running, |_| {});
    assert!(target.credentials_accepted_at().is_none(), "no token yet");
    target.client().authenticate().await.unwrap();
    let calls = running.sim.total_calls();
    assert!(target.credentials_accepted_at().is_some());
    assert_eq!(running.sim.total_calls(), calls, "asking costs no call");

    // Wrong credentials: no token, so access is not proven.
    let refused = target_for(&running, |c| c.client_secret = SecretString::from("wrong"));
    assert!(refused.client().authenticate().await.is_err());
    assert!(refused.credentials_accepted_at().is_none());
}
