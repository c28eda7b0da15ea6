//! Knobs of a simulator instance.
//!
//! Plain data chosen by the test or demo that starts the simulator. The defaults reproduce what
//! the reference documents (a 15-minute token) so that `SimConfig::default()` behaves like a
//! fresh, healthy tenant with one API client.

use std::time::Duration;

use crate::model::TOKEN_LIFETIME_SECS;

/// Behaviour of one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The API client id accepted by `POST /v1/oauth` (HTTP Basic user).
    pub client_id: String,
    /// The API client secret accepted by `POST /v1/oauth` (HTTP Basic password).
    pub client_secret: String,
    /// The `tenantUid` claim carried by every access token.
    pub tenant_uid: String,
    /// Lifetime of an access token; Incydr announces 900 s. Changeable at run time.
    pub token_lifetime: Duration,
    /// Extra latency added to every API call (not to the `/_sim/` controls).
    pub latency: Duration,
    /// Serve the unauthenticated `/_sim/` test controls.
    pub controls_enabled: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_id: "key-sim-incydr-client".to_owned(),
            client_secret: "sim-incydr-secret".to_owned(),
            tenant_uid: "sim-tenant-0000-0000-0000-000000000001".to_owned(),
            token_lifetime: Duration::from_secs(TOKEN_LIFETIME_SECS),
            latency: Duration::ZERO,
            controls_enabled: true,
        }
    }
}
