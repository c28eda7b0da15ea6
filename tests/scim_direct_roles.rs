//! Direct role assignment (issue 20) over loopback HTTP against the bridge on the Falcon
//! simulator: the `roles` of a User as Okta Identity Governance sends them (the whole set on
//! every PUT) and as each Entra expression sends them (the single-role filter path, the
//! stringified complex add, the assertive replace, `primary` as a string), plus the
//! `roles[value eq "x"]` remove and the path-less replace. Each test checks the SCIM answers, the
//! read-back (the direct set only, as the IdP sent it, never a group's role) and the roles the
//! simulated Falcon user holds: the union of its groups' roles and its direct set, a role being
//! revoked only when it leaves both. Also: values resolved by display name or alias, values the
//! configuration does not open refused with nothing changed, the direct set surviving a
//! deactivation, `reconcile` comparing Falcon with the union, and `roles` ignored as before
//! while direct assignment is off.

mod common;

use std::collections::BTreeMap;

use bridge::Policy;
use bridge::roles::{DirectRoles, RoleAllowlist};
use common::{TestApp, spawn_app_custom};
use falcon::sim::SimConfig;
use serde_json::{Value, json};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const AZURE_ROLE: &str = "WindowsAzureActiveDirectoryRole";
/// A SCIM group the configuration maps to `falcon_analyst`.
const ANALYSTS: &str = "Analysts";

fn opening(roles: &[&str], aliases: &[(&str, &str)]) -> Policy {
    Policy {
        direct_roles: DirectRoles {
            allowlist: RoleAllowlist::Listed(roles.iter().map(|r| (*r).to_owned()).collect()),
            aliases: aliases
                .iter()
                .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        },
        ..Policy::default()
    }
}

/// The bridge on a fresh simulator with `policy`, and the group "Analysts" -> falcon_analyst.
async fn spawn(policy: Policy) -> TestApp {
    spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| {
            s.tenants[0].core.policy = policy;
            s.tenants[0]
                .core
                .group_roles
                .insert(ANALYSTS.into(), vec!["falcon_analyst".into()]);
        },
    )
    .await
}

fn patch(ops: Value) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

/// Okta's user body; `roles` is left out when `None`.
fn okta_user(login: &str, given: &str, roles: Option<Value>) -> Value {
    let mut body = json!({"schemas":[USER_SCHEMA],"userName":login,
        "name":{"givenName":given,"familyName":"Kta"},
        "emails":[{"primary":true,"value":login,"type":"work"}],
        "displayName":format!("{given} Kta"),"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
        "active":true});
    if let Some(roles) = roles {
        body["roles"] = roles;
    }
    body
}

