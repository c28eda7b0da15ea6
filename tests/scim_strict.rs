//! What the bridge refuses, over HTTP, and what it must keep accepting: filters and PATCH paths
//! naming attributes no schema defines, names carrying invisible or control characters, and
//! the wording of filter syntax errors. Refusals never reach Falcon.

mod common;

use common::{TestApp, spawn_app, spawn_app_with};
use falcon::sim::SimConfig;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn patch(ops: Value) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

fn user(user_name: &str, given: &str, family: &str) -> Value {
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name, "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"), "active": true})
}

async fn create(app: &TestApp, user_name: &str) -> String {
    let created = app
        .expect(app.post("/Users", &user(user_name, "Alice", "Doe")), 201)
        .await;
    created["id"].as_str().unwrap().to_owned()
}

/// A 400 with this `scimType`; its `detail`.
async fn refused(app: &TestApp, req: reqwest::RequestBuilder, scim_type: &str) -> String {
    let err = app.expect(req, 400).await;
    assert_eq!(err["scimType"], scim_type, "{err}");
    assert_eq!(err["status"], "400");
    err["detail"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn filters_on_undefined_attributes_are_invalid_filter_naming_them() {
    let app = spawn_app().await;
    create(&app, "alice@example.com").await;
    let cases = [
        (
            r#"userNmae eq "alice@example.com""#,
            "the filter names 'userNmae', which is not a User attribute (did you mean 'userName'?)",
        ),
        (
            r#"foo eq "x""#,
            "the filter names 'foo', which is not a User attribute",
        ),
        (
            r#"userName eq "alice@example.com" and foo eq "x""#,
            "the filter names 'foo', which",
        ),
        (
            r#"userName eq "a@x.io" or foo pr"#,
            "the filter names 'foo', which",
        ),
        (r#"not (foo pr)"#, "the filter names 'foo', which"),
        (
            r#"emails[typo eq "work"]"#,
            "the filter names 'emails.typo', which is not a User attribute (did you mean 'emails.type'?)",
        ),
        (
            r#"name.givenNmae eq "Alice""#,
            "the filter names 'name.givenNmae', which is not a User attribute (did you mean 'name.givenName'?)",
        ),
    ];
    for (filter, detail) in cases {
        let got = refused(
            &app,
            app.get("/Users").query(&[("filter", filter)]),
            "invalidFilter",
        )
        .await;
        assert!(got.starts_with(detail), "{filter}: {got}");
    }
    let got = refused(
        &app,
        app.get("/Groups")
            .query(&[("filter", r#"displayNmae eq "SOC""#)]),
        "invalidFilter",
    )
    .await;
    assert_eq!(
        got,
        "the filter names 'displayNmae', which is not a Group attribute (did you mean 'displayName'?)"
    );

    // Defined attributes filter as before, stored or not, with or without the URN, any case.
    for (filter, total) in [
        (r#"userName eq "alice@example.com""#, 1),
        (r#"USERNAME Eq "ALICE@EXAMPLE.COM""#, 1),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.com""#,
            1,
        ),
        (
            r#"emails[type eq "work" and value eq "alice@example.com"]"#,
            1,
        ),
        (r#"title eq "Analyst""#, 0),
        (r#"preferredLanguage pr or phoneNumbers pr"#, 0),
        (
            &format!(r#"{ENTERPRISE}:manager.value eq "m1" or {ENTERPRISE}:department eq "SOC""#),
            0,
        ),
    ] {
        let page = app
            .expect(app.get("/Users").query(&[("filter", filter)]), 200)
            .await;
        assert_eq!(page["totalResults"], total, "{filter}");
    }
    let page = app
        .expect(
            app.get("/Groups").query(&[
                ("filter", r#"displayName eq "SOC""#),
                ("excludedAttributes", "members"),
            ]),
            200,
        )
        .await;
    assert_eq!(page["totalResults"], 0);
}

#[tokio::test]
async fn patch_paths_naming_undefined_attributes_are_invalid_path() {
    let app = spawn_app().await;
    let id = create(&app, "bob@example.com").await;
    app.sim.sim.reset_counts();
    let cases = [
        (
            json!([{"op":"Replace","path":"activ","value":"False"}]),
            "Operations[0].path: 'activ' is not a User attribute (did you mean 'active'?)",
        ),
        (
            json!([{"op":"Replace","path":"name.familyName","value":"Ok"},
                   {"op":"Replace","path":"name.givenNmae","value":"Robert"}]),
            "Operations[1].path: 'name.givenNmae' is not a User attribute (did you mean 'name.givenName'?)",
        ),
        (
            json!([{"op":"Add","path":"emails[typo eq \"work\"].value","value":"b@example.com"}]),
            "Operations[0].path: 'emails.typo' is not a User attribute",
        ),
        (
            json!([{"op":"Add","path":format!("{ENTERPRISE}:departmnet"),"value":"SOC"}]),
            "(did you mean 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'?)",
        ),
    ];
    for (ops, detail) in cases {
        let got = refused(
            &app,
            app.patch(&format!("/Users/{id}"), &patch(ops.clone())),
            "invalidPath",
        )
        .await;
        assert!(got.contains(detail), "{ops}: {got}");
    }
    let got = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    assert_eq!(got["active"], true, "nothing was applied");
    assert_eq!(
        got["name"]["familyName"], "Doe",
        "not even the valid operation"
    );

    let group = app
        .expect(
            app.post("/Groups", &json!({"displayName":"Analysts","members":[]})),
            201,
        )
        .await;
    let group_id = group["id"].as_str().unwrap();
    let got = refused(
        &app,
        app.patch(
            &format!("/Groups/{group_id}"),
            &patch(json!([{"op":"replace","path":"displayNmae","value":"X"}])),
        ),
        "invalidPath",
    )
    .await;
    assert_eq!(
        got,
        "Operations[0].path: 'displayNmae' is not a Group attribute (did you mean 'displayName'?)"
    );
    assert_eq!(
        app.sim.sim.write_calls(),
        0,
        "{:?}",
        app.sim.sim.call_counts()
    );
}

#[tokio::test]
async fn attributes_defined_but_not_stored_are_still_accepted_and_ignored() {
    let app = spawn_app().await;
    // Entra's create carries title, addresses and phone numbers (as nulls) and the extension.
    let created = app
        .expect(
            app.post(
                "/Users",
                &json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                    "externalId":"carol","userName":"carol@contoso.com","active":true,
                    "displayName":"Carol Doe","emails":[{"primary":true,"type":"work","value":"carol@contoso.com"}],
                    "meta":{"resourceType":"User"},"name":{"formatted":"Carol Doe","familyName":"Doe","givenName":"Carol"},
                    "roles":[],"addresses":null,"phoneNumbers":null,"title":null,
                    ENTERPRISE: {"department":"SOC"}}),
            ),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([
                    {"op":"Add","path":"title","value":"Analyst"},
                    {"op":"Replace","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"},
                    {"op":"Replace","path":"addresses[type eq \"work\"].postalCode","value":"12345"},
                    {"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"},
                    {"op":"Add","path":"preferredLanguage","value":"en-US"},
                    {"op":"Add","path":format!("{ENTERPRISE}:manager"),"value":"mgr-1"},
                    {"op":"Replace","path":format!("{ENTERPRISE}:department"),"value":"Sales"},
                    {"op":"Replace","path":"emails[type eq \"home\"].display","value":"x"},
                    {"op":"Replace","path":"name.familyName","value":"Doe-Smith"}
                ])),
            ),
            200,
        )
        .await;
    assert_eq!(body["name"]["familyName"], "Doe-Smith");
    assert!(body.get("title").is_none(), "accepted, not stored: {body}");
    assert!(body.get("addresses").is_none(), "{body}");
    // With the flag: one pathless replace with dotted and URN keys (read like a body).
    app.expect(
        app.patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op":"replace","value":{"displayName":"Carol D",
                "name.givenName":"Caro", format!("{ENTERPRISE}:employeeNumber"):"7", "title":"Lead"}}])),
        ),
        200,
    )
    .await;
    // Okta's deactivation with its password push alongside, then its group push.
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"replace","value":{"active":false,"password":"x1"}}])),
            ),
            200,
        )
        .await;
    assert_eq!(body["active"], false);
}

