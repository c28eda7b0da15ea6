//! Reading JSON the way IdPs write it: member names in any case (RFC 7643 §2.1), booleans as
//! the strings Entra sends, and refusals that say what kind of value came instead.

use serde_json::{Map, Value};

use crate::error::ScimError;

/// Case-insensitive member lookup: SCIM attribute names are case-insensitive (RFC 7643 §2.1).
pub(crate) fn get_ci<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// What a refusal calls the value that came: "a string", "a list"...
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A SCIM boolean; Entra sends `"True"`/`"False"` as strings, in any case.
pub(crate) fn parse_bool(value: &Value, path: &str) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!(
            "{path} must be true or false, not {other}"
        ))),
    }
}
