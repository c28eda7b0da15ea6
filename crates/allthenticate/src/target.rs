//! Allthenticate as a provisioning target: the [`Target`] the core drives, on top of
//! [`AllthenticateClient`].
//!
//! Allthenticate creates by invitation (an e-mail that already has an Allthenticate account is
//! added at once, any other waits until the person accepts), suspends by a toggle that is read
//! before it is flipped, removes users from the organisation, and gives each user one rank. The
//! names are the user's own: the admin API cannot set them. An account is addressed by both of
//! its ids: `user_id` (the reference's id, which rank changes need) and `email_id` (its detail,
//! which everything else needs). `/multipleusers` returns everyone at once, so every look-up is
//! that one listing, filtered here, and a listing a few seconds old answers the look-ups of a
//! burst of changes.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use target_api::{
    Account, AccountRef, Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, Entitlement,
    EntitlementChange, EntitlementId, EntitlementModel, ErrorKind, Lookups, Naming, Paging,
    Profile, ProfileWrites, Target, TargetError,
};

use crate::client::{AllthenticateClient, InviteOutcome};
use crate::error::AllthenticateError;
use crate::model::{EmailId, Rank, User, UserId};

/// The ranks, lowest first: a user's rank is the highest its groups map.
const RANKS: [Rank; 3] = [Rank::Regular, Rank::Admin, Rank::Super];

static CAPABILITIES: LazyLock<Capabilities> = LazyLock::new(capabilities);

fn rank_id(rank: &Rank) -> EntitlementId {
    EntitlementId::parse(rank.as_str()).expect("a rank is a valid entitlement id")
}

/// What Allthenticate's users API allows.
pub fn capabilities() -> Capabilities {
    Capabilities {
        naming: Naming {
            product: "Allthenticate",
            key: "allthenticate",
            entitlement: "rank",
            example_entitlement: "ADMIN",
        },
        create: CreateMode::Invite,
        deactivate: DeactivateMode::Toggle,
        delete: DeleteMode::RemoveFromOrg,
        entitlements: EntitlementModel::SingleRank {
            ordered: RANKS.iter().map(rank_id).collect(),
        },
        profile: ProfileWrites {
            login: false,
            names: false,
        },
        lookups: Lookups {
            by_login: false,
            batch_by_ids: false,
        },
        paging: Paging::None,
        auth: Auth::StaticApiKey,
        ids_survive_reactivation: true,
    }
}

/// How the target invites and which ranks it may grant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// Invite without Allthenticate's e-mail (the IdP or an admin tells the person).
    pub invite_without_email: bool,
    /// Whether a group may grant `SUPER` (billing, creating admins).
    pub allow_super_rank: bool,
}

/// How long a `/multipleusers` listing answers look-ups of one account (its rank, before a rank
/// change): a group push of 200 members reads the listing once, not 200 times. Every write of
/// the bridge drops it, so it is never older than the bridge's own last change.
const LISTING_TTL: Duration = Duration::from_secs(5);

/// A `/multipleusers` listing and when it was read.
type Listing = (Instant, Arc<Vec<User>>);

/// Allthenticate behind the [`Target`] seam. Cheap to clone: clones share the client, what the
/// key is known to be (so `/readyz` sees what the core's calls proved) and the kept listing.
#[derive(Debug, Clone)]
pub struct AllthenticateTarget {
    client: AllthenticateClient,
    options: TargetOptions,
    /// When Allthenticate last accepted the key (a static key has no token to date it).
    accepted_at: Arc<Mutex<Option<SystemTime>>>,
    /// The last listing and when it was read; held while a listing is read, so concurrent
    /// look-ups share one call.
    listing: Arc<tokio::sync::Mutex<Option<Listing>>>,
}

/// The classification the core acts on.
pub fn classify(err: AllthenticateError) -> TargetError {
    let kind = match &err {
        AllthenticateError::NotFound { .. } => ErrorKind::NotFound,
        AllthenticateError::Rejected { message, .. } => ErrorKind::Rejected {
            reason: message.clone(),
        },
        AllthenticateError::RateLimited { retry_after } => ErrorKind::RateLimited {
            retry_after: *retry_after,
        },
        AllthenticateError::Server { .. }
        | AllthenticateError::Unreachable { .. }
        | AllthenticateError::Unreadable { .. } => ErrorKind::Transient,
        AllthenticateError::Unauthorized { .. } | AllthenticateError::Config(_) => {
            ErrorKind::Misconfigured
        }
    };
    TargetError::from_source(kind, err)
}

