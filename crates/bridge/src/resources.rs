//! The one place where a SCIM user meets a target account and a stored row: which SCIM
//! attribute becomes which profile field, and how a row or an account becomes a SCIM resource.

use chrono::Utc;
use serde_json::{Value, json};
use target_api::{Account, AccountRef, Profile};

use crate::store::UserRow;
use scim::direct_roles::{RoleAssignment, parse_roles};
use scim::user::{Email, Name, UserResource, UserWrite};

/// The target profile of a SCIM user: `userName` is the login, `name.givenName` and
/// `name.familyName` the names (absent names are empty).
pub fn profile_of(user: &UserWrite) -> Profile {
    Profile {
        login: user.user_name.clone(),
        given_name: user.name.given_name.clone().unwrap_or_default(),
        family_name: user.name.family_name.clone().unwrap_or_default(),
    }
}

/// Whether the names the target holds would change from `current` to `wanted`.
pub fn names_differ(current: &UserWrite, wanted: &UserWrite) -> bool {
    let (a, b) = (profile_of(current), profile_of(wanted));
    (a.given_name, a.family_name) != (b.given_name, b.family_name)
}

/// A target account that was never provisioned through SCIM, as the IdP should see it. Its
/// SCIM id is the account's id, which stays its id if the bridge later adopts it.
pub fn native_resource(account: &Account) -> UserResource {
    let created = account.created.unwrap_or_else(Utc::now);
    let modified = account.modified.unwrap_or(created);
    let login = &account.profile.login;
    UserResource {
        id: account.reference.id.clone(),
        write: UserWrite {
            user_name: login.clone(),
            external_id: None,
            name: Name {
                given_name: non_empty(&account.profile.given_name),
                family_name: non_empty(&account.profile.family_name),
                formatted: None,
            },
            display_name: None,
            emails: Vec::new(),
            active: account.active,
            roles: Vec::new(),
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
            roles: roles_from_json(&row.roles_json),
        },
        groups: Vec::new(),
        created: row.created,
        last_modified: row.last_modified,
    }
}

pub fn link_from_row(row: &UserRow) -> Option<AccountRef> {
    Some(AccountRef::new(
        row.account_id.clone()?,
        row.account_detail.clone().filter(|d| !d.is_empty()),
    ))
}

pub fn row_from(resource: &UserResource, link: Option<&AccountRef>) -> UserRow {
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
        roles_json: roles_to_json(&w.roles),
        active: w.active,
        account_id: link.map(|l| l.id.clone()),
        account_detail: link.and_then(|l| l.detail.clone()),
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

fn roles_to_json(roles: &[RoleAssignment]) -> String {
    Value::Array(roles.iter().map(RoleAssignment::to_json).collect()).to_string()
}

pub fn roles_from_json(text: &str) -> Vec<RoleAssignment> {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| parse_roles(Some(&v)).ok())
        .unwrap_or_default()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
                roles: vec![RoleAssignment {
                    value: "falcon_analyst".into(),
                    display: Some("Falcon Analyst".into()),
                    kind: None,
                    primary: Some(false),
                }],
            },
            groups: Vec::new(),
            created: now,
            last_modified: now,
        };
        let link = AccountRef::new("u", Some("c".into()));
        let row = row_from(&resource, Some(&link));
        assert_eq!(resource_from_row(&row), resource);
        assert_eq!(link_from_row(&row), Some(link));
        let profile = profile_of(&resource.write);
        assert_eq!(
            (profile.given_name.as_str(), profile.family_name.as_str()),
            ("Jane", "Doe")
        );
    }

    #[test]
    fn a_native_account_gets_its_id_as_scim_id() {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 42).unwrap();
        let account = Account {
            reference: AccountRef::new("3f1c", Some("cid".into())),
            profile: Profile {
                login: "pre@example.com".into(),
                given_name: "Pre".into(),
                family_name: String::new(),
            },
            active: true,
            created: Some(created),
            modified: None,
        };
        let r = native_resource(&account);
        assert_eq!(r.id, "3f1c");
        assert_eq!(r.write.user_name, "pre@example.com");
        assert_eq!(r.write.name.family_name, None);
        assert!(r.write.active);
        assert!(r.write.emails.is_empty(), "only given e-mails are kept");
        assert_eq!(r.write.shown_emails()[0].value, "pre@example.com");
        assert_eq!(r.created, created);
        assert_eq!(r.last_modified, created);
    }
}
