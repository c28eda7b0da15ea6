//! The bridge with `BRIDGE_TARGET=allthenticate` against the Allthenticate simulator, both on
//! loopback ports over real HTTP, as Okta and Entra drive it: adoption of a member, an invitation
//! that stays pending until it is accepted (then linked, ranked and activated as the IdP asked),
//! suspension by a toggle that a repeated request never flips back, one rank from several
//! groups, deletion of a pending and of an active user, an expired key and a 429 storm.

mod common;

use std::time::Duration;

use allthenticate::model::{Rank, Status, routes};
use allthenticate::sim::{Fault, RunningSim};
use common::allthenticate::{
    ADMINS, STAFF, allthenticate_of, rank_changes, ranked, serve, start_sim, user,
};
use serde_json::json;

fn toggles(sim: &RunningSim) -> u64 {
    sim.sim.call_count("POST", routes::TOGGLE_SUSPENSION)
}

fn invitations(sim: &RunningSim) -> u64 {
    sim.sim.call_count("PUT", routes::INVITES)
}

#[tokio::test]
async fn a_member_is_adopted_and_a_new_email_is_pending_until_it_accepts() {
    let sim = start_sim(|sim| {
        sim.seed_user("ann@corp.example", "Ann", "Lee");
    })
    .await;
    let app = serve(ranked(&sim)).await;

    // A member already: adopted, no invitation, and its names stay Allthenticate's.
    let (status, ann) = app.post_user("ann@corp.example", "Annie", "Lee").await;
    assert_eq!(status, 201, "{ann}");
    assert_eq!(ann["name"]["givenName"], "Ann", "{ann}");
    assert_eq!(invitations(&sim), 0);

    // A new e-mail: invited, and pending, as the IdP set it.
    let (status, bob) = app.post_user("bob@corp.example", "Bob", "Stone").await;
    assert_eq!(status, 201, "{bob}");
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    assert_eq!(invitations(&sim), 1);
    let invites: Vec<String> = sim.sim.invites().into_iter().map(|i| i.email).collect();
    assert_eq!(invites, ["bob@corp.example"]);
    assert!(sim.sim.user("bob@corp.example").is_none());
    let found = app.find("bob@corp.example").await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], bob_id.as_str());
    assert_eq!(found["Resources"][0]["active"], true);
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert_eq!(report.pending.len(), 1, "{}", report.render());
    assert!(!report.pending[0].in_target);

    // Bob joins the admins while pending: nothing to send yet.
    let admins = app.create_group(ADMINS).await;
    app.patch_members(&admins, "add", &[&bob_id]).await;
    assert_eq!(rank_changes(&sim), 0);

    // Bob accepts; the next refresh links him under the id the IdP knows, and ranks him.
    sim.sim
        .accept_invite("bob@corp.example", "Robert", "Stone")
        .unwrap();
    app.bridge.refresh_directory().await.unwrap();
    let bob_now = user(&sim, "bob@corp.example");
    assert_eq!(bob_now.rank, Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);
    let (status, read) = app.get(&format!("/Users/{bob_id}")).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["userName"], "bob@corp.example");
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.pending.is_empty(), "{}", report.render());
    assert!(report.is_clean(), "{}", report.render());

    // Names are the person's own: a different one is refused, and nothing is sent.
    let calls = sim.sim.total_calls();
    let (status, refused) = app
        .patch_user(
            &bob_id,
            json!([{"op": "replace", "path": "name.givenName", "value": "Bobby"}]),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["scimType"], "mutability", "{refused}");
    assert_eq!(sim.sim.total_calls(), calls);
}

