//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (or `*` = every `/user-management` route), optionally one
//! method, and a number of calls. Each matching call consumes one use of the oldest matching
//! fault, so a test can script sequences such as "two 500s, then a 429".
//! What a fault does and its wire form live in `sim_support::faults`, shared by the simulators;
//! this module says which calls a route value names.

use sim_support::FaultBook as Book;

/// What an armed fault does to a call; its 429 always carries `X-RateLimit-RetryAfter` = now +
/// `retry_after_secs`, as Falcon's do.
pub type Fault = sim_support::Fault<u64>;

/// Wire form of a [`Fault`] for the `/_sim/faults` control: `{"status":500}`,
/// `{"rate_limit":{"retry_after_secs":2}}`, `{"delay_ms":100}` or `"drop"`.
pub(crate) type FaultSpec = sim_support::FaultSpec<u64>;

/// Route value that matches every `/user-management` route.
pub(crate) const ANY_ROUTE: &str = "*";

/// The armed faults of this simulator: [`ANY_ROUTE`] covers every `/user-management` route,
/// any other route value names a path.
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
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Fault> {
        self.0.take(method, |route| {
            if route == ANY_ROUTE {
                path.starts_with("/user-management/")
            } else {
                route == path
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::routes;

    #[test]
    fn faults_are_consumed_in_order_and_counted_down() {
        let book = FaultBook::default();
        book.arm(routes::USERS, Some("post"), Fault::Status(500), 2);
        book.arm(
            routes::USERS,
            None,
            Fault::RateLimit {
                retry_after_secs: 1,
            },
            1,
        );
        assert_eq!(
            book.take("PATCH", routes::USERS),
            Some(Fault::RateLimit {
                retry_after_secs: 1
            })
        );
        assert_eq!(book.take("POST", routes::USERS), Some(Fault::Status(500)));
        assert_eq!(book.take("POST", routes::USERS), Some(Fault::Status(500)));
        assert_eq!(book.take("POST", routes::USERS), None);
    }

    #[test]
    fn wildcard_covers_user_management_only() {
        let book = FaultBook::default();
        book.arm(ANY_ROUTE, None, Fault::Drop, 5);
        assert_eq!(book.take("POST", routes::TOKEN), None);
        assert_eq!(book.take("GET", routes::QUERY_USERS), Some(Fault::Drop));
        book.clear();
        assert_eq!(book.take("GET", routes::QUERY_USERS), None);
    }

    #[test]
    fn zero_times_arms_nothing() {
        let book = FaultBook::default();
        book.arm(ANY_ROUTE, None, Fault::Drop, 0);
        assert_eq!(book.take("GET", routes::QUERY_USERS), None);
    }

    #[test]
    fn wire_form_parses() {
        let parse = |s: &str| serde_json::from_str::<FaultSpec>(s).map(Fault::from).ok();
        assert_eq!(parse(r#"{"status":503}"#), Some(Fault::Status(503)));
        assert_eq!(
            parse(r#"{"rate_limit":{"retry_after_secs":2}}"#),
            Some(Fault::RateLimit {
                retry_after_secs: 2
            })
        );
        assert_eq!(
            parse(r#"{"delay_ms":100}"#),
            Some(Fault::Delay(Duration::from_millis(100)))
        );
        assert_eq!(parse(r#""drop""#), Some(Fault::Drop));
        assert_eq!(parse(r#""explode""#), None);
    }
}
