//! Wiring: settings in, a bound and running application out. `main` and the integration tests
//! start the bridge the same way, so what the tests exercise is what ships.
//!
//! Each tenant (the one of a configuration without `[[tenants]]`, or each of the file's) is
//! started by `tenant.rs` and runs the jobs of `tasks.rs`; this file binds the listener, mounts
//! every tenant's SCIM routes (`server.rs`) and stops it all gracefully.

mod error;
mod tasks;
mod tenant;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::Instrument;

use crate::config::{Settings, TenantName, TenantSettings};
use crate::server::{self, Mount, Readiness, TenantState};
use crate::target::{ConfiguredTarget, FalconBudgets};
use crate::telemetry::tenant_label;
use crate::tls::{self, TlsListener};
use bridge::Bridge;
use scim::{self, ScimSettings, auth::Credentials};

pub use error::{StartupError, earlier_store_beside};
pub use tenant::{Tenant, scim_path};

/// How long requests in flight may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub struct Application {
    listener: TcpListener,
    /// Set when the endpoint serves HTTPS itself (`BRIDGE_TLS_CERT`/`BRIDGE_TLS_KEY`).
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: axum::Router,
    /// The tenants that started (with tenants, one that did not answers 503 and is not here).
    tenants: Vec<Tenant>,
    /// With several tenants, what `bridge_tenant_ready` is kept up to date from.
    readiness: Option<Vec<TenantState>>,
    refresh_every: Duration,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        // The recorder must exist before the first target call (the start-up token) is counted.
        crate::telemetry::metrics::install();
        let several = settings.tenants.iter().any(|t| t.core.tenant.is_some());
        if let [only] = settings.tenants.as_slice() {
            earlier_store_beside(&only.core.database_url)?;
        }
        let budgets = FalconBudgets::default();
        let mut tenants = Vec::new();
        let mut mounts = Vec::new();
        let mut states = Vec::new();
        for tenant_settings in &settings.tenants {
            let name = tenant_settings.core.tenant.clone();
            let path = scim_path(name.as_ref());
            let scim_settings = ScimSettings {
                public_base_url: settings.public_url.as_ref().map(|u| format!("{u}{path}")),
                prefix: path.clone(),
                limits: settings.security.limits.clone(),
            };
            let label = name.as_ref().map(|n| Arc::<str>::from(n.as_str()));
            let span = tenant::span_of(name.as_ref());
            let start = Tenant::start(tenant_settings, &budgets);
            let started = tenant_label::scoped(label.clone(), Box::pin(start))
                .instrument(span)
                .await;
            match (started, name) {
                (Ok(tenant), name) => {
                    let routes = scim::router(
                        tenant.bridge.clone(),
                        tenant.credentials.clone(),
                        scim_settings,
                    );
                    mounts.push(Mount {
                        path,
                        routes,
                        tenant: label,
                    });
                    states.push(TenantState::Started(Readiness {
                        tenant: name,
                        store: tenant.store.clone(),
                        target: tenant.target.clone(),
                        max_token_age: Duration::from_secs(3600),
                    }));
                    tenants.push(tenant);
                }
                (Err(e), Some(name)) if several => {
                    let (mount, state) =
                        did_not_start(name, tenant_settings, path, label, &e).await;
                    mounts.push(mount);
                    states.push(state);
                }
                // Without tenants a failure stops the start, as it always did.
                (Err(e), _) => return Err(e),
            }
        }
        // Certificate problems stop the start before anything else is set up to serve.
        let tls = settings
            .security
            .tls
            .as_ref()
            .map(tls::acceptor)
            .transpose()?;
        let readiness = several.then(|| states.clone());
        let app = server::app(mounts, several, states);
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
            tenants,
            readiness,
            refresh_every: settings.directory_refresh,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// `http(s)://ADDR/scim/v2` (the first tenant's path with tenants), for printing and tests.
    pub fn scim_base_url(&self) -> String {
        self.base_url_at(&scim_path(
            self.tenants.first().and_then(|t| t.name.as_ref()),
        ))
    }

    /// `http(s)://ADDR/t/{tenant}/scim/v2`.
    pub fn tenant_base_url(&self, tenant: &str) -> String {
        self.base_url_at(&format!("/t/{tenant}{}", server::SCIM_PREFIX))
    }

    fn base_url_at(&self, path: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.local_addr())
    }

    /// The core of the first tenant that started (the only one without tenants).
    pub fn bridge(&self) -> Arc<Bridge<ConfiguredTarget>> {
        self.tenants
            .first()
            .map(|t| t.bridge.clone())
            .expect("a started application has a started tenant")
    }

    /// The core of the tenant `name`, if it started.
    pub fn tenant_bridge(&self, name: &str) -> Option<Arc<Bridge<ConfiguredTarget>>> {
        self.tenants
            .iter()
            .find(|t| t.name.as_ref().map(TenantName::as_str) == Some(name))
            .map(|t| t.bridge.clone())
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish and closes the
    /// stores.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut jobs: Vec<_> = self
            .tenants
            .iter()
            .flat_map(|t| t.spawn_work(self.refresh_every))
            .collect();
        if let Some(tenants) = self.readiness.clone() {
            jobs.push(tokio::spawn(server::watch_tenant_readiness(tenants)));
        }
        for tenant in &self.tenants {
            tracing::info!(addr = %self.local_addr(), tls = self.tls.is_some(), "SCIM endpoint listening on {}", self.base_url_at(&tenant.scim_path()));
        }
        let served = match self.tls {
            Some(acceptor) => {
                let listener = TlsListener::new(self.listener, acceptor)?;
                serve_gracefully(listener, self.app, shutdown).await
            }
            None => serve_gracefully(self.listener, self.app, shutdown).await,
        };
        for job in jobs {
            job.abort();
        }
        for tenant in &self.tenants {
            tenant.store.close().await;
        }
        tracing::info!("stopped");
        served
    }
}

/// One tenant's configuration contradicting its target must not take the others down: it is
/// mounted to answer 503 to its own IdP (others get the usual 401) until a restart with a fixed
/// configuration, and reported not ready.
async fn did_not_start(
    name: TenantName,
    settings: &TenantSettings,
    path: String,
    label: Option<Arc<str>>,
    error: &StartupError,
) -> (Mount, TenantState) {
    tracing::error!(tenant = %name, %error, "the tenant did not start; its SCIM endpoint answers 503");
    let credentials = Credentials::new(settings.credentials.clone());
    credentials.load_key_sets().await;
    let detail = format!(
        "the tenant '{name}' did not start; the bridge's log and \
         `falcon-scim-bridge check --tenant {name}` say why"
    );
    let mount = Mount {
        path,
        routes: scim::unavailable(Arc::new(credentials), detail),
        tenant: label,
    };
    let state = TenantState::Failed {
        tenant: name,
        problem: error.to_string(),
    };
    (mount, state)
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
