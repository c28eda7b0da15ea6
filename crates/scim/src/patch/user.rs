//! Applying PATCH operations to a User (RFC 7644 §3.5.2.1-3): [`apply_user_patch`].
//!
//! The operations are applied to the user's SCIM JSON and the result is read back like a PUT
//! body, so a PATCH can never produce a user a PUT could not. Paths may name an attribute, a
//! sub-attribute, an extension attribute (`urn:...:enterprise:2.0:User:department`) or a
//! filtered element (`emails[type eq "work"].value`); an add or replace on a filtered element
//! that matches nothing creates it, as Entra expects. `roles` has dialects of its own
//! (`roles.rs`).

use scim_v2::filter::{AttrPath, PatchPath, PatchValuePath};
use serde_json::{Map, Value};

use super::operations::{OpKind, PatchOp};
use super::roles;
use super::{equalities, is_empty};
use crate::error::ScimError;
use crate::group::GROUP_SCHEMA;
use crate::lenient::{get_ci, kind_of};
use crate::query::eval_val;
use crate::schema::{ResourceKind, check_patch_paths};
use crate::user::{USER_SCHEMA, UserResource, UserWrite};

/// The user that results from applying `ops` to `current`. A `path` must name an attribute the
/// User schemas define (400 `invalidPath`), and the names the result carries must be readable
/// (400 `invalidValue`; values `current` already had are not checked again).
pub fn apply_user_patch(current: &UserResource, ops: &[PatchOp]) -> Result<UserWrite, ScimError> {
    check_patch_paths(ops, ResourceKind::User)?;
    let mut doc = match current.to_json_as_given() {
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
                    if roles::is_roles_path(&path) {
                        roles::apply(&mut doc, op.kind, &path, Some(value))?;
                    } else {
                        apply_path(&mut doc, op.kind, &path, Some(value.clone()))?;
                    }
                }
            }
            Some(path) if roles::is_roles_path(path) => {
                roles::apply(&mut doc, op.kind, path, op.value.as_ref())?;
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
    let patched = UserWrite::parse(&Value::Object(doc))?;
    patched.check_text(Some(&current.write))?;
    Ok(patched)
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
        // `null` and `""` clear a single-valued attribute: Entra sends both to empty one.
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
                if items.is_empty() && vp.attr.name.eq_ignore_ascii_case("emails") {
                    // The first address replaces the shown default, the login as primary work
                    // address: it takes its place as primary unless told otherwise.
                    element.entry("primary").or_insert(Value::Bool(true));
                }
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::patch::test_ops as ops;

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
        assert!(
            user.emails[0].primary,
            "the only address is the primary one"
        );
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
}
