//! SCIM user operations: provision, adopt, change, deprovision, reactivate, delete.
//!
//! Each operation holds the lock of the user it changes, calls the target first and records the
//! outcome in the store and the directory only after the target said yes, so a failed call
//! leaves nothing half-recorded and the IdP's retry starts from the same state. A change that
//! needs several target calls is done under an intent (`intents.rs`). How a deprovisioning or a
//! reactivation reaches the target depends on its capabilities (`lifecycle.rs`).

use chrono::Utc;
use scim::backend::{ListRequest, Page, RequestContext, UserBackend, UserEdit};
use scim::etag::Preconditions;
use scim::user::{UserResource, UserWrite};
use target_api::{AccountRef, CreateMode, DeleteMode, ErrorKind, Target};

use crate::Bridge;
use crate::directory::Entry;
use crate::error::{BridgeError, Resource};
use crate::ids::{LockKey, UserId};
use crate::intents::Intent;
use crate::resources;
use crate::writes::Subject;

/// An id from the URL: one that cannot be a SCIM id names no user.
fn user_id(id: &str) -> Result<UserId, BridgeError> {
    UserId::parse(id).map_err(|_| BridgeError::not_found(Resource::User, id))
}

impl<T: Target> UserBackend for Bridge<T> {
    async fn get_user(&self, id: &str) -> Result<UserResource, BridgeError> {
        let id = user_id(id)?;
        self.catch_up_to_read().await;
        self.read_directory()
            .get(&id)
            .map(|e| e.resource.clone())
            .ok_or_else(|| BridgeError::not_found(Resource::User, &id))
    }

    async fn list_users(&self, req: &ListRequest) -> Result<Page<UserResource>, BridgeError> {
        self.catch_up_to_read().await;
        Ok(self.read_directory().query(req))
    }

    async fn create_user(
        &self,
        user: UserWrite,
        ctx: &RequestContext,
    ) -> Result<UserResource, BridgeError> {
        self.on_request(ctx, self.create_user_caused(user)).await
    }

    async fn update_user(
        &self,
        id: &str,
        edit: UserEdit,
        ctx: &RequestContext,
    ) -> Result<UserResource, BridgeError> {
        let id = user_id(id)?;
        self.on_request(ctx, self.update_user_caused(&id, edit, &ctx.preconditions))
            .await
    }

    async fn delete_user(&self, id: &str, ctx: &RequestContext) -> Result<(), BridgeError> {
        let id = user_id(id)?;
        self.on_request(ctx, async {
            let _id_lock = self.lock(&LockKey::User(id.clone())).await?;
            let Some(entry) = self.read_directory().get(&id).cloned() else {
                return Err(BridgeError::not_found(Resource::User, &id));
            };
            ctx.preconditions
                .allow_change(&entry.resource.version())
                .map_err(BridgeError::Request)?;
            self.with_intent(&id, Intent::Delete, self.delete_locked(&id))
                .await
        })
        .await
    }
}

impl<T: Target> Bridge<T> {
    async fn create_user_caused(&self, mut user: UserWrite) -> Result<UserResource, BridgeError> {
        self.admit_roles(&mut user, None)?;
        let _name_lock = self.lock(&LockKey::user_name(&user.user_name)).await?;
        let existing = self.read_directory().by_user_name(&user.user_name).cloned();
        match existing {
            Some(entry) if entry.managed && entry.resource.write == user => {
                self.finish_create(entry).await
            }
            Some(entry) if entry.managed => Err(BridgeError::Uniqueness(format!(
                "a user with userName '{}' already exists (id {})",
                entry.resource.write.user_name, entry.resource.id
            ))),
            Some(native) => {
                let id = native
                    .id()
                    .ok_or_else(|| BridgeError::not_found(Resource::User, &native.resource.id))?;
                let _id_lock = self.lock(&LockKey::User(id)).await?;
                self.adopt(native, user).await
            }
            None if self.capabilities().create == CreateMode::Direct => {
                self.provision_new(user).await
            }
            None => self.adopt_or_await(user).await,
        }
    }

