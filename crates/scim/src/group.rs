//! The Group resource the bridge supports: `displayName`, `externalId` and `members`.
//!
//! Member lists can be long (10,000 members), so a Group is parsed into plain ids and rendered
//! with or without members; a PATCH never goes through this representation (see
//! `patch/group.rs`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::error::ScimError;

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// The member's SCIM user id.
    pub value: String,
    /// Its userName, for the IdP's display.
    pub display: Option<String>,
}

/// What a client may set on a Group (POST and PUT).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupWrite {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids; for a PUT the complete list.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupResource {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<MemberRef>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

impl GroupWrite {
    /// Reads a Group body leniently: unknown attributes and extension schemas (Entra's
    /// `http://schemas.microsoft.com/...` URN) are ignored; `id`, `meta` and `$ref` are read-only.
    pub fn parse(body: &Value) -> Result<Self, ScimError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("the body must be a JSON object"))?;
        let get = |name: &str| -> Option<&Value> {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let display_name = match get("displayName") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::String(_)) | Some(Value::Null) | None => {
                return Err(ScimError::invalid_value("displayName is required"));
            }
            Some(_) => return Err(ScimError::invalid_value("displayName must be a string")),
        };
        let external_id = match get("externalId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(ScimError::invalid_value("externalId must be a string")),
        };
        let members = match get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => member_ids(value)?,
        };
        Ok(Self {
            display_name,
            external_id,
            members,
        })
    }
}

/// The `value`s of a members list (`[{"value": "id", "display": ..., "$ref": null}]`).
pub fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let list = match value {
        Value::Array(list) => list.as_slice(),
        // A single member object where a list belongs: be lenient.
        Value::Object(_) => std::slice::from_ref(value),
        _ => {
            return Err(ScimError::invalid_value(
                "members must be a list of {\"value\": id}",
            ));
        }
    };
    list.iter()
        .map(|m| {
            let value = m
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))
                .map(|(_, v)| v);
            match value {
                Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
                _ => Err(ScimError::invalid_value(
                    "each member needs a string \"value\" (the user's id)",
                )),
            }
        })
        .collect()
}

impl GroupResource {
    /// The SCIM JSON form; `members` only when asked for (it can be large).
    pub fn to_json(&self, base_url: &str, include_members: bool) -> Value {
        let mut obj = Map::new();
        obj.insert("schemas".into(), json!([GROUP_SCHEMA]));
        obj.insert("id".into(), json!(self.id));
        if let Some(ext) = &self.external_id {
            obj.insert("externalId".into(), json!(ext));
        }
        obj.insert("displayName".into(), json!(self.display_name));
        if include_members {
            let members: Vec<Value> = self
                .members
                .iter()
                .map(|m| {
                    let mut member = json!({
                        "value": m.value,
                        "$ref": format!("{base_url}/Users/{}", m.value),
                        "type": "User",
                    });
                    if let Some(display) = &m.display {
                        member["display"] = json!(display);
                    }
                    member
                })
                .collect();
            obj.insert("members".into(), Value::Array(members));
        }
        obj.insert(
            "meta".into(),
            json!({
                "resourceType": "Group",
                "created": self.created.to_rfc3339_opts(SecondsFormat::Millis, true),
                "lastModified": self.last_modified.to_rfc3339_opts(SecondsFormat::Millis, true),
                "location": format!("{base_url}/Groups/{}", self.id),
                "version": self.version(),
            }),
        );
        Value::Object(obj)
    }

    /// A weak ETag: a group's `lastModified` moves with every change, its members included.
    pub fn version(&self) -> String {
        crate::etag::version_at(self.last_modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_okta_and_entra_group_bodies() {
        let okta = json!({"schemas":[GROUP_SCHEMA],"displayName":"Test SCIMv2","members":[]});
        let g = GroupWrite::parse(&okta).unwrap();
        assert_eq!(g.display_name, "Test SCIMv2");
        assert!(g.members.is_empty());
        let entra = json!({"schemas":[GROUP_SCHEMA,"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId":"8aa1a0c0","displayName":"Falcon Analysts","meta":{"resourceType":"Group"}});
        let g = GroupWrite::parse(&entra).unwrap();
        assert_eq!(g.external_id.as_deref(), Some("8aa1a0c0"));
        let with_members = json!({"displayName":"X","members":[{"value":"u1","$ref":null},{"value":"u2","display":"b"}]});
        assert_eq!(
            GroupWrite::parse(&with_members).unwrap().members,
            ["u1", "u2"]
        );
    }

    #[test]
    fn rejects_what_cannot_be_a_group() {
        for body in [
            json!({}),
            json!({"displayName": ""}),
            json!({"displayName": 3}),
            json!([1]),
        ] {
            assert!(GroupWrite::parse(&body).is_err(), "{body}");
        }
        assert!(
            GroupWrite::parse(&json!({"displayName":"x","members":[{"display":"no value"}]}))
                .is_err()
        );
    }

    #[test]
    fn renders_with_and_without_members() {
        let now = Utc::now();
        let g = GroupResource {
            id: "g1".into(),
            display_name: "Admins".into(),
            external_id: None,
            members: vec![MemberRef {
                value: "u1".into(),
                display: Some("a@x".into()),
            }],
            created: now,
            last_modified: now,
        };
        let full = g.to_json("http://h/scim/v2", true);
        assert_eq!(full["members"][0]["value"], "u1");
        assert_eq!(full["meta"]["location"], "http://h/scim/v2/Groups/g1");
        let slim = g.to_json("http://h/scim/v2", false);
        assert!(slim.get("members").is_none());
        assert!(slim.get("externalId").is_none(), "no nulls");
    }
}
