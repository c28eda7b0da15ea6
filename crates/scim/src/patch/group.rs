//! A Group PATCH as a list of [`GroupChange`]s: [`group_changes`].
//!
//! A Group PATCH is not applied to the group's JSON, unlike a User PATCH: member lists can hold
//! thousands of ids, and the backend needs to know which members changed, not the new list.
//! Okta adds and removes members with `value` lists; Entra also removes them by filter
//! (`members[value eq "id"]`), and both rename with a pathless replace.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::Value;

use super::is_empty;
use super::operations::{OpKind, PatchOp};
use crate::error::ScimError;
use crate::group::member_ids;
use crate::lenient::kind_of;
use crate::schema::{ResourceKind, check_patch_paths};

/// One change a Group PATCH asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChange {
    Rename(String),
    SetExternalId(Option<String>),
    AddMembers(Vec<String>),
    RemoveMembers(Vec<String>),
    RemoveAllMembers,
    ReplaceMembers(Vec<String>),
}

impl GroupChange {
    /// How many member ids the change names (for the per-request member limit).
    pub fn member_count(&self) -> usize {
        match self {
            Self::AddMembers(ids) | Self::RemoveMembers(ids) | Self::ReplaceMembers(ids) => {
                ids.len()
            }
            _ => 0,
        }
    }
}

/// The changes a Group PATCH asks for, in order. A `path` must name an attribute the Group
/// schema defines (400 `invalidPath`).
pub fn group_changes(ops: Vec<PatchOp>) -> Result<Vec<GroupChange>, ScimError> {
    check_patch_paths(&ops, ResourceKind::Group)?;
    let mut changes = Vec::new();
    for op in ops {
        match op.path {
            None => {
                let Some(Value::Object(attrs)) = op.value else {
                    continue;
                };
                for (key, value) in attrs {
                    let attr = AttrPath::with_name(key.rsplit(':').next().unwrap_or(&key));
                    if let Some(change) = attr_change(op.kind, &attr, Some(value))? {
                        changes.push(change);
                    }
                }
            }
            Some(PatchPath::Attr(attr)) => {
                if let Some(change) = attr_change(op.kind, &attr, op.value)? {
                    changes.push(change);
                }
            }
            Some(PatchPath::Value(vp)) if vp.attr.name.eq_ignore_ascii_case("members") => {
                if op.kind != OpKind::Remove || vp.sub_attr.is_some() {
                    return Err(ScimError::invalid_path(format!(
                        "'{vp}': only remove is supported on a filtered members path"
                    )));
                }
                let ids = member_values(&vp.filter).ok_or_else(|| {
                    ScimError::invalid_filter(format!(
                        "'{vp}': only members[value eq \"id\"] (joined with or) selects members"
                    ))
                })?;
                changes.push(GroupChange::RemoveMembers(ids));
            }
            Some(other) => {
                return Err(ScimError::invalid_path(format!(
                    "'{other}' is not an attribute of a Group"
                )));
            }
        }
    }
    Ok(changes)
}

fn attr_change(
    kind: OpKind,
    attr: &AttrPath,
    value: Option<Value>,
) -> Result<Option<GroupChange>, ScimError> {
    let name = attr.name.to_ascii_lowercase();
    let string = |v: Option<Value>| -> Result<Option<String>, ScimError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ScimError::invalid_value(format!(
                "{} must be a string, not {}",
                attr.name,
                kind_of(&other)
            ))),
        }
    };
    let change = match (name.as_str(), kind) {
        ("displayname", OpKind::Remove) => {
            return Err(ScimError::mutability(
                "displayName is required and cannot be removed",
            ));
        }
        ("displayname", _) => match string(value)? {
            Some(name) => GroupChange::Rename(name),
            None => return Err(ScimError::invalid_value("displayName must not be empty")),
        },
        ("externalid", OpKind::Remove) => GroupChange::SetExternalId(None),
        ("externalid", _) => GroupChange::SetExternalId(string(value)?.filter(|s| !s.is_empty())),
        ("members", OpKind::Add) => GroupChange::AddMembers(ids_of(value)?),
        ("members", OpKind::Replace) => GroupChange::ReplaceMembers(ids_of(value)?),
        ("members", OpKind::Remove) => match value {
            None | Some(Value::Null) => GroupChange::RemoveAllMembers,
            Some(v) if is_empty(&v) => GroupChange::RemoveAllMembers,
            v => GroupChange::RemoveMembers(ids_of(v)?),
        },
        // Read-only attributes echoed back by some clients.
        ("id" | "schemas" | "meta", _) => return Ok(None),
        _ => {
            return Err(ScimError::invalid_path(format!(
                "'{attr}' is not an attribute of a Group (displayName, externalId, members)"
            )));
        }
    };
    Ok(Some(change))
}

fn ids_of(value: Option<Value>) -> Result<Vec<String>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => member_ids(&v),
    }
}

/// The ids in `value eq "a" or value eq "b"`.
fn member_values(filter: &ValFilter) -> Option<Vec<String>> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(id)))
            if path.name.eq_ignore_ascii_case("value") && path.sub_attr.is_none() =>
        {
            Some(vec![id.clone()])
        }
        ValFilter::Or(items) => {
            let mut ids = Vec::new();
            for item in items.iter() {
                ids.extend(member_values(item)?);
            }
            Some(ids)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::patch::test_ops as ops;

    #[test]
    fn group_dialects() {
        let changes = group_changes(ops(json!([
            {"op":"Add","path":"members","value":[{"value":"u1"},{"value":"u2"}]},
            {"op":"Remove","path":"members","value":[{"value":"u3"}]},
            {"op":"remove","path":"members[value eq \"u4\" or value eq \"u5\"]"},
            {"op":"replace","value":{"id":"g","displayName":"Renamed"}},
            {"op":"remove","path":"members"},
            {"op":"replace","path":"members","value":[]}
        ])))
        .unwrap();
        assert_eq!(
            changes,
            vec![
                GroupChange::AddMembers(vec!["u1".into(), "u2".into()]),
                GroupChange::RemoveMembers(vec!["u3".into()]),
                GroupChange::RemoveMembers(vec!["u4".into(), "u5".into()]),
                GroupChange::Rename("Renamed".into()),
                GroupChange::RemoveAllMembers,
                GroupChange::ReplaceMembers(vec![]),
            ]
        );
        assert!(group_changes(ops(json!([{"op":"add","path":"owner","value":"x"}]))).is_err());
        assert!(group_changes(ops(json!([{"op":"remove","path":"displayName"}]))).is_err());
    }
}