    /// A POST for a user the bridge holds exactly so: the retry of a create whose grants
    /// failed after the account was made finishes them and answers as the first success would
    /// have; any other repeat is a conflict.
    async fn finish_create(&self, entry: Entry) -> Result<UserResource, BridgeError> {
        let conflict = || {
            BridgeError::Uniqueness(format!(
                "a user with userName '{}' already exists (id {})",
                entry.resource.write.user_name, entry.resource.id
            ))
        };
        let Some(id) = entry.id() else {
            return Err(conflict());
        };
        let _id_lock = self.lock(&LockKey::User(id.clone())).await?;
        if !self.roles_pending(&id).await? {
            return Err(conflict());
        }
        tracing::info!(user = %entry.resource.write.user_name, id = %id, "a repeated create finishes the grants its first attempt could not make");
        self.sync_user_locked(&id).await?;
        Ok(entry.resource)
    }

    async fn update_user_caused(
        &self,
        id: &UserId,
        edit: UserEdit,
        preconditions: &Preconditions,
    ) -> Result<UserResource, BridgeError> {
        let _id_lock = self.lock(&LockKey::User(id.clone())).await?;
        let entry = self
            .read_directory()
            .get(id)
            .cloned()
            .ok_or_else(|| BridgeError::not_found(Resource::User, id))?;
        preconditions
            .allow_change(&entry.resource.version())
            .map_err(BridgeError::Request)?;
        let mut wanted = edit(&entry.resource).map_err(BridgeError::Request)?;
        self.admit_roles(&mut wanted, Some(&entry.resource.write))?;
        self.check_login_unchanged(&entry.resource.write, &wanted)?;
        if entry.managed && wanted == entry.resource.write {
            // Nothing changed, but a previous attempt may have failed halfway (user re-created,
            // grant refused): finishing it costs no target call when there is nothing to do.
            self.sync_user_locked(id).await?;
            return Ok(entry.resource);
        }
        if !entry.managed {
            return self.apply_change(entry, wanted).await;
        }
        let intent = Intent::Apply(Box::new(wanted.clone()));
        self.with_intent(id, intent, self.apply_change(entry, wanted))
            .await
    }

    /// A login the target cannot change is refused before anything is touched.
    fn check_login_unchanged(
        &self,
        current: &UserWrite,
        wanted: &UserWrite,
    ) -> Result<(), BridgeError> {
        if self.capabilities().profile.login
            || wanted.user_name.eq_ignore_ascii_case(&current.user_name)
        {
            return Ok(());
        }
        let product = self.naming().product;
        Err(BridgeError::Immutable(format!(
            "userName cannot change from '{}' to '{}': it is the {product} login e-mail, which \
             {product} cannot change. Deprovision this user and provision a new one instead",
            current.user_name, wanted.user_name
        )))
    }

