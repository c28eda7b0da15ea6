//! Query parameters of `GET /v1/users`: strict parsing, so a client bug shows up as a 400.
//!
//! The SDK puts Python booleans straight into the query (`active=True`), our client sends
//! lowercase; both spellings are accepted and nothing else. Pages are numbered from 1.

use super::paging::{MAX_PAGE_SIZE, PageRequest};
use crate::model::DEFAULT_PAGE_SIZE;

/// The filters and page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    pub active: Option<bool>,
    pub blocked: Option<bool>,
    pub username: Option<String>,
    pub page: PageRequest,
}

/// `true`/`True` and `false`/`False`; anything else is refused.
pub(crate) fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "True" => Ok(true),
        "false" | "False" => Ok(false),
        other => Err(format!(
            "Invalid value '{other}' for parameter '{name}': expected true or false"
        )),
    }
}

fn parse_number(name: &str, value: &str) -> Result<u32, String> {
    value
        .parse::<u32>()
        .map_err(|_| format!("Invalid value '{value}' for parameter '{name}': expected a number"))
}

/// Parses the raw query string. Unknown parameters are ignored, as a lenient server would;
/// a repeated parameter keeps its last value.
pub(crate) fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| e.to_string())?;
    let mut query = ListQuery {
        active: None,
        blocked: None,
        username: None,
        page: PageRequest {
            page: 1,
            size: DEFAULT_PAGE_SIZE,
        },
    };
    for (name, value) in &pairs {
        match name.as_str() {
            "active" => query.active = Some(parse_bool(name, value)?),
            "blocked" => query.blocked = Some(parse_bool(name, value)?),
            "username" => query.username = Some(value.clone()),
            "page" => query.page.page = parse_number(name, value)?,
            "pageSize" => query.page.size = parse_number(name, value)?,
            _ => {}
        }
    }
    if query.page.page == 0 {
        return Err("Invalid value '0' for parameter 'page': pages start at 1".to_owned());
    }
    if query.page.size == 0 || query.page.size > MAX_PAGE_SIZE {
        return Err(format!(
            "Invalid value '{}' for parameter 'pageSize': between 1 and {MAX_PAGE_SIZE}",
            query.page.size
        ));
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_both_cases_and_nothing_else() {
        assert_eq!(parse_bool("active", "true"), Ok(true));
        assert_eq!(parse_bool("active", "True"), Ok(true));
        assert_eq!(parse_bool("active", "false"), Ok(false));
        assert_eq!(parse_bool("active", "False"), Ok(false));
        for bad in ["TRUE", "1", "yes", ""] {
            assert!(parse_bool("active", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn defaults_filters_and_limits() {
        let q = parse_list_query(None).unwrap();
        assert_eq!((q.page.page, q.page.size), (1, DEFAULT_PAGE_SIZE));
        assert_eq!((q.active, q.blocked, q.username), (None, None, None));
        let q = parse_list_query(Some(
            "active=True&blocked=false&username=A%40x.io&page=3&pageSize=7&x=1",
        ))
        .unwrap();
        assert_eq!((q.active, q.blocked), (Some(true), Some(false)));
        assert_eq!(q.username.as_deref(), Some("A@x.io"));
        assert_eq!((q.page.page, q.page.size), (3, 7));
        assert!(parse_list_query(Some("page=0")).is_err());
        assert!(parse_list_query(Some("page=-1")).is_err());
        assert!(parse_list_query(Some("pageSize=0")).is_err());
        assert!(parse_list_query(Some(&format!("pageSize={}", MAX_PAGE_SIZE + 1))).is_err());
        assert!(parse_list_query(Some(&format!("pageSize={MAX_PAGE_SIZE}"))).is_ok());
        assert!(parse_list_query(Some("active=maybe")).is_err());
    }
}
