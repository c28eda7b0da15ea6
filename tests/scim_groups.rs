//! Groups as Falcon role sets, driven the way Okta's group push and Entra's group provisioning
//! drive them. Each test asserts the grants left in the simulator.

mod common;

use common::{TestApp, spawn_app_custom};
use falcon::model::routes;
use falcon::sim::SimConfig;
use serde_json::{Value, json};

const ADMINS: &str = "Falcon Admins";
const SOC: &str = "SOC Tier 1";
const RESPONDERS: &str = "Responders";

async fn app() -> TestApp {
    spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| {
            s.tenants[0]
                .core
                .group_roles
                .insert(ADMINS.into(), vec!["falcon_administrator".into()]);
            s.tenants[0].core.group_roles.insert(
                SOC.into(),
                vec!["falcon_analyst".into(), "event_viewer".into()],
            );
            s.tenants[0].core.group_roles.insert(
                RESPONDERS.into(),
                vec!["remote_responder_one".into(), "event_viewer".into()],
            );
        },
    )
    .await
}

fn patch(ops: Value) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

async fn user(app: &TestApp, name: &str) -> (String, String) {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":name,
        "name":{"givenName":"G","familyName":"F"},"active":true});
    let created = app.expect(app.post("/Users", &body), 201).await;
    let uuid = app.sim.sim.user_by_uid(name).unwrap().uuid;
    (created["id"].as_str().unwrap().to_owned(), uuid)
}

async fn group(app: &TestApp, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":name,"members":members});
    let created = app.expect(app.post("/Groups", &body), 201).await;
    assert_eq!(created["displayName"], name);
    created["id"].as_str().unwrap().to_owned()
}

fn grants(app: &TestApp, uuid: &str) -> Vec<String> {
    app.sim.sim.grants_of(uuid)
}

