//! PATCH on a user's `roles` (`direct_roles.rs`) in Okta's and Entra's dialects, applied to
//! the user's SCIM JSON like every other path (`user.rs`), but with the meaning entitlements.md
//! gives each form: Entra's single-role expression replaces the set, values compare in any case,
//! and `primary eq "True"` matches a boolean.

use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value, json};

use super::{OpKind, equalities};
use crate::direct_roles::{item, items};
use crate::error::ScimError;
use crate::lenient::{get_ci, kind_of};

/// Whether `path` names the `roles` attribute (plain, filtered, or a sub-attribute).
pub(crate) fn is_roles_path(path: &PatchPath) -> bool {
    let attr = match path {
        PatchPath::Attr(attr) => attr,
        PatchPath::Value(vp) => &vp.attr,
    };
    attr.name.eq_ignore_ascii_case("roles")
        && attr
            .uri
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(crate::user::USER_SCHEMA))
}

/// Applies one PATCH operation on `roles` to the user's SCIM JSON `doc`; the result is read
/// back by [`parse_roles`] with the rest of the user.
///
/// | path | add | replace | remove |
/// |---|---|---|---|
/// | `roles` | union | the set | the values given, or all |
/// | `roles[value eq "x"]` | merged into x, or x added | the same | x |
/// | `roles[primary eq "True"].value` | the set becomes that role | the same | all |
/// | `roles[…].display` / `.type` | set on the matches | the same | cleared on them |
pub(crate) fn apply(
    doc: &mut Map<String, Value>,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let key = doc
        .keys()
        .find(|k| k.eq_ignore_ascii_case("roles"))
        .cloned()
        .unwrap_or_else(|| "roles".to_owned());
    let mut set: Vec<Map<String, Value>> = match doc.remove(&key) {
        Some(current) => items(&current)?,
        None => Vec::new(),
    };
    match path {
        PatchPath::Attr(attr) => match (attr.sub_attr.as_deref(), kind) {
            (None, OpKind::Add) => {
                for new in value.map(items).transpose()?.unwrap_or_default() {
                    match set.iter_mut().find(|old| same_value(old, &new)) {
                        Some(old) => *old = new,
                        None => set.push(new),
                    }
                }
            }
            (None, OpKind::Replace) => set = value.map(items).transpose()?.unwrap_or_default(),
            (None, OpKind::Remove) => match value.map(items).transpose()?.filter(|v| !v.is_empty())
            {
                Some(gone) => set.retain(|old| !gone.iter().any(|g| same_value(old, g))),
                None => set.clear(),
            },
            // `roles.value`: one role, as with the single-role expression.
            (Some(sub), _) if sub.eq_ignore_ascii_case("value") => {
                single(&mut set, kind, value, None)
            }
            (Some(sub), _) => {
                for old in &mut set {
                    write_field(old, sub, kind, value);
                }
            }
        },
        PatchPath::Value(vp) => {
            let matches = |item: &Map<String, Value>| matches(&vp.filter, item);
            match (vp.sub_attr.as_deref(), kind) {
                (None, OpKind::Remove) => set.retain(|item| !matches(item)),
                (Some(sub), _) if sub.eq_ignore_ascii_case("value") && is_primary(&vp.filter) => {
                    single(&mut set, kind, value, Some(&vp.filter))
                }
                (Some(sub), _) => {
                    let mut hit = false;
                    for item in set.iter_mut().filter(|i| matches(i)) {
                        hit = true;
                        write_field(item, sub, kind, value);
                    }
                    if !hit && kind != OpKind::Remove {
                        let mut new = equalities(&vp.filter);
                        write_field(&mut new, sub, kind, value);
                        set.push(new);
                    }
                }
                (None, _) => {
                    let fields = match value {
                        Some(Value::Object(fields)) => item(Value::Object(fields.clone()))?,
                        Some(other) => {
                            return Err(ScimError::invalid_value(format!(
                                "a roles[...] path without a sub-attribute needs an object \
                                 value, not {}",
                                kind_of(other)
                            )));
                        }
                        None => Map::new(),
                    };
                    let mut hit = false;
                    for existing in set.iter_mut().filter(|i| matches(i)) {
                        hit = true;
                        existing.extend(fields.clone());
                    }
                    if !hit {
                        let mut new = equalities(&vp.filter);
                        new.extend(fields);
                        set.push(new);
                    }
                }
            }
        }
    }
    if !set.is_empty() {
        doc.insert(
            key,
            Value::Array(set.into_iter().map(Value::Object).collect()),
        );
    }
    Ok(())
}

