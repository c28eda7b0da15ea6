//! Collecting the trace ids of the target calls a piece of work made.
//!
//! Targets answer calls with a trace or request id (Falcon: `X-Cs-Traceid`) that their support
//! asks for. A target client reports each one here; whoever wants them (the audit log) wraps its
//! work in [`capture`]. Outside a capture, reporting costs nothing.

use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    static TRACES: RefCell<Vec<String>>;
}

/// Runs `work` and returns the trace ids of the target calls it made, in order.
pub async fn capture<F: Future>(work: F) -> (F::Output, Vec<String>) {
    TRACES
        .scope(RefCell::new(Vec::new()), async move {
            let out = work.await;
            let traces = TRACES.with(|t| t.take());
            (out, traces)
        })
        .await
}

pub fn report(trace_id: &str) {
    let _ = TRACES.try_with(|t| t.borrow_mut().push(trace_id.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reports_inside_a_capture_are_collected_and_others_ignored() {
        report("outside");
        let ((), traces) = capture(async {
            report("a");
            tokio::task::yield_now().await;
            report("b");
        })
        .await;
        assert_eq!(traces, vec!["a".to_string(), "b".to_string()]);
    }
}
