//! SCIM user operations on Falcon: provision, adopt, rename, deprovision, reactivate, delete.
//!
//! Each operation holds the lock of the user it changes, calls Falcon first and records the
//! outcome in the store and the directory only after Falcon said yes, so a failed call leaves
//! nothing half-recorded and the IdP's retry starts from the same state. A change that needs
//! several Falcon calls (revoke then delete, create then grant) is written down as an *intent*
//! before the first call and crossed out after the last, so that one cut off by a crash or an
//! outage is finished at the next start-up (see `resume.rs`).

use crate::telemetry as names;
use chrono::Utc;

use super::directory::Entry;
use super::error::BridgeError;
use super::mapping::{self, FalconLink};
use super::resume::Intent;
use super::target::TargetError as FalconError;
use super::writes::{Cause, Subject, caused_by};
use super::{Bridge, DeprovisionMode, Target};
use scim::backend::{ListRequest, Page, RequestContext, UserBackend, UserEdit};
use scim::error::ScimError;
use scim::user::{UserResource, UserWrite};

/// Whether a deprovisioning deleted the Falcon user.
enum Deleted {
    Yes,
    No,
}

fn subject<'a>(login: &'a str, link: &'a FalconLink) -> Subject<'a> {
    Subject {
        login,
        uuid: &link.uuid,
        cid: &link.cid,
    }
}

fn name_key(user_name: &str) -> String {
    format!("name:{}", user_name.to_lowercase())
}

pub(super) fn id_key(id: &str) -> String {
    format!("id:{id}")
}

impl<T: Target> UserBackend for Bridge<T> {
    async fn get_user(&self, id: &str) -> Result<UserResource, ScimError> {
        self.read_directory()
            .get(id)
            .map(|e| e.resource.clone())
            .ok_or_else(|| ScimError::not_found("User", id))
    }

    async fn list_users(&self, req: &ListRequest) -> Result<Page<UserResource>, ScimError> {
        Ok(self.read_directory().query(req))
    }

    async fn create_user(
        &self,
        user: UserWrite,
        ctx: &RequestContext,
    ) -> Result<UserResource, ScimError> {
        caused_by(Cause::request(ctx), self.create_user_caused(user)).await
    }

    async fn update_user(
        &self,
        id: &str,
        edit: UserEdit,
        ctx: &RequestContext,
    ) -> Result<UserResource, ScimError> {
        caused_by(Cause::request(ctx), self.update_user_caused(id, edit)).await
    }

    async fn delete_user(&self, id: &str, ctx: &RequestContext) -> Result<(), ScimError> {
        caused_by(Cause::request(ctx), async {
            let _id_lock = self.locks.lock(&id_key(id)).await;
            if self.read_directory().get(id).is_none() {
                return Err(ScimError::not_found("User", id));
            }
            self.with_intent(id, Intent::Delete, self.delete_locked(id))
                .await
                .map_err(ScimError::from)
        })
        .await
    }
}

impl<T: Target> Bridge<T> {
    async fn create_user_caused(&self, user: UserWrite) -> Result<UserResource, ScimError> {
        let _name_lock = self.locks.lock(&name_key(&user.user_name)).await;
        let existing = self.read_directory().by_user_name(&user.user_name).cloned();
        match existing {
            Some(entry) if entry.managed => Err(ScimError::uniqueness(format!(
                "a user with userName '{}' already exists (id {})",
                entry.resource.write.user_name, entry.resource.id
            ))),
            Some(native) => {
                let _id_lock = self.locks.lock(&id_key(&native.resource.id)).await;
                Ok(self.adopt(native, user).await?)
            }
            None => Ok(self.provision_new(user).await?),
        }
    }

