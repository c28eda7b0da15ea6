//! Role discovery as Okta Identity Governance does it, against the bridge on the Falcon
//! simulator over loopback HTTP: once the configuration opens roles to direct assignment,
//! `/ResourceTypes` names the Role type and `/Roles` serves them (none by default), paged as
//! Okta's conformance test asks, behind the same authentication as everything else; `/Schemas`
//! then describes `roles` on the User and the Role schema. A name the target does not have
//! stops the start with the closest ones.

mod common;

use bridge::Policy;
use bridge::roles::{DirectRoles, RoleAllowlist};
use common::{TestApp, falcon_settings, spawn_app, spawn_app_custom, spawn_sim};
use falcon::sim::SimConfig;
use serde_json::Value;

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ROLE_SCHEMA: &str = "urn:okta:scim:schemas:core:1.0:Role";

fn opening(roles: &[&str]) -> Policy {
    Policy {
        direct_roles: DirectRoles {
            allowlist: RoleAllowlist::Listed(roles.iter().map(|r| (*r).to_owned()).collect()),
            aliases: Default::default(),
        },
        ..Policy::default()
    }
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let resp = app.get(path).send().await.expect("the bridge answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn okta_discovers_the_roles_the_configuration_opens() {
    let policy = opening(&["falcon_analyst", "Event Viewer"]);
    let app = spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |s| s.tenants[0].core.policy = policy,
    )
    .await;

    // 1. /ResourceTypes names the Role type, its endpoint and Okta's schema.
    let (status, types) = get(&app, "/ResourceTypes").await;
    assert_eq!(status, 200, "{types}");
    let role = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "Role")
        .unwrap_or_else(|| panic!("no Role type in {types}"));
    assert_eq!(role["endpoint"], "/Roles");
    assert_eq!(role["schema"], ROLE_SCHEMA);

    // 2. Okta's conformance request: exactly one, with the real total.
    let (status, one) = get(&app, "/Roles?count=1&startIndex=1").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["schemas"][0], LIST_SCHEMA);
    assert_eq!(one["totalResults"], 2);
    assert_eq!(one["itemsPerPage"], 1);
    assert_eq!(one["startIndex"], 1);
    assert_eq!(one["Resources"].as_array().unwrap().len(), 1);

    // 3. The whole list: ids, names and descriptions from Falcon's catalogue.
    let (status, all) = get(&app, "/Roles").await;
    assert_eq!(status, 200, "{all}");
    let roles = all["Resources"].as_array().unwrap();
    let ids: Vec<&str> = roles.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["event_viewer", "falcon_analyst"]);
    assert_eq!(roles[0]["schemas"][0], ROLE_SCHEMA);
    assert_eq!(roles[0]["displayName"], "Event Viewer");
    assert_eq!(roles[0]["description"], "View raw events");
    let (status, second) = get(&app, "/Roles?startIndex=2&count=5").await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["Resources"][0]["id"], "falcon_analyst");

    // One by id; a role that is not open is not found; no filter is pretended.
    let (status, viewer) = get(&app, "/Roles/event_viewer").await;
    assert_eq!(status, 200, "{viewer}");
    assert_eq!(viewer["displayName"], "Event Viewer");
    let (status, closed) = get(&app, "/Roles/falcon_administrator").await;
    assert_eq!(status, 404, "{closed}");
    let (status, filtered) = get(&app, "/Roles?filter=id%20eq%20%22x%22").await;
    assert_eq!(status, 400, "{filtered}");
    assert_eq!(filtered["scimType"], "invalidFilter");

    // Behind the same authentication as the rest.
    let anonymous = reqwest::get(app.url("/Roles")).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    // /Schemas describes what a client found: `roles` on the User, and the Role schema.
    let (status, schemas) = get(&app, "/Schemas").await;
    assert_eq!(status, 200, "{schemas}");
    let user = schema(&schemas, USER_SCHEMA);
    let roles = attribute(&user, "roles").unwrap_or_else(|| panic!("no roles in {user}"));
    assert_eq!(roles["multiValued"], true);
    let subs: Vec<&str> = roles["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["value", "display", "type", "primary"]);
    let role = schema(&schemas, ROLE_SCHEMA);
    for name in ["id", "displayName", "description"] {
        assert!(attribute(&role, name).is_some(), "{name} in {role}");
    }
    let (status, one) = get(&app, &format!("/Schemas/{ROLE_SCHEMA}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["id"], ROLE_SCHEMA);

    // The draft's block in /ServiceProviderConfig: several roles per user on Falcon.
    let (status, spc) = get(&app, "/ServiceProviderConfig").await;
    assert_eq!(status, 200, "{spc}");
    assert_eq!(spc["roles"]["supported"], true);
    assert_eq!(spc["roles"]["multipleRolesSupported"], true);
}

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn schema(list: &Value, id: &str) -> Value {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no schema {id} in {list}"))
}

fn attribute(schema: &Value, name: &str) -> Option<Value> {
    schema["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
}

#[tokio::test]
async fn nothing_is_open_to_direct_assignment_by_default() {
    let app = spawn_app().await;
    // No Role type to discover: a client finding one would look for roles behind it.
    let (status, types) = get(&app, "/ResourceTypes").await;
    assert_eq!(status, 200, "{types}");
    let ids: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["User", "Group"]);
    let (status, roles) = get(&app, "/Roles").await;
    assert_eq!(status, 200, "{roles}");
    assert_eq!(roles["totalResults"], 0);
    assert_eq!(roles["Resources"], Value::Array(Vec::new()));
    // Nor a roles attribute or a Role schema a strict client would test.
    let (_, schemas) = get(&app, "/Schemas").await;
    assert_eq!(schemas["totalResults"], 2, "{schemas}");
    assert!(attribute(&schema(&schemas, USER_SCHEMA), "roles").is_none());
    let (_, spc) = get(&app, "/ServiceProviderConfig").await;
    assert!(spc.get("roles").is_none(), "{spc}");
}

#[tokio::test]
async fn a_role_falcon_does_not_have_stops_the_start_with_the_closest() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut settings = falcon_settings(&sim);
    settings.tenants[0].core.policy = opening(&["falcon_analyts"]);
    let err = falcon_scim_bridge::startup::Application::build(settings)
        .await
        .err()
        .expect("the start is refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("assignable_roles names Falcon role 'falcon_analyts'")
            && text.contains("closest: falcon_analyst (\"Falcon Analyst\")"),
        "{text}"
    );
}
