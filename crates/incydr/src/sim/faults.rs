//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (a path template such as `/v1/users/{userId}/roles`, a concrete
//! path, or `*` = every `/v1/users` route), optionally one method, and a number of calls. Each
//! matching call consumes one use of the oldest matching fault, so a test can script sequences
//! such as "two 500s, then a 429". Incydr's rate limits are undocumented, so there is no
//! built-in limiter: a 429 exists only when a test arms one, with or without `Retry-After`.
//! What a fault does and its wire form live in `sim_support::faults`, shared by the simulators;
//! this module says which calls a route value names.

use sim_support::FaultBook as Book;

/// What an armed fault does to a call; its 429 carries `Retry-After` only when given.
pub type Fault = sim_support::Fault<Option<u64>>;

/// Wire form of a [`Fault`] for the `/_sim/faults` control.
pub(crate) type FaultSpec = sim_support::FaultSpec<Option<u64>>;

/// Route value that matches every `/v1/users` route (not the token endpoint, so a client can
/// still authenticate while the users API misbehaves).
pub const ANY_ROUTE: &str = "*";

/// The armed faults of this simulator: [`ANY_ROUTE`] covers every `/v1/users` route, any other
/// route value names a path template or a concrete path.
#[derive(Debug, Default)]
pub(crate) struct FaultBook(Book<Fault>);

impl FaultBook {
    pub(crate) fn arm(&self, route: &str, method: Option<&str>, fault: Fault, times: u32) {
        self.0.arm(route, method, fault, times);
    }

    pub(crate) fn clear(&self) {
        self.0.clear();
    }

    /// Consumes one use of the oldest fault matching this call.
    pub(crate) fn take(&self, method: &str, path: &str, template: &str) -> Option<Fault> {
        self.0.take(method, |route| {
            if route == ANY_ROUTE {
                path.starts_with(crate::model::routes::USERS)
            } else {
                route == template || route == path
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::templates::{USER, USER_ROLES};

    #[test]
    fn faults_are_consumed_in_order_and_counted_down() {
        let book = FaultBook::default();
        book.arm(USER_ROLES, Some("put"), Fault::Status(500), 2);
        book.arm(
            USER_ROLES,
            None,
            Fault::RateLimit {
                retry_after_secs: None,
            },
            1,
        );
        let path = "/v1/users/u1/roles";
        assert_eq!(
            book.take("GET", path, USER_ROLES),
            Some(Fault::RateLimit {
                retry_after_secs: None
            })
        );
        assert_eq!(book.take("PUT", path, USER_ROLES), Some(Fault::Status(500)));
        assert_eq!(book.take("PUT", path, USER_ROLES), Some(Fault::Status(500)));
        assert_eq!(book.take("PUT", path, USER_ROLES), None);
    }

    #[test]
    fn wildcard_covers_the_users_api_only_and_concrete_paths_match() {
        let book = FaultBook::default();
        book.arm(ANY_ROUTE, None, Fault::Drop, 5);
        assert_eq!(book.take("POST", "/v1/oauth", "/v1/oauth"), None);
        assert_eq!(book.take("GET", "/v1/users/u1", USER), Some(Fault::Drop));
        book.clear();
        assert_eq!(book.take("GET", "/v1/users/u1", USER), None);
        book.arm("/v1/users/u1", None, Fault::Status(503), 1);
        assert_eq!(book.take("GET", "/v1/users/u2", USER), None);
        assert_eq!(
            book.take("GET", "/v1/users/u1", USER),
            Some(Fault::Status(503))
        );
        book.arm(ANY_ROUTE, None, Fault::Drop, 0);
        assert_eq!(book.take("GET", "/v1/users/u1", USER), None);
    }
}
