//! Injected faults every simulator shares: what a fault does ([`Fault`]), its wire form for the
//! `/_sim/faults` control ([`FaultSpec`], [`ArmFault`]), and the book of armed faults
//! ([`FaultBook`]). A test arms a fault for a route, optionally one method, and a number of
//! calls; each matching call consumes one use of the oldest matching fault, so a test can script
//! sequences such as "two 500s, then a 429". Which routes a route value names is each
//! simulator's own (the `route_matches` argument of [`FaultBook::take`]), and a simulator whose
//! faults differ (Falcon's 429 always carries a retry time) keeps its own `F`.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::locks::lock;

/// What an armed fault does to a call. `R` is how a 429 gives its retry time: `Option<u64>`
/// seconds where the target's `Retry-After` may be absent, `u64` where the target always sends
/// one (Falcon's `X-RateLimit-RetryAfter`); each simulator names its own as `Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault<R> {
    /// Answer with this status and the target's error body instead of handling the call.
    Status(u16),
    /// Answer 429, telling the client to retry after `retry_after_secs` in the target's way.
    RateLimit { retry_after_secs: R },
    /// Sleep, then handle the call normally.
    Delay(Duration),
    /// Close the connection without any HTTP response, before handling the call.
    Drop,
}

/// Wire form of a [`Fault`] for the `/_sim/faults` control: `{"status":500}`,
/// `{"rate_limit":{"retry_after_secs":2}}`, `{"delay_ms":100}` or `"drop"`; with `R` an
/// `Option`, `{"rate_limit":{}}` too (serde reads a missing `Option` field as `None` and refuses
/// any other missing field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultSpec<R> {
    Status(u16),
    RateLimit { retry_after_secs: R },
    DelayMs(u64),
    Drop,
}

impl<R> From<FaultSpec<R>> for Fault<R> {
    fn from(spec: FaultSpec<R>) -> Self {
        match spec {
            FaultSpec::Status(code) => Self::Status(code),
            FaultSpec::RateLimit { retry_after_secs } => Self::RateLimit { retry_after_secs },
            FaultSpec::DelayMs(ms) => Self::Delay(Duration::from_millis(ms)),
            FaultSpec::Drop => Self::Drop,
        }
    }
}

/// Body of `POST /_sim/faults`: `{"route", "method"?, "fault", "times"?}`, `fault` being the
/// simulator's wire form `S` (usually [`FaultSpec`]); `times` defaults to one call.
#[derive(Debug, Deserialize)]
pub struct ArmFault<S> {
    pub route: String,
    #[serde(default)]
    pub method: Option<String>,
    pub fault: S,
    #[serde(default = "once")]
    pub times: u32,
}

fn once() -> u32 {
    1
}

#[derive(Debug)]
struct Armed<F> {
    route: String,
    method: Option<String>,
    fault: F,
    remaining: u32,
}

/// The armed faults, oldest first.
#[derive(Debug)]
pub struct FaultBook<F> {
    armed: Mutex<Vec<Armed<F>>>,
}

impl<F> Default for FaultBook<F> {
    fn default() -> Self {
        Self {
            armed: Mutex::new(Vec::new()),
        }
    }
}

impl<F: Clone> FaultBook<F> {
    /// Arms `fault` for the next `times` calls to `route` (with `method`, any when `None`).
    pub fn arm(&self, route: &str, method: Option<&str>, fault: F, times: u32) {
        if times == 0 {
            return;
        }
        lock(&self.armed).push(Armed {
            route: route.to_owned(),
            method: method.map(str::to_owned),
            fault,
            remaining: times,
        });
    }

    pub fn clear(&self) {
        lock(&self.armed).clear();
    }

    /// Consumes one use of the oldest fault armed for `method` (compared case-insensitively)
    /// on a route value that `route_matches` accepts for this call.
    pub fn take(&self, method: &str, route_matches: impl Fn(&str) -> bool) -> Option<F> {
        let mut armed = lock(&self.armed);
        let index = armed.iter().position(|a| {
            route_matches(&a.route)
                && a.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let entry = &mut armed[index];
        entry.remaining -= 1;
        let fault = entry.fault.clone();
        if entry.remaining == 0 {
            armed.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_matching_fault_is_used_and_counted_down() {
        let book = FaultBook::default();
        book.arm("/a", Some("put"), 500, 2);
        book.arm("/a", None, 429, 1);
        book.arm("/b", None, 0, 0);
        let on_a = |route: &str| route == "/a";
        assert_eq!(book.take("GET", on_a), Some(429));
        assert_eq!(book.take("PUT", on_a), Some(500));
        assert_eq!(book.take("PUT", on_a), Some(500));
        assert_eq!(book.take("PUT", on_a), None);
        assert_eq!(book.take("GET", |r| r == "/b"), None, "armed for no call");
        book.arm("/a", None, 503, 3);
        book.clear();
        assert_eq!(book.take("GET", on_a), None);
    }

    #[test]
    fn wire_form_parses() {
        let parse = |s: &str| {
            serde_json::from_str::<FaultSpec<Option<u64>>>(s)
                .map(Fault::from)
                .ok()
        };
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

    #[test]
    fn a_required_retry_time_must_be_given() {
        let parse = |s: &str| serde_json::from_str::<FaultSpec<u64>>(s);
        assert!(parse(r#"{"rate_limit":{}}"#).is_err());
        assert_eq!(
            parse(r#"{"rate_limit":{"retry_after_secs":2}}"#).ok(),
            Some(FaultSpec::RateLimit {
                retry_after_secs: 2
            })
        );
    }

    #[test]
    fn an_arm_request_defaults_to_any_method_and_one_call() {
        let arm: ArmFault<FaultSpec<u64>> =
            serde_json::from_str(r#"{"route":"*","fault":"drop"}"#).unwrap();
        assert_eq!((arm.route.as_str(), arm.method, arm.times), ("*", None, 1));
        assert_eq!(arm.fault, FaultSpec::Drop);
    }
}
