//! Users a target cannot create (Incydr takes its users from its own identity source) or
//! creates by invitation (Allthenticate), and the takeover of accounts that already exist.
//!
//! A `POST /Users` for a login the directory does not show first asks the target: an account
//! that appeared since the last refresh is adopted at once, and one the IdP deleted earlier
//! (retired, because the target has no delete) is taken over again under a new SCIM id. When
//! the target has no such account, the user is kept *pending*: stored, shown by every read as
//! the IdP set it, linked to no account. The directory refresh that first sees the account links
//! the two and then makes the target match what the IdP asked for (active state, the
//! entitlements of the user's groups). A link that fails is tried again at the next refresh.
//!
//! Where the target invites, the POST sends the invitation (an account the target adds at once
//! is taken over) and the user is pending until the person accepts. Deactivating or deleting a
//! pending user withdraws its invitation; reactivating it invites again. An invitation accepted
//! in between is not lost: the refresh links the account and deactivates it, and a delete
//! removes it.

use chrono::Utc;
use scim::user::{UserResource, UserWrite};
use target_api::{Account, CreateMode, ErrorKind, Target};

use crate::Bridge;
use crate::directory::{Claim, Entry};
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::policy::PendingUsers;
use crate::resources;
use crate::telemetry as names;
use crate::writes::{Cause, caused_by};

impl<T: Target> Bridge<T> {
    /// `POST /Users` for a login the directory does not show, on a target that cannot create
    /// accounts; the caller holds the login's lock.
    pub(crate) async fn adopt_or_await(
        &self,
        user: UserWrite,
    ) -> Result<UserResource, BridgeError> {
        let product = self.naming().product;
        let found = self
            .target
            .find_by_login(&user.user_name)
            .await
            .map_err(|e| {
                self.target_failed(format!("look up {product} user {}", user.user_name), e)
            })?;
        if let Some(account) = found {
            return self.take_over(account, user).await;
        }
        if self.capabilities().create == CreateMode::Invite {
            if user.active
                && let Some(account) = self.send_invitation(&user).await?
            {
                return self.take_over(account, user).await;
            }
            return self.await_account(user).await;
        }
        match self.policy.pending {
            PendingUsers::Refuse => Err(BridgeError::Unsupported(self.cannot_create(&user))),
            PendingUsers::Await => self.await_account(user).await,
        }
    }

    /// Invites `user`'s login: the account when the target added it at once.
    pub(crate) async fn send_invitation(
        &self,
        user: &UserWrite,
    ) -> Result<Option<Account>, BridgeError> {
        let product = self.naming().product;
        let login = &user.user_name;
        let added = self
            .target_invite(&resources::profile_of(user))
            .await
            .map_err(|e| self.target_failed(format!("invite {login} to {product}"), e))?;
        match &added {
            Some(_) => {
                tracing::info!(user = %login, "{product} added the user at once: the person already had an account")
            }
            None => {
                tracing::info!(user = %login, "{product} invitation sent; the user is pending until the person accepts it")
            }
        }
        Ok(added)
    }

    /// Withdraws the invitation of a pending user the IdP deactivated or deleted. None waiting
    /// is no error; an invitation accepted meanwhile gives the account.
    pub(crate) async fn withdraw_pending(
        &self,
        login: &str,
    ) -> Result<Option<Account>, BridgeError> {
        let product = self.naming().product;
        let action = || format!("withdraw the {product} invitation of {login}");
        match self.target_withdraw_invitation(login).await {
            Ok(()) => {
                tracing::info!(user = %login, "{product} invitation withdrawn");
                Ok(None)
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound) => Ok(None),
            Err(e) if matches!(e.kind(), ErrorKind::Conflict) => self
                .target
                .find_by_login(login)
                .await
                .map_err(|e| self.target_failed(action(), e)),
            Err(e) => Err(self.target_failed(action(), e)),
        }
    }

    /// Why a user cannot be created here, and how it gets into the target instead.
    pub(crate) fn cannot_create(&self, user: &UserWrite) -> String {
        let product = self.naming().product;
        format!(
            "{product} cannot create users through its API: add {} to {product} through its own \
             channels (directory sync, single sign-on or its console); the IdP's next push then \
             adopts it",
            user.user_name
        )
    }

