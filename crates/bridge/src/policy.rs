//! What the operator decides about deprovisioning: how far `active:false` goes where the target
//! has no deactivation of its own, how many deprovisionings an hour are believable, what
//! becomes of a user a target cannot create, and whether target writes are sent at all.

/// What `active:false` does in a target whose deactivation is emulated (Falcon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprovisionMode {
    /// Revoke every entitlement, then delete the account.
    #[default]
    Delete,
    /// Revoke every entitlement and keep the account.
    RevokeOnly,
}

/// What `POST /Users` does for a login a target that cannot create accounts (Incydr) does not
/// have yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PendingUsers {
    /// Answer 201 and keep the user pending: the directory refresh links it once the account
    /// appears in the target, and then applies its active state and entitlements.
    #[default]
    Await,
    /// Answer 400, saying how the account gets into the target.
    Refuse,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub deprovision: DeprovisionMode,
    /// Deprovisionings allowed per rolling hour (the deletion guard; [`crate::guard::Counted`]
    /// says which); 0 allows none.
    pub max_deletions_per_hour: u32,
    /// Log and audit target writes instead of sending them.
    pub dry_run: bool,
    pub pending: PendingUsers,
    /// Which roles an IdP may give a user directly (none by default).
    pub direct_roles: crate::roles::DirectRoles,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            deprovision: DeprovisionMode::default(),
            max_deletions_per_hour: 25,
            dry_run: false,
            pending: PendingUsers::default(),
            direct_roles: Default::default(),
        }
    }
}
