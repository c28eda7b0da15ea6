//! The seam between the bridge's core and a provisioning target (Falcon, and later Incydr,
//! LumApps, Allthenticate).
//!
//! A target crate implements [`Target`] and speaks its own API behind it; the core drives any
//! [`Target`] and never sees a target's wire types. What the targets have in common is small;
//! what differs is declared in [`Capabilities`] (how create, deactivation and delete work, the
//! entitlement model, which profile attributes are writable) rather than discovered by matching
//! on a target's errors, which reach the core classified as a [`TargetError`] of one
//! [`ErrorKind`]. This crate depends on no other crate of the workspace, so a target crate that
//! depends only on it can see neither SCIM nor the core's internals.

mod account;
mod capabilities;
mod entitlement;
mod error;
pub mod trace;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::SystemTime;

pub use account::{Account, AccountRef, Profile};
pub use capabilities::{
    Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, EntitlementModel, Lookups, Naming,
    Paging, ProfileWrites,
};
pub use entitlement::{Entitlement, EntitlementChange, EntitlementId};
pub use error::{ErrorKind, TargetError};

/// A system the bridge provisions: its accounts, their active state and their entitlements.
///
/// Methods are desired-state where the targets differ: [`Target::set_active`] is implemented the
/// way the target deactivates, [`Target::set_entitlements`] computes its own diff or replacement.
/// Every method that writes is called by the core under the account's lock, at most once per
/// IdP request, and its outcome is audited by the core.
pub trait Target: Send + Sync + 'static {
    /// What this target can do; the same for the life of the process.
    fn capabilities(&self) -> &Capabilities;

    /// When the target last accepted the bridge's credentials, as far as the target's client
    /// knows without calling it: for [`Auth::OAuthClientCredentials`], when the token in use was
    /// obtained, or `None` when there is no valid one (none yet, expired, or refused).
    ///
    /// Readiness probes poll this, so it must be cheap and must not call the target; the
    /// calls the bridge makes anyway (the directory refresh) keep it current. The default,
    /// `None`, reports access as never proven: a target says how it knows rather than being
    /// taken as ready.
    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        None
    }

    /// Every account of the tenant (the directory's load and refresh, reconciliation), with as
    /// few calls as the API allows.
    fn list_accounts(&self) -> impl Future<Output = Result<Vec<Account>, TargetError>> + Send;

    /// The account whose login is `login`, compared case-insensitively.
    fn find_by_login(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<Account>, TargetError>> + Send;

    /// Creates an account with `profile` (only for [`CreateMode::Direct`]). A login the target
    /// already has is an error of kind [`ErrorKind::Conflict`] or [`ErrorKind::Rejected`]; the
    /// core then looks the login up and links to it.
    fn create(
        &self,
        profile: &Profile,
    ) -> impl Future<Output = Result<Account, TargetError>> + Send;

    /// Invites `profile`'s login (only for [`CreateMode::Invite`]): the account when the
    /// target added it at once (the person already had an account of the product), `None`
    /// when an invitation now waits for the person to accept it.
    fn invite(
        &self,
        profile: &Profile,
    ) -> impl Future<Output = Result<Option<Account>, TargetError>> + Send {
        let _ = profile;
        async {
            Err(TargetError::new(
                ErrorKind::Unsupported,
                "this target does not create users by invitation",
            ))
        }
    }

    /// Withdraws the invitation waiting for `login`; none waiting is [`ErrorKind::NotFound`].
    fn withdraw_invitation(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        let _ = login;
        async {
            Err(TargetError::new(
                ErrorKind::Unsupported,
                "this target does not create users by invitation",
            ))
        }
    }

    /// Sets the writable profile attributes ([`Capabilities::profile`]) to `profile`.
    fn update_profile(
        &self,
        account: &AccountRef,
        profile: &Profile,
    ) -> impl Future<Output = Result<(), TargetError>> + Send;

    /// Activates or deactivates the account the target's way ([`DeactivateMode`]); a target
    /// whose deactivation is [`DeactivateMode::Emulated`] answers [`ErrorKind::Unsupported`].
    /// Setting the state the account already has is not an error.
    fn set_active(
        &self,
        account: &AccountRef,
        active: bool,
    ) -> impl Future<Output = Result<(), TargetError>> + Send;

    /// Removes the account ([`DeleteMode`]); one the target no longer knows is
    /// [`ErrorKind::NotFound`].
    fn delete(&self, account: &AccountRef) -> impl Future<Output = Result<(), TargetError>> + Send;

    /// Every entitlement the tenant can grant.
    fn entitlement_catalogue(
        &self,
    ) -> impl Future<Output = Result<Vec<Entitlement>, TargetError>> + Send;

    /// The entitlements the account holds now, as the target reports them.
    fn entitlements(
        &self,
        account: &AccountRef,
    ) -> impl Future<Output = Result<BTreeSet<EntitlementId>, TargetError>> + Send;

    /// Makes the account hold `change.desired` of the entitlements the bridge manages.
    fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> impl Future<Output = Result<(), TargetError>> + Send;

    /// Creates a group of the target's own named `name`, which is then an entitlement like
    /// any other (only for [`EntitlementModel::GroupMembership`]). A name the target already
    /// has is an error of kind [`ErrorKind::Conflict`].
    fn create_group(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Entitlement, TargetError>> + Send {
        let _ = name;
        async { Err(no_groups()) }
    }

    /// Renames the target's group `id`.
    fn rename_group(
        &self,
        id: &EntitlementId,
        name: &str,
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        let _ = (id, name);
        async { Err(no_groups()) }
    }

    /// Deletes the target's group `id`; its members lose it.
    fn delete_group(
        &self,
        id: &EntitlementId,
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        let _ = id;
        async { Err(no_groups()) }
    }

    /// The accounts in the target's group `id`, in as few calls as the API allows (the members
    /// a group had before the bridge adopted it; reconciliation reads each group once instead of
    /// each account's groups). An unknown group is [`ErrorKind::NotFound`].
    fn group_members(
        &self,
        id: &EntitlementId,
    ) -> impl Future<Output = Result<Vec<AccountRef>, TargetError>> + Send {
        let _ = id;
        async { Err(no_groups()) }
    }

    /// Adds `added` to, and removes `removed` from, the target's group `id` in as few calls as
    /// the target allows (one group change of the IdP, however many members).
    fn change_group_members(
        &self,
        id: &EntitlementId,
        added: &[AccountRef],
        removed: &[AccountRef],
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        let _ = (id, added, removed);
        async { Err(no_groups()) }
    }
}

/// What a target without groups of its own answers to the group calls.
fn no_groups() -> TargetError {
    TargetError::new(
        ErrorKind::Unsupported,
        "this target has no groups of its own: its entitlements are roles",
    )
}
