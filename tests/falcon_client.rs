//! The Falcon client against the simulator over real HTTP on loopback: tokens, retries,
//! throttling, paging, batching and typed errors.

mod common;

use std::time::{Duration, Instant};

use common::{client, client_config, spawn_sim};
use falcon::model::{CreateUserRequest, routes};
use falcon::sim::{ApiClientSpec, Fault, Scopes, SimConfig};
use falcon::{FalconClient, FalconError, Region};

fn uid(i: usize) -> String {
    format!("user{i:05}@example.com")
}

#[tokio::test]
async fn token_expiring_mid_run_is_refreshed_without_a_failed_call() {
    let sim = spawn_sim(SimConfig {
        token_lifetime: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let client = client(&sim);
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(5) {
        client
            .role_ids()
            .await
            .expect("no call fails across token expiry");
        calls += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(calls > 20);
    assert!(
        sim.sim.call_count(routes::TOKEN) >= 3,
        "a 2 s token over 5 s needs at least 3 tokens, got {}",
        sim.sim.call_count(routes::TOKEN)
    );
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries_once() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    client.role_ids().await.unwrap();
    sim.sim.revoke_all_tokens();
    sim.sim.reset_counts();
    let roles = client.role_ids().await.expect("retried with a new token");
    assert!(!roles.is_empty());
    assert_eq!(sim.sim.call_count(routes::TOKEN), 1);
    assert_eq!(sim.sim.call_count(routes::QUERY_ROLES), 2);
}

#[tokio::test]
async fn many_concurrent_callers_share_one_token_request() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let calls = (0..40).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.role_ids().await })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sim.sim.call_count(routes::TOKEN), 1);
}

#[tokio::test]
async fn a_429_burst_is_waited_out_using_the_header() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    client.authenticate().await.unwrap();
    sim.sim.inject_fault(
        routes::QUERY_ROLES,
        None,
        Fault::RateLimit {
            retry_after_secs: 1,
        },
        2,
    );
    let started = Instant::now();
    client
        .role_ids()
        .await
        .expect("succeeds once the limit clears");
    assert_eq!(sim.sim.throttled_count(), 2);
    assert_eq!(sim.sim.call_count(routes::QUERY_ROLES), 3);
    // RetryAfter is whole epoch seconds, so the wait cannot be shorter than what remains of it.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "it waited for the header"
    );
}

#[tokio::test]
async fn persistent_429_gives_the_typed_error_within_the_bound() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut cfg = client_config(&sim, &sim.sim.default_client());
    cfg.max_rate_limit_wait = Duration::from_secs(2);
    let client = FalconClient::new(cfg).unwrap();
    client.authenticate().await.unwrap();
    sim.sim.inject_fault(
        routes::QUERY_ROLES,
        None,
        Fault::RateLimit {
            retry_after_secs: 30,
        },
        1000,
    );
    let started = Instant::now();
    let err = client.role_ids().await.unwrap_err();
    match &err {
        FalconError::RateLimited { retry_after, .. } => {
            assert!(*retry_after > Duration::from_secs(20))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.to_string().contains("retry after"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up within the bound"
    );
}

#[tokio::test]
async fn server_errors_are_retried_for_reads() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    client.authenticate().await.unwrap();
    sim.sim
        .inject_fault(routes::QUERY_ROLES, None, Fault::Status(500), 2);
    client.role_ids().await.expect("third attempt succeeds");
    assert_eq!(sim.sim.call_count(routes::QUERY_ROLES), 3);

    sim.sim
        .inject_fault(routes::QUERY_ROLES, None, Fault::Drop, 1);
    client
        .role_ids()
        .await
        .expect("a dropped connection is retried for a read");
}

#[tokio::test]
async fn persistent_server_errors_surface_for_writes() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let user = sim.sim.seed_user("grant.me@example.com", "Grant", "Me");

    // A create is never sent twice: a lost reply could otherwise create a duplicate.
    sim.sim
        .inject_fault(routes::USERS, Some("POST"), Fault::Status(500), 1);
    let err = client
        .create_user(
            &CreateUserRequest {
                uid: "new@example.com".into(),
                first_name: "New".into(),
                last_name: "User".into(),
                ..Default::default()
            },
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, FalconError::Server(ref f) if f.status == 500),
        "{err:?}"
    );
    assert_eq!(sim.sim.call_count(routes::USERS), 1);

    // A grant is idempotent: retried, then surfaced when the failure persists.
    sim.sim
        .inject_fault(routes::USER_ROLE_ACTIONS, None, Fault::Status(503), 100);
    let err = client
        .grant_roles(&user.uuid, &user.cid, &["falcon_analyst".to_owned()])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FalconError::Server(ref f) if f.status == 503),
        "{err:?}"
    );
    assert_eq!(
        sim.sim.call_count(routes::USER_ROLE_ACTIONS),
        4,
        "1 call + 3 retries"
    );
    assert!(
        err.to_string().contains("trace id"),
        "the trace id is reported: {err}"
    );
    assert!(sim.sim.grants_of(&user.uuid).is_empty());
}

