//! The typed client against the simulator over real HTTP on 127.0.0.1: every call the bridge
//! will make, the invite lifecycle, the toggle's non-idempotence, the two kinds of id, the
//! cascading delete, key expiry, 429s, 5xx retries, and that the key never leaks.

use std::time::{Duration, Instant};

use allthenticate::model::{Rank, Status, UserTag, routes};
use allthenticate::sim::{ANY_ROUTE, Fault, NewUser, SimConfig};
use allthenticate::{
    AllthenticateClient, AllthenticateError, EmailId, InviteOutcome, SuspensionChange, UserId,
};
use serde_json::json;

mod common;

use common::{KEY, client, config, start, start_with};

#[tokio::test]
async fn the_list_carries_both_ids_status_rank_and_tag() {
    let running = start().await;
    running.sim.seed_demo();
    let users = client(&running).list_users().await.unwrap();
    assert_eq!(users.len(), 5);
    let alice = users
        .iter()
        .find(|u| u.email.as_deref() == Some("alice.admin@example.com"))
        .unwrap();
    assert_eq!(alice.rank, Some(Rank::Super));
    assert_eq!(alice.groups, ["Engineering"]);
    assert_ne!(alice.user_id.0, alice.email_id.0);
    let dan = users
        .iter()
        .find(|u| u.first_name.as_deref() == Some("Dan"))
        .unwrap();
    assert!(dan.is_suspended());
    assert_eq!(users.iter().filter(|u| u.is_guest()).count(), 1);
    // Everyone in one call: the API does not page.
    assert_eq!(running.sim.call_count("GET", routes::MULTIPLE_USERS), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn an_invite_is_pending_until_accepted_and_an_existing_account_is_added_at_once() {
    let running = start().await;
    let client = client(&running);
    running.sim.seed_user("member@example.com", "Mem", "Ber");

    assert_eq!(
        client
            .invite("new.person@example.com", false)
            .await
            .unwrap(),
        InviteOutcome::Invited
    );
    let pending = client.list_invites().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].email, "new.person@example.com");
    assert!(pending[0].added_date.is_some());
    assert_eq!(client.list_users().await.unwrap().len(), 1);

    // The invitee accepts (a control, over HTTP as a separate process would use it).
    let accepted = reqwest::Client::new()
        .post(format!("{}/_sim/invites/accept", running.base_url))
        .json(
            &json!({"email": "new.person@example.com", "first_name": "New", "last_name": "Person"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert!(client.list_invites().await.unwrap().is_empty());
    let users = client.list_users().await.unwrap();
    let new = users
        .iter()
        .find(|u| u.email.as_deref() == Some("new.person@example.com"))
        .unwrap();
    assert_eq!(
        (&new.status, &new.rank, &new.user_tag),
        (
            &Some(Status::Active),
            &Some(Rank::Regular),
            &Some(UserTag::User)
        )
    );
    assert_eq!(new.name.as_deref(), Some("New Person"));

    // An e-mail that already has an account is added at once; one switch for all, too.
    running
        .sim
        .set_has_account("known@example.com", Some("Kay".into()), None);
    assert_eq!(
        client.invite("known@example.com", false).await.unwrap(),
        InviteOutcome::Added
    );
    running.sim.set_every_email_has_account(true);
    assert_eq!(
        client.invite("anyone@example.com", true).await.unwrap(),
        InviteOutcome::Added
    );
    assert!(client.list_invites().await.unwrap().is_empty());
    assert_eq!(client.list_users().await.unwrap().len(), 4);

    assert_eq!(
        client.invite("MEMBER@example.com", false).await.unwrap(),
        InviteOutcome::AlreadyMember
    );
    assert_eq!(
        client.invite("not-an-address", false).await.unwrap(),
        InviteOutcome::Invalid
    );
    running.sim.set_every_email_has_account(false);
    running.sim.set_undeliverable("bounce@example.com");
    assert_eq!(
        client.invite("bounce@example.com", false).await.unwrap(),
        InviteOutcome::Failed
    );
    running.shutdown().await;
}

#[tokio::test]
async fn the_toggle_flips_and_set_suspended_only_toggles_when_needed() {
    let running = start().await;
    let client = client(&running);
    let ann = running
        .sim
        .seed_user("ann@example.com", "Ann", "Lee")
        .email_id;

    assert_eq!(
        client.toggle_suspension(ann).await.unwrap(),
        Some(Status::Suspended)
    );
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().status,
        Status::Suspended
    );
    assert_eq!(
        client.toggle_suspension(ann).await.unwrap(),
        Some(Status::Active)
    );
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().status,
        Status::Active
    );

    running.sim.reset_counts();
    assert_eq!(
        client.set_suspended(ann, true).await.unwrap(),
        SuspensionChange::Toggled
    );
    assert_eq!(
        client.set_suspended(ann, true).await.unwrap(),
        SuspensionChange::Unchanged
    );
    assert_eq!(running.sim.call_count("POST", routes::TOGGLE_SUSPENSION), 1);

    // Concurrent changes of one user are serialised: one toggle in all, not two.
    running.sim.reset_counts();
    let (a, b) = tokio::join!(
        client.set_suspended(ann, false),
        client.set_suspended(ann, false)
    );
    let changes = [a.unwrap(), b.unwrap()];
    assert!(changes.contains(&SuspensionChange::Toggled));
    assert!(changes.contains(&SuspensionChange::Unchanged));
    assert_eq!(running.sim.call_count("POST", routes::TOGGLE_SUSPENSION), 1);
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().status,
        Status::Active
    );

    match client.toggle_suspension(EmailId(42)).await {
        Err(AllthenticateError::NotFound { subject, .. }) => assert_eq!(subject, "email_id 42"),
        other => panic!("{other:?}"),
    }
    running.shutdown().await;
}

