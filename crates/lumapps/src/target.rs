//! LumApps as a provisioning target: the [`Target`] the core drives, on top of
//! [`LumAppsClient`], for users. LumApps creates `external` users, deactivates by a `status`
//! field, deletes with `user/deleteMulti`, and has no partial update: every change is a read of
//! the whole user and a save of the whole object, so fields the bridge does not know survive.
//! Users a directory synchronises into LumApps (Google, Microsoft, Okta accounts) keep the names
//! that directory gives them.
//!
//! Groups are LumApps' own (feeds): a SCIM group is a feed, created, renamed and deleted as
//! one, and a membership change is one `feed/subscribers/save` for the feed, whatever the
//! number of members. A user's "entitlements" are the feeds it belongs to.

use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use target_api::{
    Account, AccountRef, Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, Entitlement,
    EntitlementChange, EntitlementId, EntitlementModel, ErrorKind, Lookups, Naming, Paging,
    Profile, ProfileWrites, Target, TargetError,
};

use crate::client::{DeleteOutcome, LumAppsClient};
use crate::error::LumAppsError;
use crate::model::{Feed, TOKEN_LIFETIME_SECS, User, UserStatus};

static CAPABILITIES: LazyLock<Capabilities> = LazyLock::new(capabilities);

/// What LumApps' user and feed API allows.
pub fn capabilities() -> Capabilities {
    Capabilities {
        naming: Naming {
            product: "LumApps",
            key: "lumapps",
            entitlement: "group",
            example_entitlement: "Security Team",
        },
        create: CreateMode::Direct,
        deactivate: DeactivateMode::Field,
        delete: DeleteMode::Hard,
        entitlements: EntitlementModel::GroupMembership,
        profile: ProfileWrites {
            login: false,
            names: true,
        },
        lookups: Lookups {
            by_login: true,
            batch_by_ids: false,
        },
        paging: Paging::Cursor,
        auth: Auth::OAuthClientCredentials {
            token_lifetime: Duration::from_secs(TOKEN_LIFETIME_SECS),
        },
        ids_survive_reactivation: true,
    }
}

/// LumApps behind the [`Target`] seam.
#[derive(Debug, Clone)]
pub struct LumAppsTarget {
    client: LumAppsClient,
}

impl LumAppsTarget {
    pub fn new(client: LumAppsClient) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &LumAppsClient {
        &self.client
    }
}

/// The classification the core acts on; the call id travels as the trace id.
pub fn classify(err: LumAppsError) -> TargetError {
    let kind = match &err {
        LumAppsError::NotFound { .. } => ErrorKind::NotFound,
        LumAppsError::Conflict { .. } => ErrorKind::Conflict,
        LumAppsError::RateLimited { retry_after, .. } => ErrorKind::RateLimited {
            retry_after: *retry_after,
        },
        LumAppsError::Rejected { message, .. } => ErrorKind::Rejected {
            reason: message.clone(),
        },
        LumAppsError::Unauthorized { .. } | LumAppsError::Forbidden { .. } => {
            ErrorKind::Misconfigured
        }
        LumAppsError::Server { .. }
        | LumAppsError::Transport { .. }
        | LumAppsError::Decode { .. } => ErrorKind::Transient,
    };
    let call_id = err.call_id().map(str::to_owned);
    TargetError::from_source(kind, err).with_trace_id(call_id)
}

impl From<LumAppsError> for TargetError {
    fn from(err: LumAppsError) -> Self {
        classify(err)
    }
}

