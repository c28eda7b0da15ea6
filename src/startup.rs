//! Wiring: settings in, a bound and running application out. `main` and the integration tests
//! start the bridge the same way, so what the tests exercise is what ships.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{ReconcileSchedule, Settings};
use crate::server::{self, Readiness, SCIM_PREFIX};
use crate::target::{ConfiguredTarget, SuperRankRefused, TargetSetupError, refuse_super_rank};
use crate::tls::{self, TlsError, TlsListener};
use bridge::Bridge;
use bridge::groups::{EmptyMappedId, GroupMapping, UnknownMappedId, check_mapping};
use bridge::reconcile::Pace;
use bridge::resume::Sweep;
use bridge::roles::DirectRolesError;
use bridge::store::{Engine, Store, StoreError};
use scim::{self, ScimSettings, auth::Credentials};
use target_api::{EntitlementModel, Target};

/// Until the first directory load succeeds, retry it this often.
const INITIAL_RETRY: Duration = Duration::from_secs(10);

/// Why the bridge did not start. `main` prints it with its chain of causes (`{:#}`), so a
/// variant either names its cause in its message or marks it as its source, never both: the
/// cause would be printed twice.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Target(#[from] TargetSetupError),
    #[error("the group mapping names what the target does not have: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Mapping(Vec<UnknownMappedId>),
    #[error("direct role assignment is misconfigured: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    DirectRoles(Vec<DirectRolesError>),
    #[error(transparent)]
    EmptyMapping(#[from] EmptyMappedId),
    #[error(transparent)]
    SuperRank(#[from] SuperRankRefused),
    #[error(transparent)]
    Bridge(bridge::error::BridgeError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error(
        "BRIDGE_DATABASE_URL names {configured}, which does not exist, but {} does: the store \
         of an earlier release, whose Kubernetes manifests used that file name. Rename it to the \
         configured name (or set BRIDGE_DATABASE_URL to it) and start again; an empty store would \
         forget every group, membership and deprovisioned user",
        .found.display()
    )]
    EarlierStore {
        configured: String,
        found: std::path::PathBuf,
    },
}

/// The store file name the deploy manifests used before they and the image agreed on one.
const EARLIER_STORE_FILE: &str = "bridge.db";

/// The store of an earlier release beside a configured store file that does not exist yet:
/// starting would create a new, empty store and lose what the old one holds.
pub fn earlier_store_beside(database_url: &str) -> Result<(), StartupError> {
    let Some(path) = database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
    else {
        return Ok(());
    };
    let path = std::path::Path::new(path);
    let earlier = path.with_file_name(EARLIER_STORE_FILE);
    if path.exists() || earlier == path || !earlier.exists() {
        return Ok(());
    }
    Err(StartupError::EarlierStore {
        configured: path.display().to_string(),
        found: earlier,
    })
}

/// How long requests in flight may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub struct Application {
    listener: TcpListener,
    /// Set when the endpoint serves HTTPS itself (`BRIDGE_TLS_CERT`/`BRIDGE_TLS_KEY`).
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: axum::Router,
    store: Store,
    bridge: Arc<Bridge<ConfiguredTarget>>,
    refresh_every: Duration,
    loaded: bool,
    reconcile: ReconcileSchedule,
}

