//! Reading query strings and JSON bodies without axum's plain-text rejections.
//!
//! Falcon answers every malformed request with a JSON envelope, so the simulator parses by
//! hand and turns every problem into a [`RequestError`] that becomes a 400 envelope.

use serde::de::DeserializeOwned;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum RequestError {
    #[error("malformed query string: {0}")]
    Query(String),
    #[error("request body is required")]
    MissingBody,
    #[error("malformed request body: {0}")]
    Body(String),
    #[error("invalid value '{value}' for parameter '{name}': expected true or false")]
    Bool { name: String, value: String },
}

/// Decoded query parameters, in order, repeated keys kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, RequestError> {
        match raw {
            None | Some("") => Ok(Self::default()),
            Some(raw) => serde_urlencoded::from_str(raw)
                .map(Self)
                .map_err(|e| RequestError::Query(e.to_string())),
        }
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`ids=a&ids=b`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean flag; absent or empty means `default`.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, RequestError> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
            Some(v) => Err(RequestError::Bool {
                name: name.to_owned(),
                value: v.to_owned(),
            }),
        }
    }
}

/// Parses a required JSON body.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::MissingBody);
    }
    serde_json::from_slice(body).map_err(|e| RequestError::Body(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdsRequest;

    #[test]
    fn query_values_are_decoded_and_repeatable() {
        let p = Params::parse(Some("filter=uid%3A%27a%2Bb%27&ids=1&ids=2")).unwrap_or_default();
        assert_eq!(p.get("filter"), Some("uid:'a+b'"));
        assert_eq!(p.all("ids"), vec!["1", "2"]);
        assert_eq!(p.get("nope"), None);
    }

    #[test]
    fn flags() {
        let p = Params::parse(Some("a=true&b=0&c=maybe")).unwrap_or_default();
        assert_eq!(p.flag("a", false), Ok(true));
        assert_eq!(p.flag("b", true), Ok(false));
        assert_eq!(p.flag("z", true), Ok(true));
        assert!(p.flag("c", false).is_err());
    }

    #[test]
    fn bodies() {
        assert_eq!(
            json_body::<IdsRequest>(b" "),
            Err(RequestError::MissingBody)
        );
        assert!(matches!(
            json_body::<IdsRequest>(b"{"),
            Err(RequestError::Body(_))
        ));
        assert_eq!(
            json_body::<IdsRequest>(br#"{"ids":["a"]}"#).map(|r| r.ids),
            Ok(vec!["a".into()])
        );
    }
}