fn timestamp(user: &User, field: &str) -> Option<DateTime<Utc>> {
    let text = user.other.get(field)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A LumApps user as the core sees it.
pub fn account(user: User) -> Option<Account> {
    let id = user.key()?.to_owned();
    Some(Account {
        reference: AccountRef::new(id, None),
        active: user.is_enabled(),
        created: timestamp(&user, "createdAt"),
        modified: timestamp(&user, "updatedAt"),
        profile: Profile {
            login: user.email.clone(),
            given_name: user.first_name.clone().unwrap_or_default(),
            family_name: user.last_name.clone().unwrap_or_default(),
        },
    })
}

/// A feed as an entitlement: its id, its name.
fn entitlement(feed: Feed) -> Option<Entitlement> {
    Some(Entitlement {
        id: EntitlementId::parse(feed.key()?).ok()?,
        display_name: feed.name.unwrap_or_default(),
        description: String::new(),
    })
}

impl Target for LumAppsTarget {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        self.client.token_obtained_at()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        Ok(self
            .client
            .list_users()
            .await?
            .into_iter()
            .filter_map(account)
            .collect())
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        Ok(self.client.user_by_email(login).await?.and_then(account))
    }

    async fn create(&self, profile: &Profile) -> Result<Account, TargetError> {
        let user = User::new_external(
            profile.login.clone(),
            profile.given_name.clone(),
            profile.family_name.clone(),
        );
        let created = self.client.save_user(&user).await?;
        account(created).ok_or_else(|| {
            TargetError::new(
                ErrorKind::Transient,
                "LumApps created the user but answered without its id",
            )
        })
    }

    /// Reads the whole user and saves it back with the new names. A user a directory
    /// synchronises keeps that directory's names: changing them here would be undone by the
    /// next synchronisation, so it is refused with the reason.
    async fn update_profile(
        &self,
        account: &AccountRef,
        profile: &Profile,
    ) -> Result<(), TargetError> {
        let mut user = self.client.user(&account.id).await?;
        let unchanged = user.first_name.as_deref().unwrap_or_default() == profile.given_name
            && user.last_name.as_deref().unwrap_or_default() == profile.family_name;
        if unchanged {
            return Ok(());
        }
        if user.is_idp_owned() {
            let source = user.account_type.as_ref().map_or_else(
                || "a directory".to_owned(),
                |t| format!("its {t} directory"),
            );
            return Err(TargetError::new(
                ErrorKind::ReadOnly {
                    reason: format!(
                        "{}'s names come from {source}, which LumApps synchronises; change them \
                         there",
                        user.email
                    ),
                },
                format!(
                    "LumApps user {} is synchronised from a directory",
                    account.id
                ),
            ));
        }
        user.first_name = Some(profile.given_name.clone());
        user.last_name = Some(profile.family_name.clone());
        self.client.save_user(&user).await?;
        Ok(())
    }

    /// Reads the user and saves it with the other status, only when it differs.
    async fn set_active(&self, account: &AccountRef, active: bool) -> Result<(), TargetError> {
        let mut user = self.client.user(&account.id).await?;
        if user.is_enabled() == active {
            return Ok(());
        }
        user.status = Some(if active {
            UserStatus::Enabled
        } else {
            UserStatus::Disabled
        });
        self.client.save_user(&user).await?;
        Ok(())
    }

    async fn delete(&self, account: &AccountRef) -> Result<(), TargetError> {
        let outcomes = self
            .client
            .delete_users(std::slice::from_ref(&account.id))
            .await?;
        match outcomes.into_iter().find(|o| o.uid == account.id) {
            Some(o) => match o.outcome {
                DeleteOutcome::Deleted => Ok(()),
                DeleteOutcome::NotFound { reason } => Err(TargetError::new(
                    ErrorKind::NotFound,
                    format!("LumApps does not know user {}: {reason}", account.id),
                )),
                DeleteOutcome::Failed { reason } => Err(TargetError::new(
                    ErrorKind::Rejected { reason },
                    format!("LumApps did not delete user {}", account.id),
                )),
            },
            None => Err(TargetError::new(
                ErrorKind::Transient,
                format!("LumApps did not say what became of user {}", account.id),
            )),
        }
    }

    /// The organisation's feeds.
    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        Ok(self
            .client
            .list_feeds()
            .await?
            .into_iter()
            .filter_map(entitlement)
            .collect())
    }

    /// The feeds the user belongs to: one member listing per feed, so this is never for a SCIM
    /// request (the reconciler reads each feed's members once instead: `group_members`).
    async fn entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        let mut held = BTreeSet::new();
        for feed in self.client.list_feeds().await? {
            let Some(uid) = feed.key().map(str::to_owned) else {
                continue;
            };
            let members = self.client.feed_members(&uid).await?;
            if members.iter().any(|m| m.key() == Some(account.id.as_str())) {
                held.extend(EntitlementId::parse(&uid).ok());
            }
        }
        Ok(held)
    }

    /// One user's feeds: one subscribers call per feed it joins or leaves.
    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let user = [account.id.clone()];
        for feed in change.added() {
            self.client
                .save_subscribers(feed.as_str(), &user, &[])
                .await?;
        }
        for feed in change.removed() {
            self.client
                .save_subscribers(feed.as_str(), &[], &user)
                .await?;
        }
        Ok(())
    }

    async fn create_group(&self, name: &str) -> Result<Entitlement, TargetError> {
        let feed = self.client.save_feed(&Feed::named(name)).await?;
        entitlement(feed).ok_or_else(|| {
            TargetError::new(
                ErrorKind::Transient,
                format!("LumApps created feed {name} but answered without its id"),
            )
        })
    }

    /// A read of the whole feed and a save with the new name (no partial update).
    async fn rename_group(&self, id: &EntitlementId, name: &str) -> Result<(), TargetError> {
        let mut feed = self.client.feed(id.as_str()).await?;
        if feed.name.as_deref() == Some(name) {
            return Ok(());
        }
        feed.name = Some(name.to_owned());
        self.client.save_feed(&feed).await?;
        Ok(())
    }

    async fn delete_group(&self, id: &EntitlementId) -> Result<(), TargetError> {
        Ok(self.client.delete_feed(id.as_str()).await?)
    }

    /// The feed's subscribers: `user/list?feeds=`, every page.
    async fn group_members(&self, id: &EntitlementId) -> Result<Vec<AccountRef>, TargetError> {
        Ok(self
            .client
            .feed_members(id.as_str())
            .await?
            .iter()
            .filter_map(|user| user.key().map(|uid| AccountRef::new(uid, None)))
            .collect())
    }

    async fn change_group_members(
        &self,
        id: &EntitlementId,
        added: &[AccountRef],
        removed: &[AccountRef],
    ) -> Result<(), TargetError> {
        let ids = |list: &[AccountRef]| list.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        Ok(self
            .client
            .save_subscribers(id.as_str(), &ids(added), &ids(removed))
            .await?)
    }
}
