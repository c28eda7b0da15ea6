//! Microsoft Entra ID's provisioning sequences (default PATCH dialect and the
//! `aadOptscim062020` one) over HTTP against the bridge and the Falcon simulator, with the
//! request bodies Entra sends.

mod common;

use std::time::Duration;

use common::{TestApp, spawn_app, spawn_app_custom};
use falcon::model::routes;
use falcon::sim::{Fault, SimConfig};
use serde_json::{Value, json};

fn entra_user(user_name: &str) -> Value {
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId":"alice","userName":user_name,"active":true,"displayName":"Alice Doe",
        "emails":[{"primary":true,"type":"work","value":user_name}],
        "meta":{"resourceType":"User"},"name":{"formatted":"Alice Doe","familyName":"Doe","givenName":"Alice"},
        "roles":[],"addresses":null,"phoneNumbers":null,"title":null})
}

fn patch(ops: Value) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

async fn create(app: &TestApp, user_name: &str) -> String {
    let filter = format!("userName eq \"{user_name}\"");
    let found = app
        .expect(app.get("/Users").query(&[("filter", filter.as_str())]), 200)
        .await;
    assert_eq!(found["totalResults"], 0);
    let created = app
        .expect(app.post("/Users", &entra_user(user_name)), 201)
        .await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_with_nulls_and_default_dialect_patches() {
    let app = spawn_app().await;
    let id = create(&app, "alice@contoso.com").await;
    assert!(app.sim.sim.user_by_uid("alice@contoso.com").is_some());

    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([
                    {"op":"Replace","path":"emails[type eq \"work\"].value","value":"alice.new@contoso.com"},
                    {"op":"Replace","path":"name.familyName","value":"Doe-Smith"},
                    {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}
                ])),
            ),
            200,
        )
        .await;
    assert_eq!(body["name"]["familyName"], "Doe-Smith");
    assert_eq!(body["emails"][0]["value"], "alice.new@contoso.com");
    assert_eq!(body["emails"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.sim
            .sim
            .user_by_uid("alice@contoso.com")
            .unwrap()
            .last_name,
        "Doe-Smith"
    );

    // Falcon cannot change a login: a userName change is refused in words an admin can act on.
    let err = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"userName","value":"alice.ds@contoso.com"}])),
            ),
            400,
        )
        .await;
    assert_eq!(err["scimType"], "mutability");
    assert!(err["detail"].as_str().unwrap().contains("login e-mail"));
}

#[tokio::test]
async fn matching_by_work_email_finds_the_user() {
    // An admin may make the work e-mail Entra's matching attribute; Entra then looks users up
    // with a term RFC 7644's grammar lacks.
    let app = spawn_app().await;
    let id = create(&app, "match@contoso.com").await;
    let lookup = |value: &str| format!("emails[type eq \"work\"].value eq \"{value}\"");
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", lookup("MATCH@contoso.com").as_str())]),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let none = app
        .expect(
            app.get("/Users")
                .query(&[("filter", lookup("other@contoso.com").as_str())]),
            200,
        )
        .await;
    assert_eq!(none["totalResults"], 0, "{none}");
    let home = app
        .expect(
            app.get("/Users").query(&[(
                "filter",
                "emails[type eq \"home\"].value eq \"match@contoso.com\"",
            )]),
            200,
        )
        .await;
    assert_eq!(
        home["totalResults"], 0,
        "only the work address matches: {home}"
    );
}

#[tokio::test]
async fn work_email_replace_upserts_without_dropping_others() {
    let app = spawn_app().await;
    let mut body = entra_user("bob@contoso.com");
    body["emails"] = json!([{"type":"home","value":"bob@home.example"}]);
    let created = app.expect(app.post("/Users", &body), 201).await;
    let id = created["id"].as_str().unwrap();
    let patched = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"emails[type eq \"work\"].value","value":"bob@contoso.com"}])),
            ),
            200,
        )
        .await;
    let emails = patched["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert!(
        emails
            .iter()
            .any(|e| e["type"] == "home" && e["value"] == "bob@home.example")
    );
    assert!(
        emails
            .iter()
            .any(|e| e["type"] == "work" && e["value"] == "bob@contoso.com")
    );
}

