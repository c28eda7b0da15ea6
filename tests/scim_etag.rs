//! ETags (RFC 7644 §3.14) as an IdP or a conformance tool uses them: every User and Group
//! response carries its version in `meta.version` and the `ETag` header, `If-None-Match` makes a
//! read answer 304, and a stale `If-Match` makes a change answer 412 before Falcon hears of it.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

fn user(login: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": "Etta", "familyName": "Tag"},
        "active": true
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Sends, and returns the status, the `ETag` header and the body.
async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Option<String>, Value) {
    let resp = req.send().await.expect("the bridge answers");
    let status = resp.status();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, etag, body)
}

#[tokio::test]
async fn users_carry_a_version_that_conditions_reads_and_changes() {
    let app = common::spawn_app().await;
    let spc = app.expect(app.get("/ServiceProviderConfig"), 200).await;
    assert_eq!(spc["etag"]["supported"], true);

    let (status, etag, created) = send(app.post("/Users", &user("etta@example.com"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let v1 = etag.expect("a created user has an ETag");
    assert!(v1.starts_with("W/\""), "{v1}");
    assert_eq!(created["meta"]["version"], v1.as_str());
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");

    // A read names the same version; with it in If-None-Match the answer is 304, no body.
    let (status, etag, read) = send(app.get(&path)).await;
    assert_eq!(
        (status, etag.as_deref()),
        (StatusCode::OK, Some(v1.as_str()))
    );
    assert_eq!(read["meta"]["version"], v1.as_str());
    let (status, etag, body) = send(app.get(&path).header("if-none-match", &v1)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(etag.as_deref(), Some(v1.as_str()));
    assert_eq!(body, Value::Null);
    let (status, _, _) = send(app.get(&path).header("if-none-match", "W/\"other\"")).await;
    assert_eq!(status, StatusCode::OK);

    // A change conditioned on the current version goes through and moves the version.
    let rename = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Etti"}]));
    let (status, etag, renamed) = send(app.patch(&path, &rename).header("if-match", &v1)).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    let v2 = etag.expect("a changed user has an ETag");
    assert_ne!(v2, v1);
    assert_eq!(renamed["meta"]["version"], v2.as_str());

    // The same condition is now stale: 412 for PATCH, PUT and DELETE, and Falcon is untouched.
    let calls = app.sim.sim.total_calls();
    let again = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Ett"}]));
    let refused = app
        .expect(app.patch(&path, &again).header("if-match", &v1), 412)
        .await;
    assert_eq!(refused["status"], "412");
    assert!(
        refused["detail"].as_str().unwrap().contains(&v2),
        "{refused}"
    );
    app.expect(
        app.put(&path, &user("etta@example.com"))
            .header("if-match", &v1),
        412,
    )
    .await;
    app.expect(app.delete(&path).header("if-match", &v1), 412)
        .await;
    assert_eq!(app.sim.sim.total_calls(), calls, "nothing reached Falcon");
    let unchanged = app.expect(app.get(&path), 200).await;
    assert_eq!(unchanged["name"]["givenName"], "Etti");

    // A group membership changes the user's representation, so its version moves too.
    let group = app
        .expect(
            app.post(
                "/Groups",
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": "Falcon Analyst", "members": [{"value": id}]}),
            ),
            201,
        )
        .await;
    assert!(group["meta"]["version"].as_str().is_some());
    let (_, v3, member) = send(app.get(&path)).await;
    let v3 = v3.unwrap();
    assert_ne!(v3, v2);
    assert_eq!(member["groups"][0]["value"], group["id"]);

    // `*` matches any version; a DELETE conditioned on the current one goes through.
    app.expect(app.delete(&path).header("if-match", &v3), 204)
        .await;
    app.expect(app.get(&path), 404).await;
}

#[tokio::test]
async fn a_membership_change_moves_the_group_version_and_last_modified() {
    let app = common::spawn_app().await;
    let member = app
        .expect(app.post("/Users", &user("m@example.com")), 201)
        .await;
    let (status, etag, group) = send(app.post(
        "/Groups",
        &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Auditors", "members": []}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let v1 = etag.unwrap();
    assert_eq!(group["meta"]["version"], v1.as_str());
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let modified = group["meta"]["lastModified"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // A stale If-Match refuses the membership change; the current one lets it through.
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": member["id"]}]}]));
    app.expect(app.patch(&path, &add).header("if-match", "W/\"0\""), 412)
        .await;
    let read = app.expect(app.get(&path), 200).await;
    assert_eq!(read["members"], json!([]));
    app.expect(app.patch(&path, &add).header("if-match", &v1), 204)
        .await;

    let (status, v2, read) = send(app.get(&path)).await;
    assert_eq!(status, StatusCode::OK);
    let v2 = v2.unwrap();
    assert_ne!(v2, v1, "a membership-only change moves the version");
    assert_eq!(read["meta"]["version"], v2.as_str());
    assert_ne!(read["meta"]["lastModified"], modified.as_str());
    assert_eq!(read["members"][0]["value"], member["id"]);

    // Re-adding the same member changes nothing: the version stays.
    app.expect(app.patch(&path, &add), 204).await;
    let (_, v3, _) = send(app.get(&path)).await;
    assert_eq!(v3.unwrap(), v2);
    let (status, _, _) = send(app.get(&path).header("if-none-match", &v2)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    app.expect(app.delete(&path).header("if-match", "W/\"0\""), 412)
        .await;
    app.expect(app.delete(&path).header("if-match", "*"), 204)
        .await;
}
