//! PATCH requests (RFC 7644 §3.5.2) in the dialects Okta and Entra ID speak.
//!
//! Paths are parsed with `scim_v2`'s grammar. A User PATCH is applied to the user's SCIM JSON
//! and the result is read back like a PUT body, so a PATCH can never produce a user a PUT could
//! not. A Group PATCH becomes a list of [`GroupChange`]s instead: member lists can hold
//! thousands of ids, and the backend needs to know which members changed, not the new list.

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, PatchPath, PatchValuePath, ValFilter,
};
use serde_json::{Map, Value};

use super::error::ScimError;
use super::group::{GROUP_SCHEMA, member_ids};
use super::query::eval_val;
use super::user::{USER_SCHEMA, UserResource, UserWrite, get_ci, kind_of};

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Reads a PatchOp body; `op` names are case-insensitive (Entra sends `Replace`).
pub fn parse_patch(body: &Value, max_operations: usize) -> Result<Vec<PatchOp>, ScimError> {
    let obj = body.as_object().ok_or_else(|| {
        ScimError::invalid_syntax("the body must be a JSON object (a SCIM PatchOp)")
    })?;
    if let Some(Value::Array(schemas)) = get_ci(obj, "schemas")
        && !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA))
    {
        return Err(ScimError::invalid_syntax(format!(
            "schemas must contain {PATCH_SCHEMA}"
        )));
    }
    let ops = match get_ci(obj, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            return Err(ScimError::invalid_value("Operations must not be empty"));
        }
        _ => {
            return Err(ScimError::invalid_syntax(
                "Operations is required and must be a list",
            ));
        }
    };
    if ops.len() > max_operations {
        return Err(ScimError::too_many(format!(
            "a PATCH may carry at most {max_operations} operations, this one has {}",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| parse_op(i, op))
        .collect()
}

fn parse_op(index: usize, op: &Value) -> Result<PatchOp, ScimError> {
    let obj = op.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("Operations[{index}] must be an object"))
    })?;
    let kind = match get_ci(obj, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => OpKind::Add,
        Some("replace") => OpKind::Replace,
        Some("remove") => OpKind::Remove,
        Some(other) => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}].op must be add, replace or remove, not '{other}'"
            )));
        }
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}].op is required"
            )));
        }
    };
    let path = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(p.trim().parse::<PatchPath>().map_err(|e| {
            ScimError::invalid_path(format!("Operations[{index}].path {p:?}: {e}"))
        })?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}].path must be a string"
            )));
        }
    };
    let value = get_ci(obj, "value").cloned();
    match (kind, &path, &value) {
        (OpKind::Remove, None, _) => Err(ScimError::no_target(format!(
            "Operations[{index}]: remove needs a path"
        ))),
        (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => {
            Err(ScimError::invalid_value(format!(
                "Operations[{index}]: without a path, value must be an object of attributes"
            )))
        }
        (OpKind::Add | OpKind::Replace, _, None) => Err(ScimError::invalid_value(format!(
            "Operations[{index}]: {kind:?} needs a value"
        ))),
        _ => Ok(PatchOp { kind, path, value }),
    }
}

/// The user that results from applying `ops` to `current`.
pub fn apply_user_patch(current: &UserResource, ops: &[PatchOp]) -> Result<UserWrite, ScimError> {
    let mut doc = match current.to_json("") {
        Value::Object(obj) => obj,
        _ => unreachable!("a user renders as an object"),
    };
    for op in ops {
        match &op.path {
            None => {
                let Some(Value::Object(attrs)) = &op.value else {
                    continue;
                };
                for (key, value) in attrs {
                    let path = key
                        .parse::<PatchPath>()
                        .map_err(|e| ScimError::invalid_path(format!("attribute {key:?}: {e}")))?;
                    apply_path(&mut doc, op.kind, &path, Some(value.clone()))?;
                }
            }
            Some(path) => apply_path(&mut doc, op.kind, path, op.value.clone())?,
        }
    }
    if get_ci(&doc, "active").is_none_or(Value::is_null) {
        // A user is either active or not; absent would silently mean active.
        return Err(ScimError::invalid_value(
            "active cannot be removed; replace it with false to deprovision the user",
        ));
    }
    UserWrite::parse(&Value::Object(doc))
}

/// The object a path's attribute lives in: the resource, or an extension block (created on
/// demand so extension attributes Entra sends are accepted).
fn container<'a>(doc: &'a mut Map<String, Value>, attr: &AttrPath) -> &'a mut Map<String, Value> {
    match attr.uri.as_deref() {
        None => doc,
        Some(uri)
            if uri.eq_ignore_ascii_case(USER_SCHEMA) || uri.eq_ignore_ascii_case(GROUP_SCHEMA) =>
        {
            doc
        }
        Some(uri) => {
            let key = existing_key(doc, uri);
            let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot.as_object_mut().expect("just made an object")
        }
    }
}

