//! One tenant at run time: its store, the provisioning core over its target, the credentials
//! bound to it, its SCIM path, and its background jobs. A bridge without `[[tenants]]` runs one
//! of these without a name, at `/scim/v2`, exactly as it always did.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use super::error::StartupError;
use super::tasks;
use crate::config::{ReconcileSchedule, TenantName, TenantSettings};
use crate::server::SCIM_PREFIX;
use crate::target::{ConfiguredTarget, FalconBudgets, refuse_super_rank};
use crate::telemetry::tenant_label;
use bridge::Bridge;
use bridge::groups::{GroupMapping, check_mapping};
use bridge::store::{Engine, Store};
use scim::auth::Credentials;
use target_api::{EntitlementModel, Target};

/// A started tenant.
pub struct Tenant {
    pub name: Option<TenantName>,
    pub store: Store,
    pub target: ConfiguredTarget,
    pub bridge: Arc<Bridge<ConfiguredTarget>>,
    pub credentials: Arc<Credentials>,
    /// Whether the first directory load succeeded (later ones then come at the normal pace).
    loaded: bool,
    reconcile: ReconcileSchedule,
}

/// Where a tenant's SCIM endpoint is mounted: `/scim/v2` without a name, `/t/{name}/scim/v2`
/// with one.
pub fn scim_path(name: Option<&TenantName>) -> String {
    match name {
        Some(name) => format!("/t/{name}{SCIM_PREFIX}"),
        None => SCIM_PREFIX.to_owned(),
    }
}

impl Tenant {
    /// Opens the tenant's store, builds its target's client and core, checks its mapping
    /// against the target's catalogue and loads its directory. A target that cannot be reached
    /// does not stop the start (the tenant serves what its store knows and retries); a
    /// configuration the target contradicts does.
    pub async fn start(
        settings: &TenantSettings,
        budgets: &FalconBudgets,
    ) -> Result<Self, StartupError> {
        let core = &settings.core;
        // Needs no call: a mapping that would grant SUPER unasked stops the start first.
        refuse_super_rank(&core.target, &core.group_roles, &core.policy.direct_roles)?;
        let store = Store::open_for(
            &core.database_url,
            core.database_pool,
            core.tenant.as_ref().map(TenantName::as_str),
        )
        .await?;
        let target = ConfiguredTarget::sharing(&core.target, budgets)?;
        let product = target.capabilities().naming.product;
        let mapping = GroupMapping::new(&core.group_roles, core.refuse_unmapped_groups)?;
        let bridge = Bridge::start(
            target.clone(),
            store.clone(),
            core.policy.clone(),
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
                if !core.group_roles.is_empty() {
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
        let credentials = Credentials::new(settings.credentials.clone());
        credentials.load_key_sets().await;
        Ok(Self {
            name: core.tenant.clone(),
            store,
            target,
            bridge,
            credentials: Arc::new(credentials),
            loaded,
            reconcile: core.reconcile.clone(),
        })
    }

    pub fn scim_path(&self) -> String {
        scim_path(self.name.as_ref())
    }

    /// The `tenant` label's value, `None` without tenants.
    pub fn label(&self) -> Option<Arc<str>> {
        self.name.as_ref().map(|n| Arc::from(n.as_str()))
    }

    /// Starts the tenant's background jobs, each in its tenant's scope (logs and metrics).
    pub fn spawn_work(&self, refresh_every: Duration) -> Vec<tokio::task::JoinHandle<()>> {
        let span = self.span();
        let label = self.label();
        let mut jobs = Vec::new();
        let mut spawn = |work: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
            jobs.push(tokio::spawn(
                tenant_label::scoped(label.clone(), work).instrument(span.clone()),
            ));
        };
        spawn(Box::pin(tasks::refresh_directory(
            self.bridge.clone(),
            refresh_every,
            self.loaded,
        )));
        let bridge = self.bridge.clone();
        spawn(Box::pin(async move {
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
        }));
        if let Some(every) = self.reconcile.interval {
            spawn(Box::pin(tasks::reconcile(
                self.bridge.clone(),
                every,
                self.reconcile.calls_per_minute,
            )));
        }
        if self.store.engine() == Engine::Postgres {
            spawn(Box::pin(tasks::follow_replicas(self.bridge.clone())));
        }
        jobs
    }

    pub fn span(&self) -> tracing::Span {
        span_of(self.name.as_ref())
    }
}

/// The span a tenant's start, jobs and requests log in: `tenant` on every line.
pub fn span_of(name: Option<&TenantName>) -> tracing::Span {
    match name {
        Some(name) => tracing::info_span!("tenant", tenant = %name),
        None => tracing::Span::none(),
    }
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
