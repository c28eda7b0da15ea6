//! Injected faults: scripted failures a test arms before exercising the client.
//!
//! A fault is armed for a route (a path template such as `/_ah/api/lumsites/v1/user/save`, a
//! concrete path, or [`ANY_ROUTE`] = every v1 route), optionally one method, and a number of
//! calls; `sim_support::FaultBook` consumes them oldest first, so a test can script sequences
//! such as "two 500s, then a 429". LumApps' rate limits are undocumented, so there is no
//! built-in limiter: a 429 exists only when a test arms one, with or without `Retry-After`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use sim_support::FaultBook as Book;

use super::templates::V1;

/// What an armed fault does to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an error body (in the route's shape) instead of handling it.
    Status(u16),
    /// Answer 429, with `Retry-After: <secs>` when given and no such header otherwise.
    RateLimit { retry_after_secs: Option<u64> },
    /// Sleep, then handle the call normally.
    Delay(Duration),
    /// Close the connection without any HTTP response.
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
