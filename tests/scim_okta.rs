//! Okta's provisioning sequences over HTTP against the bridge and the Falcon simulator, with
//! the request bodies Okta sends. Each test checks both the SCIM answers and what was left in
//! Falcon.

mod common;

use common::{TestApp, spawn_app, spawn_app_with};
use falcon::model::routes;
use falcon::sim::SimConfig;
use serde_json::{Value, json};

fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name, "name": {"givenName": given, "familyName": family},
        "emails":[{"primary":true,"value":user_name,"type":"work"}],
        "displayName": format!("{given} {family}"), "locale":"en-US", "externalId":"00ujl29u0le5T6Aj10h7",
        "groups":[], "password":"1mz050nq", "active":true})
}

async fn lookup(app: &TestApp, user_name: &str) -> Value {
    let filter = format!("userName eq \"{user_name}\"");
    app.expect(
        app.get("/Users").query(&[
            ("filter", filter.as_str()),
            ("startIndex", "1"),
            ("count", "100"),
        ]),
        200,
    )
    .await
}

#[tokio::test]
async fn connection_test_lists_users_even_when_empty() {
    let app = spawn_app().await;
    let body = app
        .expect(app.get("/Users?count=2&startIndex=1"), 200)
        .await;
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(body["totalResults"], 0);
    assert_eq!(body["startIndex"], 1);
    assert_eq!(body["itemsPerPage"], 0, "no resource on this page");
    assert_eq!(body["Resources"], json!([]));
}