#[tokio::test]
async fn twelve_hundred_users_page_correctly() {
    let sim = spawn_sim(SimConfig::default()).await;
    let before = sim.sim.users().len();
    sim.sim.seed_users(1200, "paging.example.com");
    let client = client(&sim);
    sim.sim.reset_counts();
    let ids = client.query_user_ids(None).await.unwrap();
    assert_eq!(ids.len(), before + 1200);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(
        sim.sim.call_count(routes::QUERY_USERS),
        (before as u64 + 1200).div_ceil(500)
    );

    let users = client.list_all_users().await.unwrap();
    assert_eq!(users.len(), before + 1200);
    assert!(
        users
            .iter()
            .any(|u| u.uid == "user01199@paging.example.com"
                || u.uid.ends_with("@paging.example.com"))
    );
}

#[tokio::test]
async fn a_6000_id_lookup_is_split_into_batches() {
    let sim = spawn_sim(SimConfig::default()).await;
    let seeded = sim.sim.seed_users(6000, "batch.example.com");
    let client = client(&sim);
    let ids: Vec<String> = seeded.iter().map(|u| u.uuid.clone()).collect();
    sim.sim.reset_counts();
    let users = client.retrieve_users(&ids).await.unwrap();
    assert_eq!(users.len(), 6000);
    assert_eq!(sim.sim.call_count(routes::RETRIEVE_USERS), 2);
}

#[tokio::test]
async fn find_user_by_uid_quotes_and_ignores_case() {
    let sim = spawn_sim(SimConfig::default()).await;
    sim.sim.seed_user("o'brien@example.com", "Pat", "O'Brien");
    let client = client(&sim);
    let found = client
        .find_user_by_uid("O'Brien@Example.com")
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.last_name), Some("O'Brien".to_owned()));
    assert!(client.find_user_by_uid(&uid(1)).await.unwrap().is_none());
}

#[tokio::test]
async fn user_lifecycle_and_grants() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let request = CreateUserRequest {
        uid: "jane.doe@example.com".into(),
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        ..Default::default()
    };
    assert!(client.create_user(&request, true).await.unwrap().is_none());
    assert!(
        sim.sim.user_by_uid("jane.doe@example.com").is_none(),
        "validate_only creates nothing"
    );

    let user = client.create_user(&request, false).await.unwrap().unwrap();
    assert_eq!(user.uid, "jane.doe@example.com");
    let renamed = client.update_user(&user.uuid, "Jane", "Roe").await.unwrap();
    assert_eq!(renamed.last_name, "Roe");

    let roles = vec!["falcon_analyst".to_owned(), "event_viewer".to_owned()];
    client
        .grant_roles(&user.uuid, &user.cid, &roles)
        .await
        .unwrap();
    assert_eq!(
        sim.sim.grants_of(&user.uuid),
        vec!["event_viewer", "falcon_analyst"]
    );
    let grants = client.user_grants(&user.uuid).await.unwrap();
    let mut held: Vec<_> = grants.iter().map(|g| g.role_id.as_str()).collect();
    held.sort();
    assert_eq!(held, ["event_viewer", "falcon_analyst"]);

    client
        .revoke_roles(&user.uuid, &user.cid, &roles)
        .await
        .unwrap();
    assert!(sim.sim.grants_of(&user.uuid).is_empty());
    client.delete_user(&user.uuid).await.unwrap();
    assert!(sim.sim.user_by_uid("jane.doe@example.com").is_none());
    let err = client.delete_user(&user.uuid).await.unwrap_err();
    assert!(
        matches!(err, FalconError::UnknownUser { ref uuid, .. } if *uuid == user.uuid),
        "{err:?}"
    );
}

