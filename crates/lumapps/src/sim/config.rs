//! Knobs of a simulator instance.
//!
//! Plain data chosen by the test or demo that starts the simulator. The defaults reproduce what
//! the reference documents or infers (a one-hour token, pages of 30 capped at 100) so that
//! `SimConfig::default()` behaves like a fresh, healthy organisation with one OAuth application
//! and one global administrator to impersonate.

use std::time::Duration;

/// Behaviour of one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The organisation (customer) id in `/v2/organizations/{org}/application-token`; also the
    /// `customer` field of every user and feed.
    pub org_id: String,
    /// The OAuth application's client id (HTTP Basic user on the token endpoint).
    pub client_id: String,
    /// The OAuth application's client secret (HTTP Basic password on the token endpoint).
    pub client_secret: String,
    /// Seeded at start as an enabled `external` user with `isSuperAdmin: true`, so a client can
    /// impersonate it right away.
    pub admin_email: String,
    /// Lifetime of an access token (about an hour in LumApps). Changeable at run time.
    pub token_lifetime: Duration,
    /// The largest page `user/list` and `feed/list` serve, whatever `maxResults` asks.
    pub page_cap: usize,
    /// When set, a listing's first page is followed by one `more: true` page with no items
    /// before the real second page (the edge case the SDK guards against). Changeable at run
    /// time.
    pub empty_page_before_next: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            org_id: "4664706704539648".to_owned(),
            client_id: "sim-lumapps-client".to_owned(),
            client_secret: "sim-lumapps-secret".to_owned(),
            admin_email: "admin@sim.lumapps.example".to_owned(),
            token_lifetime: Duration::from_secs(3600),
            page_cap: 100,
            empty_page_before_next: false,
        }
    }
}
