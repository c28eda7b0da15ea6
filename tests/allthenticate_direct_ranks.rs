//! Direct rank assignment (issue 20) with `BRIDGE_TARGET=allthenticate` against the
//! Allthenticate simulator, both on loopback ports over real HTTP, with REGULAR and ADMIN open to
//! direct assignment and SUPER not: `/Roles` publishes the open ranks; Okta's PUT and Entra's
//! single-role PATCH give a member a rank; a user holds the highest rank of its groups' ranks and
//! its direct set, and a rank goes only when it leaves both; SUPER is refused with nothing
//! changed; a rank given while the user is only invited arrives once the invitation is
//! accepted; suspension and reactivation keep the direct rank; and with direct assignment off,
//! `roles` is ignored as before. Read-back shows the direct set only, as the IdP sent it.

mod common;

use std::collections::BTreeMap;

use allthenticate::model::{Rank, Status};
use allthenticate::sim::RunningSim;
use bridge::roles::{DirectRoles, RoleAllowlist};
use common::allthenticate::{
    ADMINS, Running, STAFF, rank_changes, ranked, serve, start_sim, user, writes,
};
use falcon_scim_bridge::config::Settings;
use serde_json::{Value, json};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ROLE_SCHEMA: &str = "urn:okta:scim:schemas:core:1.0:Role";
const ENTRA_ROLE_TYPE: &str = "WindowsAzureActiveDirectoryRole";

/// [`ranked`], with `assignable_roles = ["REGULAR", "ADMIN"]`: SUPER stays behind groups (and
/// behind `allow_super_rank`).
fn open(sim: &RunningSim) -> Settings {
    let mut settings = ranked(sim);
    settings.tenants[0].core.policy.direct_roles = DirectRoles {
        allowlist: RoleAllowlist::Listed(vec!["REGULAR".into(), "ADMIN".into()]),
        aliases: BTreeMap::new(),
    };
    settings
}

fn rank(sim: &RunningSim, email: &str) -> Rank {
    user(sim, email).rank
}

/// The `value`s of a user's `roles`, in order; an absent `roles` and `[]` both are no roles.
fn role_values(user: &Value) -> Vec<String> {
    match user.get("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| {
                r["value"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a role without a string value in {user}"))
                    .to_owned()
            })
            .collect(),
        Some(other) => panic!("roles is not a list: {other}"),
    }
}

/// `POST /Users` (Okta's body) for a member of the organisation, which the bridge adopts; its id.
async fn adopt(app: &Running, email: &str, first: &str, last: &str) -> String {
    let (status, user) = app.post_user(email, first, last).await;
    assert_eq!(status, 201, "{user}");
    assert!(role_values(&user).is_empty(), "{user}");
    user["id"].as_str().unwrap().to_owned()
}

/// Okta's `PUT /Users/{id}`: the whole user, with `roles` when given (Okta Identity Governance
/// sends the whole set on every change). The names are Allthenticate's own, which a PUT must
/// repeat: a different one is a 400 `mutability`.
async fn put_user(
    app: &Running,
    id: &str,
    (email, first, last): (&str, &str, &str),
    roles: Option<Value>,
) -> (u16, Value) {
    let mut body = json!({
        "schemas": [USER_SCHEMA],
        "id": id,
        "userName": email,
        "name": {"givenName": first, "familyName": last},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "active": true,
    });
    if let Some(roles) = roles {
        body["roles"] = roles;
    }
    app.scim(reqwest::Method::PUT, &format!("/Users/{id}"), Some(body))
        .await
}

/// `GET /Users/{id}`, which must answer 200.
async fn read(app: &Running, id: &str) -> Value {
    let (status, user) = app.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "{user}");
    user
}

async fn assert_reconciled(app: &Running) {
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());
}