#[tokio::test]
async fn role_grants_are_chunked_by_100() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let user = sim.sim.seed_user("chunk@example.com", "Chunk", "Y");
    // 250 copies of a real role: Falcon-side this is 3 atomic calls of at most 100 ids.
    let roles = vec!["event_viewer".to_owned(); 250];
    client
        .grant_roles(&user.uuid, &user.cid, &roles)
        .await
        .unwrap();
    assert_eq!(sim.sim.call_count(routes::USER_ROLE_ACTIONS), 3);
}

#[tokio::test]
async fn invalid_role_and_missing_scope_are_distinct_typed_errors() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let user = sim.sim.seed_user("roles@example.com", "Role", "Tester");
    let err = client
        .grant_roles(
            &user.uuid,
            &user.cid,
            &["falcon_analyst".into(), "Falcon_Analyst".into()],
        )
        .await
        .unwrap_err();
    match &err {
        FalconError::InvalidRole { role_id, failure } => {
            assert_eq!(role_id, "Falcon_Analyst");
            assert_eq!(failure.status, 400);
            assert!(failure.trace_id.is_some());
        }
        other => panic!("expected InvalidRole, got {other:?}"),
    }
    assert!(
        sim.sim.grants_of(&user.uuid).is_empty(),
        "the grant is atomic"
    );

    let default = sim.sim.default_client();
    let read_only = ApiClientSpec {
        client_id: "0123456789abcdef0123456789abcdee".into(),
        client_secret: "r".repeat(40),
        cid: default.cid.clone(),
        scopes: Scopes {
            read: true,
            write: false,
        },
        region: default.region.clone(),
    };
    sim.sim.add_client(read_only.clone());
    let reader = FalconClient::new(client_config(&sim, &read_only)).unwrap();
    assert!(reader.role_ids().await.is_ok(), "reads are allowed");
    let err = reader.delete_user(&user.uuid).await.unwrap_err();
    assert!(
        matches!(err, FalconError::MissingScope(ref f) if f.status == 403),
        "{err:?}"
    );
    assert!(err.to_string().contains("Write scope"), "{err}");
}

#[tokio::test]
async fn wrong_region_is_reported_in_plain_words() {
    let sim = spawn_sim(SimConfig::default()).await;
    let default = sim.sim.default_client();
    let eu = ApiClientSpec {
        client_id: "fedcba9876543210fedcba9876543210".into(),
        client_secret: "e".repeat(40),
        region: "eu-1".into(),
        ..default
    };
    sim.sim.add_client(eu.clone());
    let mut cfg = client_config(&sim, &eu);
    cfg.expected_region = Some(Region::Us1);
    let client = FalconClient::new(cfg).unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "these credentials belong to eu-1; set FALCON_CLOUD=eu-1 (configured: us-1)"
    );
}

#[tokio::test]
async fn wrong_secret_is_an_authentication_error_without_the_secret() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut spec = sim.sim.default_client();
    spec.client_secret = "not-the-secret-but-long-enough-to-look-real".into();
    let client = FalconClient::new(client_config(&sim, &spec)).unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert!(
        matches!(err, FalconError::Authentication(ref f) if f.status == 403),
        "{err:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(&spec.client_secret),
        "the secret never appears: {text}"
    );
    assert!(text.contains("FALCON_CLIENT_SECRET"));
}

#[tokio::test]
async fn the_client_never_calls_a_deprecated_route() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let user = sim.sim.seed_user("legacy@example.com", "Leg", "Acy");
    client.list_all_users().await.unwrap();
    client.role_catalogue().await.unwrap();
    client.user_grants(&user.uuid).await.unwrap();
    for route in sim.sim.call_counts().keys() {
        let path = route.split_whitespace().nth(1).unwrap_or_default();
        assert!(
            path.starts_with("/user-management/") || path.starts_with("/oauth2/"),
            "unexpected route {route}"
        );
        assert!(
            !path.contains("/v1") || !path.contains("combined/user-roles"),
            "{route}"
        );
    }
}

#[tokio::test]
async fn role_catalogue_has_defaults_and_the_custom_role() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let roles = client.role_catalogue().await.unwrap();
    assert!(
        roles
            .iter()
            .any(|r| r.id == "falcon_administrator" && r.display_name == "Falcon Administrator")
    );
    assert!(
        roles
            .iter()
            .any(|r| r.kind.as_deref() == Some("custom") && r.cid.is_some())
    );
    // A child CID's custom role is not the parent's to grant.
    let cid = sim.sim.default_client().cid;
    let visible = sim
        .sim
        .roles()
        .into_iter()
        .filter(|r| r.cid.as_ref().is_none_or(|c| *c == cid))
        .count();
    assert_eq!(roles.len(), visible);
}