#[tokio::test]
async fn rank_is_set_by_user_id_and_an_email_id_finds_nobody() {
    let running = start().await;
    let client = client(&running);
    let bob = running.sim.seed_user("bob@example.com", "Bob", "Ray");

    client.modify_rank(bob.user_id, Rank::Admin).await.unwrap();
    assert_eq!(
        running.sim.user("bob@example.com").unwrap().rank,
        Rank::Admin
    );

    // The email_id's number used as a user_id: the ranges never meet, so nobody is found.
    let wrong = client
        .modify_rank(UserId(bob.email_id.0), Rank::Super)
        .await;
    assert!(
        matches!(wrong, Err(AllthenticateError::NotFound { .. })),
        "{wrong:?}"
    );
    assert_eq!(
        running.sim.user("bob@example.com").unwrap().rank,
        Rank::Admin
    );

    // A rank already held is not sent again.
    let listed = client.list_users().await.unwrap().remove(0);
    running.sim.reset_counts();
    assert!(!client.set_rank(&listed, Rank::Admin).await.unwrap());
    assert_eq!(running.sim.call_count("POST", routes::MODIFY_RANK), 0);
    assert!(client.set_rank(&listed, Rank::Regular).await.unwrap());
    assert_eq!(running.sim.call_count("POST", routes::MODIFY_RANK), 1);
    assert_eq!(
        running.sim.user("bob@example.com").unwrap().rank,
        Rank::Regular
    );
    running.shutdown().await;
}

#[tokio::test]
async fn delete_cascades_and_delete_by_email_removes_a_pending_invite() {
    let running = start().await;
    let client = client(&running);
    let sim = &running.sim;
    let cat = sim
        .add_user(
            NewUser::new("cat@example.com", "Cat", "Stone")
                .groups(&["Ops"])
                .policies(&["Cat's Door", "Shared"]),
        )
        .unwrap();
    sim.add_user(NewUser::new("dee@example.com", "Dee", "Ho").policies(&["Shared"]))
        .unwrap();
    sim.add_invite("cat@example.com");

    let detail = client.get_user(cat.email_id).await.unwrap();
    assert_eq!(detail.policies, ["Cat's Door", "Shared"]);

    client.delete_user(cat.email_id).await.unwrap();
    assert!(sim.user("cat@example.com").is_none());
    assert!(sim.invites().is_empty());
    // The sole-owner policy went with Cat; the shared one stays with Dee.
    let dee = sim.user("dee@example.com").unwrap();
    assert_eq!(dee.policies, ["Shared"]);
    assert!(matches!(
        client.get_user(cat.email_id).await,
        Err(AllthenticateError::NotFound { .. })
    ));
    assert!(matches!(
        client.delete_user(cat.email_id).await,
        Err(AllthenticateError::NotFound { .. })
    ));

    assert_eq!(
        client.invite("pending@example.com", false).await.unwrap(),
        InviteOutcome::Invited
    );
    client.delete_by_email("pending@example.com").await.unwrap();
    assert!(client.list_invites().await.unwrap().is_empty());
    client.delete_by_email("DEE@example.com").await.unwrap();
    assert!(client.list_users().await.unwrap().is_empty());
    assert!(matches!(
        client.delete_by_email("nobody@example.com").await,
        Err(AllthenticateError::NotFound { .. })
    ));
    running.shutdown().await;
}