/// Entra's user body.
fn entra_user(login: &str, roles: Value) -> Value {
    json!({"schemas":[USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId":login,"userName":login,"active":true,"displayName":"Alice Doe",
        "emails":[{"primary":true,"type":"work","value":login}],
        "meta":{"resourceType":"User"},"name":{"formatted":"Alice Doe","familyName":"Doe","givenName":"Alice"},
        "roles":roles})
}

/// POSTs `body` (201) and returns the SCIM id and the answer.
async fn create(app: &TestApp, body: &Value) -> (String, Value) {
    let created = app.expect(app.post("/Users", body), 201).await;
    (created["id"].as_str().unwrap().to_owned(), created)
}

async fn read(app: &TestApp, id: &str) -> Value {
    app.expect(app.get(&format!("/Users/{id}")), 200).await
}

async fn patch_user(app: &TestApp, id: &str, ops: Value) -> Value {
    app.expect(app.patch(&format!("/Users/{id}"), &patch(ops)), 200)
        .await
}

async fn group(app: &TestApp, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":name,"members":members});
    let created = app.expect(app.post("/Groups", &body), 201).await;
    created["id"].as_str().unwrap().to_owned()
}

/// The role ids the Falcon user with this login holds now, sorted.
fn grants(app: &TestApp, login: &str) -> Vec<String> {
    let user = app
        .sim
        .sim
        .user_by_uid(login)
        .unwrap_or_else(|| panic!("{login} is not in Falcon"));
    app.sim.sim.grants_of(&user.uuid)
}

/// The `roles` a rendered user shows, sorted by value; an absent `roles` (or null) is empty.
fn shown(user: &Value) -> Vec<Value> {
    let mut items = match &user["roles"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        other => panic!("roles is not a list: {other}"),
    };
    items.sort_by(|a, b| a["value"].as_str().cmp(&b["value"].as_str()));
    items
}

/// Asserts the exact role items `user` shows, in any order.
fn assert_roles(user: &Value, expected: Value) {
    assert_eq!(
        shown(user),
        shown(&json!({ "roles": expected })),
        "roles shown by {user}"
    );
}

fn values(user: &Value) -> Vec<String> {
    shown(user)
        .iter()
        .map(|r| r["value"].as_str().expect("a string value").to_owned())
        .collect()
}

/// Asserts a 400 `invalidValue` whose detail names `value` and each of `allowed`.
async fn refused(app: &TestApp, req: reqwest::RequestBuilder, value: &str, allowed: &[&str]) {
    let err = app.expect(req, 400).await;
    assert_eq!(err["scimType"], "invalidValue", "{err}");
    let detail = err["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(value), "the detail names {value}: {detail}");
    for id in allowed {
        assert!(detail.contains(id), "the detail lists {id}: {detail}");
    }
}

#[tokio::test]
async fn okta_puts_two_then_one_then_no_roles_beside_a_group_role() {
    let app = spawn(opening(&["falcon_analyst", "event_viewer"], &[])).await;
    let login = "olive@example.com";
    let both = json!([{"value":"falcon_analyst","display":"Falcon Analyst"},
        {"value":"event_viewer","display":"Event Viewer"}]);
    let (id, created) = create(&app, &okta_user(login, "Olive", Some(both.clone()))).await;
    assert_roles(&created, both.clone());
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    assert_roles(&read(&app, &id).await, both.clone());
    // Okta's import reads the list.
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", format!("userName eq \"{login}\""))]),
            200,
        )
        .await;
    assert_roles(&found["Resources"][0], both.clone());

    // A group that grants one of them: nothing to grant, and the read-back does not change.
    app.sim.sim.reset_counts();
    let gid = group(&app, ANALYSTS, &[&id]).await;
    assert_eq!(
        app.sim.sim.write_calls(),
        0,
        "falcon_analyst is held already"
    );
    let got = read(&app, &id).await;
    assert_eq!(got["groups"][0]["display"], ANALYSTS);
    assert_roles(&got, both);

    // 2 -> 1: the dropped role is the group's, so Falcon keeps it and no call is made.
    let put = |roles: Option<Value>| {
        let mut body = okta_user(login, "Olive", roles);
        body["id"] = json!(id);
        app.put(&format!("/Users/{id}"), &body)
    };
    let viewer = json!([{"value":"event_viewer","display":"Event Viewer"}]);
    let answer = app.expect(put(Some(viewer.clone())), 200).await;
    assert_roles(&answer, viewer.clone());
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    assert_eq!(
        app.sim.sim.write_calls(),
        0,
        "falcon_analyst is neither revoked nor granted again"
    );
    assert_roles(&read(&app, &id).await, viewer.clone());

    // 1 -> 0 as an empty list: event_viewer goes, the group's role stays.
    let answer = app.expect(put(Some(json!([]))), 200).await;
    assert_roles(&answer, json!([]));
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    assert_roles(&read(&app, &id).await, json!([]));

    // Back to 1, then a PUT without `roles`: RFC 7644 PUT semantics empty the set.
    let answer = app.expect(put(Some(viewer.clone())), 200).await;
    assert_roles(&answer, viewer);
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    let answer = app.expect(put(None), 200).await;
    assert_roles(&answer, json!([]));
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    assert_roles(&read(&app, &id).await, json!([]));

    // The other way round: a direct falcon_analyst keeps it when the group lets go, and it is
    // revoked once it leaves the direct set too.
    let analyst = json!([{"value":"falcon_analyst","display":"Falcon Analyst"}]);
    app.expect(put(Some(analyst.clone())), 200).await;
    let leave = patch(json!([{"op":"remove","path":format!("members[value eq \"{id}\"]")}]));
    app.expect(app.patch(&format!("/Groups/{gid}"), &leave), 204)
        .await;
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    assert_roles(&read(&app, &id).await, analyst);
    app.expect(put(Some(json!([]))), 200).await;
    assert!(grants(&app, login).is_empty());
}

