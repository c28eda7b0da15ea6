//! The roles an IdP gives a user directly (`roles`, RFC 7643 §4.1.2), read in every shape Okta
//! and Entra send, and changed by PATCH in their dialects (`../shared/entitlements.md`).
//!
//! Okta Identity Governance sends the whole set on each PUT. Entra sends one of three
//! expressions: a single role at `roles[primary eq "True"].value`, an add-only list whose items
//! carry the app role as JSON *inside a string*, or a replace of the whole set. Items keep what
//! the IdP sent (value, display, type, primary), because the read-back must echo it: Okta imports
//! it as existing grants, and Entra re-sends a role it does not see. Which target role a value
//! stands for is the backend's business. How a PATCH changes them is `patch/roles.rs`.

use serde_json::{Map, Value, json};

use crate::error::ScimError;
use crate::lenient::{get_ci, kind_of, parse_bool};

/// One role as the IdP assigned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    /// The value as sent (Okta: the Role's `id`; Entra: the app role's value).
    pub value: String,
    /// `display`, or Entra's `displayName`.
    pub display: Option<String>,
    /// SCIM `type` (Entra: always `WindowsAzureActiveDirectoryRole`).
    pub kind: Option<String>,
    /// Whether it was sent as primary; `None` when `primary` was not sent.
    pub primary: Option<bool>,
}

impl RoleAssignment {
    /// The SCIM form: what was sent, nothing more.
    pub fn to_json(&self) -> Value {
        let mut item = json!({"value": self.value});
        if let Some(display) = &self.display {
            item["display"] = json!(display);
        }
        if let Some(kind) = &self.kind {
            item["type"] = json!(kind);
        }
        if let Some(primary) = self.primary {
            item["primary"] = json!(primary);
        }
        item
    }
}

/// Reads `roles` from a User body; absent or `null` is none. Items without a value carry
/// nothing and are skipped; a value given twice (in any case) is kept once.
pub fn parse_roles(value: Option<&Value>) -> Result<Vec<RoleAssignment>, ScimError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut roles: Vec<RoleAssignment> = Vec::new();
    for item in items(value)? {
        let Some(role) = assignment(&item)? else {
            continue;
        };
        if !roles
            .iter()
            .any(|r| r.value.eq_ignore_ascii_case(&role.value))
        {
            roles.push(role);
        }
    }
    Ok(roles)
}

fn assignment(item: &Map<String, Value>) -> Result<Option<RoleAssignment>, ScimError> {
    let text = |name: &str| -> Result<Option<String>, ScimError> {
        match get_ci(item, name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(ScimError::invalid_value(format!(
                "roles.{name} must be a string, not {}",
                kind_of(other)
            ))),
        }
    };
    let Some(value) = text("value")? else {
        return Ok(None);
    };
    let primary = match get_ci(item, "primary") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_bool(v, "roles.primary")?),
    };
    Ok(Some(RoleAssignment {
        value,
        display: text("display")?.or(text("displayName")?),
        kind: text("type")?,
        primary,
    }))
}

/// The items of a `roles` value as objects: a list, one item, or either as JSON in a string
/// (Entra). A plain string is one value. An item whose `value` is a JSON object in a string
/// (Entra's `AppRoleAssignmentsComplex`) is that object's value and display name.
pub(crate) fn items(value: &Value) -> Result<Vec<Map<String, Value>>, ScimError> {
    let list = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list.clone(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(list)) => list,
            Ok(one @ Value::Object(_)) => vec![one],
            _ => vec![value.clone()],
        },
        one @ Value::Object(_) => vec![one.clone()],
        other => {
            return Err(ScimError::invalid_value(format!(
                "roles must be a list, not {}",
                kind_of(other)
            )));
        }
    };
    list.into_iter().map(item).collect()
}

pub(crate) fn item(value: Value) -> Result<Map<String, Value>, ScimError> {
    let mut obj = match value {
        Value::Object(obj) => obj,
        Value::String(s) if s.trim_start().starts_with('{') => {
            return item(parse_inner(&s)?);
        }
        Value::String(s) => Map::from_iter([("value".to_owned(), Value::String(s))]),
        other => {
            return Err(ScimError::invalid_value(format!(
                "each entry of roles must be an object, not {}",
                kind_of(&other)
            )));
        }
    };
    let key = obj
        .keys()
        .find(|k| k.eq_ignore_ascii_case("value"))
        .cloned();
    if let Some(Value::String(inner)) = key.as_ref().and_then(|k| obj.get(k))
        && inner.trim_start().starts_with('{')
    {
        let Value::Object(inner) = parse_inner(inner)? else {
            unreachable!("parse_inner answers objects")
        };
        obj.remove(key.as_deref().unwrap_or("value"));
        for (k, v) in inner {
            // The inner object is the app role: its value and name are the role's; its `id`
            // (a GUID of Entra's) is not.
            if k.eq_ignore_ascii_case("value") || k.eq_ignore_ascii_case("displayName") {
                obj.entry(k).or_insert(v);
            }
        }
    }
    Ok(obj)
}

fn parse_inner(text: &str) -> Result<Value, ScimError> {
    match serde_json::from_str::<Value>(text) {
        Ok(obj @ Value::Object(_)) => Ok(obj),
        _ => Err(ScimError::invalid_value(format!(
            "roles.value {text:?} looks like JSON but is not a JSON object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(roles: &[RoleAssignment]) -> Vec<&str> {
        roles.iter().map(|r| r.value.as_str()).collect()
    }

    #[test]
    fn reads_okta_entra_and_stringified_forms() {
        let okta = parse_roles(Some(
            &json!([{"value": "falcon_analyst", "display": "Falcon Analyst"}]),
        ))
        .unwrap();
        assert_eq!(okta[0].display.as_deref(), Some("Falcon Analyst"));
        assert_eq!(okta[0].primary, None);
        let entra = parse_roles(Some(
            &json!([{"primary": "True", "type": "WindowsAzureActiveDirectoryRole",
            "value": "event_viewer"}]),
        ))
        .unwrap();
        assert_eq!(entra[0].primary, Some(true));
        assert_eq!(
            entra[0].kind.as_deref(),
            Some("WindowsAzureActiveDirectoryRole")
        );
        let complex = parse_roles(Some(&json!([{"value":
            "{\"id\":\"3f1c\",\"value\":\"event_viewer\",\"displayName\":\"Event Viewer\"}"}])))
        .unwrap();
        assert_eq!(values(&complex), ["event_viewer"]);
        assert_eq!(complex[0].display.as_deref(), Some("Event Viewer"));
        let stringified = parse_roles(Some(&json!(
            "[{\"value\":\"a\"},{\"value\":\"A\"},{\"display\":\"x\"}]"
        )))
        .unwrap();
        assert_eq!(
            values(&stringified),
            ["a"],
            "duplicates and value-less items go"
        );
        assert_eq!(
            values(&parse_roles(Some(&json!("solo"))).unwrap()),
            ["solo"]
        );
        assert!(parse_roles(Some(&json!(null))).unwrap().is_empty());
    }

    #[test]
    fn refusals_name_the_attribute() {
        for (bad, needle) in [
            (json!(7), "roles must be a list"),
            (json!([3]), "each entry of roles"),
            (json!([{"value": 3}]), "roles.value must be a string"),
            (json!([{"value": "a", "primary": "maybe"}]), "roles.primary"),
            (json!([{"value": "{not json"}]), "not a JSON object"),
        ] {
            let err = parse_roles(Some(&bad)).unwrap_err();
            assert!(err.detail.contains(needle), "{bad}: {}", err.detail);
        }
    }
}
