//! Every target write the bridge makes goes through here: sent and recorded in the audit log
//! with what caused it, or, in dry run, only logged and recorded as `dry-run`.
//!
//! The cause (the SCIM request, or `start-up` / `reconcile`) travels in a task-local set by
//! [`caused_by`], so that a group change that grants roles to 200 users records the same request
//! for each grant without threading it through every call.

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::Utc;
use scim::backend::RequestContext;
use target_api::{
    Account, AccountRef, Entitlement, EntitlementChange, EntitlementId, Profile, Target,
    TargetError, trace,
};

use crate::Bridge;
use crate::store::{AuditRecord, Engine};

tokio::task_local! {
    static CAUSE: Cause;
}

/// What made the bridge write to the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    pub method: Option<String>,
    pub path: Option<String>,
    /// The credential's configured name, never the token.
    pub credential: Option<String>,
    pub request_id: Option<String>,
}

impl Cause {
    pub fn request(ctx: &RequestContext) -> Self {
        Self {
            method: Some(ctx.method.clone()),
            path: Some(ctx.path.clone()),
            credential: Some(ctx.credential.clone()),
            request_id: ctx.request_id.clone(),
        }
    }

    /// Work the bridge does on its own (`start-up`, `reconcile`).
    pub fn internal(what: &str) -> Self {
        Self {
            path: Some(what.to_owned()),
            ..Self::default()
        }
    }
}

/// Runs `work` with `cause` as the cause of every target write it makes.
pub async fn caused_by<F: Future>(cause: Cause, work: F) -> F::Output {
    CAUSE.scope(cause, work).await
}

impl<T: Target> Bridge<T> {
    /// Runs an IdP's change `work`, with its request as the cause of every target write, once
    /// the store has answered: a target write the store could not record would be lost or done
    /// twice, so while the store is unreachable a change is refused (503) before it starts. On
    /// PostgreSQL, reading the other replicas' writes (which a change must see first) is that
    /// answer.
    ///
    /// Boxed: a change's future is large, and the handlers' futures that hold it by value
    /// outgrew the 2 MiB stack of debug-build test threads.
    pub(crate) fn on_request<'a, R: Send + 'a>(
        &'a self,
        ctx: &'a RequestContext,
        work: impl Future<Output = Result<R, crate::error::BridgeError>> + Send + 'a,
    ) -> Pin<Box<dyn Future<Output = Result<R, crate::error::BridgeError>> + Send + 'a>> {
        Box::pin(async move {
            match self.store.engine() {
                Engine::Postgres => self.catch_up().await?,
                Engine::Sqlite => self.store.ping().await?,
            }
            caused_by(Cause::request(ctx), work).await
        })
    }
}

/// The account a write concerns, and its login (for the audit log and the admin).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub login: &'a str,
    pub account: &'a AccountRef,
}

/// Account ids dry run made up for accounts it pretended to create; the target has never heard
/// of them, so reads about them are answered here.
#[derive(Debug, Default)]
pub struct Pretended(Mutex<HashSet<String>>);

impl Pretended {
    fn insert(&self, id: String) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
    }

    fn contains(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }
}

/// One write as the audit log names it.
struct Write<'a> {
    operation: &'static str,
    login: &'a str,
    account: Option<&'a AccountRef>,
    roles: &'a [EntitlementId],
}

impl<T: Target> Bridge<T> {
    pub(crate) async fn target_create(&self, profile: &Profile) -> Result<Account, TargetError> {
        let pretend = || {
            let id = uuid::Uuid::new_v4().to_string();
            self.pretended.insert(id.clone());
            Account {
                reference: AccountRef::new(id, None),
                profile: profile.clone(),
                active: true,
                created: None,
                modified: None,
            }
        };
        let write = Write {
            operation: "create",
            login: &profile.login,
            account: None,
            roles: &[],
        };
        self.write(
            write,
            pretend,
            |a| Some(a.reference.id.clone()),
            self.target.create(profile),
        )
        .await
    }

