//! The book of armed faults every simulator keeps: a test arms a fault for a route, optionally
//! one method, and a number of calls; each matching call consumes one use of the oldest matching
//! fault, so a test can script sequences such as "two 500s, then a 429". What a fault is and
//! which routes a route value names are each simulator's own (`F` and the `route_matches`
//! argument of [`FaultBook::take`]).

use std::sync::Mutex;

use crate::locks::lock;

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
}
