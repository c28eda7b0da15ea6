//! The SCIM request decoders driven the way the handlers drive them, for the fuzz targets
//! (`fuzz/`) and the corpus test (`crates/scim-harness/tests/decoder_corpus.rs`).
//!
//! Each function takes raw bytes as a client could send them and returns `Ok` when the decoder
//! accepted them or the [`ScimError`] a client would get. Anything else (a panic, a stack
//! overflow, an error that is not a 4xx SCIM error) is a bug the fuzzer is looking for; the
//! checks for the last kind are assertions here so that the fuzzer notices them too.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use scim::error::ScimError;
use scim::group::{GroupResource, GroupWrite, MemberRef};
use scim::limits::Limits;
use scim::patch::{apply_user_patch, group_changes, parse_patch};
use scim::query::{FilterLimits, GroupFilter, ListParams, UserFilter};
use scim::user::{GroupRef, UserResource, UserWrite};

/// A user with every attribute the filters and PATCH paths can reach.
pub fn sample_user() -> UserResource {
    let at = Utc
        .with_ymd_and_hms(2024, 1, 2, 3, 4, 5)
        .single()
        .expect("a valid date");
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "Alice.Doe@Example.com",
        "externalId": "00u1AbC",
        "displayName": "Alice Doe",
        "title": "Analyst",
        "active": true,
        "name": {"givenName": "Alice", "familyName": "Doe", "formatted": "Alice Doe"},
        "emails": [{"value": "alice.doe@example.com", "type": "work", "primary": true},
                   {"value": "alice@home.example", "type": "home"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
            {"department": "SOC", "employeeNumber": "42"}
    });
    UserResource {
        id: "3f1d9a2e-0000-4000-8000-000000000001".into(),
        write: UserWrite::parse(&body).expect("the sample user parses"),
        groups: vec![GroupRef {
            value: "g-1".into(),
            display: Some("Falcon Analysts".into()),
        }],
        created: at,
        last_modified: at,
    }
}

pub fn sample_group() -> GroupResource {
    let at = Utc
        .with_ymd_and_hms(2024, 1, 2, 3, 4, 5)
        .single()
        .expect("a valid date");
    GroupResource {
        id: "g-1".into(),
        display_name: "Falcon Analysts".into(),
        external_id: Some("8aa1a0c0".into()),
        members: vec![
            MemberRef {
                value: "u-1".into(),
                display: Some("alice".into()),
            },
            MemberRef {
                value: "u-2".into(),
                display: None,
            },
        ],
        created: at,
        last_modified: at,
    }
}

/// A refusal must be a client error with a well-formed SCIM error body.
fn checked(result: Result<(), ScimError>) -> Result<(), ScimError> {
    if let Err(e) = &result {
        assert!(
            e.status.is_client_error(),
            "a decoder answered {} for client input: {}",
            e.status,
            e.detail
        );
        let body = e.body();
        assert_eq!(body["schemas"][0], scim::error::ERROR_SCHEMA);
        assert_eq!(body["status"], e.status.as_u16().to_string());
        assert!(!e.detail.is_empty());
    }
    result
}

fn json_body(data: &[u8]) -> Result<Value, ScimError> {
    // What `ScimBody` does with a request body.
    serde_json::from_slice(data)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// A `filter` query parameter: parsed under the default limits as a `/Users` and as a `/Groups`
/// filter, and evaluated on a user and a group where it parsed. Each endpoint refuses names only
/// the other's schemas define (`userName` on `/Groups`), so the filter counts as accepted when
/// one of them accepted it; both refusals must be well-formed.
pub fn filter(data: &[u8]) -> Result<(), ScimError> {
    let text = String::from_utf8_lossy(data);
    let limits = FilterLimits::from(&Limits::default());
    let users = checked(UserFilter::parse_limited(&text, limits).map(|user_filter| {
        let _ = user_filter.matches(&sample_user());
        let _ = user_filter.user_name_eq();
    }));
    let groups = checked(
        GroupFilter::parse_limited(&text, limits).map(|group_filter| {
            let _ = group_filter.matches(&sample_group());
            let _ = group_filter.display_name_eq();
            let _ = group_filter.needs_members();
        }),
    );
    users.or(groups)
}

/// A raw list query string (`filter`, `startIndex`, `count`, `attributes`, ...).
pub fn list_query(data: &[u8]) -> Result<(), ScimError> {
    let text = String::from_utf8_lossy(data);
    checked((|| {
        let params = ListParams::parse(Some(&text), Limits::default().max_results)?;
        if let Some(f) = &params.filter {
            filter(f.as_bytes())?;
        }
        let mut rendered = sample_user().to_json("https://bridge.example/scim/v2");
        params.projection.apply(&mut rendered);
        Ok(())
    })())
}

/// A PATCH body, applied to a user and read as group changes (each checks its paths against its
/// resource's schemas, and the user's patched names).
pub fn patch(data: &[u8]) -> Result<(), ScimError> {
    checked((|| {
        let body = json_body(data)?;
        let ops = parse_patch(&body, Limits::default().max_patch_operations)?;
        let user = apply_user_patch(&sample_user(), &ops);
        let group = group_changes(ops);
        user.and(group).map(|_| ())
    })())
}

/// A User body (POST or PUT), and its rendering back to JSON.
pub fn user_body(data: &[u8]) -> Result<(), ScimError> {
    checked((|| {
        let body = json_body(data)?;
        let write = UserWrite::parse(&body)?;
        // What `POST /Users` and `PUT /Users/{id}` (for a new value) check next.
        write.check_text(None)?;
        let user = UserResource {
            write,
            ..sample_user()
        };
        let rendered = user.to_json("https://bridge.example/scim/v2");
        // What the bridge renders it must be able to read back.
        UserWrite::parse(&rendered).map(|_| ())
    })())
}

/// A Group body (POST or PUT).
pub fn group_body(data: &[u8]) -> Result<(), ScimError> {
    checked((|| {
        let body = json_body(data)?;
        let write = GroupWrite::parse(&body)?;
        scim::text::check("displayName", &write.display_name)?;
        Limits::default().check_members(write.members.len())
    })())
}
