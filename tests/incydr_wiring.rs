//! The bridge with `BRIDGE_TARGET=incydr` against the Incydr simulator, both on loopback ports
//! over real HTTP, as an IdP sees it: Okta's connection test, existing Incydr users listed and
//! found whatever the case, a `POST /Users` that adopts an existing user without a create call,
//! a group push that costs one roles `PUT`, `/readyz` naming Incydr, and a group mapping naming
//! a role Incydr does not have stopping the start.

mod common;

use common::incydr::{SECRET, serve, settings, writes};
use falcon_scim_bridge::startup::Application;
use incydr::sim::{RunningSim, USER_ROLES};
use serde_json::{Value, json};

/// The mapping the tests configure: a group name to role ids of the simulator's catalogue.
const ANALYSTS: (&str, &str) = ("Insider Risk Analysts", "insider-risk-analyst");

async fn start_sim() -> RunningSim {
    common::incydr::start_sim(|sim| {
        let ann = sim.seed_user("Ann.Lee@corp.example", "Ann", "Lee");
        // Granted in Incydr's console, mapped by no group: a roles PUT must keep it.
        sim.grant_roles(&ann.user_id, &["desktop-user"]).unwrap();
        sim.seed_user("bo.chen@corp.example", "Bo", "Chen");
    })
    .await
}

#[tokio::test]
async fn an_idp_sees_incydr_users_adopts_one_and_a_group_push_costs_one_roles_put() {
    let sim = start_sim().await;
    let ann = sim.sim.user_by_username("ann.lee@corp.example").unwrap();
    let bridge = serve(settings(&sim, SECRET, &[ANALYSTS])).await;

    // Okta's connection test: a userName nobody has, first page of one.
    let query = serde_urlencoded::to_string([
        ("filter", "userName eq \"x\""),
        ("startIndex", "1"),
        ("count", "1"),
    ])
    .unwrap();
    let (status, page) = bridge.get(&format!("/Users?{query}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 0, "{page}");
    assert_eq!(
        page["Resources"].as_array().map_or(0, Vec::len),
        0,
        "{page}"
    );

    // The Incydr users are listed, and found by userName in another case.
    let (status, all) = bridge.get("/Users").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["totalResults"], 2, "{all}");
    let found = bridge.find("ANN.LEE@CORP.EXAMPLE").await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["userName"], "Ann.Lee@corp.example");
    assert_eq!(found["Resources"][0]["id"], ann.user_id.as_str());

    // POST /Users for the existing Incydr user adopts it: 201, the same Incydr user, no write.
    let (status, adopted) = bridge
        .scim(
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "Ann.Lee@corp.example",
                "name": {"givenName": "Ann", "familyName": "Lee"},
                "active": true,
            })),
        )
        .await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(adopted["id"], ann.user_id.as_str(), "{adopted}");
    assert_eq!(writes(&sim), [], "adopting creates nothing in Incydr");
    assert_eq!(sim.sim.users().len(), 2);

    // Okta's Group Push: the group, then its member; Incydr gets the whole new role set in one
    // PUT, keeping the role granted in its console.
    let (status, group) = bridge
        .scim(
            reqwest::Method::POST,
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": ANALYSTS.0,
            })),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap();
    let (status, patched) = bridge
        .scim(
            reqwest::Method::PATCH,
            &format!("/Groups/{group_id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": ann.user_id}]}],
            })),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {patched}");
    assert_eq!(writes(&sim), [(format!("PUT {USER_ROLES}"), 1)]);
    assert_eq!(
        sim.sim.roles_of(&ann.user_id).unwrap(),
        ["desktop-user", ANALYSTS.1]
    );
}

#[tokio::test]
async fn readyz_names_incydr_and_never_falcon() {
    let sim = start_sim().await;
    let ready = serve(settings(&sim, SECRET, &[])).await;
    let (status, body) = ready.readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"status":"ready"}"#);

    // Credentials Incydr refuses: the bridge still serves, and says why it is not ready.
    let refused = serve(settings(&sim, "not-the-secret", &[])).await;
    let (status, body) = refused.readyz().await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["problems"],
        json!([{"component": "incydr", "problem": "no valid Incydr token; see the log for why"}]),
        "{body}"
    );
    assert!(
        !body.to_string().to_lowercase().contains("falcon"),
        "{body}"
    );
}

#[tokio::test]
async fn a_mapped_role_incydr_does_not_have_stops_the_start_naming_the_closest() {
    let sim = start_sim().await;
    // Incydr role ids are case-sensitive: "Cloud-Admin" is not "cloud-admin".
    let err = Application::build(settings(&sim, SECRET, &[("Incydr Admins", "Cloud-Admin")]))
        .await
        .err()
        .expect("the start stops");
    let text = err.to_string();
    assert!(
        text.contains(
            "group 'Incydr Admins' maps to Incydr role 'Cloud-Admin', which does not exist; \
             closest existing role ids: cloud-admin"
        ),
        "{text}"
    );
    assert_eq!(writes(&sim), [], "nothing was written before it stopped");
}