#[tokio::test]
async fn entra_single_app_role_assignment_sets_exactly_one_role() {
    let app = spawn(opening(&["falcon_analyst", "event_viewer"], &[])).await;
    let login = "single@contoso.com";
    let sent = json!([{"primary":true,"type":AZURE_ROLE,"value":"falcon_analyst"}]);
    let (id, created) = create(&app, &entra_user(login, sent.clone())).await;
    assert_roles(&created, sent.clone());
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    assert_roles(&read(&app, &id).await, sent);

    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"event_viewer"}]),
    )
    .await;
    assert_eq!(
        grants(&app, login),
        ["event_viewer"],
        "falcon_analyst revoked"
    );
    for user in [answer, read(&app, &id).await] {
        let roles = shown(&user);
        assert_eq!(roles.len(), 1, "{user}");
        assert_eq!(roles[0]["value"], "event_viewer");
        assert_eq!(roles[0]["primary"], true);
        assert_eq!(roles[0]["type"], AZURE_ROLE);
    }

    // With `.display` mapped too, and `add`, as validator-like traffic sends it.
    let answer = patch_user(
        &app,
        &id,
        json!([
            {"op":"Add","path":"roles[primary eq \"True\"].value","value":"falcon_analyst"},
            {"op":"Add","path":"roles[primary eq \"True\"].display","value":"Falcon Analyst"}
        ]),
    )
    .await;
    assert_eq!(
        grants(&app, login),
        ["falcon_analyst"],
        "event_viewer revoked"
    );
    for user in [answer, read(&app, &id).await] {
        let roles = shown(&user);
        assert_eq!(roles.len(), 1, "{user}");
        assert_eq!(roles[0]["value"], "falcon_analyst");
        assert_eq!(roles[0]["display"], "Falcon Analyst");
        assert_eq!(roles[0]["primary"], true);
    }
}

#[tokio::test]
async fn entra_app_role_assignments_complex_adds_stringified_values() {
    let app = spawn(opening(
        &["falcon_analyst", "event_viewer", "falcon_investigator"],
        &[],
    ))
    .await;
    let login = "complex@contoso.com";
    let sent = json!([{"primary":"False","type":AZURE_ROLE,"displayName":"Falcon Analyst","value":"falcon_analyst"}]);
    let (id, created) = create(&app, &entra_user(login, sent)).await;
    let analyst = json!({"value":"falcon_analyst","display":"Falcon Analyst","type":AZURE_ROLE,"primary":false});
    assert_roles(&created, json!([analyst]));
    assert_eq!(grants(&app, login), ["falcon_analyst"]);

    // A JSON object inside the string: unwrapped to its inner value and display name.
    let inner = r#"{"id":"3f1c0000-0000-0000-0000-000000000001","value":"event_viewer","displayName":"Event Viewer"}"#;
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"Add","path":"roles","value":[{"value":inner}]}]),
    )
    .await;
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    let viewer = json!({"value":"event_viewer","display":"Event Viewer"});
    assert_roles(&answer, json!([analyst, viewer]));
    assert_roles(&read(&app, &id).await, json!([analyst, viewer]));

    // The whole list as a string, `primary` a lower-case string.
    let list = format!(
        r#"[{{"value":"falcon_investigator","displayName":"Falcon Investigator","primary":"false","type":"{AZURE_ROLE}"}}]"#
    );
    let answer = patch_user(&app, &id, json!([{"op":"Add","path":"roles","value":list}])).await;
    assert_eq!(
        grants(&app, login),
        ["event_viewer", "falcon_analyst", "falcon_investigator"]
    );
    let investigator = json!({"value":"falcon_investigator","display":"Falcon Investigator","type":AZURE_ROLE,"primary":false});
    assert_roles(&answer, json!([analyst, viewer, investigator]));

    // Entra re-sends what it assigned every cycle: a union that changes nothing costs nothing.
    app.sim.sim.reset_counts();
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"Add","path":"roles","value":[{"value":inner}]}]),
    )
    .await;
    assert_eq!(app.sim.sim.write_calls(), 0);
    assert_eq!(
        values(&answer),
        ["event_viewer", "falcon_analyst", "falcon_investigator"]
    );
}