/// One character in each attribute that people read, refused before anything reaches Falcon.
#[tokio::test]
async fn invisible_and_control_characters_in_names_are_refused_before_falcon() {
    let app = spawn_app().await;
    let id = create(&app, "dave@example.com").await;
    app.sim.sim.reset_counts();
    let detail = |attribute: &str, code: &str| {
        format!("{attribute} contains {code} (an invisible or control character)")
    };

    // POST
    let bodies = [
        (
            user("ev\u{202e}moc.liam@example.com", "Eve", "Doe"),
            detail("userName", "U+202E"),
        ),
        (
            json!({"userName":"eve@example.com","emails":[{"value":"eve\u{200b}@example.com","type":"work"}]}),
            detail("emails.value", "U+200B"),
        ),
        (
            user("eve@example.com", "E\u{200b}ve", "Doe"),
            detail("name.givenName", "U+200B"),
        ),
        (
            user("eve@example.com", "Eve", "Doe\u{202e}"),
            detail("name.familyName", "U+202E"),
        ),
        (
            user("eve\u{7}@example.com", "Eve", "Doe"),
            detail("userName", "U+0007"),
        ),
    ];
    for (body, want) in &bodies {
        let got = refused(&app, app.post("/Users", body), "invalidValue").await;
        assert_eq!(&got, want, "{body}");
    }
    assert!(app.sim.sim.user_by_uid("eve@example.com").is_none());

    // PUT (Okta's full replace)
    let got = refused(
        &app,
        app.put(
            &format!("/Users/{id}"),
            &user("dave@example.com", "Da\u{202e}ve", "Doe"),
        ),
        "invalidValue",
    )
    .await;
    assert_eq!(got, detail("name.givenName", "U+202E"));

    // PATCH (Entra's), judged on the patched result
    for (ops, want) in [
        (
            json!([{"op":"Replace","path":"name.givenName","value":"Da\u{200b}ve"}]),
            detail("name.givenName", "U+200B"),
        ),
        (
            json!([{"op":"Replace","path":"emails[type eq \"work\"].value","value":"dave\u{202e}@example.com"}]),
            detail("emails.value", "U+202E"),
        ),
        (
            json!([{"op":"Replace","path":"displayName","value":"Dave\u{2066}"}]),
            detail("displayName", "U+2066"),
        ),
        (
            json!([{"op":"replace","value":{"name.formatted":"\u{feff}Dave Doe"}}]),
            detail("name.formatted", "U+FEFF"),
        ),
    ] {
        let got = refused(
            &app,
            app.patch(&format!("/Users/{id}"), &patch(ops.clone())),
            "invalidValue",
        )
        .await;
        assert_eq!(got, want, "{ops}");
    }

    // Groups: POST, PUT and a PATCH rename.
    let got = refused(
        &app,
        app.post("/Groups", &json!({"displayName":"Falcon\u{202e}Admins"})),
        "invalidValue",
    )
    .await;
    assert_eq!(got, detail("displayName", "U+202E"));
    let group = app
        .expect(
            app.post("/Groups", &json!({"displayName":"Falcon Analysts"})),
            201,
        )
        .await;
    let group_id = group["id"].as_str().unwrap();
    let got = refused(
        &app,
        app.put(
            &format!("/Groups/{group_id}"),
            &json!({"displayName":"Falcon\u{200b}Analysts","members":[]}),
        ),
        "invalidValue",
    )
    .await;
    assert_eq!(got, detail("displayName", "U+200B"));
    let got = refused(
        &app,
        app.patch(
            &format!("/Groups/{group_id}"),
            &patch(json!([{"op":"replace","value":{"id":group_id,"displayName":"Falcon Analysts\u{ad}"}}])),
        ),
        "invalidValue",
    )
    .await;
    assert_eq!(got, detail("displayName", "U+00AD"));

    assert_eq!(
        app.sim.sim.write_calls(),
        0,
        "{:?}",
        app.sim.sim.call_counts()
    );
    let dave = app.sim.sim.user_by_uid("dave@example.com").unwrap();
    assert_eq!(dave.first_name, "Alice");
    let got = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    assert_eq!(got["name"]["givenName"], "Alice");
    assert_eq!(got["emails"][0]["value"], "dave@example.com");
    let got = app
        .expect(app.get(&format!("/Groups/{group_id}")), 200)
        .await;
    assert_eq!(got["displayName"], "Falcon Analysts");
}

