//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (a path such as `/togglesuspension`, or `*` = every API route),
//! optionally one method, and a number of calls. Each matching call consumes one use of the
//! oldest matching fault, so a test can script sequences such as "two 500s, then a 429".
//! Allthenticate's rate limits are undocumented, so there is no built-in limiter: a 429 exists
//! only when a test arms one, with or without `Retry-After`.
//! What a fault does and its wire form live in `sim_support::faults`, shared by the simulators;
//! this module says which calls a route value names.

use sim_support::FaultBook as Book;

/// What an armed fault does to a call; its 429 carries `Retry-After` only when given.
pub type Fault = sim_support::Fault<Option<u64>>;

/// Wire form of a [`Fault`] for the `/_sim/faults` control.
pub(crate) type FaultSpec = sim_support::FaultSpec<Option<u64>>;

/// Route value that matches every API route (never the `/_sim/` controls).
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
    pub(crate) fn take(&self, method: &str, route: &str) -> Option<Fault> {
        self.0
            .take(method, |armed| armed == ANY_ROUTE || armed == route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::routes;

    #[test]
    fn faults_are_consumed_in_order_per_route_and_method() {
        let book = FaultBook::default();
        book.arm(
            routes::TOGGLE_SUSPENSION,
            Some("post"),
            Fault::Status(500),
            2,
        );
        book.arm(ANY_ROUTE, None, Fault::Drop, 1);
        assert_eq!(book.take("GET", routes::MULTIPLE_USERS), Some(Fault::Drop));
        assert_eq!(book.take("GET", routes::MULTIPLE_USERS), None);
        assert_eq!(
            book.take("POST", routes::TOGGLE_SUSPENSION),
            Some(Fault::Status(500))
        );
        assert_eq!(
            book.take("POST", routes::TOGGLE_SUSPENSION),
            Some(Fault::Status(500))
        );
        assert_eq!(book.take("POST", routes::TOGGLE_SUSPENSION), None);
        book.arm(ANY_ROUTE, None, Fault::Drop, 3);
        book.clear();
        assert_eq!(book.take("GET", routes::USER), None);
    }
}
