//! PATCH requests (RFC 7644 §3.5.2) in the dialects Okta and Entra ID speak.
//!
//! `operations.rs` reads a PatchOp body into [`PatchOp`]s ([`parse_patch`]); `user.rs` applies
//! them to a User's SCIM JSON ([`apply_user_patch`]); `group.rs` turns them into
//! [`GroupChange`]s ([`group_changes`]), because a group's member list is changed, not
//! rewritten. Everything public is re-exported here, so callers name `scim::patch::X` whatever
//! file `X` lives in.

mod group;
mod operations;
mod user;

pub use group::{GroupChange, group_changes};
pub use operations::{OpKind, PATCH_SCHEMA, PatchOp, parse_patch};
pub use user::apply_user_patch;
pub(crate) use user::equalities;

use serde_json::Value;

/// Whether `value` clears an attribute: `null`, `[]` or `""` (Entra sends `null` and `""`).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
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
