//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (a path template such as `/_ah/api/lumsites/v1/user/save`, a
//! concrete path, or [`ANY_ROUTE`] = every v1 route), optionally one method, and a number of
//! calls; `sim_support::FaultBook` consumes them oldest first, so a test can script sequences
//! such as "two 500s, then a 429". LumApps' rate limits are undocumented, so there is no
//! built-in limiter: a 429 exists only when a test arms one, with or without `Retry-After`.
//! What a fault does and its wire form live in `sim_support::faults`, shared by the simulators;
//! this module says which calls a route value names.

use sim_support::FaultBook as Book;

/// What an armed fault does to a call; its 429 carries `Retry-After` only when given.
pub type Fault = sim_support::Fault<Option<u64>>;

/// Wire form of a [`Fault`] for the `/_sim/faults` control.
pub(crate) type FaultSpec = sim_support::FaultSpec<Option<u64>>;

use super::templates::V1;

/// Route value that matches every v1 route (not the token endpoint, so a client can still
/// authenticate while the API misbehaves; name [`super::TOKEN`] to fault that one).
pub const ANY_ROUTE: &str = "*";

/// The armed faults of this simulator.
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
                path.starts_with(V1)
            } else {
                route == template || route == path
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::templates::{TOKEN, USER_SAVE};

    #[test]
    fn wildcard_covers_v1_only_and_templates_match() {
        let book = FaultBook::default();
        book.arm(ANY_ROUTE, None, Fault::Status(503), 5);
        let token_path = "/v2/organizations/1/application-token";
        assert_eq!(book.take("POST", token_path, TOKEN), None);
        assert_eq!(
            book.take("POST", USER_SAVE, USER_SAVE),
            Some(Fault::Status(503))
        );
        book.clear();
        book.arm(TOKEN, Some("post"), Fault::Drop, 1);
        assert_eq!(book.take("POST", token_path, TOKEN), Some(Fault::Drop));
        assert_eq!(book.take("POST", token_path, TOKEN), None);
    }
}