/// A role opened to direct assignment that the target does not have stops the start, like the
/// group mapping.
fn check_direct_roles(
    bridge: &Bridge<ConfiguredTarget>,
    catalogue: &[target_api::Entitlement],
) -> Result<(), StartupError> {
    let caps = bridge.capabilities();
    let assignable = bridge
        .policy()
        .direct_roles
        .resolve(catalogue, &caps.entitlements, caps.naming)
        .map_err(StartupError::DirectRoles)?;
    if !assignable.roles.is_empty() {
        let ids: Vec<&str> = assignable.roles.iter().map(|r| r.id.as_str()).collect();
        tracing::info!(roles = ?ids, aliases = assignable.aliases.len(), "roles open to direct assignment (published by /Roles)");
    }
    Ok(())
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        // The recorder must exist before the first target call (the start-up token) is counted.
        crate::telemetry::metrics::install();
        earlier_store_beside(&settings.database_url)?;
        // Needs no call: a mapping that would grant SUPER unasked stops the start first.
        refuse_super_rank(
            &settings.target,
            &settings.group_roles,
            &settings.policy.direct_roles,
        )?;
        let store = Store::open_with(&settings.database_url, settings.database_pool).await?;
        let target = ConfiguredTarget::new(&settings.target)?;
        let product = target.capabilities().naming.product;
        let mapping = GroupMapping::new(&settings.group_roles, settings.refuse_unmapped_groups)?;
        let bridge = Bridge::start(
            target.clone(),
            store.clone(),
            settings.policy.clone(),
            mapping.clone(),
        )
        .await
        .map_err(|e| match e {
            bridge::error::BridgeError::Store(s) => StartupError::Store(s),
            other => StartupError::Bridge(other),
        })?;
        let native_groups = matches!(
            target.capabilities().entitlements,
            EntitlementModel::GroupMembership
        );
        match bridge.refresh_catalogue().await {
            // A target with groups of its own (LumApps' feeds) has no mapping to check: the core
            // ignores it, a SCIM group being the target group of its name, so a `[groups]` left
            // in the file must not stop the start (and `check` says it is ignored).
            Ok(catalogue) if native_groups => {
                check_direct_roles(&bridge, &catalogue)?;
                if !settings.group_roles.is_empty() {
                    tracing::warn!(
                        "[groups] is ignored for {product}: a SCIM group is the {product} group \
                         of the same name, adopted or created"
                    );
                }
            }
            Ok(catalogue) => {
                let problems = check_mapping(&mapping, &catalogue, bridge.naming());
                if !problems.is_empty() {
                    return Err(StartupError::Mapping(problems));
                }
                check_direct_roles(&bridge, &catalogue)?;
            }
            Err(e) if native_groups => {
                tracing::error!(error = %e, "cannot list {product}'s groups")
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot check the group mapping against {product}'s roles")
            }
        }
        let loaded = match bridge.refresh_directory().await {
            Ok(()) => {
                // The periodic refreshes after this one log at debug only.
                tracing::info!(
                    users = bridge.directory_size(),
                    "directory loaded from {product}"
                );
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot load {product}'s users; serving what the store knows and retrying");
                false
            }
        };
        // Certificate problems stop the start before anything else is set up to serve.
        let tls = settings
            .security
            .tls
            .as_ref()
            .map(tls::acceptor)
            .transpose()?;
        let credentials = Credentials::new(settings.credential_specs());
        credentials.load_key_sets().await;
        let scim_settings = ScimSettings {
            public_base_url: settings
                .public_url
                .clone()
                .map(|u| format!("{u}{SCIM_PREFIX}")),
            prefix: SCIM_PREFIX.to_owned(),
            limits: settings.security.limits.clone(),
        };
        let scim = scim::router(bridge.clone(), Arc::new(credentials), scim_settings);
        let app = server::app(
            scim,
            Readiness {
                store: store.clone(),
                target,
                max_token_age: Duration::from_secs(3600),
            },
        );
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|error| StartupError::Bind {
                    addr: settings.listen,
                    error,
                })?;
        Ok(Self {
            listener,
            tls,
            app,
            store,
            bridge,
            refresh_every: settings.directory_refresh,
            loaded,
            reconcile: settings.reconcile.clone(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// `http(s)://ADDR/scim/v2`, for printing and for tests.
    pub fn scim_base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{SCIM_PREFIX}", self.local_addr())
    }

    pub fn bridge(&self) -> Arc<Bridge<ConfiguredTarget>> {
        self.bridge.clone()
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish and closes the store.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let refresh = spawn_directory_refresh(self.bridge.clone(), self.refresh_every, self.loaded);
        let bridge = self.bridge.clone();
        let remap = tokio::spawn(async move {
            if let Err(e) = bridge.apply_group_mapping().await {
                tracing::error!(error = %e, "cannot apply the group mapping to existing groups");
            }
            // Changes a crash or an outage cut off are finished before anything else is relied on.
            match bridge.resume().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    unfinished = n,
                    "some interrupted changes could not be finished; see above"
                ),
                Err(e) => tracing::error!(error = %e, "cannot finish interrupted changes"),
            }
        });
        let reconciler = self.reconcile.interval.map(|every| {
            spawn_reconcile(self.bridge.clone(), every, self.reconcile.calls_per_minute)
        });
        let follower = (self.store.engine() == Engine::Postgres)
            .then(|| spawn_follow_replicas(self.bridge.clone()));
        tracing::info!(addr = %self.local_addr(), tls = self.tls.is_some(), "SCIM endpoint listening on {}", self.scim_base_url());
        let served = match self.tls {
            Some(acceptor) => {
                let listener = TlsListener::new(self.listener, acceptor)?;
                serve_gracefully(listener, self.app, shutdown).await
            }
            None => serve_gracefully(self.listener, self.app, shutdown).await,
        };
        refresh.abort();
        remap.abort();
        for task in [reconciler, follower].into_iter().flatten() {
            task.abort();
        }
        self.store.close().await;
        tracing::info!("stopped");
        served
    }
}

/// Serves `app` on `listener` until `shutdown`; requests in flight then get SHUTDOWN_GRACE to
/// finish (within Kubernetes' default 30 s termination grace period), after which the process
/// stops anyway.
async fn serve_gracefully<L>(
    listener: L,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served,
        () = deadline => {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "requests still in flight after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Reloads the target's users every `every`. While the target refuses (bad credentials, wrong
/// region, outage) the bridge still serves what the store knows, retries sooner, and `/readyz`
/// says why.
fn spawn_directory_refresh(
    bridge: Arc<Bridge<ConfiguredTarget>>,
    every: Duration,
    mut loaded: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
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
    })
}

/// Applies the other replicas' writes every second, so that what is in memory (`/metrics`, the
/// reconciler) follows them between requests too; finishes what replicas that died left
/// half-done every few seconds; and drops the change log's old rows now and then (every replica
/// may: the statement is the same).
fn spawn_follow_replicas(bridge: Arc<Bridge<ConfiguredTarget>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
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
    })
}

/// Compares the store with the target every `every` (report only) and exports the drift; of
/// several replicas on one store, the one holding the job's lease does.
fn spawn_reconcile(
    bridge: Arc<Bridge<ConfiguredTarget>>,
    every: Duration,
    calls_per_minute: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_store_beside_a_missing_one_stops_the_start() {
        let dir = std::env::temp_dir().join(format!("fsb-earlier-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("falcon-scim-bridge.db").display());
        assert!(
            earlier_store_beside(&url).is_ok(),
            "nothing there: a new store"
        );
        std::fs::write(dir.join("bridge.db"), b"").unwrap();
        let refused = earlier_store_beside(&url).unwrap_err().to_string();
        assert!(refused.contains("bridge.db does"), "{refused}");
        std::fs::write(dir.join("falcon-scim-bridge.db"), b"").unwrap();
        assert!(
            earlier_store_beside(&url).is_ok(),
            "the configured store exists"
        );
        assert!(earlier_store_beside("sqlite::memory:").is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
