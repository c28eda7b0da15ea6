//! Knobs of a simulator instance and the description of an API client.
//!
//! Everything here is plain data chosen by the test or demo that starts the simulator; the
//! defaults reproduce Falcon's documented behaviour (token lifetime, rate limits) so that a
//! simulator built with `SimConfig::default()` behaves like a fresh, healthy tenant.

use std::time::Duration;

/// How a successful envelope carries `errors` (real Falcon replies differ, and the client must
/// cope with all three).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorsStyle {
    /// No `errors` key at all (what the captured user-management replies show).
    #[default]
    Absent,
    /// `"errors": []`.
    Empty,
    /// `"errors": null`.
    Null,
}

/// Behaviour of one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Lifetime of an access token; Falcon issues 1799 s.
    pub token_lifetime: Duration,
    /// Requests per CID within the sliding 60 s window; Falcon's default is 6000. A call counts
    /// against the home CID of the API client that made it.
    pub rate_limit_per_minute: u32,
    /// How far CombinedUserRolesV2 lags behind grant/revoke calls (Falcon is eventually
    /// consistent; Terraform has seen more than 30 s).
    pub grant_read_lag: Duration,
    /// Extra latency added to every `/user-management` call.
    pub latency: Duration,
    /// E-mail domains createUserV1 accepts (case-insensitive); `None` accepts any domain.
    pub allowed_domains: Option<Vec<String>>,
    /// Serve the unauthenticated `/_sim/` test controls.
    pub controls_enabled: bool,
    /// How successful envelopes carry `errors`.
    pub errors_style: ErrorsStyle,
    /// Seed the catalogue of default roles and the custom roles.
    pub seed_roles: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(1799),
            rate_limit_per_minute: 6000,
            grant_read_lag: Duration::ZERO,
            latency: Duration::ZERO,
            allowed_domains: None,
            controls_enabled: false,
            errors_style: ErrorsStyle::Absent,
            seed_roles: true,
        }
    }
}

/// The "User management" scope of an API client, fixed at creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
}

impl Scopes {
    pub const READ_WRITE: Self = Self {
        read: true,
        write: true,
    };
    pub const READ_ONLY: Self = Self {
        read: true,
        write: false,
    };
    pub const WRITE_ONLY: Self = Self {
        read: false,
        write: true,
    };
}

/// An API client as created in the Falcon console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClientSpec {
    /// 32 lowercase hex characters.
    pub client_id: String,
    /// 40 characters.
    pub client_secret: String,
    /// The CID the client belongs to (32 lowercase hex, no checksum suffix). Its calls are
    /// charged to this CID's rate-limit window, whatever `member_cid` its token acts in.
    pub cid: String,
    pub scopes: Scopes,
    /// `X-Cs-Region` value sent on token replies, e.g. `us-1`.
    pub region: String,
}
