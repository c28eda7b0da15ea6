//! The `tenant` label. While a request or a background job of one tenant runs (in the scope
//! [`scoped`] opens), every metric any crate records carries `tenant="<name>"`: the crates that
//! record (`scim`, `bridge`, the targets) need not know that tenants exist. A bridge without
//! tenants opens no scope, and its metrics are exactly what they were.
//!
//! The scope is a task-local, so work a task hands to a task of its own (`tokio::spawn`) records
//! without the label unless it is scoped too; the tenant's long-running jobs are.

use std::future::Future;
use std::sync::Arc;

use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString, Unit,
};

tokio::task_local! {
    static TENANT: Arc<str>;
}

/// Runs `work` as the tenant's (`None`: the one tenant of a bridge without tenants, unlabelled).
pub async fn scoped<F: Future>(tenant: Option<Arc<str>>, work: F) -> F::Output {
    match tenant {
        Some(name) => TENANT.scope(name, work).await,
        None => work.await,
    }
}

/// The tenant whose scope this task is in.
pub fn current() -> Option<Arc<str>> {
    TENANT.try_with(Arc::clone).ok()
}

/// A recorder that adds the scope's `tenant` label to every key it registers.
#[derive(Debug)]
pub struct TenantLabelled<R>(pub R);

/// `key` with the scope's tenant, or `None` outside any scope (no copy of the key then: this
/// runs on every metric recorded).
fn labelled(key: &Key) -> Option<Key> {
    let tenant = current()?;
    Some(key.with_extra_labels(vec![Label::new("tenant", tenant.to_string())]))
}

impl<R: Recorder> Recorder for TenantLabelled<R> {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.0.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.0.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.0.describe_histogram(key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        match labelled(key) {
            Some(key) => self.0.register_counter(&key, metadata),
            None => self.0.register_counter(key, metadata),
        }
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        match labelled(key) {
            Some(key) => self.0.register_gauge(&key, metadata),
            None => self.0.register_gauge(key, metadata),
        }
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        match labelled(key) {
            Some(key) => self.0.register_histogram(&key, metadata),
            None => self.0.register_histogram(key, metadata),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;

    #[tokio::test]
    async fn metrics_recorded_in_a_tenant_scope_carry_its_name() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let recorder = TenantLabelled(recorder);
        let count = |route: &'static str| {
            metrics::with_local_recorder(&recorder, || {
                metrics::counter!("t_requests_total", "route" => route).increment(1)
            })
        };
        scoped(Some(Arc::from("acme")), async { count("/Users") }).await;
        scoped(Some(Arc::from("globex")), async { count("/Users") }).await;
        scoped(None, async { count("/Groups") }).await;
        let text = handle.render();
        assert!(
            text.contains(r#"t_requests_total{route="/Users",tenant="acme"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"t_requests_total{route="/Users",tenant="globex"} 1"#));
        assert!(text.contains(r#"t_requests_total{route="/Groups"} 1"#));
        assert_eq!(current(), None);
    }
}