/// A name that is already there (made in Falcon, or stored before the rule) is not judged
/// again: the IdP must still be able to update and deactivate that user.
#[tokio::test]
async fn a_name_already_stored_does_not_block_later_changes() {
    let app = spawn_app_with(SimConfig::default(), |sim| {
        sim.seed_user("legacy@example.com", "Le\u{200b}gacy", "User");
    })
    .await;
    let found = app
        .expect(
            app.get("/Users")
                .query(&[("filter", r#"userName eq "legacy@example.com""#)]),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
    let mut current = found["Resources"][0].clone();
    assert_eq!(current["name"]["givenName"], "Le\u{200b}gacy");

    // Entra: a PATCH of another attribute.
    let body = app
        .expect(
            app.patch(
                &format!("/Users/{id}"),
                &patch(json!([{"op":"Replace","path":"name.familyName","value":"Person"}])),
            ),
            200,
        )
        .await;
    assert_eq!(body["name"]["familyName"], "Person");
    // Okta: GET, then PUT of the whole object as read, one field edited.
    current["name"]["familyName"] = json!("Persona");
    let body = app
        .expect(app.put(&format!("/Users/{id}"), &current), 200)
        .await;
    assert_eq!(body["name"]["familyName"], "Persona");
    assert_eq!(body["name"]["givenName"], "Le\u{200b}gacy");
    // A new invisible character is still refused.
    let got = refused(
        &app,
        app.patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op":"Replace","path":"name.familyName","value":"Per\u{200b}son"}])),
        ),
        "invalidValue",
    )
    .await;
    assert_eq!(
        got,
        "name.familyName contains U+200B (an invisible or control character)"
    );
}

#[tokio::test]
async fn filter_syntax_errors_say_where_and_what_was_expected() {
    let app = spawn_app().await;
    let cases = [
        (
            "userName eq",
            r#"cannot parse the filter at character 10: 'userName eq' <- here; expected a value ("...", a number, true, false or null)"#,
        ),
        (
            r#"userName xx "a""#,
            "cannot parse the filter at character 10: 'userName xx' <- here; expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr) or '['",
        ),
        (
            r#"(userName eq "a""#,
            r#"cannot parse the filter at its end: '(userName eq "a"' <- here; the filter ends where 'and', 'or' or ')' was expected"#,
        ),
        (
            r#"userName eq "unterminated"#,
            r#"cannot parse the filter at character 13: 'userName eq "' <- here; a string value has no closing '"'"#,
        ),
        (
            r#"userName eq "a" and"#,
            r#"cannot parse the filter at character 17: 'userName eq "a" and' <- here; expected a comparison after 'and'"#,
        ),
    ];
    for (filter, detail) in cases {
        let got = refused(
            &app,
            app.get("/Users").query(&[("filter", filter)]),
            "invalidFilter",
        )
        .await;
        assert_eq!(got, detail, "{filter}");
    }
}

/// Admin-defined attributes that Okta and Entra send under their own extension URNs are accepted
/// and ignored, and a person's name may hold the joiners its script needs.
#[tokio::test]
async fn custom_extensions_are_ignored_and_names_keep_their_joiners() {
    let app = spawn_app().await;
    let id = create(&app, "ext@example.com").await;
    let custom = patch(json!([
        {"op": "Add",
         "path": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCenter",
         "value": "4711"},
        {"op": "replace", "path": "name.givenName", "value": "\u{639}\u{644}\u{6CC}\u{200C}\u{631}\u{636}\u{627}"}
    ]));
    let patched = app
        .expect(app.patch(&format!("/Users/{id}"), &custom), 200)
        .await;
    assert_eq!(
        patched["name"]["givenName"],
        "\u{639}\u{644}\u{6CC}\u{200C}\u{631}\u{636}\u{627}"
    );
    assert!(
        patched
            .get("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User")
            .is_none()
    );
    let found = app
        .expect(
            app.get("/Users?filter=urn:example:custom:2.0:User:badge%20eq%20%22x%22"),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0);
}