#[tokio::test]
async fn flag_dialect_pathless_dotted_keys_apply() {
    let app = spawn_app().await;
    let id = create(&app, "kkom@contoso.com").await;
    let url = app.url(&format!("/Users/{id}?aadOptscim062020"));
    let req = app
        .http
        .patch(url)
        .bearer_auth(&app.token)
        .header("content-type", "application/scim+json")
        .body(
            patch(json!([{"op":"replace","value":{
                "displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]))
            .to_string(),
        );
    let body = app.expect(req, 200).await;
    assert_eq!(body["displayName"], "Bjfe");
    assert_eq!(body["name"]["givenName"], "Kkom");
    assert!(
        body.get("name.givenName").is_none(),
        "no literal dotted attribute"
    );
    let falcon = app.sim.sim.user_by_uid("kkom@contoso.com").unwrap();
    assert_eq!(
        (falcon.first_name.as_str(), falcon.last_name.as_str()),
        ("Kkom", "Unua")
    );
}

#[tokio::test]
async fn disable_with_string_false_enable_with_string_true() {
    let app = spawn_app().await;
    let id = create(&app, "carol@contoso.com").await;
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"active","value":"False"}])),
            ),
            200,
        )
        .await;
    assert_eq!(body["active"], false);
    assert!(app.sim.sim.user_by_uid("carol@contoso.com").is_none());
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"active","value":"True"}])),
            ),
            200,
        )
        .await;
    assert_eq!(body["active"], true);
    assert!(app.sim.sim.user_by_uid("carol@contoso.com").is_some());
}

#[tokio::test]
async fn null_clears_optional_attributes() {
    let app = spawn_app().await;
    let id = create(&app, "nully@contoso.com").await;
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"displayName","value":null},
                              {"op":"Remove","path":"externalId"}])),
            ),
            200,
        )
        .await;
    assert!(body.get("displayName").is_none());
    assert!(body.get("externalId").is_none());
}

#[tokio::test]
async fn hard_delete_removes_everywhere() {
    let app = spawn_app().await;
    let id = create(&app, "gone@contoso.com").await;
    let resp = app.delete(&format!("/Users/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    assert!(resp.text().await.unwrap().is_empty());
    app.expect(app.get(&format!("/Users/{id}")), 404).await;
    assert!(app.sim.sim.user_by_uid("gone@contoso.com").is_none());
    app.expect(app.delete(&format!("/Users/{id}")), 404).await;
}

#[tokio::test]
async fn bad_input_gets_scim_errors() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/Users"))
        .bearer_auth(&app.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "400");

    let err = app
        .expect(app.post("/Users", &json!({"not":"a scim resource"})), 400)
        .await;
    assert!(err["detail"].as_str().unwrap().contains("userName"));
    let err = app
        .expect(app.get("/Users").query(&[("filter", "userName eq")]), 400)
        .await;
    assert_eq!(err["scimType"], "invalidFilter");
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = app
        .http
        .post(app.url("/Users"))
        .bearer_auth(&app.token)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn falcon_errors_are_translated() {
    let app = spawn_app_custom(
        SimConfig {
            allowed_domains: Some(vec!["contoso.com".into()]),
            ..SimConfig::default()
        },
        |_| {},
        |_| {},
    )
    .await;
    // A domain Falcon does not allow: a 400 that says so.
    let err = app
        .expect(app.post("/Users", &entra_user("eve@evil.example")), 400)
        .await;
    assert!(
        err["detail"].as_str().unwrap().contains("evil.example"),
        "{err}"
    );

    // Falcon unreachable: 503, and nothing recorded, so the IdP's retry starts clean.
    app.sim
        .sim
        .inject_fault(routes::USERS, Some("POST"), Fault::Drop, 1);
    let resp = app
        .post("/Users", &entra_user("dropped@contoso.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    // Falcon unreachable: the bridge's fixed "retry later" of 30 s.
    assert_eq!(resp.headers()["retry-after"], "30");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "503", "{body}");
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", "userName eq \"dropped@contoso.com\"")]),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0);
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.expect(app.post("/Users", &entra_user("dropped@contoso.com")), 201)
        .await;

    // Throttling beyond the bridge's wait bound: 429 with Retry-After. (Last: the bridge then
    // honours Falcon's retry-after for every call, as it must.)
    app.sim.sim.inject_fault(
        routes::USERS,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: 30,
        },
        100,
    );
    let resp = app
        .post("/Users", &entra_user("slow@contoso.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    // Falcon's 30 s, counted from its reset time (whole epoch seconds, so up to a second more)
    // and rounded up to whole seconds: never earlier than Falcon allows.
    let secs: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((30..=31).contains(&secs), "Retry-After: {secs}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "429", "{body}");
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", "userName eq \"slow@contoso.com\"")]),
            200,
        )
        .await;
    assert_eq!(
        found["totalResults"], 0,
        "nothing recorded for a refused create"
    );
}
