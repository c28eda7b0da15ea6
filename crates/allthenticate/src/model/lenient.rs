//! Tolerant readers for fields whose JSON type the documentation does not pin down.
//!
//! Each accepts every shape a plausible Flask serialiser could produce for the field and turns
//! it into the one type the rest of the crate wants, so that a reply differing from the sample
//! in a scalar's type does not make a whole listing unreadable.

use serde::de::{self, Deserialize, Deserializer};
use serde_json::Value;

/// Keys whose text names an object in a list of names (`{"email": …}` in invite answers,
/// `{"computer_username": …}` in `/user`).
const NAME_KEYS: [&str; 4] = ["email", "name", "computer_username", "label"];

/// An integer id from a JSON number or a numeric string.
pub(super) fn int<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
    match Value::deserialize(de)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| de::Error::custom(format!("id {n} is not an integer"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("id '{s}' is not an integer"))),
        other => Err(de::Error::custom(format!(
            "expected an integer id, got {other}"
        ))),
    }
}

/// The text of a scalar: a string as is, a number or boolean as written; `null` is `None`.
/// Arrays and objects keep their JSON text, so nothing is lost.
fn text_of(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// An optional free-form text field (dates, `ad_status`, names, …).
pub fn lenient_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    Ok(text_of(Value::deserialize(de)?))
}

/// A text field that must be there (an invite's e-mail, a message).
pub(super) fn required_string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    text_of(Value::deserialize(de)?).ok_or_else(|| de::Error::custom("expected a text, got null"))
}

/// A list of names however nested (`[["a"], ["b", "c"]]`, `["a"]`, `"a"`, `null`), with
/// objects read through their `email`, `name`, `computer_username` or `label` key.
pub fn flat_names<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let mut names = Vec::new();
    collect(Value::deserialize(de)?, &mut names);
    Ok(names)
}

fn collect(value: Value, names: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.into_iter().for_each(|item| collect(item, names)),
        Value::Object(mut map) => {
            if let Some(name) = NAME_KEYS
                .iter()
                .find_map(|key| map.remove(*key).and_then(text_of))
            {
                names.push(name);
            }
        }
        scalar => names.extend(text_of(scalar)),
    }
}

/// `null` read as the type's default (an empty list).
pub(super) fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(value: Value) -> Vec<String> {
        flat_names(value).unwrap()
    }

    #[test]
    fn names_flatten_from_any_nesting() {
        assert_eq!(names(json!([["a"], ["b", ["c"]]])), ["a", "b", "c"]);
        assert_eq!(names(json!("solo")), ["solo"]);
        assert!(names(json!(null)).is_empty());
        assert_eq!(
            names(json!([{"email": "x@y.z"}, {"other": 1}, 7])),
            ["x@y.z", "7"]
        );
    }

    #[test]
    fn ids_read_from_numbers_and_numeric_strings_only() {
        assert_eq!(int(json!(42)).unwrap(), 42);
        assert_eq!(int(json!(" 42 ")).unwrap(), 42);
        assert!(int(json!(4.5)).is_err());
        assert!(int(json!(null)).is_err());
        assert!(int(json!("abc")).is_err());
    }

    #[test]
    fn scalars_read_as_text() {
        assert_eq!(
            lenient_string(json!(true)).unwrap().as_deref(),
            Some("true")
        );
        assert_eq!(lenient_string(json!(null)).unwrap(), None);
        assert!(required_string(json!(null)).is_err());
    }
}