    /// Adopts `account`, which the directory did not show: new in the target since the last
    /// refresh, or retired (deleted by the IdP earlier), which gets a new SCIM id.
    async fn take_over(
        &self,
        account: Account,
        wanted: UserWrite,
    ) -> Result<UserResource, BridgeError> {
        let account_id = account.reference.id.clone();
        let retired = self.read_directory().is_retired(&account_id);
        let id = UserId::of_account(&account_id)
            .ok()
            .filter(|_| !retired)
            .unwrap_or_else(UserId::generate);
        let _id_lock = self.lock(&LockKey::User(id.clone())).await?;
        let mut resource = resources::native_resource(&account);
        resource.id = id.to_string();
        let native = Entry {
            resource,
            link: Some(account.reference),
            managed: false,
        };
        let adopted = self.adopt(native, wanted).await?;
        if retired {
            self.store.unretire_account(&account_id).await?;
            self.write_directory().unretire(&account_id);
            tracing::info!(user = %adopted.write.user_name, id = %adopted.id, "a deleted user is provisioned again; its {} account is taken over", self.naming().product);
        }
        Ok(adopted)
    }

    /// Keeps `user` until its account appears in the target.
    async fn await_account(&self, user: UserWrite) -> Result<UserResource, BridgeError> {
        let now = Utc::now();
        let resource = UserResource {
            id: UserId::generate().to_string(),
            write: user,
            groups: Vec::new(),
            created: now,
            last_modified: now,
        };
        self.record(resource.clone(), None).await?;
        tracing::info!(
            user = %resource.write.user_name,
            id = %resource.id,
            "user pending: {product} has no such user yet; it is linked, and given its roles and \
             active state, when the directory refresh finds it in {product}",
            product = self.naming().product
        );
        self.count_pending();
        Ok(resource)
    }

    /// Links each pending user to the account the refresh found for it. Only targets that
    /// cannot create have pending users: elsewhere an unlinked user is a deprovisioned one, and
    /// an account with its login is drift for the reconciler.
    pub(crate) async fn link_pending(&self, claims: Vec<Claim>) {
        if self.capabilities().create == CreateMode::Direct {
            return;
        }
        for claim in claims {
            let linked = caused_by(Cause::internal("directory refresh"), async {
                let _lock = self.lock(&LockKey::User(claim.user.clone())).await?;
                self.link_locked(&claim).await
            })
            .await;
            if let Err(e) = linked {
                tracing::error!(user = %claim.account.profile.login, id = %claim.user, error = %e, "cannot link a pending user to its new {} account; tried again at the next refresh", self.naming().product);
            }
        }
        self.count_pending();
    }

    async fn link_locked(&self, claim: &Claim) -> Result<(), BridgeError> {
        let Some(pending) = self.read_directory().get(&claim.user).cloned() else {
            return Ok(());
        };
        if !pending.managed || pending.link.is_some() {
            return Ok(());
        }
        // The account as the target has it, under the pending user's id: `apply_change` then
        // activates or deactivates it as the IdP asked.
        let account_id = claim.account.reference.id.clone();
        let current = Entry {
            resource: UserResource {
                write: resources::native_resource(&claim.account).write,
                ..pending.resource.clone()
            },
            link: Some(claim.account.reference.clone()),
            managed: false,
        };
        let linked = self.adopt(current, pending.resource.write).await?;
        if self.read_directory().is_retired(&account_id) {
            self.store.unretire_account(&account_id).await?;
            self.write_directory().unretire(&account_id);
        }
        tracing::info!(user = %linked.write.user_name, id = %linked.id, "pending user linked to its new {} account", self.naming().product);
        // Its groups' entitlements, which it could not hold while pending.
        self.sync_user_locked(&claim.user).await
    }

    /// Updates the pending-users gauge (targets that cannot create only).
    pub(crate) fn count_pending(&self) {
        if self.capabilities().create == CreateMode::Direct {
            return;
        }
        let pending = self.read_directory().unlinked().count();
        metrics::gauge!(names::PENDING_USERS).set(pending as f64);
    }

    /// Pending users, `(SCIM id, userName)`, for reports (none where the target creates).
    pub fn pending_users(&self) -> Vec<(String, String)> {
        if self.capabilities().create == CreateMode::Direct {
            return Vec::new();
        }
        self.read_directory()
            .unlinked()
            .map(|e| (e.resource.id.clone(), e.resource.write.user_name.clone()))
            .collect()
    }
}
