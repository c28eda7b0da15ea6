//! `attributes` and `excludedAttributes` (RFC 7644 §3.9): which attributes of a rendered resource
//! go back to the client. `schemas` and `id` always do (RFC 7643 `returned: always`).

use serde_json::{Map, Value};

use crate::group::GROUP_SCHEMA;
use crate::user::USER_SCHEMA;

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9), applied to rendered JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// Always returned whatever the client asks (RFC 7643 `returned: always`).
const ALWAYS: &[&str] = &["schemas", "id"];

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let split = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or("")
                .split(',')
                .map(|a| strip_schema(a.trim()).to_ascii_lowercase())
                .filter(|a| !a.is_empty())
                .collect()
        };
        Self {
            attributes: split(attributes),
            excluded: split(excluded),
        }
    }

    pub fn from_query(query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        Self::new(find("attributes"), find("excludedAttributes"))
    }

    pub fn is_identity(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether the top-level attribute `name` survives the projection.
    pub fn includes(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        if self.excluded.contains(&name) {
            return false;
        }
        self.attributes.is_empty()
            || self
                .attributes
                .iter()
                .any(|a| *a == name || a.split('.').next() == Some(name.as_str()))
    }

    pub fn apply(&self, resource: &mut Value) {
        if self.is_identity() {
            return;
        }
        let Value::Object(obj) = resource else {
            return;
        };
        obj.retain(|key, value| {
            let lower = key.to_ascii_lowercase();
            if ALWAYS.contains(&lower.as_str()) {
                return true;
            }
            if self.excluded.contains(&lower) {
                return false;
            }
            if let Value::Object(inner) = value {
                self.project_sub(&lower, inner);
            }
            self.attributes.is_empty()
                || self
                    .attributes
                    .iter()
                    .any(|a| *a == lower || a.split_once('.').is_some_and(|(top, _)| top == lower))
        });
    }

    fn project_sub(&self, top: &str, inner: &mut Map<String, Value>) {
        let prefix = format!("{top}.");
        let wanted: Vec<&str> = self
            .attributes
            .iter()
            .filter_map(|a| a.strip_prefix(&prefix))
            .collect();
        let whole = self.attributes.iter().any(|a| a == top);
        inner.retain(|key, _| {
            let lower = key.to_ascii_lowercase();
            let excluded = self
                .excluded
                .iter()
                .any(|e| e.strip_prefix(&prefix) == Some(lower.as_str()));
            !excluded && (whole || wanted.is_empty() || wanted.contains(&lower.as_str()))
        });
    }
}

fn strip_schema(attr: &str) -> &str {
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        if let Some(rest) = attr.strip_prefix(schema).and_then(|r| r.strip_prefix(':')) {
            return rest;
        }
    }
    attr
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn projection_keeps_always_returned_attributes() {
        let mut v = json!({"schemas":[],"id":"1","userName":"a","name":{"givenName":"A","familyName":"B"},"emails":[]});
        Projection::new(Some("name.givenName"), None).apply(&mut v);
        assert_eq!(v, json!({"schemas":[],"id":"1","name":{"givenName":"A"}}));
        let mut v = json!({"schemas":[],"id":"1","displayName":"g","members":[{"value":"u"}]});
        let p = Projection::new(None, Some("members"));
        assert!(!p.includes("members"));
        p.apply(&mut v);
        assert!(v.get("members").is_none());
    }
}