#[tokio::test]
async fn entra_assertive_replace_sets_the_whole_set_and_spares_group_roles() {
    let app = spawn(opening(
        &["falcon_analyst", "event_viewer", "falcon_investigator"],
        &[],
    ))
    .await;
    let login = "assertive@contoso.com";
    let item = |value: &str, display: &str| json!({"primary":false,"type":AZURE_ROLE,"display":display,"value":value});
    let first = json!([
        item("falcon_analyst", "Falcon Analyst"),
        item("event_viewer", "Event Viewer")
    ]);
    let (id, _) = create(&app, &entra_user(login, first)).await;
    group(&app, ANALYSTS, &[&id]).await;
    // A role granted by hand in the console: neither side manages it.
    let uuid = app.sim.sim.user_by_uid(login).unwrap().uuid;
    app.sim.sim.grant_roles(&uuid, &["help_desk"]);
    assert_eq!(
        grants(&app, login),
        ["event_viewer", "falcon_analyst", "help_desk"]
    );

    // falcon_analyst leaves the direct set but the group still grants it.
    let second = json!([
        item("event_viewer", "Event Viewer"),
        item("falcon_investigator", "Falcon Investigator")
    ]);
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"replace","path":"roles","value":second}]),
    )
    .await;
    assert_roles(&answer, second.clone());
    assert_eq!(
        grants(&app, login),
        [
            "event_viewer",
            "falcon_analyst",
            "falcon_investigator",
            "help_desk"
        ]
    );
    assert_roles(&read(&app, &id).await, second);

    // event_viewer leaves it and nothing else grants it: revoked.
    let third = json!([item("falcon_investigator", "Falcon Investigator")]);
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"replace","path":"roles","value":third}]),
    )
    .await;
    assert_roles(&answer, third.clone());
    assert_eq!(
        grants(&app, login),
        ["falcon_analyst", "falcon_investigator", "help_desk"]
    );
    assert_roles(&read(&app, &id).await, third);
}