    async fn update_user_caused(
        &self,
        id: &str,
        edit: UserEdit,
    ) -> Result<UserResource, ScimError> {
        let _id_lock = self.locks.lock(&id_key(id)).await;
        let entry = self
            .read_directory()
            .get(id)
            .cloned()
            .ok_or_else(|| ScimError::not_found("User", id))?;
        let wanted = edit(&entry.resource)?;
        if !wanted
            .user_name
            .eq_ignore_ascii_case(&entry.resource.write.user_name)
        {
            return Err(ScimError::mutability(format!(
                "userName cannot change from '{}' to '{}': it is the Falcon login e-mail, which Falcon \
                 cannot change. Deprovision this user and provision a new one instead",
                entry.resource.write.user_name, wanted.user_name
            )));
        }
        if entry.managed && wanted == entry.resource.write {
            // Nothing changed, but a previous attempt may have failed halfway (user re-created,
            // grant refused): finishing it costs no Falcon call when there is nothing to do.
            self.sync_user_locked(id).await?;
            return Ok(entry.resource);
        }
        if !entry.managed {
            return Ok(self.apply_change(entry, wanted).await?);
        }
        let intent = Intent::Apply(Box::new(wanted.clone()));
        Ok(self
            .with_intent(id, intent, self.apply_change(entry, wanted))
            .await?)
    }