impl From<AllthenticateError> for TargetError {
    fn from(err: AllthenticateError) -> Self {
        classify(err)
    }
}

/// Flask writes dates as RFC 2822 (`Wed, 01 May 2024 10:00:00 GMT`); anything else is unknown.
fn date(text: Option<&String>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An Allthenticate user as the core sees it; a record without an e-mail is no login.
pub fn account(user: &User) -> Option<Account> {
    let login = user.email.as_deref()?.trim();
    if login.is_empty() {
        return None;
    }
    Some(Account {
        reference: AccountRef::new(
            user.user_id.0.to_string(),
            Some(user.email_id.0.to_string()),
        ),
        profile: Profile {
            login: login.to_owned(),
            given_name: user.first_name.clone().unwrap_or_default(),
            family_name: user.last_name.clone().unwrap_or_default(),
        },
        active: !user.is_suspended(),
        created: date(user.created.as_ref()),
        modified: None,
    })
}

/// The two ids of a reference the core got from [`account`].
fn ids(account: &AccountRef) -> Result<(UserId, EmailId), TargetError> {
    let broken = || {
        TargetError::new(
            ErrorKind::Misconfigured,
            format!(
                "Allthenticate account {} is stored without its email_id; it cannot be addressed",
                account.id
            ),
        )
    };
    let user_id = account.id.parse().map_err(|_| broken())?;
    let email_id = account
        .detail
        .as_deref()
        .and_then(|d| d.parse().ok())
        .ok_or_else(broken)?;
    Ok((UserId(user_id), EmailId(email_id)))
}

/// The rank `change` asks for, or `None` to leave the user's rank alone: the highest desired
/// rank; with none desired, `REGULAR` when the current rank is the IdP's (a group maps it or
/// the bridge set it), else the rank an admin gave by hand stays.
pub fn wanted_rank(
    current: &Rank,
    change: &EntitlementChange,
) -> Result<Option<Rank>, TargetError> {
    let mut highest: Option<Rank> = None;
    for id in &change.desired {
        let rank = Rank::parse(id.as_str());
        if matches!(rank, Rank::Other(_)) {
            return Err(TargetError::new(
                ErrorKind::Misconfigured,
                format!("'{id}' is no Allthenticate rank (REGULAR, ADMIN or SUPER)"),
            ));
        }
        highest = Some(highest.map_or(rank.clone(), |h| h.max(rank)));
    }
    if highest.is_some() {
        return Ok(highest);
    }
    let current_id = rank_id(current);
    let ours = change.managed.contains(&current_id) || change.applied.contains(&current_id);
    Ok(ours.then_some(Rank::Regular))
}

impl AllthenticateTarget {
    pub fn new(client: AllthenticateClient, options: TargetOptions) -> Self {
        Self {
            client,
            options,
            accepted_at: Arc::new(Mutex::new(None)),
            listing: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    pub fn client(&self) -> &AllthenticateClient {
        &self.client
    }

    pub fn options(&self) -> TargetOptions {
        self.options
    }

    /// Notes what a call says about the key: a reply proves it, a refusal disproves it.
    fn noted<T>(&self, result: Result<T, AllthenticateError>) -> Result<T, TargetError> {
        let mut accepted = self.accepted_at.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok(_) => *accepted = Some(SystemTime::now()),
            Err(AllthenticateError::Unauthorized { .. }) => *accepted = None,
            Err(_) => {}
        }
        drop(accepted);
        result.map_err(classify)
    }

    /// A fresh listing, kept for the look-ups that follow.
    async fn users(&self) -> Result<Arc<Vec<User>>, TargetError> {
        let mut listing = self.listing.lock().await;
        let users = Arc::new(self.noted(self.client.list_users().await)?);
        *listing = Some((Instant::now(), users.clone()));
        Ok(users)
    }

    /// The listing of the last [`LISTING_TTL`], or a fresh one.
    async fn recent_users(&self) -> Result<Arc<Vec<User>>, TargetError> {
        let mut listing = self.listing.lock().await;
        if let Some((at, users)) = listing.as_ref()
            && at.elapsed() < LISTING_TTL
        {
            return Ok(users.clone());
        }
        let users = Arc::new(self.noted(self.client.list_users().await)?);
        *listing = Some((Instant::now(), users.clone()));
        Ok(users)
    }

    /// Drops the kept listing: the bridge just changed something in it.
    async fn changed<T>(&self, result: Result<T, AllthenticateError>) -> Result<T, TargetError> {
        *self.listing.lock().await = None;
        self.noted(result)
    }

    async fn user(&self, account: &AccountRef) -> Result<User, TargetError> {
        let (user_id, _) = ids(account)?;
        self.recent_users()
            .await?
            .iter()
            .find(|u| u.user_id == user_id)
            .cloned()
            .ok_or_else(|| {
                TargetError::new(
                    ErrorKind::NotFound,
                    format!("Allthenticate has no user {user_id}"),
                )
            })
    }
}

impl Target for AllthenticateTarget {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        *self.accepted_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        Ok(self.users().await?.iter().filter_map(account).collect())
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        Ok(self
            .users()
            .await?
            .iter()
            .filter_map(account)
            .find(|a| a.profile.login.eq_ignore_ascii_case(login)))
    }

    async fn create(&self, profile: &Profile) -> Result<Account, TargetError> {
        Err(TargetError::new(
            ErrorKind::Unsupported,
            format!(
                "Allthenticate creates users by invitation; {} is invited instead",
                profile.login
            ),
        ))
    }

    async fn invite(&self, profile: &Profile) -> Result<Option<Account>, TargetError> {
        let login = &profile.login;
        let outcome = self
            .changed(
                self.client
                    .invite(login, self.options.invite_without_email)
                    .await,
            )
            .await?;
        match outcome {
            InviteOutcome::Added | InviteOutcome::AlreadyMember => self.find_by_login(login).await,
            InviteOutcome::Invited => Ok(None),
            InviteOutcome::Invalid => Err(TargetError::new(
                ErrorKind::Rejected {
                    reason: format!("Allthenticate does not take {login} for an e-mail address"),
                },
                format!("Allthenticate refused to invite {login}"),
            )),
            InviteOutcome::Failed => Err(TargetError::new(
                ErrorKind::Rejected {
                    reason: format!(
                        "Allthenticate could not send the invitation to {login}; check the \
                         address, or invite without e-mail (ALLTHENTICATE_INVITE_WITHOUT_EMAIL)"
                    ),
                },
                format!("Allthenticate failed to invite {login}"),
            )),
        }
    }

    /// Deletes the pending invitation by e-mail, after checking that it is one: the same call
    /// would remove a member who accepted meanwhile (a [`ErrorKind::Conflict`] then).
    async fn withdraw_invitation(&self, login: &str) -> Result<(), TargetError> {
        let invites = self.noted(self.client.list_invites().await)?;
        let pending = invites
            .iter()
            .any(|i| i.email.trim().eq_ignore_ascii_case(login));
        if !pending {
            if self.find_by_login(login).await?.is_some() {
                return Err(TargetError::new(
                    ErrorKind::Conflict,
                    format!("{login} accepted the Allthenticate invitation meanwhile"),
                ));
            }
            return Err(TargetError::new(
                ErrorKind::NotFound,
                format!("no Allthenticate invitation waits for {login}"),
            ));
        }
        self.changed(self.client.delete_by_email(login).await).await
    }

    /// Names are the person's own in Allthenticate: nothing the bridge can write.
    async fn update_profile(
        &self,
        account: &AccountRef,
        _profile: &Profile,
    ) -> Result<(), TargetError> {
        Err(TargetError::new(
            ErrorKind::ReadOnly {
                reason: "Allthenticate users set their names in their own Allthenticate account"
                    .to_owned(),
            },
            format!("Allthenticate user {} keeps its own names", account.id),
        ))
    }

    /// Reads the state and toggles only when it differs, under the client's per-user lock.
    async fn set_active(&self, account: &AccountRef, active: bool) -> Result<(), TargetError> {
        let (_, email_id) = ids(account)?;
        self.changed(self.client.set_suspended(email_id, !active).await)
            .await
            .map(|_| ())
    }

    /// Removes the user from the organisation (with its groups and sole-owner policies).
    async fn delete(&self, account: &AccountRef) -> Result<(), TargetError> {
        let (_, email_id) = ids(account)?;
        self.changed(self.client.delete_user(email_id).await).await
    }

    /// The ranks (SUPER among them: whether a group may map it is the configuration's call).
    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        Ok(RANKS
            .iter()
            .map(|rank| Entitlement {
                id: rank_id(rank),
                display_name: rank.as_str().to_owned(),
                description: match rank {
                    Rank::Regular => "no administration rights",
                    Rank::Admin => "can add users, policies and groups",
                    _ => "can create admins and access billing",
                }
                .to_owned(),
            })
            .collect())
    }

    async fn entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        let user = self.user(account).await?;
        Ok(user.rank.iter().map(rank_id).collect())
    }

    /// One `/modifyrank` (by `user_id`), only when the rank changes.
    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let user = self.user(account).await?;
        let current = user.rank.clone().unwrap_or(Rank::Regular);
        let Some(rank) = wanted_rank(&current, change)? else {
            return Ok(());
        };
        if rank == Rank::Super && !self.options.allow_super_rank {
            return Err(TargetError::new(
                ErrorKind::Misconfigured,
                "a group maps the SUPER rank, which the configuration does not allow \
                 (allow_super_rank)",
            ));
        }
        self.changed(self.client.set_rank(&user, rank).await)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranks(ids: &[&str]) -> BTreeSet<EntitlementId> {
        ids.iter()
            .map(|i| EntitlementId::parse(i).unwrap())
            .collect()
    }

    fn change(desired: &[&str], applied: &[&str], managed: &[&str]) -> EntitlementChange {
        EntitlementChange {
            desired: ranks(desired),
            applied: ranks(applied),
            managed: ranks(managed),
        }
    }

    #[test]
    fn the_highest_desired_rank_wins() {
        let c = change(&["REGULAR", "ADMIN"], &[], &["ADMIN", "REGULAR"]);
        assert_eq!(wanted_rank(&Rank::Regular, &c).unwrap(), Some(Rank::Admin));
        let c = change(&["SUPER", "ADMIN"], &[], &[]);
        assert_eq!(wanted_rank(&Rank::Admin, &c).unwrap(), Some(Rank::Super));
    }

    #[test]
    fn no_desired_rank_drops_to_regular_only_when_the_rank_is_the_idps() {
        // Left the ADMIN group: back to REGULAR.
        let c = change(&[], &["ADMIN"], &["ADMIN"]);
        assert_eq!(wanted_rank(&Rank::Admin, &c).unwrap(), Some(Rank::Regular));
        // A deprovisioning carries only what was applied.
        let c = change(&[], &["ADMIN"], &[]);
        assert_eq!(wanted_rank(&Rank::Admin, &c).unwrap(), Some(Rank::Regular));
        // A SUPER given by hand, which no group maps, stays.
        let c = change(&[], &[], &["ADMIN"]);
        assert_eq!(wanted_rank(&Rank::Super, &c).unwrap(), None);
    }

    #[test]
    fn an_unknown_rank_is_a_configuration_error() {
        let c = change(&["OWNER"], &[], &[]);
        let err = wanted_rank(&Rank::Regular, &c).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Misconfigured));
        assert!(err.to_string().contains("OWNER"), "{err}");
    }

    #[test]
    fn an_account_carries_both_ids_and_reads_a_flask_date() {
        let user: User = serde_json::from_value(serde_json::json!({
            "user_id": 1001, "email_id": 500001, "email": "ann@corp.example",
            "first_name": "Ann", "last_name": "Lee", "status": "SUSPENDED",
            "created": "Wed, 01 May 2024 10:00:00 GMT"
        }))
        .unwrap();
        let account = account(&user).unwrap();
        assert_eq!(account.reference.id, "1001");
        assert_eq!(account.reference.detail.as_deref(), Some("500001"));
        assert!(!account.active);
        assert_eq!(
            account.created.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(
            ids(&account.reference).unwrap(),
            (UserId(1001), EmailId(500001))
        );
    }
}
