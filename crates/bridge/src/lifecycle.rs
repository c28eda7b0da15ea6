//! Deprovisioning and reactivation, the way each target allows them.
//!
//! Where the target deactivates natively (a call, a field, a toggle), `active:false` is that
//! call and `active:true` its reverse. Where it cannot (Falcon), the bridge emulates it: it
//! revokes every entitlement and deletes the account (or, by policy, keeps it), and a
//! reactivation creates the account again. Every deletion, and every native deactivation, is
//! first admitted by the deletion guard, before anything is touched.

use std::future::Future;

use scim::user::UserResource;
use target_api::{AccountRef, DeleteMode, EntitlementChange, ErrorKind, Target, TargetError};

use crate::Bridge;
use crate::error::BridgeError;
use crate::policy::DeprovisionMode;
use crate::telemetry as names;
use crate::writes::Subject;

/// Whether an emulated deprovisioning deleted the account.
enum Deleted {
    Yes,
    No,
}

impl<T: Target> Bridge<T> {
    /// `active:false` for a linked user; returns the link that remains.
    pub(crate) async fn deactivate(
        &self,
        user: &UserResource,
        link: &AccountRef,
    ) -> Result<Option<AccountRef>, BridgeError> {
        if !self.capabilities().deactivate.is_native() {
            return self.deprovision(user, link, self.policy.deprovision).await;
        }
        if user.write.active {
            self.deactivate_natively(user, link).await?;
        }
        Ok(Some(link.clone()))
    }

    /// `active:true` for a user whose account still exists (native deactivation, or the
    /// revoke-only policy, which kept the account active).
    pub(crate) async fn reactivate(
        &self,
        user: &UserResource,
        link: &AccountRef,
    ) -> Result<(), BridgeError> {
        if !self.capabilities().deactivate.is_native() {
            return Ok(());
        }
        let login = &user.write.user_name;
        let who = Subject {
            login,
            account: link,
        };
        self.target_set_active(who, true)
            .await
            .map_err(|e| self.target_failed(format!("reactivate {login}"), e))?;
        tracing::info!(user = %login, "user reactivated");
        Ok(())
    }

    /// `DELETE /Users/{id}` for a linked user: the account goes, the way the target allows.
    pub(crate) async fn remove_account(
        &self,
        user: &UserResource,
        link: &AccountRef,
    ) -> Result<(), BridgeError> {
        match self.capabilities().delete {
            DeleteMode::None => {
                if user.write.active {
                    self.deactivate_natively(user, link).await?;
                }
            }
            DeleteMode::Hard | DeleteMode::RemoveFromOrg
                if !self.capabilities().deactivate.is_native() =>
            {
                self.deprovision(user, link, DeprovisionMode::Delete)
                    .await?;
            }
            DeleteMode::Hard | DeleteMode::RemoveFromOrg => {
                self.guarded_delete(user, link).await?;
            }
        }
        Ok(())
    }

    async fn deactivate_natively(
        &self,
        user: &UserResource,
        link: &AccountRef,
    ) -> Result<(), BridgeError> {
        let login = &user.write.user_name;
        let who = Subject {
            login,
            account: link,
        };
        self.admitted(login, self.target_set_active(who, false))
            .await?
            .map_err(|e| self.target_failed(format!("deactivate {login}"), e))?;
        metrics::counter!(names::DEPROVISIONINGS, "mode" => "deactivate").increment(1);
        tracing::info!(user = %login, "user deprovisioned (deactivated in {})", self.naming().product);
        Ok(())
    }

    async fn guarded_delete(
        &self,
        user: &UserResource,
        link: &AccountRef,
    ) -> Result<(), BridgeError> {
        let login = &user.write.user_name;
        let who = Subject {
            login,
            account: link,
        };
        match self.admitted(login, self.target_delete(who)).await? {
            Ok(()) => {
                metrics::counter!(names::DEPROVISIONINGS, "mode" => "delete").increment(1);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound) => Ok(()),
            Err(e) => Err(self.target_failed(format!("delete {login}"), e)),
        }
    }

    /// Runs `deprovisioning` once the deletion guard admits it; a deprovisioning that failed
    /// gives its permit back.
    async fn admitted(
        &self,
        login: &str,
        deprovisioning: impl Future<Output = Result<(), TargetError>>,
    ) -> Result<Result<(), TargetError>, BridgeError> {
        let permit = self.guard.admit(&self.store, login).await?;
        let outcome = deprovisioning.await;
        if outcome.is_err() {
            self.guard.cancel(&self.store, permit).await?;
        }
        Ok(outcome)
    }

    /// The emulated deactivation: revokes every entitlement the account holds, then (in
    /// `Delete` mode) deletes it. Returns the link that remains. An account the target no
    /// longer knows counts as done. A deletion is admitted by the deletion guard before
    /// anything is touched.
    pub(crate) async fn deprovision(
        &self,
        user: &UserResource,
        link: &AccountRef,
        mode: DeprovisionMode,
    ) -> Result<Option<AccountRef>, BridgeError> {
        let login = &user.write.user_name;
        let permit = match mode {
            DeprovisionMode::Delete => Some(self.guard.admit(&self.store, login).await?),
            DeprovisionMode::RevokeOnly => None,
        };
        let outcome = self.revoke_and_delete(login, link, mode).await;
        if let Some(permit) = permit
            && !matches!(outcome, Ok(Some(Deleted::Yes)))
        {
            self.guard.cancel(&self.store, permit).await?;
        }
        let product = self.naming().product;
        match outcome? {
            None => Ok(None),
            Some(Deleted::Yes) => {
                metrics::counter!(names::DEPROVISIONINGS, "mode" => "delete").increment(1);
                tracing::info!(user = %login, "user deprovisioned (roles revoked, {product} user deleted)");
                Ok(None)
            }
            Some(Deleted::No) => {
                metrics::counter!(names::DEPROVISIONINGS, "mode" => "revoke-only").increment(1);
                tracing::info!(user = %login, "user deprovisioned (roles revoked, {product} user kept)");
                Ok(Some(link.clone()))
            }
        }
    }

    /// `None` when the target no longer knew the account.
    async fn revoke_and_delete(
        &self,
        login: &str,
        link: &AccountRef,
        mode: DeprovisionMode,
    ) -> Result<Option<Deleted>, BridgeError> {
        let action = || format!("deprovision {login}");
        let who = Subject {
            login,
            account: link,
        };
        let held = match self.target_entitlements(link).await {
            Ok(held) => held,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound) => return Ok(None),
            Err(e) => return Err(self.target_failed(action(), e)),
        };
        if !held.is_empty() {
            let revoked: Vec<&str> = held.iter().map(|r| r.as_str()).collect();
            let revoke_all = EntitlementChange {
                applied: held.clone(),
                ..Default::default()
            };
            self.target_set_entitlements(who, &revoke_all)
                .await
                .map_err(|e| self.target_failed(action(), e))?;
            tracing::info!(user = %login, revoked = ?revoked, "roles revoked for deprovisioning");
        }
        if mode == DeprovisionMode::RevokeOnly {
            return Ok(Some(Deleted::No));
        }
        match self.target_delete(who).await {
            Ok(()) => Ok(Some(Deleted::Yes)),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(self.target_failed(action(), e)),
        }
    }
}
