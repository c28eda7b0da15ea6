//! The metrics the SCIM layer records. Their names are part of the operator's contract (alerts
//! and dashboards use them): change one only with a note in the README's metrics table.

/// SCIM requests refused by authentication or scope, by `reason` (`missing`, `unknown-token`,
/// `read-only`, or the JWT check that failed).
pub const AUTH_REFUSALS: &str = "scim_auth_refusals_total";
/// SCIM requests refused by the per-credential rate limit, by `credential` (its name) and
/// `kind` (`read` or `write`, the budget that ran out).
pub const RATE_LIMITED: &str = "scim_rate_limited_total";
