//! The metrics the Falcon client records. Their names are part of the operator's contract
//! (alerts and dashboards use them): change one only with a note in the README's metrics table.

/// Falcon calls, by `operation` (Falcon's operation id) and `status` (HTTP status or `error`).
pub const FALCON_CALLS: &str = "falcon_calls_total";
/// Falcon call latency in seconds, by `operation` and `status`.
pub const FALCON_CALL_SECONDS: &str = "falcon_call_duration_seconds";
/// 429s Falcon answered.
pub const FALCON_THROTTLED: &str = "falcon_throttled_total";
/// Milliseconds spent waiting because of Falcon's rate limit (an integer counter).
pub const FALCON_THROTTLE_WAIT_MS: &str = "falcon_throttle_wait_milliseconds_total";
/// Access tokens obtained.
pub const FALCON_TOKEN_REFRESHES: &str = "falcon_token_refreshes_total";