#[tokio::test]
async fn value_filter_remove_pathless_replace_and_plain_remove() {
    let app = spawn(opening(
        &["falcon_analyst", "event_viewer", "falcon_investigator"],
        &[],
    ))
    .await;
    let login = "paths@example.com";
    let three = json!([{"value":"falcon_analyst"},{"value":"event_viewer"},{"value":"falcon_investigator"}]);
    let (id, _) = create(&app, &okta_user(login, "Pat", Some(three))).await;
    assert_eq!(
        grants(&app, login),
        ["event_viewer", "falcon_analyst", "falcon_investigator"]
    );

    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"remove","path":"roles[value eq \"event_viewer\"]"}]),
    )
    .await;
    assert_roles(
        &answer,
        json!([{"value":"falcon_analyst"},{"value":"falcon_investigator"}]),
    );
    assert_eq!(
        grants(&app, login),
        ["falcon_analyst", "falcon_investigator"]
    );

    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"replace","value":{"roles":[{"value":"event_viewer","display":"Event Viewer"}]}}]),
    )
    .await;
    assert_roles(
        &answer,
        json!([{"value":"event_viewer","display":"Event Viewer"}]),
    );
    assert_eq!(grants(&app, login), ["event_viewer"]);
    assert_roles(
        &read(&app, &id).await,
        json!([{"value":"event_viewer","display":"Event Viewer"}]),
    );

    // `add` unions, `remove` with a value subtracts it, `remove` without one empties.
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"Add","path":"roles","value":[{"value":"falcon_analyst"}]}]),
    )
    .await;
    assert_eq!(values(&answer), ["event_viewer", "falcon_analyst"]);
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"Remove","path":"roles","value":[{"value":"event_viewer"}]}]),
    )
    .await;
    assert_roles(&answer, json!([{"value":"falcon_analyst"}]));
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    let answer = patch_user(&app, &id, json!([{"op":"remove","path":"roles"}])).await;
    assert_roles(&answer, json!([]));
    assert!(grants(&app, login).is_empty());
    assert_roles(&read(&app, &id).await, json!([]));
}

#[tokio::test]
async fn values_resolve_by_id_in_any_case_display_name_or_alias_and_echo_as_sent() {
    let app = spawn(opening(
        &["falcon_analyst", "event_viewer", "falcon_investigator"],
        &[
            ("EventViewer", "event_viewer"),
            ("SocAnalyst", "Falcon Analyst"),
        ],
    ))
    .await;

    let named = "named@contoso.com";
    let sent = json!([{"value":"event viewer"},{"value":"FALCON_INVESTIGATOR"}]);
    let (named_id, created) = create(&app, &entra_user(named, sent.clone())).await;
    assert_roles(&created, sent.clone());
    assert_eq!(grants(&app, named), ["event_viewer", "falcon_investigator"]);
    assert_roles(&read(&app, &named_id).await, sent);

    let aliased = "aliased@contoso.com";
    let sent = json!([{"value":"EventViewer","display":"Event Viewer"}]);
    let (id, created) = create(&app, &entra_user(aliased, sent.clone())).await;
    assert_roles(&created, sent);
    assert_eq!(grants(&app, aliased), ["event_viewer"]);

    // An alias for a display name, through PATCH; the list read shows the values as sent.
    patch_user(
        &app,
        &id,
        json!([{"op":"Add","path":"roles","value":[{"value":"SocAnalyst"}]}]),
    )
    .await;
    assert_eq!(grants(&app, aliased), ["event_viewer", "falcon_analyst"]);
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", format!("userName eq \"{aliased}\""))]),
            200,
        )
        .await;
    assert_roles(
        &found["Resources"][0],
        json!([{"value":"EventViewer","display":"Event Viewer"},{"value":"SocAnalyst"}]),
    );

    // The value filter matches the value as it was sent.
    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"remove","path":"roles[value eq \"EventViewer\"]"}]),
    )
    .await;
    assert_roles(&answer, json!([{"value":"SocAnalyst"}]));
    assert_eq!(grants(&app, aliased), ["falcon_analyst"]);
}

