//! Path templates: the name of the operation a request path addresses.
//!
//! Counting and fault matching work on templates so that a test need not know the organisation
//! id. v1 paths carry no ids (parameters travel in the query or body), so a v1 path is its own
//! template; the token path becomes [`TOKEN`]. A path that is no operation of ours keeps its raw
//! form, so calls to absent routes are still counted distinctly.

/// Where every v1 ("lumsites") path starts.
pub const V1: &str = "/_ah/api/lumsites/v1";
pub const TOKEN: &str = "/v2/organizations/{org}/application-token";
pub const USER_LIST: &str = "/_ah/api/lumsites/v1/user/list";
pub const USER_GET: &str = "/_ah/api/lumsites/v1/user/get";
pub const USER_SAVE: &str = "/_ah/api/lumsites/v1/user/save";
pub const USER_DELETE_MULTI: &str = "/_ah/api/lumsites/v1/user/deleteMulti";
pub const FEED_LIST: &str = "/_ah/api/lumsites/v1/feed/list";
pub const FEED_GET: &str = "/_ah/api/lumsites/v1/feed/get";
pub const FEED_SAVE: &str = "/_ah/api/lumsites/v1/feed/save";
pub const FEED_DELETE: &str = "/_ah/api/lumsites/v1/feed/delete";
pub const FEED_SUBSCRIBERS_SAVE: &str = "/_ah/api/lumsites/v1/feed/subscribers/save";

/// The calls that change data: only a token impersonating a global administrator may make them.
pub(crate) const WRITES: [&str; 5] = [
    USER_SAVE,
    USER_DELETE_MULTI,
    FEED_SAVE,
    FEED_DELETE,
    FEED_SUBSCRIBERS_SAVE,
];

/// The template of `path`, or `path` itself when it names no known resource.
pub(crate) fn template(path: &str) -> String {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if token_org(trimmed).is_some() {
        return TOKEN.to_owned();
    }
    trimmed.to_owned()
}

/// The organisation id in a token path.
pub(crate) fn token_org(path: &str) -> Option<&str> {
    path.strip_prefix("/v2/organizations/")?
        .strip_suffix("/application-token")
        .filter(|org| !org.is_empty() && !org.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_templates() {
        assert_eq!(template("/v2/organizations/42/application-token"), TOKEN);
        assert_eq!(
            template("/v2/organizations//application-token"),
            "/v2/organizations//application-token"
        );
        assert_eq!(template(USER_LIST), USER_LIST);
        assert_eq!(template("/_ah/api/lumsites/v1/user/list/"), USER_LIST);
        assert_eq!(template("/nowhere"), "/nowhere");
        assert_eq!(
            token_org("/v2/organizations/42/application-token"),
            Some("42")
        );
        assert_eq!(token_org("/v2/organizations/4/2/application-token"), None);
    }
}
