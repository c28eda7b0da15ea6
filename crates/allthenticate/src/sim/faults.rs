//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (a path such as `/togglesuspension`, or `*` = every API route),
//! optionally one method, and a number of calls. Each matching call consumes one use of the
//! oldest matching fault, so a test can script sequences such as "two 500s, then a 429".
//! Allthenticate's rate limits are undocumented, so there is no built-in limiter: a 429 exists
//! only when a test arms one, with or without `Retry-After`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use sim_support::FaultBook as Book;

/// What an armed fault does to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an `{"error"}` body instead of handling the call.
    Status(u16),
    /// Answer 429, with `Retry-After: <secs>` when given and no such header otherwise.
    RateLimit { retry_after_secs: Option<u64> },
    /// Sleep, then handle the call normally.
    Delay(Duration),
    /// Close the connection without any HTTP response, before handling the call.
    Drop,
}

/// Wire form of a [`Fault`] for the `/_sim/faults` control: `{"status":500}`,
/// `{"rate_limit":{"retry_after_secs":2}}`, `{"rate_limit":{}}`, `{"delay_ms":100}` or `"drop"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultSpec {
    Status(u16),
    RateLimit {
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    DelayMs(u64),
    Drop,
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Status(code) => Self::Status(code),
            FaultSpec::RateLimit { retry_after_secs } => Self::RateLimit { retry_after_secs },
            FaultSpec::DelayMs(ms) => Self::Delay(Duration::from_millis(ms)),
            FaultSpec::Drop => Self::Drop,
        }
    }
}

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

    #[test]
    fn wire_form_parses() {
        let parse = |s: &str| serde_json::from_str::<FaultSpec>(s).map(Fault::from).ok();
        assert_eq!(parse(r#"{"status":503}"#), Some(Fault::Status(503)));
        assert_eq!(
            parse(r#"{"rate_limit":{"retry_after_secs":2}}"#),
            Some(Fault::RateLimit {
                retry_after_secs: Some(2)
            })
        );
        assert_eq!(
            parse(r#"{"rate_limit":{}}"#),
            Some(Fault::RateLimit {
                retry_after_secs: None
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