#[tokio::test]
async fn unknown_or_closed_roles_are_refused_and_nothing_changes() {
    const OPEN: [&str; 2] = ["event_viewer", "falcon_analyst"];
    let app = spawn(opening(&OPEN, &[])).await;
    let login = "refused@example.com";
    let analyst = json!([{"value":"falcon_analyst","display":"Falcon Analyst"}]);
    let (id, _) = create(&app, &okta_user(login, "Ref", Some(analyst.clone()))).await;
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    let falcon_before = app.sim.sim.user_by_uid(login).unwrap();
    let before = read(&app, &id).await;
    app.sim.sim.reset_counts();

    // PUT: an unknown value beside a good one, and a name change that must not happen either.
    let mut body = okta_user(
        login,
        "Renamed",
        Some(json!([{"value":"event_viewer"},{"value":"no_such_role"}])),
    );
    body["id"] = json!(id);
    refused(
        &app,
        app.put(&format!("/Users/{id}"), &body),
        "no_such_role",
        &OPEN,
    )
    .await;

    // PATCH: a real Falcon role the configuration does not open, after a good add.
    let ops = patch(json!([
        {"op":"add","path":"roles","value":[{"value":"event_viewer"}]},
        {"op":"add","path":"roles","value":[{"value":"falcon_administrator"}]}
    ]));
    refused(
        &app,
        app.patch(&format!("/Users/{id}"), &ops),
        "falcon_administrator",
        &OPEN,
    )
    .await;

    // Each Entra form too.
    let ops = patch(
        json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Falcon Admin"}]),
    );
    refused(
        &app,
        app.patch(&format!("/Users/{id}"), &ops),
        "Falcon Admin",
        &OPEN,
    )
    .await;
    let inner = r#"{"id":"3f1c0000-0000-0000-0000-000000000009","value":"falcon_administrator","displayName":"Falcon Administrator"}"#;
    let ops = patch(json!([{"op":"Add","path":"roles","value":[{"value":inner}]}]));
    refused(
        &app,
        app.patch(&format!("/Users/{id}"), &ops),
        "falcon_administrator",
        &OPEN,
    )
    .await;
    let ops =
        patch(json!([{"op":"replace","path":"roles","value":[{"value":"nope","primary":true}]}]));
    refused(
        &app,
        app.patch(&format!("/Users/{id}"), &ops),
        "nope",
        &OPEN,
    )
    .await;

    assert_eq!(app.sim.sim.write_calls(), 0, "no Falcon write");
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    let after = read(&app, &id).await;
    assert_roles(&after, analyst);
    assert_eq!(after["name"], before["name"]);
    assert_eq!(
        after["meta"]["lastModified"],
        before["meta"]["lastModified"]
    );
    assert_eq!(
        app.sim.sim.user_by_uid(login).unwrap().first_name,
        falcon_before.first_name
    );

    // POST: nothing is created, here or in Falcon.
    let newcomer = "newcomer@example.com";
    let body = okta_user(
        newcomer,
        "New",
        Some(json!([{"value":"falcon_analyst"},{"value":"falcon_administrator"}])),
    );
    refused(
        &app,
        app.post("/Users", &body),
        "falcon_administrator",
        &OPEN,
    )
    .await;
    assert!(app.sim.sim.user_by_uid(newcomer).is_none());
    assert_eq!(app.sim.sim.write_calls(), 0, "no Falcon write");
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", format!("userName eq \"{newcomer}\""))]),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0);

    // An empty list is always fine.
    let (_, created) = create(&app, &okta_user(newcomer, "New", Some(json!([])))).await;
    assert_roles(&created, json!([]));
    assert!(grants(&app, newcomer).is_empty());
}