    /// Invites `profile`'s login; dry run pretends an invitation went out.
    pub(crate) async fn target_invite(
        &self,
        profile: &Profile,
    ) -> Result<Option<Account>, TargetError> {
        let write = Write {
            operation: "invite",
            login: &profile.login,
            account: None,
            roles: &[],
        };
        self.write(
            write,
            || None,
            |a: &Option<Account>| a.as_ref().map(|a| a.reference.id.clone()),
            self.target.invite(profile),
        )
        .await
    }

    pub(crate) async fn target_withdraw_invitation(&self, login: &str) -> Result<(), TargetError> {
        let write = Write {
            operation: "withdraw-invitation",
            login,
            account: None,
            roles: &[],
        };
        self.write(
            write,
            || (),
            |_| None,
            self.target.withdraw_invitation(login),
        )
        .await
    }

    pub(crate) async fn target_rename(
        &self,
        who: Subject<'_>,
        profile: &Profile,
    ) -> Result<(), TargetError> {
        let write = Write {
            operation: "rename",
            login: who.login,
            account: Some(who.account),
            roles: &[],
        };
        self.write(
            write,
            || (),
            |_| None,
            self.target.update_profile(who.account, profile),
        )
        .await
    }

    pub(crate) async fn target_set_active(
        &self,
        who: Subject<'_>,
        active: bool,
    ) -> Result<(), TargetError> {
        let write = Write {
            operation: if active { "activate" } else { "deactivate" },
            login: who.login,
            account: Some(who.account),
            roles: &[],
        };
        self.write(
            write,
            || (),
            |_| None,
            self.target.set_active(who.account, active),
        )
        .await
    }

    pub(crate) async fn target_delete(&self, who: Subject<'_>) -> Result<(), TargetError> {
        let write = Write {
            operation: "delete",
            login: who.login,
            account: Some(who.account),
            roles: &[],
        };
        self.write(write, || (), |_| None, self.target.delete(who.account))
            .await
    }

    /// Sets the account's entitlements; audited as a `grant` of what it adds and a `revoke` of
    /// what it removes (a change that does both is recorded as both, with one outcome).
    pub(crate) async fn target_set_entitlements(
        &self,
        who: Subject<'_>,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let (added, removed) = (change.added(), change.removed());
        let operation = match (added.is_empty(), removed.is_empty()) {
            (true, true) => return Ok(()),
            (false, true) => "grant",
            (true, false) => "revoke",
            (false, false) => "replace",
        };
        let roles: Vec<EntitlementId> = if removed.is_empty() {
            added
        } else if added.is_empty() {
            removed
        } else {
            change.desired.iter().cloned().collect()
        };
        let write = Write {
            operation,
            login: who.login,
            account: Some(who.account),
            roles: &roles,
        };
        self.write(
            write,
            || (),
            |_| None,
            self.target.set_entitlements(who.account, change),
        )
        .await
    }

    /// Creates a group of the target's own; audited under the group's name.
    pub(crate) async fn target_create_group(&self, name: &str) -> Result<Entitlement, TargetError> {
        let pretend = || Entitlement {
            id: EntitlementId::parse(&format!("dry-run-{}", uuid::Uuid::new_v4()))
                .expect("a generated id is a valid id"),
            display_name: name.to_owned(),
            description: String::new(),
        };
        let write = Write {
            operation: "create_group",
            login: name,
            account: None,
            roles: &[],
        };
        self.write(
            write,
            pretend,
            |e| Some(e.id.to_string()),
            self.target.create_group(name),
        )
        .await
    }

    pub(crate) async fn target_rename_group(
        &self,
        id: &EntitlementId,
        name: &str,
    ) -> Result<(), TargetError> {
        let roles = [id.clone()];
        let write = Write {
            operation: "rename_group",
            login: name,
            account: None,
            roles: &roles,
        };
        self.write(write, || (), |_| None, self.target.rename_group(id, name))
            .await
    }

    pub(crate) async fn target_delete_group(
        &self,
        id: &EntitlementId,
        name: &str,
    ) -> Result<(), TargetError> {
        let roles = [id.clone()];
        let write = Write {
            operation: "delete_group",
            login: name,
            account: None,
            roles: &roles,
        };
        self.write(write, || (), |_| None, self.target.delete_group(id))
            .await
    }

