//! An IdP retries what failed. A request answered with a failure must leave no state that
//! changes the answer to its retry: a `POST /Groups` whose grants failed after its members were
//! stored, retried, is answered as its first success would have been (201, the same group, the
//! grants made), not with a 409; a `POST /Users` whose create failed leaves nothing behind, and
//! one whose direct roles could not be granted is finished by its retry.

mod common;

use falcon::model::routes;
use falcon::sim::Fault;
use serde_json::{Value, json};

fn user(login: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": "Re", "familyName": "Try"},
        "active": true
    })
}

fn group(name: &str, external_id: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "externalId": external_id,
        "members": members
    })
}

#[tokio::test]
async fn a_group_push_retried_after_its_grants_failed_is_answered_as_a_first_success() {
    let app = common::spawn_app().await;
    let member = app
        .expect(app.post("/Users", &user("re@example.com")), 201)
        .await;
    let id = member["id"].as_str().unwrap();
    let uuid = app.sim.sim.user_by_uid("re@example.com").unwrap().uuid;

    app.sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Status(503),
        50,
    );
    let push = group("Falcon Analyst", "okta-grp-1", &[id]);
    let failed = app.expect(app.post("/Groups", &push), 503).await;
    assert_eq!(failed["status"], "503");
    assert!(app.sim.sim.grants_of(&uuid).is_empty());

    // Another group of that name is still a conflict; so is one with another externalId.
    let other = group("Falcon Analyst", "okta-grp-2", &[id]);
    app.expect(app.post("/Groups", &other), 409).await;

    // The IdP's retry of the same POST succeeds, with the group stored by the first attempt.
    app.sim.sim.clear_faults();
    let created = app.expect(app.post("/Groups", &push), 201).await;
    assert_eq!(created["displayName"], "Falcon Analyst");
    assert_eq!(created["externalId"], "okta-grp-1");
    assert_eq!(created["members"][0]["value"], id);
    assert_eq!(app.sim.sim.grants_of(&uuid), ["falcon_analyst"]);
    let found = app
        .expect(
            app.get("/Groups?filter=displayName%20eq%20%22Falcon%20Analyst%22"),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], created["id"]);

    // Once answered with success, the same POST again is the duplicate it is.
    let duplicate = app.expect(app.post("/Groups", &push), 409).await;
    assert_eq!(duplicate["scimType"], "uniqueness");
}

#[tokio::test]
async fn a_user_push_retried_after_its_create_failed_is_created() {
    let app = common::spawn_app().await;
    app.sim
        .sim
        .inject_fault(routes::USERS, Some("POST"), Fault::Status(500), 1);
    let failed = app
        .expect(app.post("/Users", &user("again@example.com")), 503)
        .await;
    assert_eq!(failed["status"], "503");
    let created = app
        .expect(app.post("/Users", &user("again@example.com")), 201)
        .await;
    assert_eq!(created["userName"], "again@example.com");
    assert!(app.sim.sim.user_by_uid("again@example.com").is_some());
    app.expect(app.post("/Users", &user("again@example.com")), 409)
        .await;
}

#[tokio::test]
async fn a_user_push_retried_after_its_direct_roles_failed_is_answered_as_a_first_success() {
    use bridge::roles::{DirectRoles, RoleAllowlist};
    let open = DirectRoles {
        allowlist: RoleAllowlist::Listed(vec!["falcon_analyst".into()]),
        aliases: Default::default(),
    };
    let app = common::spawn_app_custom(
        falcon::sim::SimConfig::default(),
        |_| {},
        |s| s.tenants[0].core.policy.direct_roles = open,
    )
    .await;
    let mut body = user("roles@example.com");
    body["externalId"] = json!("okta-1");
    body["roles"] = json!([{"value": "falcon_analyst", "display": "Falcon Analyst"}]);
    app.sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Status(503),
        50,
    );
    app.expect(app.post("/Users", &body), 503).await;
    let uuid = app.sim.sim.user_by_uid("roles@example.com").unwrap().uuid;
    assert!(app.sim.sim.grants_of(&uuid).is_empty());

    // Another user under that login is still a conflict.
    let mut other = body.clone();
    other["externalId"] = json!("okta-2");
    app.expect(app.post("/Users", &other), 409).await;

    app.sim.sim.clear_faults();
    let created = app.expect(app.post("/Users", &body), 201).await;
    assert_eq!(created["roles"][0]["value"], "falcon_analyst");
    assert_eq!(app.sim.sim.grants_of(&uuid), ["falcon_analyst"]);
    let duplicate = app.expect(app.post("/Users", &body), 409).await;
    assert_eq!(duplicate["scimType"], "uniqueness");
}