/// Entra's single-role expression: the set becomes the one role given (keeping its display
/// when the role stays the same), or nothing on a remove.
fn single(
    set: &mut Vec<Map<String, Value>>,
    kind: OpKind,
    value: Option<&Value>,
    filter: Option<&ValFilter>,
) {
    let wanted = match (kind, value) {
        (OpKind::Remove, _) | (_, None | Some(Value::Null)) => None,
        (_, Some(Value::String(s))) if s.trim().is_empty() => None,
        (_, Some(v)) => Some(v.clone()),
    };
    let Some(wanted) = wanted else {
        set.clear();
        return;
    };
    let mut new = set
        .iter()
        .find(|item| filter.is_none_or(|f| matches(f, item)))
        .cloned()
        .unwrap_or_else(|| filter.map(equalities).unwrap_or_default());
    let new_value = json_str(&wanted);
    let kept = new
        .get("value")
        .is_some_and(|old| json_str(old).eq_ignore_ascii_case(&new_value));
    if !kept {
        // The old role's name is not the new one's; its type and primacy are the expression's.
        new.retain(|k, _| {
            !k.eq_ignore_ascii_case("display") && !k.eq_ignore_ascii_case("displayName")
        });
    }
    new.insert("value".into(), wanted);
    *set = vec![new];
}

fn write_field(item: &mut Map<String, Value>, sub: &str, kind: OpKind, value: Option<&Value>) {
    let key = item
        .keys()
        .find(|k| k.eq_ignore_ascii_case(sub))
        .cloned()
        .unwrap_or_else(|| sub.to_owned());
    match (kind, value) {
        (OpKind::Remove, _) | (_, None | Some(Value::Null)) => {
            item.remove(&key);
        }
        (_, Some(v)) => {
            item.insert(key, v.clone());
        }
    }
}

fn json_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

fn same_value(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(x), Some(y)) => json_str(x).eq_ignore_ascii_case(&json_str(y)),
        _ => false,
    }
}

/// Whether a filter selects by `primary` (Entra's `roles[primary eq "True"]`).
fn is_primary(filter: &ValFilter) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, _)) => {
            path.name.eq_ignore_ascii_case("primary")
        }
        ValFilter::And(items) => items.iter().any(is_primary),
        _ => false,
    }
}