#[tokio::test]
async fn a_repeated_deactivation_toggles_once_and_reactivation_toggles_back() {
    let sim = start_sim(|sim| {
        sim.seed_user("cat@corp.example", "Cat", "Ng");
    })
    .await;
    let app = serve(ranked(&sim)).await;
    let (_, cat) = app.post_user("cat@corp.example", "Cat", "Ng").await;
    let cat = cat["id"].as_str().unwrap().to_owned();

    for _ in 0..2 {
        let (status, body) = app.set_active(&cat, false).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["active"], false);
    }
    assert_eq!(
        toggles(&sim),
        1,
        "the second request finds the user suspended"
    );
    assert_eq!(user(&sim, "cat@corp.example").status, Status::Suspended);

    // Entra's form of the same request changes nothing either.
    let (status, body) = app
        .patch_user(
            &cat,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(toggles(&sim), 1);

    let (status, body) = app.set_active(&cat, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(toggles(&sim), 2);
    assert_eq!(user(&sim, "cat@corp.example").status, Status::Active);
}

#[tokio::test]
async fn the_highest_rank_of_a_users_groups_wins_and_leaving_drops_it_in_one_call() {
    let sim = start_sim(|sim| {
        sim.seed_user("dan@corp.example", "Dan", "Ode");
    })
    .await;
    let app = serve(ranked(&sim)).await;
    let (_, dan) = app.post_user("dan@corp.example", "Dan", "Ode").await;
    let dan = dan["id"].as_str().unwrap().to_owned();
    let staff = app.create_group(STAFF).await;
    let admins = app.create_group(ADMINS).await;

    // REGULAR is what Dan has: joining the staff costs no call.
    app.patch_members(&staff, "add", &[&dan]).await;
    assert_eq!(rank_changes(&sim), 0);
    app.patch_members(&admins, "add", &[&dan]).await;
    assert_eq!(user(&sim, "dan@corp.example").rank, Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);

    // Leaving the admins: back to REGULAR, in one call.
    app.patch_members(&admins, "remove", &[&dan]).await;
    assert_eq!(user(&sim, "dan@corp.example").rank, Rank::Regular);
    assert_eq!(rank_changes(&sim), 2);
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());
}

#[tokio::test]
async fn deleting_a_pending_user_withdraws_its_invitation_and_an_active_one_leaves_the_org() {
    let sim = start_sim(|sim| {
        sim.seed_user("eve@corp.example", "Eve", "Roe");
    })
    .await;
    let app = serve(ranked(&sim)).await;
    let (_, eve) = app.post_user("eve@corp.example", "Eve", "Roe").await;
    let eve = eve["id"].as_str().unwrap().to_owned();
    let (_, fay) = app.post_user("fay@corp.example", "Fay", "Poe").await;
    let fay = fay["id"].as_str().unwrap().to_owned();
    assert_eq!(sim.sim.invites().len(), 1);

    // Deactivating the pending user withdraws the invitation; reactivating invites again.
    let (status, body) = app.set_active(&fay, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(sim.sim.invites().is_empty());
    let (status, body) = app.set_active(&fay, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.sim.invites().len(), 1);
    assert_eq!(invitations(&sim), 2);

    let (status, body) = app
        .scim(reqwest::Method::DELETE, &format!("/Users/{fay}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(sim.sim.invites().is_empty());
    let (status, _) = app.get(&format!("/Users/{fay}")).await;
    assert_eq!(status, 404);

    let (status, body) = app
        .scim(reqwest::Method::DELETE, &format!("/Users/{eve}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(sim.sim.user("eve@corp.example").is_none());
    let (status, _) = app.get(&format!("/Users/{eve}")).await;
    assert_eq!(status, 404);
    let found = app.find("eve@corp.example").await;
    assert_eq!(found["totalResults"], 0, "{found}");
}

#[tokio::test]
async fn an_expired_key_is_a_clear_error_and_a_429_storm_costs_only_time() {
    let sim = start_sim(|sim| {
        sim.seed_user("gus@corp.example", "Gus", "Lam");
    })
    .await;
    let mut config = ranked(&sim);
    allthenticate_of(&mut config).client.max_rate_limit_wait = Duration::from_secs(3);
    let app = serve(config).await;
    let (_, gus) = app.post_user("gus@corp.example", "Gus", "Lam").await;
    let gus = gus["id"].as_str().unwrap().to_owned();

    // Two 429s within the bound: waited out, the IdP sees a plain success.
    sim.sim.inject_fault(
        routes::TOGGLE_SUSPENSION,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: Some(1),
        },
        2,
    );
    let (status, body) = app.set_active(&gus, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(user(&sim, "gus@corp.example").status, Status::Suspended);
    assert_eq!(toggles(&sim), 3, "two 429s, then the toggle");

    // A storm past the bound: a SCIM 429 with Retry-After, and the user unchanged.
    sim.sim.inject_fault(
        routes::TOGGLE_SUSPENSION,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: Some(60),
        },
        100,
    );
    let (status, headers, body) = app
        .scim_with_headers(
            reqwest::Method::PATCH,
            &format!("/Users/{gus}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": true}}],
            })),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(headers.get("retry-after").is_some(), "{headers:?}");
    assert_eq!(user(&sim, "gus@corp.example").status, Status::Suspended);
    sim.sim.clear_faults();

    // The key expires: the IdP gets an error that says so, without the key.
    sim.sim.expire_keys(None);
    let (status, body) = app.set_active(&gus, true).await;
    assert_eq!(status, 503, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("API key"), "{detail}");
    assert!(!detail.contains(common::allthenticate::KEY), "{detail}");
    let (status, ready) = app.readyz().await;
    assert_eq!(status, 503, "{ready}");
}
