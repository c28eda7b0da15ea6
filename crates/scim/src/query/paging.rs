//! `startIndex` and `count` (RFC 7644 §3.4.2.4), read with the other list query parameters into
//! [`ListParams`]: out-of-range values are clamped as the RFC asks, non-numbers are refused.

use super::projection::Projection;
use crate::error::ScimError;

/// The query parameters of a list request, read case-insensitively; unknown ones are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pub filter: Option<String>,
    pub start_index: usize,
    pub count: usize,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub projection: Projection,
}

impl ListParams {
    /// Parses a raw query string. `startIndex` below 1 counts as 1 and `count` is clamped to
    /// `0..=max_results`, as RFC 7644 §3.4.2.4 asks.
    pub fn parse(query: Option<&str>, max_results: usize) -> Result<Self, ScimError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ScimError::invalid_syntax(format!("cannot read the query string: {e}")))?;
        let mut params = Self {
            start_index: 1,
            count: max_results,
            ..Self::default()
        };
        let mut attributes = None;
        let mut excluded = None;
        for (key, value) in pairs {
            match key.to_ascii_lowercase().as_str() {
                "filter" => params.filter = Some(value),
                "startindex" => {
                    params.start_index = parse_number(&value, "startIndex")?.max(1) as usize
                }
                "count" => {
                    params.count = (parse_number(&value, "count")?.max(0) as usize).min(max_results)
                }
                "sortby" => params.sort_by = Some(value),
                "sortorder" => params.sort_order = Some(value),
                "attributes" => attributes = Some(value),
                "excludedattributes" => excluded = Some(value),
                _ => {}
            }
        }
        params.projection = Projection::new(attributes.as_deref(), excluded.as_deref());
        Ok(params)
    }
}

fn parse_number(value: &str, name: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not '{value}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_params_clamp_and_refuse_garbage() {
        let p = ListParams::parse(
            Some("startIndex=0&count=5000&filter=userName%20eq%20%22a%22&foo=1"),
            1000,
        )
        .unwrap();
        assert_eq!((p.start_index, p.count), (1, 1000));
        assert_eq!(p.filter.as_deref(), Some(r#"userName eq "a""#));
        let p = ListParams::parse(Some("count=-3"), 1000).unwrap();
        assert_eq!(p.count, 0);
        assert!(
            ListParams::parse(Some("startIndex=abc"), 1000)
                .unwrap_err()
                .detail
                .contains("startIndex")
        );
    }
}