#[tokio::test]
async fn create_then_get_then_put_update() {
    let app = spawn_app().await;
    let found = lookup(&app, "test.user@okta.local").await;
    assert_eq!(found["totalResults"], 0);
    assert_eq!(found["itemsPerPage"], 0);
    assert_eq!(found["startIndex"], 1);

    let before = chrono::Utc::now();
    let resp = app
        .post("/Users", &okta_user("test.user@okta.local", "Test", "User"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = resp.json().await.unwrap();
    let after = chrono::Utc::now();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["meta"]["location"], location.as_str());
    assert_eq!(created["userName"], "test.user@okta.local");
    assert_eq!(created["name"]["givenName"], "Test");
    assert_eq!(created["active"], true);
    assert_eq!(created["externalId"], "00ujl29u0le5T6Aj10h7");
    assert!(
        created.get("password").is_none(),
        "password is never echoed"
    );
    assert_eq!(
        created["meta"]["created"], created["meta"]["lastModified"],
        "a new user was last modified when it was created"
    );
    let stamp = chrono::DateTime::parse_from_rfc3339(created["meta"]["created"].as_str().unwrap())
        .expect("meta.created is RFC 3339")
        .with_timezone(&chrono::Utc);
    // Rendered to the millisecond, truncated.
    assert!(
        before - chrono::Duration::milliseconds(1) <= stamp && stamp <= after,
        "{before} <= {stamp} <= {after}"
    );
    assert_eq!(created["meta"]["resourceType"], "User");

    let falcon = app
        .sim
        .sim
        .user_by_uid("test.user@okta.local")
        .expect("created in Falcon");
    assert_eq!(
        (falcon.first_name.as_str(), falcon.last_name.as_str()),
        ("Test", "User")
    );
    let found = lookup(&app, "TEST.USER@okta.local").await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["itemsPerPage"], 1);
    assert_eq!(found["startIndex"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    // Okta's profile update: GET, then PUT the whole object back with the change.
    let mut current = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    current["name"]["givenName"] = json!("Another");
    current["name"]["middleName"] = json!("Excited");
    current["emails"][0]["display"] = json!("test.user@okta.local");
    app.sim.sim.reset_counts();
    let updated = app
        .expect(app.put(&format!("/Users/{id}"), &current), 200)
        .await;
    assert_eq!(updated["name"]["givenName"], "Another");
    assert_eq!(
        app.sim
            .sim
            .user_by_uid("test.user@okta.local")
            .unwrap()
            .first_name,
        "Another"
    );
    assert_eq!(app.sim.sim.write_calls(), 1, "a rename is one Falcon call");

    // The same POST again is a real duplicate.
    let dup = app
        .expect(
            app.post("/Users", &okta_user("test.user@okta.local", "Test", "User")),
            409,
        )
        .await;
    assert_eq!(dup["scimType"], "uniqueness");
    assert_eq!(dup["status"], "409");
}

#[tokio::test]
async fn pathless_deactivate_then_reactivate_keeps_the_scim_id() {
    let app = spawn_app().await;
    let created = app
        .expect(
            app.post("/Users", &okta_user("leaver@okta.local", "Lea", "Ver")),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let first_uuid = app.sim.sim.user_by_uid("leaver@okta.local").unwrap().uuid;
    app.sim
        .sim
        .grant_roles(&first_uuid, &["falcon_analyst", "event_viewer"]);

    let deactivate = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations":[{"op":"replace","value":{"active":false}}]});
    let body = app
        .expect(app.patch(&format!("/Users/{id}"), &deactivate), 200)
        .await;
    assert_eq!(body["active"], false);
    assert!(
        app.sim.sim.user_by_uid("leaver@okta.local").is_none(),
        "deleted in Falcon"
    );
    assert!(
        app.sim.sim.grants_of(&first_uuid).is_empty(),
        "roles revoked"
    );

    // Still readable, listed and found by filter, inactive.
    let got = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    assert_eq!(got["active"], false);
    let found = lookup(&app, "leaver@okta.local").await;
    assert_eq!(found["Resources"][0]["active"], false);

    let reactivate = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations":[{"op":"replace","value":{"active":true}}]});
    let body = app
        .expect(app.patch(&format!("/Users/{id}"), &reactivate), 200)
        .await;
    assert_eq!(body["active"], true);
    assert_eq!(body["id"], id.as_str());
    let again = app
        .sim
        .sim
        .user_by_uid("leaver@okta.local")
        .expect("re-created in Falcon");
    assert_ne!(
        again.uuid, first_uuid,
        "Falcon gives a re-created user a new uuid"
    );
}

#[tokio::test]
async fn aiw_put_with_active_false_deactivates() {
    let app = spawn_app().await;
    let created = app
        .expect(
            app.post("/Users", &okta_user("aiw@okta.local", "A", "Iw")),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let mut body = created.clone();
    body["active"] = json!(false);
    let put = app
        .expect(app.put(&format!("/Users/{id}"), &body), 200)
        .await;
    assert_eq!(put["active"], false);
    assert!(app.sim.sim.user_by_uid("aiw@okta.local").is_none());
    body["active"] = json!(true);
    let put = app
        .expect(app.put(&format!("/Users/{id}"), &body), 200)
        .await;
    assert_eq!(put["active"], true);
    assert_eq!(put["id"], id);
    assert!(app.sim.sim.user_by_uid("aiw@okta.local").is_some());
}

#[tokio::test]
async fn an_existing_falcon_user_is_found_and_adopted_not_duplicated() {
    let app = spawn_app_with(SimConfig::default(), |sim| {
        sim.seed_user("pre.existing@okta.local", "Pre", "Existing");
    })
    .await;
    let found = lookup(&app, "Pre.Existing@okta.local").await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["itemsPerPage"], 1);
    assert_eq!(found["startIndex"], 1);
    let listed_id = found["Resources"][0]["id"].as_str().unwrap().to_owned();

    app.sim.sim.reset_counts();
    let created = app
        .expect(
            app.post(
                "/Users",
                &okta_user("pre.existing@okta.local", "Pre", "Existing"),
            ),
            201,
        )
        .await;
    assert_eq!(
        created["id"],
        listed_id.as_str(),
        "the id the IdP saw stays the id"
    );
    assert_eq!(
        app.sim.sim.call_count(routes::USERS),
        0,
        "no create in Falcon"
    );
    assert_eq!(
        app.sim
            .sim
            .users()
            .iter()
            .filter(|u| u.uid == "pre.existing@okta.local")
            .count(),
        1
    );
}

#[tokio::test]
async fn import_pages_are_stable_and_complete() {
    let app = spawn_app_with(SimConfig::default(), |sim| {
        sim.seed_users(250, "import.okta.local");
    })
    .await;
    let mut ids = Vec::new();
    let mut start = 1;
    loop {
        let page = app
            .expect(
                app.get(&format!("/Users?startIndex={start}&count=100")),
                200,
            )
            .await;
        let total = page["totalResults"].as_u64().unwrap();
        assert_eq!(total, 250);
        let items = page["Resources"].as_array().cloned().unwrap_or_default();
        assert_eq!(page["startIndex"], start);
        assert_eq!(page["itemsPerPage"], items.len());
        // 100, 100, then the 50 left.
        assert_eq!(
            items.len(),
            100.min(250 - (start as usize - 1)),
            "page at {start}"
        );
        ids.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        start += 100;
        if start as u64 > total {
            break;
        }
    }
    assert_eq!(ids.len(), 250);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 250, "no user on two pages");
    // The same page twice is the same page.
    let a = app
        .expect(app.get("/Users?startIndex=101&count=100"), 200)
        .await;
    let b = app
        .expect(app.get("/Users?startIndex=101&count=100"), 200)
        .await;
    assert_eq!(a["Resources"], b["Resources"]);
    for page in [&a, &b] {
        assert_eq!(page["totalResults"], 250);
        assert_eq!(page["startIndex"], 101);
        assert_eq!(page["itemsPerPage"], 100);
        assert_eq!(page["Resources"].as_array().unwrap().len(), 100);
    }
}

#[tokio::test]
async fn runscope_error_checks() {
    let app = spawn_app().await;
    for id in ["010101001010101011001010101011", "00919288221112222"] {
        let body = app.expect(app.get(&format!("/Users/{id}")), 404).await;
        assert_eq!(body["status"], "404");
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert!(!body["detail"].as_str().unwrap_or_default().is_empty());
    }
    let resp = app
        .http
        .get(app.url("/Users?filter=userName%20eq%20%22x%22"))
        .header("authorization", "non-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "401");
    assert!(!body["detail"].as_str().unwrap_or_default().is_empty());

    // The Runscope POST without any Content-Type is accepted.
    let resp = app
        .http
        .post(app.url("/Users"))
        .bearer_auth(&app.token)
        .body(okta_user("no.ctype@okta.local", "No", "Ctype").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn password_push_is_accepted_and_ignored() {
    let app = spawn_app().await;
    let created = app
        .expect(
            app.post("/Users", &okta_user("pw@okta.local", "P", "W")),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap();
    app.sim.sim.reset_counts();
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations":[{"op":"replace","value":{"password":"n3w-pass"}}]}),
            ),
            200,
        )
        .await;
    assert!(body.get("password").is_none());
    assert_eq!(app.sim.sim.write_calls(), 0);
}

/// A user created without `emails` and one adopted from Falcon have the same shape: the login
/// is the work e-mail.
#[tokio::test]
async fn created_and_adopted_users_show_the_login_as_their_work_email() {
    let app = spawn_app_with(SimConfig::default(), |sim| {
        sim.seed_user("native@okta.local", "Na", "Tive");
    })
    .await;
    let bare = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bare@okta.local",
        "name": {"givenName": "Ba", "familyName": "Re"},
        "active": true
    });
    let created = app.expect(app.post("/Users", &bare), 201).await;
    let expected =
        |login: &str| serde_json::json!([{"value": login, "type": "work", "primary": true}]);
    assert_eq!(created["emails"], expected("bare@okta.local"));
    let read = app
        .expect(
            app.get(&format!("/Users/{}", created["id"].as_str().unwrap())),
            200,
        )
        .await;
    assert_eq!(read["emails"], expected("bare@okta.local"));
    let native = app
        .expect(
            app.get("/Users?filter=userName%20eq%20%22native@okta.local%22"),
            200,
        )
        .await;
    assert_eq!(
        native["Resources"][0]["emails"],
        expected("native@okta.local")
    );

    // The shown login is a default, not a stored address: adding an address replaces it, and
    // removing every address brings it back.
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let other = serde_json::json!([{"value": "o@elsewhere.io", "type": "other", "primary": false}]);
    let added = app
        .expect(
            app.patch(
                &path,
                &serde_json::json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations":[{"op":"add","path":"emails","value":other}]}),
            ),
            200,
        )
        .await;
    assert_eq!(added["emails"], other);
    let removed = app
        .expect(
            app.patch(
                &path,
                &serde_json::json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations":[{"op":"remove","path":"emails"}]}),
            ),
            200,
        )
        .await;
    assert_eq!(removed["emails"], expected("bare@okta.local"));
}