#[tokio::test]
async fn roles_publishes_the_open_ranks_and_not_super() {
    let sim = start_sim(|_| {}).await;
    let app = serve(open(&sim)).await;

    let (status, types) = app.get("/ResourceTypes").await;
    assert_eq!(status, 200, "{types}");
    let role = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "Role")
        .unwrap_or_else(|| panic!("no Role type in {types}"));
    assert_eq!(role["endpoint"], "/Roles");
    assert_eq!(role["schema"], ROLE_SCHEMA);

    let (status, all) = app.get("/Roles").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["totalResults"], 2, "{all}");
    let ranks = all["Resources"].as_array().unwrap();
    let ids: Vec<&str> = ranks.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ADMIN", "REGULAR"]);
    assert_eq!(ranks[0]["schemas"][0], ROLE_SCHEMA);
    assert_eq!(ranks[0]["displayName"], "ADMIN");
    assert!(
        !ranks[0]["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{all}"
    );

    // A rank is single-valued: so the draft's block and the User schema say.
    let (status, spc) = app.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200, "{spc}");
    assert_eq!(spc["roles"]["multipleRolesSupported"], false, "{spc}");

    // Okta's conformance request: exactly one, with the real total.
    let (status, one) = app.get("/Roles?count=1&startIndex=1").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["totalResults"], 2);
    assert_eq!(one["itemsPerPage"], 1);
    assert_eq!(one["Resources"].as_array().unwrap().len(), 1);

    let (status, admin) = app.get("/Roles/ADMIN").await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(admin["id"], "ADMIN");
    let (status, closed) = app.get("/Roles/SUPER").await;
    assert_eq!(status, 404, "SUPER is not open: {closed}");
}

