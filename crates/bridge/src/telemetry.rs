//! The metrics the core records. Their names are part of the operator's contract (alerts and
//! dashboards use them): change one only with a note in the README's metrics table.

/// Users deprovisioned, by `mode`: `delete` (entitlements revoked, account deleted),
/// `revoke-only` (entitlements revoked, account kept) or `deactivate` (the target's own).
pub const DEPROVISIONINGS: &str = "bridge_deprovisionings_total";
/// Deprovisionings refused by the deletion guard.
pub const GUARD_REFUSALS: &str = "bridge_deletion_guard_refusals_total";
/// Group members the bridge did not know, ignored.
pub const UNKNOWN_MEMBERS: &str = "bridge_unknown_group_members_total";
/// Groups created whose name maps to no entitlement of the target.
pub const UNMAPPED_GROUPS: &str = "bridge_unmapped_groups_total";
/// Users in the in-memory directory.
pub const DIRECTORY_USERS: &str = "bridge_directory_users";
/// Unix time of the last successful directory refresh.
pub const DIRECTORY_REFRESHED: &str = "bridge_directory_refreshed_timestamp_seconds";
/// Drift found by the last reconciliation, by `kind`.
pub const DRIFT: &str = "bridge_drift";
/// Users provisioned on a target that cannot create accounts and not linked to one yet.
pub const PENDING_USERS: &str = "bridge_pending_users";
/// Requests that gave up waiting for another replica working on the same identity (503).
pub const REPLICA_LOCK_TIMEOUTS: &str = "bridge_replica_lock_timeouts_total";
/// Rows of the change log (writes of any replica, this one's included) applied to memory.
pub const CHANGES_APPLIED: &str = "bridge_replica_changes_applied_total";
/// Users whose change a replica that died left half-done, finished by this one.
pub const ABANDONED_FINISHED: &str = "bridge_abandoned_changes_finished_total";