/// The key an attribute is stored under, matched case-insensitively.
fn existing_key(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn apply_path(
    doc: &mut Map<String, Value>,
    kind: OpKind,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    match path {
        PatchPath::Attr(attr) => {
            let target = container(doc, attr);
            let key = existing_key(target, &attr.name);
            match &attr.sub_attr {
                None => set_attr(target, key, kind, value),
                Some(sub) => {
                    let parent = target
                        .entry(key)
                        .or_insert_with(|| Value::Object(Map::new()));
                    match parent {
                        Value::Object(inner) => {
                            let sub_key = existing_key(inner, sub);
                            set_attr(inner, sub_key, kind, value)
                        }
                        Value::Array(items) => {
                            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                                let sub_key = existing_key(item, sub);
                                set_attr(item, sub_key, kind, value.clone())?;
                            }
                            Ok(())
                        }
                        other => {
                            *other = Value::Object(Map::new());
                            let inner = other.as_object_mut().expect("just made an object");
                            set_attr(inner, sub.clone(), kind, value)
                        }
                    }
                }
            }
        }
        PatchPath::Value(vp) => apply_value_path(doc, kind, vp, value),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn set_attr(
    obj: &mut Map<String, Value>,
    key: String,
    kind: OpKind,
    value: Option<Value>,
) -> Result<(), ScimError> {
    match (kind, value) {
        (OpKind::Remove, Some(Value::Array(gone)))
            if obj.get(&key).is_some_and(Value::is_array) =>
        {
            // Remove listed values from a multi-valued attribute.
            let ids: Vec<&Value> = gone.iter().map(|g| g.get("value").unwrap_or(g)).collect();
            if let Some(Value::Array(items)) = obj.get_mut(&key) {
                items.retain(|item| !ids.contains(&item.get("value").unwrap_or(item)));
            }
        }
        (OpKind::Remove, _) => {
            obj.remove(&key);
        }
        // "Accept null values as clear" (Entra sends `"value": null` and `""` to empty an attribute).
        (_, Some(v)) if is_empty(&v) && !v.is_array() => {
            obj.remove(&key);
        }
        (OpKind::Add, Some(Value::Array(more))) => match obj.get_mut(&key) {
            Some(Value::Array(items)) => {
                for item in more {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
            _ => {
                obj.insert(key, Value::Array(more));
            }
        },
        (_, Some(Value::Object(fields))) => match obj.get_mut(&key) {
            Some(Value::Object(existing)) if kind == OpKind::Add || kind == OpKind::Replace => {
                // A complex attribute's sub-attributes merge (RFC 7644 §3.5.2.1 and .3).
                for (k, v) in fields {
                    let k = existing_key(existing, &k);
                    if v.is_null() {
                        existing.remove(&k);
                    } else {
                        existing.insert(k, v);
                    }
                }
            }
            _ => {
                obj.insert(key, Value::Object(fields));
            }
        },
        (_, Some(v)) => {
            obj.insert(key, v);
        }
        (_, None) => {}
    }
    Ok(())
}

/// `emails[type eq "work"].value` and friends. A replace or add that matches nothing creates the
/// element, because that is what Entra expects (its first work e-mail arrives this way).
fn apply_value_path(
    doc: &mut Map<String, Value>,
    kind: OpKind,
    vp: &PatchValuePath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let target = container(doc, &vp.attr);
    let key = existing_key(target, &vp.attr.name);
    let slot = target
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    let items = slot.as_array_mut().expect("just made a list");
    let attribute = vp.attr.name.clone();
    let matches = |item: &Value| {
        item.as_object()
            .is_some_and(|o| eval_val(&vp.filter, o, &attribute))
    };
    match (kind, &vp.sub_attr) {
        (OpKind::Remove, None) => items.retain(|item| !matches(item)),
        (OpKind::Remove, Some(sub)) => {
            for item in items.iter_mut().filter(|i| matches(i)) {
                if let Some(obj) = item.as_object_mut() {
                    let k = existing_key(obj, sub);
                    obj.remove(&k);
                }
            }
        }
        (_, sub) => {
            let value = value.unwrap_or(Value::Null);
            let mut hit = false;
            for item in items.iter_mut().filter(|i| matches(i)) {
                hit = true;
                let obj = item.as_object_mut().expect("matched elements are objects");
                write_element(obj, sub.as_deref(), &value)?;
            }
            if !hit && !value.is_null() {
                let mut element = equalities(&vp.filter);
                write_element(&mut element, sub.as_deref(), &value)?;
                items.push(Value::Object(element));
            }
        }
    }
    Ok(())
}

fn write_element(
    obj: &mut Map<String, Value>,
    sub: Option<&str>,
    value: &Value,
) -> Result<(), ScimError> {
    match (sub, value) {
        (Some(sub), v) => {
            let k = existing_key(obj, sub);
            if v.is_null() {
                obj.remove(&k);
            } else {
                obj.insert(k, v.clone());
            }
        }
        (None, Value::Object(fields)) => {
            for (k, v) in fields {
                let k = existing_key(obj, k);
                obj.insert(k, v.clone());
            }
        }
        (None, other) => {
            return Err(ScimError::invalid_value(format!(
                "a value path without a sub-attribute needs an object value, not {}",
                kind_of(other)
            )));
        }
    }
    Ok(())
}

/// The `attr eq "x"` terms of a filter, as the fields of an element it would match.
fn equalities(filter: &ValFilter) -> Map<String, Value> {
    let mut fields = Map::new();
    let mut collect = |f: &ValFilter| {
        if let ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) = f {
            let v = match value {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::True => Value::Bool(true),
                CompValue::False => Value::Bool(false),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return,
            };
            fields.insert(
                path.sub_attr.clone().unwrap_or_else(|| path.name.clone()),
                v,
            );
        }
    };
    match filter {
        ValFilter::And(items) => items.iter().for_each(&mut collect),
        other => collect(other),
    }
    fields
}

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

/// The changes a Group PATCH asks for, in order.
pub fn group_changes(ops: Vec<PatchOp>) -> Result<Vec<GroupChange>, ScimError> {
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
    use chrono::Utc;
    use serde_json::json;

    use super::*;

    fn ops(list: Value) -> Vec<PatchOp> {
        parse_patch(&json!({"schemas":[PATCH_SCHEMA],"Operations":list}), 100).unwrap()
    }

    fn alice() -> UserResource {
        let now = Utc::now();
        UserResource {
            id: "1".into(),
            write: UserWrite::parse(&json!({"userName":"alice@contoso.com","name":{"givenName":"Alice","familyName":"Doe"},
                "emails":[{"value":"alice@contoso.com","type":"work","primary":true},{"value":"a@home.io","type":"home"}]}))
            .unwrap(),
            groups: vec![],
            created: now,
            last_modified: now,
        }
    }

    #[test]
    fn entra_default_dialect() {
        let user = apply_user_patch(
            &alice(),
            &ops(json!([
                {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
                {"op":"Replace","path":"name.familyName","value":"Doe-Smith"},
                {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
                {"op":"Replace","path":"active","value":"False"}
            ])),
        )
        .unwrap();
        assert_eq!(user.name.family_name.as_deref(), Some("Doe-Smith"));
        assert_eq!(user.emails[0].value, "new@contoso.com");
        assert_eq!(user.emails[1].value, "a@home.io", "other entries survive");
        assert!(!user.active);
    }

    #[test]
    fn okta_pathless_and_entra_merged_replace() {
        let user = apply_user_patch(
            &alice(),
            &ops(json!([{"op":"replace","value":{"active":false,"password":"x"}}])),
        )
        .unwrap();
        assert!(!user.active);
        let user = apply_user_patch(
            &alice(),
            &ops(
                json!([{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1"}}]),
            ),
        )
        .unwrap();
        assert_eq!(user.display_name.as_deref(), Some("Bjfe"));
        assert_eq!(user.name.given_name.as_deref(), Some("Kkom"));
        assert_eq!(user.name.family_name.as_deref(), Some("Doe"));
    }

    #[test]
    fn upserts_missing_work_email_and_clears_nulls() {
        let mut u = alice();
        u.write.emails.clear();
        let user = apply_user_patch(
            &u,
            &ops(json!([{"op":"Replace","path":"emails[type eq \"work\"].value","value":"w@contoso.com"},
                        {"op":"Replace","path":"name.givenName","value":null}])),
        )
        .unwrap();
        assert_eq!(user.emails.len(), 1);
        assert_eq!(user.emails[0].kind.as_deref(), Some("work"));
        assert_eq!(user.name.given_name, None);
    }

    #[test]
    fn active_cannot_be_removed() {
        let err =
            apply_user_patch(&alice(), &ops(json!([{"op":"remove","path":"active"}]))).unwrap_err();
        assert!(
            err.detail.contains("active cannot be removed"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn malformed_patches_are_refused_clearly() {
        let bad = |body: Value| parse_patch(&body, 2).unwrap_err();
        assert_eq!(
            bad(json!({"Operations":[]})).scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"move","path":"a"}]})).scim_type,
            Some("invalidSyntax")
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"remove"}]})).scim_type,
            Some("noTarget")
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"add","path":"emails[type eq]"}]})).scim_type,
            Some("invalidPath")
        );
        assert_eq!(bad(json!({"Operations":[{"op":"add","path":"a","value":1},{"op":"add","path":"a","value":1},{"op":"add","path":"a","value":1}]})).scim_type, Some("tooMany"));
        assert_eq!(
            bad(json!({"schemas":["x"],"Operations":[{"op":"add","path":"a","value":1}]}))
                .scim_type,
            Some("invalidSyntax")
        );
    }

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
