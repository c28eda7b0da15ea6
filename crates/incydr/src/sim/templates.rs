//! Path templates: the name of the operation a request path addresses.
//!
//! Counting and fault matching work on templates such as `/v1/users/{userId}/roles` so that a
//! test need not know generated ids. A path that is no operation of ours keeps its raw form,
//! so calls to absent routes are still counted distinctly.

use crate::model::routes;

pub const USER: &str = "/v1/users/{userId}";
pub const USER_ROLES: &str = "/v1/users/{userId}/roles";
pub const ACTIVATE: &str = "/v1/users/{userId}/activate";
pub const DEACTIVATE: &str = "/v1/users/{userId}/deactivate";
pub const MOVE: &str = "/v1/users/{userId}/move";
pub const ROLE: &str = "/v1/users/roles/{roleId}";

/// The template of `path`, or `path` itself when it names no known resource.
pub(crate) fn template(path: &str) -> String {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed == routes::TOKEN || trimmed == routes::USERS || trimmed == routes::ROLES {
        return trimmed.to_owned();
    }
    let Some(rest) = trimmed.strip_prefix("/v1/users/") else {
        return path.to_owned();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let known = match segments.as_slice() {
        ["roles", id] if !id.is_empty() => Some(ROLE),
        [id] if !id.is_empty() => Some(USER),
        [id, "roles"] if !id.is_empty() => Some(USER_ROLES),
        [id, "activate"] if !id.is_empty() => Some(ACTIVATE),
        [id, "deactivate"] if !id.is_empty() => Some(DEACTIVATE),
        [id, "move"] if !id.is_empty() => Some(MOVE),
        _ => None,
    };
    known.map_or_else(|| path.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_templates() {
        assert_eq!(template("/v1/oauth"), "/v1/oauth");
        assert_eq!(template("/v1/users"), "/v1/users");
        assert_eq!(template("/v1/users/roles"), "/v1/users/roles");
        assert_eq!(template("/v1/users/roles/cloud-admin"), ROLE);
        assert_eq!(template("/v1/users/abc"), USER);
        assert_eq!(template("/v1/users/abc/roles"), USER_ROLES);
        assert_eq!(template("/v1/users/abc/deactivate"), DEACTIVATE);
        assert_eq!(template("/v1/users/abc/activate"), ACTIVATE);
        assert_eq!(template("/v1/users/abc/devices"), "/v1/users/abc/devices");
        assert_eq!(template("/v2/things"), "/v2/things");
    }
}
