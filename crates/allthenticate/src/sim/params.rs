//! Request parameters from wherever they came: a JSON body, a form body or the query string.
//!
//! Allthenticate's notation ("serialized JSON array", `{"success"|"error": msg}` with 200/400)
//! looks like Flask-RESTful's `reqparse`, which reads all three, so the simulator does too. A
//! name present in several places takes the body's value (JSON, then form) before the query's.
//! `emails[]`-style names are the same as `emails`. Lists may come as a JSON array, as repeated
//! form or query fields, or as one field holding a serialized JSON array.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde_json::Value;

/// Every parameter of one request, values in order of precedence.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, Vec<Value>>,
}

impl Params {
    /// Reads the body (JSON when it says so or looks like it, else a form) and then the query.
    /// A body that claims to be JSON but is not is a 400, as Flask's parser would answer.
    pub(crate) fn read(
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Self, String> {
        let mut params = Self::default();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let trimmed = body.trim_ascii();
        let looks_json = trimmed.first().is_some_and(|b| *b == b'{');
        if content_type.contains("json") || (looks_json && !content_type.contains("form")) {
            if !trimmed.is_empty() {
                match serde_json::from_slice::<Value>(trimmed) {
                    Ok(Value::Object(map)) => {
                        for (name, value) in map {
                            params.push(&name, value);
                        }
                    }
                    Ok(_) => return Err("The JSON body must be an object".to_owned()),
                    Err(e) => return Err(format!("The JSON body is malformed: {e}")),
                }
            }
        } else if !trimmed.is_empty() {
            params.push_pairs(trimmed)?;
        }
        if let Some(query) = query {
            params.push_pairs(query.as_bytes())?;
        }
        Ok(params)
    }

    fn push(&mut self, name: &str, value: Value) {
        let name = name.strip_suffix("[]").unwrap_or(name);
        self.values.entry(name.to_owned()).or_default().push(value);
    }

    fn push_pairs(&mut self, encoded: &[u8]) -> Result<(), String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded)
            .map_err(|e| format!("The parameters are malformed: {e}"))?;
        for (name, value) in pairs {
            self.push(&name, Value::String(value));
        }
        Ok(())
    }

    fn first(&self, name: &str) -> Option<&Value> {
        self.values
            .get(name)?
            .iter()
            .find(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
    }

    /// Whether the parameter was given with a non-empty value.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }

    /// A text parameter; numbers are taken as written.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.first(name)? {
            Value::String(s) => Some(s.trim().to_owned()),
            other => Some(other.to_string()),
        }
    }

    /// An integer parameter: a JSON number or a numeric text.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, String> {
        let Some(value) = self.first(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| format!("Parameter '{name}' must be an integer, not {value}"))
    }

    /// A boolean: JSON `true`/`false`, or `true`/`false`/`1`/`0`/`yes`/`no` in any case (Flask's
    /// `inputs.boolean`).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, String> {
        let Some(value) = self.first(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().and_then(|n| match n {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            }),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| format!("Parameter '{name}' must be a boolean, not {value}"))
    }

    /// A list: the items of a JSON array, of a text holding a serialized JSON array, or the
    /// repeated values of the parameter.
    pub(crate) fn list(&self, name: &str) -> Vec<Value> {
        let mut items = Vec::new();
        for value in self.values.get(name).into_iter().flatten() {
            match value {
                Value::Array(values) => items.extend(values.iter().cloned()),
                Value::String(s) if s.trim_start().starts_with('[') => {
                    match serde_json::from_str::<Value>(s) {
                        Ok(Value::Array(values)) => items.extend(values),
                        _ => items.push(value.clone()),
                    }
                }
                Value::Null => {}
                other => items.push(other.clone()),
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn json_form_and_query_are_read_with_the_body_first() {
        let p = Params::read(
            &headers("application/json"),
            Some("email_id=9&email=q%40x.io"),
            br#"{"email_id": 5, "no_email": true, "emails": ["a@x.io"]}"#,
        )
        .unwrap();
        assert_eq!(p.int("email_id"), Ok(Some(5)));
        assert_eq!(p.text("email").as_deref(), Some("q@x.io"));
        assert_eq!(p.bool("no_email"), Ok(Some(true)));
        assert_eq!(p.list("emails"), [json!("a@x.io")]);

        let form = Params::read(
            &headers("application/x-www-form-urlencoded"),
            None,
            b"emails[]=a%40x.io&emails[]=b%40x.io&no_email=True&admin_user_id=12",
        )
        .unwrap();
        assert_eq!(form.list("emails"), [json!("a@x.io"), json!("b@x.io")]);
        assert_eq!(form.bool("no_email"), Ok(Some(true)));
        assert_eq!(form.int("admin_user_id"), Ok(Some(12)));
    }

    #[test]
    fn serialized_arrays_bad_values_and_bad_bodies() {
        let p = Params::read(
            &HeaderMap::new(),
            Some("emails=%5B%22a%40x.io%22%2C%22b%40x.io%22%5D&email_id=x&flag=maybe&blank="),
            b"",
        )
        .unwrap();
        assert_eq!(p.list("emails").len(), 2);
        assert!(p.int("email_id").is_err());
        assert!(p.bool("flag").is_err());
        assert!(!p.has("blank"));
        assert!(!p.has("absent"));
        assert!(Params::read(&headers("application/json"), None, b"{oops").is_err());
        assert!(Params::read(&headers("application/json"), None, b"[1]").is_err());
        // JSON without a content type is still recognised.
        let untyped = Params::read(&HeaderMap::new(), None, br#"{"email_id": "7"}"#).unwrap();
        assert_eq!(untyped.int("email_id"), Ok(Some(7)));
    }
}