    /// One call that adds `added` to and removes `removed` from the target's group `id`
    /// (called `name`). The call is audited under the group's name, and each member it concerns
    /// gets a `grant` or `revoke` row with the call's outcome, so the audit of a user shows it.
    pub(crate) async fn target_change_group_members(
        &self,
        name: &str,
        id: &EntitlementId,
        added: &[Subject<'_>],
        removed: &[Subject<'_>],
    ) -> Result<(), TargetError> {
        let roles = [id.clone()];
        let write = Write {
            operation: "group_members",
            login: name,
            account: None,
            roles: &roles,
        };
        let (plus, minus): (Vec<AccountRef>, Vec<AccountRef>) = (
            added.iter().map(|s| s.account.clone()).collect(),
            removed.iter().map(|s| s.account.clone()).collect(),
        );
        let result = self
            .write(
                write,
                || (),
                |_| None,
                self.target.change_group_members(id, &plus, &minus),
            )
            .await;
        let outcome = match (&result, self.policy.dry_run) {
            (_, true) => "dry-run",
            (Ok(()), false) => "ok",
            (Err(_), false) => "failed",
        };
        let members = added
            .iter()
            .map(|s| ("grant", s))
            .chain(removed.iter().map(|s| ("revoke", s)));
        for (operation, who) in members {
            let cause = CAUSE.try_with(Cause::clone).unwrap_or_default();
            let record = AuditRecord {
                at: Utc::now(),
                operation: operation.to_owned(),
                login: who.login.to_owned(),
                account_id: Some(who.account.id.clone()),
                roles: vec![id.as_str().to_owned()],
                outcome: outcome.to_owned(),
                detail: Some(format!(
                    "membership of group '{name}', in one call for the group"
                )),
                trace_id: None,
                method: cause.method,
                path: cause.path,
                credential: cause.credential,
                request_id: cause.request_id,
            };
            if let Err(e) = self.store.append_audit(&record).await {
                tracing::error!(error = %e, user = who.login, "cannot record a membership change in the audit log");
            }
        }
        result
    }

    /// The account's entitlements; an account dry run pretended to create holds none.
    pub(crate) async fn target_entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        if self.policy.dry_run && self.pretended.contains(&account.id) {
            return Ok(BTreeSet::new());
        }
        self.target.entitlements(account).await
    }

    async fn write<R>(
        &self,
        write: Write<'_>,
        pretend: impl FnOnce() -> R,
        id_of: impl FnOnce(&R) -> Option<String>,
        send: impl Future<Output = Result<R, TargetError>>,
    ) -> Result<R, TargetError> {
        let cause = CAUSE.try_with(Cause::clone).unwrap_or_default();
        let mut record = AuditRecord {
            at: Utc::now(),
            operation: write.operation.to_owned(),
            login: write.login.to_owned(),
            account_id: write.account.map(|a| a.id.clone()),
            roles: write.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            outcome: String::new(),
            detail: None,
            trace_id: None,
            method: cause.method,
            path: cause.path,
            credential: cause.credential,
            request_id: cause.request_id,
        };
        let product = self.naming().product;
        let result = if self.policy.dry_run {
            let out = pretend();
            record.account_id = record.account_id.or_else(|| id_of(&out));
            record.outcome = "dry-run".into();
            tracing::info!(
                dry_run = true,
                operation = write.operation,
                user = write.login,
                account_id = record.account_id.as_deref().unwrap_or(""),
                roles = ?record.roles,
                "dry run: {product} write not sent"
            );
            Ok(out)
        } else {
            let (result, traces) = trace::capture(send).await;
            record.trace_id = traces.last().cloned();
            match &result {
                Ok(out) => {
                    record.account_id = record.account_id.or_else(|| id_of(out));
                    record.outcome = "ok".into();
                }
                Err(e) => {
                    record.outcome = "failed".into();
                    record.detail = Some(e.to_string());
                }
            }
            result
        };
        // The write has happened (or not) whatever the store says now; a lost audit row is
        // reported loudly rather than turned into a failed SCIM request.
        if let Err(e) = self.store.append_audit(&record).await {
            tracing::error!(error = %e, operation = write.operation, user = write.login, "cannot record a {product} write in the audit log");
        }
        result
    }
}