    /// Removes the user `id` from the target the way the target allows, and forgets it; the
    /// caller holds its lock.
    pub(crate) async fn delete_locked(&self, id: &UserId) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(id).cloned() else {
            return Ok(());
        };
        if let Some(link) = &entry.link {
            self.remove_account(&entry.resource, link).await?;
        } else if entry.managed
            && self.capabilities().create == CreateMode::Invite
            && let Some(account) = self
                .withdraw_pending(&entry.resource.write.user_name)
                .await?
        {
            // Accepted meanwhile: the account is the user's, and goes as the IdP asked.
            self.remove_account(&entry.resource, &account.reference)
                .await?;
        }
        match &entry.link {
            // The account stays in the target (deactivated): hidden, it reads as deleted.
            Some(link) if self.capabilities().delete == DeleteMode::None => {
                let managed = entry.managed.then_some(id.as_str());
                self.store
                    .retire_account(managed, &link.id, &entry.resource.write.user_name)
                    .await?;
                self.write_directory().retire(&link.id);
            }
            _ if entry.managed => {
                self.store.delete_user(id.as_str()).await?;
            }
            _ => {}
        }
        self.write_directory().remove(id);
        if entry.link.is_none() {
            self.count_pending();
        }
        tracing::info!(user = %entry.resource.write.user_name, id = %id, "user deleted");
        Ok(())
    }

    /// A user the target has never seen through us: create it there (unless it arrives
    /// inactive, when the bridge only keeps it).
    async fn provision_new(&self, user: UserWrite) -> Result<UserResource, BridgeError> {
        let now = Utc::now();
        if !user.active {
            let resource = UserResource {
                id: UserId::generate().to_string(),
                write: user,
                groups: Vec::new(),
                created: now,
                last_modified: now,
            };
            self.record(resource.clone(), None).await?;
            return Ok(resource);
        }
        let link = self.create_in_target(&user).await?;
        let resource = UserResource {
            // The account's id is as good an opaque id as any, and it makes the id of an account
            // seen in the target before the IdP adopted it the same one the IdP ends up with.
            id: link.id.clone(),
            write: user,
            groups: Vec::new(),
            created: now,
            last_modified: now,
        };
        self.record(resource.clone(), Some(link)).await?;
        tracing::info!(user = %resource.write.user_name, id = %resource.id, "user provisioned");
        if !resource.write.roles.is_empty()
            && let Ok(id) = UserId::parse(&resource.id)
        {
            // Recorded first: a grant that fails is finished by the IdP's retry of the POST
            // (`finish_create`), or at the next start.
            let _id_lock = self.lock(&LockKey::User(id.clone())).await?;
            self.sync_user_locked(&id).await?;
        }
        Ok(resource)
    }

    /// A POST for a user that exists in the target but not in the bridge takes it over (an IdP
    /// that gets "not found" from the filter and 409 from the POST would retry forever).
    /// Where the target keeps its users' names itself, the adopted user has the target's
    /// names: taking an account over changes nothing the target cannot change.
    pub(crate) async fn adopt(
        &self,
        native: Entry,
        mut wanted: UserWrite,
    ) -> Result<UserResource, BridgeError> {
        let product = self.naming().product;
        tracing::info!(user = %wanted.user_name, id = %native.resource.id, "adopting an existing {product} user");
        if !self.capabilities().profile.names
            && resources::names_differ(&native.resource.write, &wanted)
        {
            tracing::info!(user = %wanted.user_name, "the user keeps the names {product} holds; {product} takes them from its own identity source");
            wanted.name = native.resource.write.name.clone();
        }
        self.apply_change(native, wanted).await
    }

    /// Makes the target match `wanted` for the user `entry`, then records it.
    pub(crate) async fn apply_change(
        &self,
        entry: Entry,
        wanted: UserWrite,
    ) -> Result<UserResource, BridgeError> {
        let id = entry
            .id()
            .ok_or_else(|| BridgeError::not_found(Resource::User, &entry.resource.id))?;
        let current = &entry.resource;
        let mut link = entry.link.clone();
        let reactivated = !current.write.active && wanted.active;
        let deprovisioned = current.write.active && !wanted.active;
        match (&link, wanted.active) {
            (Some(l), false) => {
                link = self.deactivate(current, l).await?;
            }
            // A pending user stays pending until its account appears; where the target
            // invites, a reactivated one is invited again (its deactivation withdrew it).
            (None, true) if self.capabilities().create != CreateMode::Direct => {
                if reactivated
                    && self.capabilities().create == CreateMode::Invite
                    && let Some(account) = self.send_invitation(&wanted).await?
                {
                    link = Some(account.reference);
                }
            }
            (None, true) => {
                link = Some(self.create_in_target(&wanted).await?);
                tracing::info!(user = %wanted.user_name, id = %current.id, "user reactivated");
            }
            (Some(l), true) => {
                if reactivated {
                    self.reactivate(current, l).await?;
                }
                self.update_profile(current, &wanted, l).await?;
            }
            (None, false) => {
                if deprovisioned
                    && entry.managed
                    && self.capabilities().create == CreateMode::Invite
                {
                    // Accepted meanwhile: the refresh links the account and deactivates it.
                    self.withdraw_pending(&current.write.user_name).await?;
                }
            }
        }
        let resource = UserResource {
            id: current.id.clone(),
            write: wanted,
            groups: current.groups.clone(),
            created: current.created,
            last_modified: Utc::now(),
        };
        self.record(resource.clone(), link.clone()).await?;
        if deprovisioned && !self.capabilities().deactivate.is_native() {
            // The emulated deactivation revoked everything the bridge had granted.
            self.forget_applied_roles(&id).await?;
        }
        if reactivated || resource.write.roles != current.write.roles {
            // Entra and Okta do not replay memberships on reactivation: the store has them, and
            // the direct set.
            self.sync_user_locked(&id).await?;
        }
        Ok(resource)
    }

    /// Sends the writable profile attributes that changed.
    async fn update_profile(
        &self,
        current: &UserResource,
        wanted: &UserWrite,
        link: &AccountRef,
    ) -> Result<(), BridgeError> {
        let login_changed = !wanted
            .user_name
            .eq_ignore_ascii_case(&current.write.user_name);
        if !resources::names_differ(&current.write, wanted) && !login_changed {
            return Ok(());
        }
        let product = self.naming().product;
        if !self.capabilities().profile.names {
            return Err(BridgeError::Immutable(format!(
                "name cannot change for {}: {product} keeps the names of its users itself",
                wanted.user_name
            )));
        }
        let who = Subject {
            login: &wanted.user_name,
            account: link,
        };
        self.target_rename(who, &resources::profile_of(wanted))
            .await
            .map_err(|e| self.target_failed(format!("rename {}", wanted.user_name), e))
    }

    /// Creates the account for `user`; if the target already has that login (created there
    /// since our last directory refresh), links to it instead.
    pub(crate) async fn create_in_target(
        &self,
        user: &UserWrite,
    ) -> Result<AccountRef, BridgeError> {
        let product = self.naming().product;
        match self.capabilities().create {
            CreateMode::Direct => {}
            CreateMode::AdoptOnly => {
                return Err(BridgeError::Unsupported(self.cannot_create(user)));
            }
            CreateMode::Invite => {
                return Err(BridgeError::Unsupported(format!(
                    "{product} creates users by invitation, which only a new provisioning sends: \
                     delete {} in the IdP and assign it again, or invite it in {product}",
                    user.user_name
                )));
            }
        }
        let profile = resources::profile_of(user);
        let action = || format!("create {product} user {}", user.user_name);
        let failure = match self.target_create(&profile).await {
            Ok(created) => return Ok(created.reference),
            Err(e) if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::Rejected { .. }) => e,
            Err(e) => return Err(self.target_failed(action(), e)),
        };
        let existing = self
            .target
            .find_by_login(&user.user_name)
            .await
            .map_err(|e| self.target_failed(action(), e))?;
        let Some(existing) = existing else {
            return Err(self.target_failed(action(), failure));
        };
        let link = existing.reference;
        let names = |p: &target_api::Profile| (p.given_name.clone(), p.family_name.clone());
        if names(&existing.profile) != names(&profile) && self.capabilities().profile.names {
            let who = Subject {
                login: &user.user_name,
                account: &link,
            };
            self.target_rename(who, &profile)
                .await
                .map_err(|e| self.target_failed(action(), e))?;
        }
        Ok(link)
    }

    /// Persists a managed user and shows it in the directory.
    pub(crate) async fn record(
        &self,
        resource: UserResource,
        link: Option<AccountRef>,
    ) -> Result<(), BridgeError> {
        self.store
            .save_user(&resources::row_from(&resource, link.as_ref()))
            .await?;
        self.write_directory().upsert(Entry {
            resource,
            link,
            managed: true,
        });
        Ok(())
    }
}