#[tokio::test]
async fn deactivation_keeps_the_direct_set_and_reactivation_grants_it_again() {
    let app = spawn(opening(
        &["falcon_analyst", "event_viewer", "falcon_investigator"],
        &[],
    ))
    .await;
    let login = "sleeper@example.com";
    let direct = json!([{"value":"event_viewer","display":"Event Viewer"},
        {"value":"falcon_investigator","display":"Falcon Investigator"}]);
    let (id, _) = create(&app, &okta_user(login, "Sleep", Some(direct.clone()))).await;
    group(&app, ANALYSTS, &[&id]).await;
    let first_uuid = app.sim.sim.user_by_uid(login).unwrap().uuid;
    assert_eq!(
        grants(&app, login),
        ["event_viewer", "falcon_analyst", "falcon_investigator"]
    );

    let off = patch_user(
        &app,
        &id,
        json!([{"op":"replace","value":{"active":false}}]),
    )
    .await;
    assert_eq!(off["active"], false);
    assert_roles(&off, direct.clone());
    assert!(
        app.sim.sim.user_by_uid(login).is_none(),
        "deleted in Falcon"
    );
    assert!(app.sim.sim.grants_of(&first_uuid).is_empty());
    assert_roles(&read(&app, &id).await, direct.clone());

    let on = patch_user(&app, &id, json!([{"op":"replace","value":{"active":true}}])).await;
    assert_eq!(on["active"], true);
    assert_roles(&on, direct.clone());
    let again = app
        .sim
        .sim
        .user_by_uid(login)
        .expect("re-created in Falcon");
    assert_ne!(again.uuid, first_uuid);
    assert_eq!(
        grants(&app, login),
        ["event_viewer", "falcon_analyst", "falcon_investigator"]
    );
    assert_roles(&read(&app, &id).await, direct);

    // What was granted again is known as granted: emptying the set revokes it.
    patch_user(&app, &id, json!([{"op":"remove","path":"roles"}])).await;
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
}

#[tokio::test]
async fn with_direct_assignment_off_roles_are_ignored_as_before() {
    let app = spawn(Policy::default()).await;
    let login = "ignored@example.com";
    let sent =
        json!([{"value":"falcon_analyst","display":"Falcon Analyst"},{"value":"no_such_role"}]);
    let (id, created) = create(&app, &okta_user(login, "Ig", Some(sent.clone()))).await;
    assert_roles(&created, json!([]));
    assert!(grants(&app, login).is_empty());
    assert_roles(&read(&app, &id).await, json!([]));

    let answer = patch_user(
        &app,
        &id,
        json!([{"op":"add","path":"roles","value":[{"value":"event_viewer"}]}]),
    )
    .await;
    assert_roles(&answer, json!([]));
    let mut body = okta_user(login, "Ig", Some(sent));
    body["id"] = json!(id);
    let answer = app
        .expect(app.put(&format!("/Users/{id}"), &body), 200)
        .await;
    assert_roles(&answer, json!([]));
    assert!(grants(&app, login).is_empty());

    // Groups grant as they always did, and their roles never show in `roles`.
    group(&app, ANALYSTS, &[&id]).await;
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    assert_roles(&read(&app, &id).await, json!([]));
}

#[tokio::test]
async fn reconcile_compares_falcon_with_the_union_and_repairs_a_direct_role() {
    use bridge::reconcile::{Drift, Pace};
    let app = spawn(opening(&["falcon_analyst", "event_viewer"], &[])).await;
    let login = "drift@example.com";
    let direct = json!([{"value":"event_viewer"}]);
    let (id, _) = create(&app, &okta_user(login, "Dri", Some(direct))).await;
    group(&app, ANALYSTS, &[&id]).await;
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    let report = app
        .bridge
        .reconcile(Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());

    // An admin revokes the direct role in the console: that is drift, and a repair grants it.
    let user = app.sim.sim.user_by_uid(login).unwrap();
    common::client(&app.sim)
        .revoke_roles(&user.uuid, &user.cid, &["event_viewer".to_owned()])
        .await
        .unwrap();
    assert_eq!(grants(&app, login), ["falcon_analyst"]);
    let report = app
        .bridge
        .reconcile(Pace::per_minute(60_000))
        .await
        .unwrap();
    let drifts: Vec<&Drift> = report.drift.iter().map(|d| &d.drift).collect();
    assert_eq!(
        drifts,
        [&Drift::MissingRoles {
            roles: vec!["event_viewer".into()]
        }],
        "{}",
        report.render()
    );
    app.bridge
        .reconcile_apply(Pace::per_minute(60_000))
        .await
        .unwrap();
    assert_eq!(grants(&app, login), ["event_viewer", "falcon_analyst"]);
    let report = app
        .bridge
        .reconcile(Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());
}
