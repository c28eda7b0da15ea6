//! Reading a PatchOp body (RFC 7644 §3.5.2) into [`PatchOp`]s, in the Okta and Entra ID dialects.
//! Hand-written: `scim_v2`'s `PatchOp` refuses bodies we accept and loses the §3.12 `scimType`.
//!
//! That type reads both IdPs' usual bodies, but it requires `schemas`, exact-case member names
//! (`Operations`, `op`, `path`, `value`), `op` in three spellings only (`add`, `Add`, `ADD`, ...)
//! and a non-empty string `path`, and it reports any refusal as one serde message. Here member
//! names and `op` values are case-insensitive (Entra sends `"op": "Replace"`), an empty or `null`
//! path means no path, and each refusal carries its own `scimType` (`noTarget`, `invalidPath`,
//! `invalidValue`, `tooMany`). Paths are parsed with `scim_v2`'s PATCH-path grammar. Values stay
//! JSON: Entra's string booleans (`"False"`) are read by the User reader like any other value.

use scim_v2::filter::PatchPath;
use serde_json::Value;

use crate::error::ScimError;
use crate::lenient::get_ci;

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;

    #[test]
    fn malformed_patches_are_refused_clearly() {
        let bad = |body: Value| parse_patch(&body, 2).unwrap_err();
        assert_eq!(
            bad(json!({"Operations":[]})).scim_type,
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"move","path":"a"}]})).scim_type,
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"remove"}]})).scim_type,
            Some(ScimType::NoTarget)
        );
        assert_eq!(
            bad(json!({"Operations":[{"op":"add","path":"emails[type eq]"}]})).scim_type,
            Some(ScimType::InvalidPath)
        );
        assert_eq!(bad(json!({"Operations":[{"op":"add","path":"a","value":1},{"op":"add","path":"a","value":1},{"op":"add","path":"a","value":1}]})).scim_type, Some(ScimType::TooMany));
        assert_eq!(
            bad(json!({"schemas":["x"],"Operations":[{"op":"add","path":"a","value":1}]}))
                .scim_type,
            Some(ScimType::InvalidSyntax)
        );
    }
}
