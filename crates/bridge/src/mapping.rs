//! The one place where a SCIM user and a Falcon user meet: which SCIM attribute becomes which
//! Falcon field, and how a stored row becomes a SCIM resource again.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::store::UserRow;
use falcon::model::User as FalconUser;
use scim::user::{Email, Name, UserResource, UserWrite};

/// Where a SCIM user lives in Falcon (absent while deprovisioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FalconLink {
    pub uuid: String,
    pub cid: String,
}

/// Falcon's first and last name for a SCIM user: `name.givenName` / `name.familyName`.
pub fn falcon_names(user: &UserWrite) -> (String, String) {
    (
        user.name.given_name.clone().unwrap_or_default(),
        user.name.family_name.clone().unwrap_or_default(),
    )
}

/// A Falcon user that was never provisioned through SCIM, as the IdP should see it. Its SCIM
/// id is its Falcon uuid, which stays its id if the bridge later adopts it.
pub fn native_resource(user: &FalconUser) -> UserResource {
    let created = parse_time(user.created_at.as_deref()).unwrap_or_else(Utc::now);
    let modified = parse_time(user.updated_at.as_deref()).unwrap_or(created);
    UserResource {
        id: user.uuid.clone(),
        write: UserWrite {
            user_name: user.uid.clone(),
            external_id: None,
            name: Name {
                given_name: non_empty(&user.first_name),
                family_name: non_empty(&user.last_name),
                formatted: None,
            },
            display_name: None,
            emails: vec![Email {
                value: user.uid.clone(),
                kind: Some("work".into()),
                primary: true,
            }],
            active: true,
        },
        groups: Vec::new(),
        created,
        last_modified: modified,
    }
}

pub fn resource_from_row(row: &UserRow) -> UserResource {
    UserResource {
        id: row.id.clone(),
        write: UserWrite {
            user_name: row.user_name.clone(),
            external_id: row.external_id.clone(),
            name: Name {
                given_name: row.given_name.clone(),
                family_name: row.family_name.clone(),
                formatted: row.formatted.clone(),
            },
            display_name: row.display_name.clone(),
            emails: emails_from_json(&row.emails_json),
            active: row.active,
        },
        groups: Vec::new(),
        created: row.created,
        last_modified: row.last_modified,
    }
}

pub fn link_from_row(row: &UserRow) -> Option<FalconLink> {
    Some(FalconLink {
        uuid: row.falcon_uuid.clone()?,
        cid: row.falcon_cid.clone().unwrap_or_default(),
    })
}

pub fn row_from(resource: &UserResource, link: Option<&FalconLink>) -> UserRow {
    let w = &resource.write;
    UserRow {
        id: resource.id.clone(),
        user_name: w.user_name.clone(),
        external_id: w.external_id.clone(),
        given_name: w.name.given_name.clone(),
        family_name: w.name.family_name.clone(),
        formatted: w.name.formatted.clone(),
        display_name: w.display_name.clone(),
        emails_json: emails_to_json(&w.emails),
        active: w.active,
        falcon_uuid: link.map(|l| l.uuid.clone()),
        falcon_cid: link.map(|l| l.cid.clone()),
        created: resource.created,
        last_modified: resource.last_modified,
    }
}

fn emails_to_json(emails: &[Email]) -> String {
    let list: Vec<Value> = emails
        .iter()
        .map(|e| json!({"value": e.value, "type": e.kind, "primary": e.primary}))
        .collect();
    Value::Array(list).to_string()
}

fn emails_from_json(text: &str) -> Vec<Email> {
    let Ok(Value::Array(list)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            Some(Email {
                value: e.get("value")?.as_str()?.to_owned(),
                kind: e.get("type").and_then(Value::as_str).map(str::to_owned),
                primary: e.get("primary").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_round_trips_through_the_resource() {
        let now = Utc::now();
        let resource = UserResource {
            id: "id-1".into(),
            write: UserWrite {
                user_name: "jane@example.com".into(),
                external_id: Some("00u1".into()),
                name: Name {
                    given_name: Some("Jane".into()),
                    family_name: Some("Doe".into()),
                    formatted: Some("Jane Doe".into()),
                },
                display_name: Some("Jane D".into()),
                emails: vec![Email {
                    value: "jane@example.com".into(),
                    kind: Some("work".into()),
                    primary: true,
                }],
                active: true,
            },
            groups: Vec::new(),
            created: now,
            last_modified: now,
        };
        let link = FalconLink {
            uuid: "u".into(),
            cid: "c".into(),
        };
        let row = row_from(&resource, Some(&link));
        assert_eq!(resource_from_row(&row), resource);
        assert_eq!(link_from_row(&row), Some(link));
        assert_eq!(falcon_names(&resource.write), ("Jane".into(), "Doe".into()));
    }

    #[test]
    fn a_native_falcon_user_gets_its_uuid_as_scim_id() {
        let user = FalconUser {
            uuid: "3f1c".into(),
            uid: "pre@example.com".into(),
            first_name: "Pre".into(),
            last_name: "Existing".into(),
            created_at: Some("2026-03-02T09:15:42.118203Z".into()),
            ..Default::default()
        };
        let r = native_resource(&user);
        assert_eq!(r.id, "3f1c");
        assert_eq!(r.write.user_name, "pre@example.com");
        assert!(r.write.active);
        assert_eq!(r.write.emails[0].value, "pre@example.com");
        assert_eq!(r.created.to_rfc3339(), "2026-03-02T09:15:42.118203+00:00");
    }
}