/// Whether `item` matches `filter`, comparing strings in any case and booleans in whatever form
/// they come (`primary eq "True"` matches `"primary": true`).
fn matches(filter: &ValFilter, item: &Map<String, Value>) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, op, wanted)) => {
            let name = path.sub_attr.as_deref().unwrap_or(&path.name);
            let found = get_ci(item, name);
            let equal = match (found, wanted) {
                (None | Some(Value::Null), CompValue::Null) => true,
                (None | Some(Value::Null), _) => false,
                (Some(v), CompValue::Str(s)) => {
                    as_bool(v)
                        .zip(as_bool(&json!(s)))
                        .is_some_and(|(a, b)| a == b)
                        || json_str(v).eq_ignore_ascii_case(s.trim())
                }
                (Some(v), CompValue::True) => as_bool(v) == Some(true),
                (Some(v), CompValue::False) => as_bool(v) == Some(false),
                (Some(v), CompValue::Number(n)) => v.as_number() == Some(n),
                (Some(_), CompValue::Null) => false,
            };
            match op {
                CompareOp::Eq => equal,
                CompareOp::Ne => !equal,
                _ => false,
            }
        }
        ValFilter::Attr(AttrExp::Present(path)) => {
            let name = path.sub_attr.as_deref().unwrap_or(&path.name);
            get_ci(item, name).is_some_and(|v| !v.is_null())
        }
        ValFilter::Not(inner) => !matches(inner, item),
        ValFilter::And(items) => items.iter().all(|f| matches(f, item)),
        ValFilter::Or(items) => items.iter().any(|f| matches(f, item)),
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::direct_roles::{RoleAssignment, parse_roles};

    fn values(roles: &[RoleAssignment]) -> Vec<&str> {
        roles.iter().map(|r| r.value.as_str()).collect()
    }

    fn patched(
        start: Value,
        kind: OpKind,
        path: &str,
        value: Option<Value>,
    ) -> Vec<RoleAssignment> {
        let mut doc = Map::from_iter([("roles".to_owned(), start)]);
        apply(&mut doc, kind, &path.parse().unwrap(), value.as_ref()).unwrap();
        parse_roles(doc.get("roles")).unwrap()
    }

    #[test]
    fn plain_paths_add_replace_and_remove() {
        let start = json!([{"value": "a"}, {"value": "b"}]);
        let added = patched(
            start.clone(),
            OpKind::Add,
            "roles",
            Some(json!([{"value": "B", "display": "Bee"}, {"value": "c"}])),
        );
        assert_eq!(values(&added), ["a", "B", "c"]);
        assert_eq!(added[1].display.as_deref(), Some("Bee"));
        let complex = patched(
            start.clone(),
            OpKind::Add,
            "roles",
            Some(json!([{"value": "{\"id\":\"g\",\"value\":\"c\",\"displayName\":\"C\"}"}])),
        );
        assert_eq!(values(&complex), ["a", "b", "c"]);
        let replaced = patched(
            start.clone(),
            OpKind::Replace,
            "roles",
            Some(json!("[{\"value\":\"z\"}]")),
        );
        assert_eq!(values(&replaced), ["z"]);
        let removed = patched(
            start.clone(),
            OpKind::Remove,
            "roles",
            Some(json!([{"value": "A"}])),
        );
        assert_eq!(values(&removed), ["b"]);
        assert!(patched(start.clone(), OpKind::Remove, "roles", None).is_empty());
        let by_value = patched(start, OpKind::Remove, "roles[value eq \"b\"]", None);
        assert_eq!(values(&by_value), ["a"]);
    }

    #[test]
    fn the_single_role_expression_sets_exactly_one() {
        let start = json!([{"value": "a", "primary": true, "display": "A"}, {"value": "b"}]);
        let one = patched(
            start.clone(),
            OpKind::Replace,
            "roles[primary eq \"True\"].value",
            Some(json!("c")),
        );
        assert_eq!(values(&one), ["c"]);
        assert_eq!(one[0].primary, Some(true));
        assert_eq!(one[0].display, None, "the old role's display goes with it");
        let same = patched(
            start.clone(),
            OpKind::Add,
            "roles[primary eq \"True\"].value",
            Some(json!("A")),
        );
        assert_eq!(
            same[0].display.as_deref(),
            Some("A"),
            "the same role keeps its display"
        );
        let fresh = patched(
            json!(null),
            OpKind::Add,
            "roles[primary eq \"True\"].value",
            Some(json!("c")),
        );
        assert_eq!(fresh[0].primary, Some(true));
        let shown = patched(
            start.clone(),
            OpKind::Replace,
            "roles[primary eq \"True\"].display",
            Some(json!("Ay")),
        );
        assert_eq!(shown[0].display.as_deref(), Some("Ay"));
        assert_eq!(values(&shown), ["a", "b"]);
        assert!(
            patched(
                start,
                OpKind::Remove,
                "roles[primary eq \"True\"].value",
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn filters_match_booleans_in_any_form_and_values_in_any_case() {
        let item = item(json!({"value": "Falcon_Analyst", "primary": "true"})).unwrap();
        let filter = |text: &str| match text.parse::<PatchPath>().unwrap() {
            PatchPath::Value(vp) => vp.filter,
            PatchPath::Attr(_) => unreachable!(),
        };
        assert!(matches(&filter("roles[primary eq \"True\"]"), &item));
        assert!(matches(&filter("roles[primary eq true]"), &item));
        assert!(matches(
            &filter("roles[value eq \"falcon_analyst\"]"),
            &item
        ));
        assert!(!matches(&filter("roles[value eq \"x\"]"), &item));
    }
}