/// The member ids of a rendered group, sorted.
fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .expect("members rendered")
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn okta_group_push_lifecycle() {
    let app = app().await;
    let (alice, alice_uuid) = user(&app, "alice@okta.local").await;
    let (bob, bob_uuid) = user(&app, "bob@okta.local").await;

    let found = app
        .expect(
            app.get("/Groups")
                .query(&[("filter", format!("displayName eq \"{SOC}\""))]),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0);
    let gid = group(&app, SOC, &[]).await;

    // Membership delta with the rename Okta sends alongside every membership update.
    let ops = patch(json!([
        {"op":"replace","value":{"id":gid,"displayName":SOC}},
        {"op":"add","path":"members","value":[{"value":alice,"display":"alice@okta.local"},{"value":bob}]}
    ]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &ops), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(
        grants(&app, &alice_uuid),
        ["event_viewer", "falcon_analyst"]
    );
    assert_eq!(grants(&app, &bob_uuid), ["event_viewer", "falcon_analyst"]);

    // A path-less rename must not touch the members.
    let ops = patch(json!([{"op":"replace","value":{"id":gid,"displayName":SOC}}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &ops), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    let g = app.expect(app.get(&format!("/Groups/{gid}")), 200).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    assert_eq!(member_ids(&g), sorted(&[&alice, &bob]));
    assert_eq!(g["displayName"], SOC);

    let ops = patch(json!([{"op":"remove","path":format!("members[value eq \"{bob}\"]")}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &ops), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert!(grants(&app, &bob_uuid).is_empty());
    assert_eq!(
        grants(&app, &alice_uuid),
        ["event_viewer", "falcon_analyst"]
    );

    // AIW: PUT with the complete member list; the bridge diffs it.
    let put = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":gid,"displayName":SOC,
        "members":[{"value":bob}]});
    let replaced = app
        .expect(app.put(&format!("/Groups/{gid}"), &put), 200)
        .await;
    assert_eq!(replaced["id"], gid.as_str());
    assert_eq!(replaced["displayName"], SOC);
    assert_eq!(member_ids(&replaced), sorted(&[&bob]));
    assert!(grants(&app, &alice_uuid).is_empty());
    assert_eq!(grants(&app, &bob_uuid), ["event_viewer", "falcon_analyst"]);

    // The user's read-only groups attribute.
    let u = app.expect(app.get(&format!("/Users/{bob}")), 200).await;
    assert_eq!(u["groups"][0]["value"], gid.as_str());
    assert_eq!(u["groups"][0]["display"], SOC);

    let answer = app.expect(app.delete(&format!("/Groups/{gid}")), 204).await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert!(
        grants(&app, &bob_uuid).is_empty(),
        "members lose the group's roles"
    );
    app.expect(app.get(&format!("/Groups/{gid}")), 404).await;
}

#[tokio::test]
async fn entra_group_provisioning() {
    let app = app().await;
    let (u1, uuid1) = user(&app, "u1@contoso.com").await;
    let (u2, uuid2) = user(&app, "u2@contoso.com").await;
    let (u3, uuid3) = user(&app, "u3@contoso.com").await;
    let lookup = app
        .expect(
            app.get("/Groups").query(&[
                ("excludedAttributes", "members"),
                ("filter", &format!("displayName eq \"{ADMINS}\"")),
            ]),
            200,
        )
        .await;
    assert_eq!(lookup["totalResults"], 0);
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":ADMINS,"meta":{"resourceType":"Group"}});
    let created = app.expect(app.post("/Groups", &body), 201).await;
    let gid = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["members"], json!([]));

    let add = patch(json!([{"op":"Add","path":"members","value":[
        {"$ref":null,"value":u1},{"$ref":null,"value":u2},{"$ref":null,"value":u3}]}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &add), 204)
        .await;
    assert_eq!(
        answer,
        Value::Null,
        "no group rendered on a membership change"
    );
    for uuid in [&uuid1, &uuid2, &uuid3] {
        assert_eq!(grants(&app, uuid), ["falcon_administrator"]);
    }

    // Entra's default Remove carries a value list: only the listed members go.
    let remove =
        patch(json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":u1}]}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &remove), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert!(grants(&app, &uuid1).is_empty());
    assert_eq!(grants(&app, &uuid2), ["falcon_administrator"]);

    // With the aadOptscim062020 flag: a filter path.
    let remove = patch(json!([{"op":"remove","path":format!("members[value eq \"{u2}\"]")}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &remove), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert!(grants(&app, &uuid2).is_empty());
    assert_eq!(grants(&app, &uuid3), ["falcon_administrator"]);

    // Excluding members, and asking for the group back in the PATCH answer.
    let g = app
        .expect(
            app.get(&format!("/Groups/{gid}?excludedAttributes=members")),
            200,
        )
        .await;
    assert!(g.get("members").is_none());
    assert_eq!(g["displayName"], ADMINS);
    let rename = patch(json!([{"op":"Replace","path":"displayName","value":"Falcon Admins"}]));
    let g = app
        .expect(
            app.patch(
                &format!("/Groups/{gid}?excludedAttributes=members"),
                &rename,
            ),
            200,
        )
        .await;
    assert_eq!(g["displayName"], ADMINS);
    assert_eq!(g["id"], gid.as_str());
    assert!(g.get("members").is_none(), "members excluded: {g}");
    // The group still holds the one member left.
    let g = app.expect(app.get(&format!("/Groups/{gid}")), 200).await;
    assert_eq!(member_ids(&g), sorted(&[&u3]));
}

#[tokio::test]
async fn a_role_shared_by_two_groups_stays_while_either_grants_it() {
    let app = app().await;
    let (uid, uuid) = user(&app, "shared@example.com").await;
    let soc = group(&app, SOC, &[&uid]).await;
    let resp = group(&app, RESPONDERS, &[&uid]).await;
    assert_eq!(
        grants(&app, &uuid),
        ["event_viewer", "falcon_analyst", "remote_responder_one"]
    );
    let answer = app.expect(app.delete(&format!("/Groups/{soc}")), 204).await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(
        grants(&app, &uuid),
        ["event_viewer", "remote_responder_one"],
        "event_viewer still granted by Responders"
    );
    let ops = patch(json!([{"op":"replace","path":"members","value":[]}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{resp}"), &ops), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert!(grants(&app, &uuid).is_empty());
}

#[tokio::test]
async fn a_hand_granted_unmanaged_role_is_left_alone() {
    let app = app().await;
    let (uid, uuid) = user(&app, "hand@example.com").await;
    app.sim.sim.grant_roles(&uuid, &["help_desk"]);
    let gid = group(&app, ADMINS, &[&uid]).await;
    assert_eq!(grants(&app, &uuid), ["falcon_administrator", "help_desk"]);
    let answer = app.expect(app.delete(&format!("/Groups/{gid}")), 204).await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(grants(&app, &uuid), ["help_desk"]);
}

#[tokio::test]
async fn reactivation_regrants_the_groups_roles() {
    let app = app().await;
    let (uid, uuid) = user(&app, "back@example.com").await;
    group(&app, SOC, &[&uid]).await;
    let off = patch(json!([{"op":"replace","value":{"active":false}}]));
    app.expect(app.patch(&format!("/Users/{uid}"), &off), 200)
        .await;
    assert!(app.sim.sim.user_by_uid("back@example.com").is_none());
    assert!(grants(&app, &uuid).is_empty());

    app.sim.sim.reset_counts();
    let on = patch(json!([{"op":"replace","value":{"active":true}}]));
    let body = app
        .expect(app.patch(&format!("/Users/{uid}"), &on), 200)
        .await;
    assert_eq!(
        body["groups"][0]["display"], SOC,
        "memberships survive deprovisioning"
    );
    let new_uuid = app.sim.sim.user_by_uid("back@example.com").unwrap().uuid;
    assert_eq!(grants(&app, &new_uuid), ["event_viewer", "falcon_analyst"]);
    assert_eq!(app.sim.sim.write_calls(), 2, "one create and one grant");
}

#[tokio::test]
async fn adding_an_inactive_user_grants_nothing_until_reactivated() {
    let app = app().await;
    let (uid, _) = user(&app, "sleeper@example.com").await;
    let off = patch(json!([{"op":"replace","path":"active","value":false}]));
    app.expect(app.patch(&format!("/Users/{uid}"), &off), 200)
        .await;
    app.sim.sim.reset_counts();
    group(&app, ADMINS, &[&uid]).await;
    assert_eq!(app.sim.sim.write_calls(), 0);
    let on = patch(json!([{"op":"replace","path":"active","value":true}]));
    app.expect(app.patch(&format!("/Users/{uid}"), &on), 200)
        .await;
    let uuid = app.sim.sim.user_by_uid("sleeper@example.com").unwrap().uuid;
    assert_eq!(grants(&app, &uuid), ["falcon_administrator"]);
}

#[tokio::test]
async fn group_names_map_by_config_by_role_name_or_not_at_all() {
    let app = app().await;
    let (uid, uuid) = user(&app, "names@example.com").await;
    // Not in the configuration, but a Falcon role's display name (case-insensitive).
    group(&app, "falcon investigator", &[&uid]).await;
    assert_eq!(grants(&app, &uuid), ["falcon_investigator"]);
    // Mapped to nothing: accepted with no roles, so Okta's and Entra's push does not fail.
    let gid = group(&app, "Marketing", &[&uid]).await;
    assert_eq!(grants(&app, &uuid), ["falcon_investigator"]);
    let g = app.expect(app.get(&format!("/Groups/{gid}")), 200).await;
    assert_eq!(g["displayName"], "Marketing");
    assert_eq!(member_ids(&g), sorted(&[&uid]));
}

#[tokio::test]
async fn unmapped_groups_can_be_refused() {
    let app = spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| s.tenants[0].core.refuse_unmapped_groups = true,
    )
    .await;
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Marketing"});
    let err = app.expect(app.post("/Groups", &body), 400).await;
    let detail = err["detail"].as_str().unwrap();
    assert!(
        detail.contains("Marketing") && detail.contains("[groups]"),
        "{detail}"
    );
}

#[tokio::test]
async fn unknown_member_ids_do_not_fail_the_request() {
    let app = app().await;
    let (uid, uuid) = user(&app, "known@example.com").await;
    let gid = group(&app, ADMINS, &[]).await;
    let add = patch(
        json!([{"op":"add","path":"members","value":[{"value":"fake-member-id"},{"value":uid}]}]),
    );
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &add), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(grants(&app, &uuid), ["falcon_administrator"]);
    let g = app.expect(app.get(&format!("/Groups/{gid}")), 200).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(member_ids(&g), sorted(&[&uid]));
}

#[tokio::test]
async fn parallel_membership_patches_on_overlapping_users_converge() {
    let app = app().await;
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(user(&app, &format!("p{i}@example.com")).await);
    }
    let soc = group(&app, SOC, &[]).await;
    let adm = group(&app, ADMINS, &[]).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (gid, members): (&str, Vec<&str>) = if i % 2 == 0 {
            (&soc, users.iter().map(|u| u.0.as_str()).take(4).collect())
        } else {
            (&adm, users.iter().map(|u| u.0.as_str()).skip(2).collect())
        };
        let op = if i % 4 < 2 { "add" } else { "remove" };
        let values: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let body = if op == "add" {
            patch(json!([{"op":"add","path":"members","value":values}]))
        } else {
            patch(json!([{"op":"remove","path":"members","value":values}]))
        };
        let req = app.patch(&format!("/Groups/{gid}"), &body);
        tasks.push(tokio::spawn(async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 204, "{body}");
        assert!(body.is_empty(), "a 204 has no body: {body}");
    }
    // Whatever order they ran in, Falcon ends equal to what the memberships say.
    for (id, uuid) in &users {
        let u = app.expect(app.get(&format!("/Users/{id}")), 200).await;
        let mut expected: Vec<String> = Vec::new();
        for g in u["groups"].as_array().cloned().unwrap_or_default() {
            match g["display"].as_str().unwrap() {
                SOC => expected.extend(["falcon_analyst".to_owned(), "event_viewer".to_owned()]),
                ADMINS => expected.push("falcon_administrator".to_owned()),
                other => panic!("unexpected group {other}"),
            }
        }
        expected.sort();
        expected.dedup();
        assert_eq!(grants(&app, uuid), expected, "user {id}");
    }
}

#[tokio::test]
async fn one_new_member_costs_one_falcon_call() {
    let app = app().await;
    let (uid, _) = user(&app, "cheap@example.com").await;
    let gid = group(&app, SOC, &[]).await;
    app.sim.sim.reset_counts();
    let add = patch(json!([{"op":"add","path":"members","value":[{"value":uid}]}]));
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &add), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(app.sim.sim.total_calls(), 1);
    assert_eq!(app.sim.sim.call_count(routes::USER_ROLE_ACTIONS), 1);
}
