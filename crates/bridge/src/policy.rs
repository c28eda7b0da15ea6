//! What the operator decides about deprovisioning: how far `active:false` goes where the target
//! has no deactivation of its own, how many deprovisionings an hour are believable, and whether
//! target writes are sent at all.

/// What `active:false` does in a target whose deactivation is emulated (Falcon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprovisionMode {
    /// Revoke every entitlement, then delete the account.
    #[default]
    Delete,
    /// Revoke every entitlement and keep the account.
    RevokeOnly,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub deprovision: DeprovisionMode,
    /// Account deletions allowed per rolling hour (the deletion guard); 0 allows none.
    pub max_deletions_per_hour: u32,
    /// Log and audit target writes instead of sending them.
    pub dry_run: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            deprovision: DeprovisionMode::default(),
            max_deletions_per_hour: 25,
            dry_run: false,
        }
    }
}
