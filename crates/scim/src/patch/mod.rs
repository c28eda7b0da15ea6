//! PATCH requests (RFC 7644 §3.5.2) in the dialects Okta and Entra ID speak.
//!
//! `operations.rs` reads a PatchOp body into [`PatchOp`]s ([`parse_patch`]); `user.rs` applies
//! them to a User's SCIM JSON ([`apply_user_patch`]), with `roles.rs` for the `roles` dialects; `group.rs` turns them into
//! [`GroupChange`]s ([`group_changes`]), because a group's member list is changed, not
//! rewritten. Everything public is re-exported here, so callers name `scim::patch::X` whatever
//! file `X` lives in.

mod group;
mod operations;
mod roles;
mod user;

pub use group::{GroupChange, group_changes};
pub use operations::{OpKind, PATCH_SCHEMA, PatchOp, parse_patch};
pub use user::apply_user_patch;

use scim_v2::filter::{AttrExp, CompValue, CompareOp, ValFilter};
use serde_json::{Map, Value};

/// Whether `value` clears an attribute: `null`, `[]` or `""` (Entra sends `null` and `""`).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The `attr eq "x"` terms of a filter, as the fields of an element it would match; a
/// `primary eq "True"` (Entra's string boolean) gives a boolean `primary`.
fn equalities(filter: &ValFilter) -> Map<String, Value> {
    let mut fields = Map::new();
    let mut collect = |f: &ValFilter| {
        if let ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) = f {
            let name = path.sub_attr.clone().unwrap_or_else(|| path.name.clone());
            let v = match value {
                CompValue::Str(s) if name.eq_ignore_ascii_case("primary") => {
                    match s.to_ascii_lowercase().as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => Value::String(s.clone()),
                    }
                }
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::True => Value::Bool(true),
                CompValue::False => Value::Bool(false),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return,
            };
            fields.insert(name, v);
        }
    };
    match filter {
        ValFilter::And(items) => items.iter().for_each(&mut collect),
        other => collect(other),
    }
    fields
}

/// The operations of a PatchOp body carrying `list`, for the tests of the user and group code.
#[cfg(test)]
fn test_ops(list: Value) -> Vec<PatchOp> {
    parse_patch(
        &serde_json::json!({"schemas":[PATCH_SCHEMA],"Operations":list}),
        100,
    )
    .unwrap()
}