    /// Deprovisions (if linked) and forgets the user `id`; the caller holds its lock.
    pub(super) async fn delete_locked(&self, id: &str) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(id).cloned() else {
            return Ok(());
        };
        if let Some(link) = &entry.link {
            self.deprovision(&entry.resource, link, DeprovisionMode::Delete)
                .await?;
        }
        if entry.managed {
            self.store.delete_user(id).await?;
        }
        self.write_directory().remove(id);
        tracing::info!(user = %entry.resource.write.user_name, id, "user deleted");
        Ok(())
    }

    /// A user Falcon has never seen through us: create it there (unless it arrives inactive).
    async fn provision_new(&self, user: UserWrite) -> Result<UserResource, BridgeError> {
        let now = Utc::now();
        if !user.active {
            let resource = UserResource {
                id: uuid::Uuid::new_v4().to_string(),
                write: user,
                groups: Vec::new(),
                created: now,
                last_modified: now,
            };
            self.record(resource.clone(), None).await?;
            return Ok(resource);
        }
        let link = self.create_in_falcon(&user).await?;
        let resource = UserResource {
            // The Falcon uuid is as good an opaque id as any, and it makes the id of a user
            // found in Falcon before the IdP adopted it the same one the IdP ends up with.
            id: link.uuid.clone(),
            write: user,
            groups: Vec::new(),
            created: now,
            last_modified: now,
        };
        self.record(resource.clone(), Some(link)).await?;
        tracing::info!(user = %resource.write.user_name, id = %resource.id, "user provisioned");
        Ok(resource)
    }

    /// A POST for a user that exists in Falcon but not in the bridge takes it over (an IdP that
    /// gets "not found" from the filter and 409 from the POST would retry forever).
    async fn adopt(&self, native: Entry, wanted: UserWrite) -> Result<UserResource, BridgeError> {
        tracing::info!(user = %wanted.user_name, id = %native.resource.id, "adopting an existing Falcon user");
        self.apply_change(native, wanted).await
    }

    /// Makes Falcon match `wanted` for the user `entry`, then records it.
    pub(super) async fn apply_change(
        &self,
        entry: Entry,
        wanted: UserWrite,
    ) -> Result<UserResource, BridgeError> {
        let current = &entry.resource;
        let mut link = entry.link.clone();
        match (&link, wanted.active) {
            (Some(l), false) => {
                link = self
                    .deprovision(current, l, self.policy.deprovision)
                    .await?;
            }
            (None, true) => {
                link = Some(self.create_in_falcon(&wanted).await?);
                tracing::info!(user = %wanted.user_name, id = %current.id, "user reactivated");
            }
            (Some(l), true) => {
                if mapping::falcon_names(&wanted) != mapping::falcon_names(&current.write) {
                    let (first, last) = mapping::falcon_names(&wanted);
                    let who = subject(&wanted.user_name, l);
                    self.falcon_rename(who, &first, &last).await.map_err(|e| {
                        BridgeError::falcon(format!("rename {}", wanted.user_name), e)
                    })?;
                }
            }
            (None, false) => {}
        }
        let reactivated = !current.write.active && wanted.active;
        let deprovisioned = current.write.active && !wanted.active;
        let resource = UserResource {
            id: current.id.clone(),
            write: wanted,
            groups: current.groups.clone(),
            created: current.created,
            last_modified: Utc::now(),
        };
        self.record(resource.clone(), link).await?;
        if deprovisioned {
            self.forget_applied_roles(&resource.id).await?;
        }
        if reactivated {
            // Entra and Okta do not replay memberships on reactivation: the store has them.
            self.sync_user_locked(&resource.id).await?;
        }
        Ok(resource)
    }

    /// Creates the Falcon user for `user`; if Falcon already has that login (created in the
    /// console since our last directory refresh), links to it instead.
    pub(super) async fn create_in_falcon(
        &self,
        user: &UserWrite,
    ) -> Result<FalconLink, BridgeError> {
        let (first, last) = mapping::falcon_names(user);
        let action = || format!("create Falcon user {}", user.user_name);
        match self.falcon_create(&user.user_name, &first, &last).await {
            Ok(created) => Ok(FalconLink {
                uuid: created.uuid,
                cid: created.cid,
            }),
            Err(FalconError::Rejected(failure)) => {
                let existing = self
                    .target
                    .find_user(&user.user_name)
                    .await
                    .map_err(|e| BridgeError::falcon(action(), e))?;
                let Some(existing) = existing else {
                    return Err(BridgeError::falcon(
                        action(),
                        FalconError::Rejected(failure),
                    ));
                };
                let link = FalconLink {
                    uuid: existing.uuid,
                    cid: existing.cid,
                };
                if (existing.first_name.as_str(), existing.last_name.as_str())
                    != (first.as_str(), last.as_str())
                {
                    self.falcon_rename(subject(&user.user_name, &link), &first, &last)
                        .await
                        .map_err(|e| BridgeError::falcon(action(), e))?;
                }
                Ok(link)
            }
            Err(e) => Err(BridgeError::falcon(action(), e)),
        }
    }

    /// Revokes every role the user holds, then (in `Delete` mode) deletes the Falcon user.
    /// Returns the link that remains. A user Falcon no longer knows counts as done. A deletion
    /// is admitted by the deletion guard before anything is touched.
    pub(super) async fn deprovision(
        &self,
        user: &UserResource,
        link: &FalconLink,
        mode: DeprovisionMode,
    ) -> Result<Option<FalconLink>, BridgeError> {
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
        match outcome? {
            None => Ok(None),
            Some(Deleted::Yes) => {
                metrics::counter!(names::DEPROVISIONINGS, "mode" => "delete").increment(1);
                tracing::info!(user = %login, "user deprovisioned (roles revoked, Falcon user deleted)");
                Ok(None)
            }
            Some(Deleted::No) => {
                metrics::counter!(names::DEPROVISIONINGS, "mode" => "revoke-only").increment(1);
                tracing::info!(user = %login, "user deprovisioned (roles revoked, Falcon user kept)");
                Ok(Some(link.clone()))
            }
        }
    }

    /// `None` when Falcon no longer knew the user.
    async fn revoke_and_delete(
        &self,
        login: &str,
        link: &FalconLink,
        mode: DeprovisionMode,
    ) -> Result<Option<Deleted>, BridgeError> {
        let action = || format!("deprovision {login}");
        let who = subject(login, link);
        let roles = match self.falcon_user_roles(&link.uuid).await {
            Ok(roles) => roles,
            Err(FalconError::UnknownUser { .. }) => return Ok(None),
            Err(e) => return Err(BridgeError::falcon(action(), e)),
        };
        if !roles.is_empty() {
            self.falcon_revoke(who, &roles)
                .await
                .map_err(|e| BridgeError::falcon(action(), e))?;
            tracing::info!(user = %login, revoked = ?roles, "roles revoked for deprovisioning");
        }
        if mode == DeprovisionMode::RevokeOnly {
            return Ok(Some(Deleted::No));
        }
        match self.falcon_delete(who).await {
            Ok(()) => Ok(Some(Deleted::Yes)),
            Err(FalconError::UnknownUser { .. }) => Ok(None),
            Err(e) => Err(BridgeError::falcon(action(), e)),
        }
    }

    /// Persists a managed user and shows it in the directory.
    pub(super) async fn record(
        &self,
        resource: UserResource,
        link: Option<FalconLink>,
    ) -> Result<(), BridgeError> {
        self.store
            .save_user(&mapping::row_from(&resource, link.as_ref()))
            .await?;
        self.write_directory().upsert(Entry {
            resource,
            link,
            managed: true,
        });
        Ok(())
    }
}