#[tokio::test]
async fn an_okta_put_with_a_direct_admin_rank_makes_the_member_an_admin() {
    let sim = start_sim(|sim| {
        sim.seed_user("ann@corp.example", "Ann", "Lee");
    })
    .await;
    let app = serve(open(&sim)).await;
    let ann = ("ann@corp.example", "Ann", "Lee");
    let id = adopt(&app, ann.0, ann.1, ann.2).await;
    assert_eq!(rank(&sim, ann.0), Rank::Regular);

    let (status, put) = put_user(
        &app,
        &id,
        ann,
        Some(json!([{"value": "ADMIN", "display": "ADMIN"}])),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(
        put["roles"],
        json!([{"value": "ADMIN", "display": "ADMIN"}])
    );
    assert_eq!(rank(&sim, ann.0), Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);

    // Read back as sent, by id and by filter (Okta's import reads the list).
    let got = read(&app, &id).await;
    assert_eq!(
        got["roles"],
        json!([{"value": "ADMIN", "display": "ADMIN"}]),
        "{got}"
    );
    let found = app.find(ann.0).await;
    assert_eq!(role_values(&found["Resources"][0]), ["ADMIN"], "{found}");
    assert_reconciled(&app).await;

    // The same PUT again changes nothing in Allthenticate.
    let (status, again) = put_user(
        &app,
        &id,
        ann,
        Some(json!([{"value": "ADMIN", "display": "ADMIN"}])),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(rank_changes(&sim), 1);

    // Okta takes the rank away: the next PUT carries an empty set.
    let (status, emptied) = put_user(&app, &id, ann, Some(json!([]))).await;
    assert_eq!(status, 200, "{emptied}");
    assert!(role_values(&emptied).is_empty(), "{emptied}");
    assert_eq!(rank(&sim, ann.0), Rank::Regular);
    assert_eq!(rank_changes(&sim), 2);
    assert!(role_values(&read(&app, &id).await).is_empty());
}

#[tokio::test]
async fn entras_single_role_expression_gives_the_member_exactly_one_rank() {
    let sim = start_sim(|sim| {
        sim.seed_user("bea@corp.example", "Bea", "Kim");
        sim.seed_user("cy@corp.example", "Cy", "Park");
    })
    .await;
    let app = serve(open(&sim)).await;

    // Entra's POST with an empty `roles`, then the validator-like PATCH on the
    // `roles[primary eq "True"]` sub-attributes (SingleAppRoleAssignment).
    let (status, bea) = app
        .scim(
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER_SCHEMA],
                "externalId": "bea",
                "userName": "bea@corp.example",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "bea@corp.example"}],
                "name": {"givenName": "Bea", "familyName": "Kim"},
                "roles": [],
            })),
        )
        .await;
    assert_eq!(status, 201, "{bea}");
    assert!(role_values(&bea).is_empty(), "{bea}");
    let bea = bea["id"].as_str().unwrap().to_owned();

    let (status, patched) = app
        .patch_user(
            &bea,
            json!([
                {"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "ADMIN"},
                {"op": "Add", "path": "roles[primary eq \"True\"].display", "value": "Administrator"},
                {"op": "Add", "path": "roles[primary eq \"True\"].type", "value": ENTRA_ROLE_TYPE},
            ]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(rank(&sim, "bea@corp.example"), Rank::Admin);
    let got = read(&app, &bea).await;
    assert_eq!(role_values(&got), ["ADMIN"], "{got}");
    // `.display` and `.type` only set what is shown; the rank is the value's.
    assert_eq!(got["roles"][0]["display"], "Administrator", "{got}");
    assert_eq!(got["roles"][0]["type"], ENTRA_ROLE_TYPE, "{got}");

    // Another app role for Bea: the set becomes exactly that one rank, sent as Entra spells it.
    let (status, patched) = app
        .patch_user(
            &bea,
            json!([{"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "regular"}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(rank(&sim, "bea@corp.example"), Rank::Regular);
    assert_eq!(role_values(&read(&app, &bea).await), ["regular"]);

    // Entra's POST form of the same expression, `primary` as a string: the read-back has the
    // value as sent, the type, and `primary` as a JSON boolean.
    let (status, cy) = app
        .scim(
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER_SCHEMA],
                "externalId": "cy",
                "userName": "cy@corp.example",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "cy@corp.example"}],
                "name": {"givenName": "Cy", "familyName": "Park"},
                "roles": [{"primary": "True", "type": ENTRA_ROLE_TYPE, "value": "ADMIN"}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cy}");
    assert_eq!(rank(&sim, "cy@corp.example"), Rank::Admin);
    let cy = read(&app, cy["id"].as_str().unwrap()).await;
    assert_eq!(
        cy["roles"],
        json!([{"value": "ADMIN", "type": ENTRA_ROLE_TYPE, "primary": true}]),
        "{cy}"
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn group_regular_and_direct_admin_give_admin_and_an_emptied_direct_set_regular() {
    let sim = start_sim(|sim| {
        sim.seed_user("dan@corp.example", "Dan", "Ode");
    })
    .await;
    let app = serve(open(&sim)).await;
    let dan = ("dan@corp.example", "Dan", "Ode");
    let id = adopt(&app, dan.0, dan.1, dan.2).await;
    let staff = app.create_group(STAFF).await;
    app.patch_members(&staff, "add", &[&id]).await;
    assert_eq!(rank(&sim, dan.0), Rank::Regular);
    assert_eq!(rank_changes(&sim), 0);

    // REGULAR from the staff group, ADMIN directly: the highest of the union.
    let (status, put) = put_user(&app, &id, dan, Some(json!([{"value": "ADMIN"}]))).await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(rank(&sim, dan.0), Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);
    // The group's rank is not a direct one: it never shows in `roles`.
    assert_eq!(role_values(&read(&app, &id).await), ["ADMIN"]);
    assert_reconciled(&app).await;

    // Okta's PUT without `roles` empties the direct set: REGULAR, from the group.
    let (status, put) = put_user(&app, &id, dan, None).await;
    assert_eq!(status, 200, "{put}");
    assert!(role_values(&put).is_empty(), "{put}");
    assert_eq!(rank(&sim, dan.0), Rank::Regular);
    assert_eq!(rank_changes(&sim), 2);
    assert!(role_values(&read(&app, &id).await).is_empty());
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_rank_held_both_ways_stays_until_it_leaves_both() {
    let sim = start_sim(|sim| {
        sim.seed_user("eve@corp.example", "Eve", "Roe");
    })
    .await;
    let app = serve(open(&sim)).await;
    let eve = adopt(&app, "eve@corp.example", "Eve", "Roe").await;
    let admins = app.create_group(ADMINS).await;
    app.patch_members(&admins, "add", &[&eve]).await;
    assert_eq!(rank(&sim, "eve@corp.example"), Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);

    // ADMIN directly as well: nothing to send.
    let (status, body) = app
        .patch_user(
            &eve,
            json!([{"op": "add", "path": "roles", "value": [{"value": "ADMIN"}]}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(role_values(&body), ["ADMIN"], "{body}");
    assert_eq!(rank_changes(&sim), 1);

    // Leaving the admins: the direct ADMIN holds the rank.
    app.patch_members(&admins, "remove", &[&eve]).await;
    assert_eq!(rank(&sim, "eve@corp.example"), Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);
    assert_reconciled(&app).await;

    // The direct ADMIN goes too: back to REGULAR, in one call.
    let (status, body) = app
        .patch_user(
            &eve,
            json!([{"op": "remove", "path": "roles[value eq \"ADMIN\"]"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(role_values(&body).is_empty(), "{body}");
    assert_eq!(rank(&sim, "eve@corp.example"), Rank::Regular);
    assert_eq!(rank_changes(&sim), 2);
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn super_is_refused_because_it_is_not_open_and_nothing_changes() {
    let sim = start_sim(|sim| {
        sim.seed_user("fay@corp.example", "Fay", "Poe");
    })
    .await;
    let app = serve(open(&sim)).await;
    let fay = ("fay@corp.example", "Fay", "Poe");
    let id = adopt(&app, fay.0, fay.1, fay.2).await;
    let (status, body) = put_user(&app, &id, fay, Some(json!([{"value": "ADMIN"}]))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rank(&sim, fay.0), Rank::Admin);
    let before = read(&app, &id).await;
    let written = writes(&sim);

    let refusals = [
        put_user(&app, &id, fay, Some(json!([{"value": "SUPER"}]))).await,
        put_user(
            &app,
            &id,
            fay,
            Some(json!([{"value": "ADMIN"}, {"value": "SUPER"}])),
        )
        .await,
        app.patch_user(
            &id,
            json!([{"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "SUPER"}]),
        )
        .await,
        app.patch_user(
            &id,
            json!([{"op": "add", "path": "roles", "value": [{"value": "super"}]}]),
        )
        .await,
    ];
    for (status, refused) in refusals {
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["scimType"], "invalidValue", "{refused}");
        let detail = refused["detail"].as_str().unwrap_or_default();
        assert!(
            detail.to_uppercase().contains("SUPER")
                && detail.contains("ADMIN")
                && detail.contains("REGULAR"),
            "the detail names the value and the open ranks: {detail}"
        );
    }
    // A rank Allthenticate does not have is refused the same way.
    let (status, refused) = put_user(&app, &id, fay, Some(json!([{"value": "OWNER"}]))).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["scimType"], "invalidValue", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("OWNER"),
        "{refused}"
    );

    // Nothing was sent, and the user is as it was.
    assert_eq!(writes(&sim), written);
    assert_eq!(rank(&sim, fay.0), Rank::Admin);
    let after = read(&app, &id).await;
    assert_eq!(after["roles"], before["roles"], "{after}");
    assert_eq!(role_values(&after), ["ADMIN"]);
}

#[tokio::test]
async fn a_rank_given_while_invited_is_granted_when_the_invitation_is_accepted() {
    let sim = start_sim(|_| {}).await;
    let app = serve(open(&sim)).await;
    let (status, gus) = app
        .scim(
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER_SCHEMA],
                "userName": "gus@corp.example",
                "name": {"givenName": "Gus", "familyName": "Lam"},
                "emails": [{"primary": true, "value": "gus@corp.example", "type": "work"}],
                "active": true,
                "roles": [{"value": "ADMIN", "display": "ADMIN"}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{gus}");
    assert_eq!(role_values(&gus), ["ADMIN"], "{gus}");
    let id = gus["id"].as_str().unwrap().to_owned();
    // Pending: an invitation, no member to rank yet.
    assert_eq!(sim.sim.invites().len(), 1);
    assert!(sim.sim.user("gus@corp.example").is_none());
    assert_eq!(rank_changes(&sim), 0);
    assert_eq!(role_values(&read(&app, &id).await), ["ADMIN"]);

    // Gus accepts (as a REGULAR member); the next refresh links him and grants the direct rank.
    sim.sim
        .accept_invite("gus@corp.example", "Gus", "Lam")
        .unwrap();
    app.bridge.refresh_directory().await.unwrap();
    assert_eq!(rank(&sim, "gus@corp.example"), Rank::Admin);
    assert_eq!(rank_changes(&sim), 1);
    assert_eq!(role_values(&read(&app, &id).await), ["ADMIN"]);
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn suspension_and_reactivation_keep_the_direct_rank() {
    let sim = start_sim(|sim| {
        sim.seed_user("hal@corp.example", "Hal", "Orr");
    })
    .await;
    let app = serve(open(&sim)).await;
    let hal = ("hal@corp.example", "Hal", "Orr");
    let id = adopt(&app, hal.0, hal.1, hal.2).await;
    let (status, body) = app
        .patch_user(
            &id,
            json!([{"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "ADMIN"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rank(&sim, hal.0), Rank::Admin);

    // Okta's deactivation: Allthenticate suspends (a toggle), the direct set stays.
    let (status, body) = app.set_active(&id, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(role_values(&body), ["ADMIN"], "{body}");
    assert_eq!(user(&sim, hal.0).status, Status::Suspended);
    // A suspension does not touch the rank.
    assert_eq!(rank(&sim, hal.0), Rank::Admin);
    let got = read(&app, &id).await;
    assert_eq!(got["active"], false);
    assert_eq!(role_values(&got), ["ADMIN"], "{got}");

    // Entra's reactivation: the member is active again, with the direct rank.
    let (status, body) = app
        .patch_user(
            &id,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(user(&sim, hal.0).status, Status::Active);
    assert_eq!(rank(&sim, hal.0), Rank::Admin);
    let got = read(&app, &id).await;
    assert_eq!(got["active"], true);
    assert_eq!(role_values(&got), ["ADMIN"], "{got}");
    assert_reconciled(&app).await;

    // The direct set still counts after the round trip: taking it away drops the rank.
    let (status, body) = put_user(&app, &id, hal, Some(json!([]))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rank(&sim, hal.0), Rank::Regular);
}

#[tokio::test]
async fn with_direct_assignment_off_roles_are_ignored_as_before() {
    let sim = start_sim(|sim| {
        sim.seed_user("ivy@corp.example", "Ivy", "Wu");
    })
    .await;
    let app = serve(ranked(&sim)).await;
    let ivy = ("ivy@corp.example", "Ivy", "Wu");
    let id = adopt(&app, ivy.0, ivy.1, ivy.2).await;
    let written = writes(&sim);

    let (status, put) = put_user(&app, &id, ivy, Some(json!([{"value": "ADMIN"}]))).await;
    assert_eq!(status, 200, "{put}");
    assert!(role_values(&put).is_empty(), "not echoed: {put}");
    let (status, patched) = app
        .patch_user(
            &id,
            json!([{"op": "add", "path": "roles", "value": [{"value": "SUPER"}]}]),
        )
        .await;
    assert_eq!(status, 200, "no error: {patched}");
    assert!(role_values(&patched).is_empty(), "{patched}");

    assert_eq!(rank(&sim, ivy.0), Rank::Regular);
    assert_eq!(writes(&sim), written);
    assert!(role_values(&read(&app, &id).await).is_empty());
    let (status, roles) = app.get("/Roles").await;
    assert_eq!(status, 200, "{roles}");
    assert_eq!(roles["totalResults"], 0);
}