#[tokio::test]
async fn a_key_in_another_header_travels_bare() {
    let running = start_with(SimConfig {
        api_key: KEY.to_owned(),
        key_header: "X-API-Key".to_owned(),
        ..SimConfig::default()
    })
    .await;
    running.sim.seed_user("ann@example.com", "Ann", "Lee");
    let bare = AllthenticateClient::new(config(&running, KEY).key_header("x-api-key")).unwrap();
    assert_eq!(bare.list_users().await.unwrap().len(), 1);
    // The default (Authorization: Bearer) is not what this organisation reads.
    assert!(matches!(
        client(&running).list_users().await,
        Err(AllthenticateError::Unauthorized { status: 401, .. })
    ));
    running.shutdown().await;
}

#[tokio::test]
async fn a_429_is_waited_out_for_as_long_as_retry_after_says() {
    let running = start().await;
    running.sim.seed_user("ann@example.com", "Ann", "Lee");
    running.sim.inject_fault(
        routes::MULTIPLE_USERS,
        Some("GET"),
        Fault::RateLimit {
            retry_after_secs: Some(1),
        },
        1,
    );
    let started = Instant::now();
    let users = client(&running).list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(running.sim.call_count("GET", routes::MULTIPLE_USERS), 2);

    // Throttled past the configured bound: a typed error carrying the wait asked for.
    running.sim.inject_fault(
        ANY_ROUTE,
        None,
        Fault::RateLimit {
            retry_after_secs: Some(60),
        },
        1,
    );
    let mut cfg = config(&running, KEY);
    cfg.max_rate_limit_wait = Duration::from_secs(2);
    match AllthenticateClient::new(cfg).unwrap().list_invites().await {
        Err(AllthenticateError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(60));
        }
        other => panic!("{other:?}"),
    }
    running.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_lost_replies_are_retried_but_never_for_the_toggle() {
    let running = start().await;
    let client = client(&running);
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");

    running
        .sim
        .inject_fault(routes::MULTIPLE_USERS, None, Fault::Status(503), 2);
    assert_eq!(client.list_users().await.unwrap().len(), 1);
    assert_eq!(running.sim.call_count("GET", routes::MULTIPLE_USERS), 3);

    running
        .sim
        .inject_fault(routes::USER, Some("GET"), Fault::Drop, 1);
    assert!(client.get_user(ann.email_id).await.is_ok());
    assert_eq!(running.sim.call_count("GET", routes::USER), 2);

    // Bounded: max_retries (3) retries, then a typed server error.
    running
        .sim
        .inject_fault(routes::INVITES, None, Fault::Status(500), 10);
    match client.list_invites().await {
        Err(AllthenticateError::Server { status: 500, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(running.sim.call_count("GET", routes::INVITES), 4);
    running.sim.clear_faults();

    // A toggle whose reply is a 500 may have toggled: it is not sent again.
    running
        .sim
        .inject_fault(routes::TOGGLE_SUSPENSION, None, Fault::Status(500), 1);
    assert!(matches!(
        client.toggle_suspension(ann.email_id).await,
        Err(AllthenticateError::Server { status: 500, .. })
    ));
    assert_eq!(running.sim.call_count("POST", routes::TOGGLE_SUSPENSION), 1);
    // ...nor after a lost reply.
    running
        .sim
        .inject_fault(routes::TOGGLE_SUSPENSION, None, Fault::Drop, 1);
    assert!(matches!(
        client.toggle_suspension(ann.email_id).await,
        Err(AllthenticateError::Unreachable { .. })
    ));
    assert_eq!(running.sim.call_count("POST", routes::TOGGLE_SUSPENSION), 2);
    // A 429 did nothing, so even the toggle goes again after one.
    running.sim.inject_fault(
        routes::TOGGLE_SUSPENSION,
        None,
        Fault::RateLimit {
            retry_after_secs: None,
        },
        1,
    );
    assert_eq!(
        client.toggle_suspension(ann.email_id).await.unwrap(),
        Some(Status::Suspended)
    );
    assert_eq!(running.sim.call_count("POST", routes::TOGGLE_SUSPENSION), 4);
    running.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_organisation_is_a_typed_transport_error() {
    let running = start().await;
    let cfg = config(&running, KEY);
    running.shutdown().await;
    let mut cfg = cfg;
    cfg.max_retries = 1;
    match AllthenticateClient::new(cfg).unwrap().list_users().await {
        Err(AllthenticateError::Unreachable { operation, detail }) => {
            assert_eq!(operation, "listUsers");
            assert!(detail.contains("connection failed"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}
