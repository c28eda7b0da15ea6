//! The roles an IdP gives a user directly (`roles`, RFC 7643 §4.1.2), read in every shape Okta
//! and Entra send, and changed by PATCH in their dialects (`../shared/entitlements.md`).
//!
//! Okta Identity Governance sends the whole set on each PUT. Entra sends one of three
//! expressions: a single role at `roles[primary eq "True"].value`, an add-only list whose items
//! carry the app role as JSON *inside a string*, or a replace of the whole set. Items keep what
//! the IdP sent (value, display, type, primary), because the read-back must echo it: Okta imports
//! it as existing grants, and Entra re-sends a role it does not see. Which target role a value
//! stands for is the backend's business.

use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value, json};

use crate::error::ScimError;
use crate::patch::OpKind;
use crate::patch::equalities;
use crate::user::{get_ci, kind_of, parse_bool};

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
fn items(value: &Value) -> Result<Vec<Map<String, Value>>, ScimError> {
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

fn item(value: Value) -> Result<Map<String, Value>, ScimError> {
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
