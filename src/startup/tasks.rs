//! A tenant's background work: reloading the target's directory, following the other replicas
//! (PostgreSQL), and reconciling on a schedule. Each job runs in its tenant's scope (see
//! `Tenant::spawn_work`), so its logs and metrics carry the tenant.

use std::sync::Arc;
use std::time::Duration;

use crate::target::ConfiguredTarget;
use bridge::Bridge;
use bridge::reconcile::Pace;
use bridge::resume::Sweep;

/// Until the first directory load succeeds, retry it this often.
const INITIAL_RETRY: Duration = Duration::from_secs(10);

/// Reloads the target's users every `every`. While the target refuses (bad credentials, wrong
/// region, outage) the bridge still serves what the store knows, retries sooner, and `/readyz`
/// says why.
pub(super) async fn refresh_directory(
    bridge: Arc<Bridge<ConfiguredTarget>>,
    every: Duration,
    mut loaded: bool,
) {
    loop {
        tokio::time::sleep(if loaded {
            every
        } else {
            INITIAL_RETRY.min(every)
        })
        .await;
        match bridge.refresh_directory().await {
            Ok(()) => loaded = true,
            Err(e) => {
                let product = bridge.naming().product;
                tracing::error!(error = %e, "cannot load {product}'s users")
            }
        }
    }
}

/// Applies the other replicas' writes every second, so that what is in memory (`/metrics`, the
/// reconciler) follows them between requests too; finishes what replicas that died left
/// half-done every few seconds; and drops the change log's old rows now and then (every replica
/// may: the statement is the same).
pub(super) async fn follow_replicas(bridge: Arc<Bridge<ConfiguredTarget>>) {
    // A replica that died just before this one started left its work in the last minutes.
    let mut sweep = Sweep::looking_back(Duration::from_secs(600));
    let mut ticks: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ticks += 1;
        if let Err(e) = bridge.catch_up().await {
            tracing::debug!(error = %e, "cannot read the other replicas' writes");
        }
        if ticks.is_multiple_of(5) {
            match bridge.finish_abandoned(&mut sweep).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(users = n, "finished changes other replicas left half-done")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look for changes other replicas left half-done")
                }
            }
        }
        if ticks.is_multiple_of(600)
            && let Err(e) = bridge.forget_old_changes().await
        {
            tracing::warn!(error = %e, "cannot drop old rows of the change log");
        }
    }
}

/// Compares the store with the target every `every` (report only) and exports the drift; of
/// several replicas on one store, the one holding the job's lease does.
pub(super) async fn reconcile(
    bridge: Arc<Bridge<ConfiguredTarget>>,
    every: Duration,
    calls_per_minute: u32,
) {
    loop {
        tokio::time::sleep(every).await;
        match bridge.lead_reconciliation(every).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("another replica holds the reconciliation's lease");
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot take the reconciliation's lease");
                continue;
            }
        }
        match bridge.reconcile(Pace::per_minute(calls_per_minute)).await {
            Ok(report) if report.is_clean() => tracing::info!("reconciliation found no drift"),
            Ok(report) => {
                tracing::warn!(drift = %report.summary(), "reconciliation found drift; run 'falcon-scim-bridge reconcile' to see it and '--apply' to repair it")
            }
            Err(e) => tracing::error!(error = %e, "reconciliation failed"),
        }
    }
}
