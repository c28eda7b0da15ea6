//! The inbound-security part of the settings: who may call the SCIM endpoint, how much they may
//! send, and over what.
//!
//! Kept apart from `config.rs` so that security settings and the rest evolve without touching
//! each other. `credentials.rs` reads the static tokens (`SCIM_BEARER_TOKENS`, the TOML's
//! `token_names` and `[[credentials]]`) and checks their names and scopes; `jwt.rs` turns a
//! `[credentials.jwt]` table into verification rules; `limits.rs` holds the request limits and
//! `tls.rs` the certificate and key. The secrets themselves are read by `config/secrets.rs`,
//! which the Falcon client secret shares. This file holds what they fill in: the variables
//! (`SecurityArgs`) and the result (`SecuritySettings`).

mod credentials;
mod jwt;
mod limits;
mod tls;

use std::path::PathBuf;

use crate::tls::TlsFiles;
use scim::limits::Limits;

pub use credentials::CredentialFile;
pub(super) use credentials::{BEARER_TOKENS, bearer_tokens, declared_credentials};
pub use jwt::{
    DEFAULT_JWKS_MAX_AGE_SECS, DEFAULT_JWKS_MIN_REFETCH_SECS, DEFAULT_JWT_LEEWAY_SECS, JwtFile,
    OneOrMany,
};
pub(super) use limits::limits;
pub(super) use tls::tls;

/// The security settings of the SCIM endpoint that all tenants share (each tenant's
/// credentials are its own: `TenantSettings::credentials`).
#[derive(Debug, Clone, Default)]
pub struct SecuritySettings {
    /// Request limits of the SCIM endpoint.
    pub limits: Limits,
    /// Serve HTTPS with these files (`BRIDGE_TLS_CERT`, `BRIDGE_TLS_KEY`); plain HTTP if unset.
    pub tls: Option<TlsFiles>,
}

/// The security variables of `serve` (flattened into `ServeArgs`). Unset means the default,
/// which each doc comment states.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecurityArgs {
    /// Largest SCIM request body in bytes (default 1048576); larger ones get 413.
    #[arg(long, env = "BRIDGE_MAX_BODY_BYTES")]
    pub bridge_max_body_bytes: Option<usize>,
    /// Most operations in one PATCH (default 10000).
    #[arg(long, env = "BRIDGE_MAX_PATCH_OPERATIONS")]
    pub bridge_max_patch_operations: Option<usize>,
    /// Longest filter in characters (default 4096).
    #[arg(long, env = "BRIDGE_MAX_FILTER_LENGTH")]
    pub bridge_max_filter_length: Option<usize>,
    /// Deepest filter nesting (default 16, at most 64).
    #[arg(long, env = "BRIDGE_MAX_FILTER_DEPTH")]
    pub bridge_max_filter_depth: Option<usize>,
    /// Largest page of a list, whatever `count` asks (default 1000).
    #[arg(long, env = "BRIDGE_MAX_RESULTS")]
    pub bridge_max_results: Option<usize>,
    /// Most group members one request may name (default 10000).
    #[arg(long, env = "BRIDGE_MAX_MEMBERS")]
    pub bridge_max_members: Option<usize>,
    /// Seconds a SCIM request may take before it is answered 504 (default 50).
    #[arg(long, env = "BRIDGE_REQUEST_TIMEOUT_SECS")]
    pub bridge_request_timeout_secs: Option<u64>,
    /// Writes (POST, PUT, PATCH, DELETE) per minute per credential (default 6000, Falcon's own
    /// rate); 0 turns the limit off, for reads too unless BRIDGE_RATE_LIMIT_READS_PER_MINUTE is set.
    #[arg(long, env = "BRIDGE_RATE_LIMIT_PER_MINUTE")]
    pub bridge_rate_limit_per_minute: Option<u32>,
    /// Writes a credential may make at once before the per-minute rate applies (default 6000).
    #[arg(long, env = "BRIDGE_RATE_LIMIT_BURST")]
    pub bridge_rate_limit_burst: Option<u32>,
    /// Reads (GET, HEAD) per minute per credential, a minute's worth at once (default 600000);
    /// 0 leaves reads unlimited.
    #[arg(long, env = "BRIDGE_RATE_LIMIT_READS_PER_MINUTE")]
    pub bridge_rate_limit_reads_per_minute: Option<u32>,
    /// PEM certificate chain: serve HTTPS instead of HTTP (with BRIDGE_TLS_KEY).
    #[arg(long, env = "BRIDGE_TLS_CERT")]
    pub bridge_tls_cert: Option<PathBuf>,
    /// PEM private key of BRIDGE_TLS_CERT.
    #[arg(long, env = "BRIDGE_TLS_KEY")]
    pub bridge_tls_key: Option<PathBuf>,
}

/// For the tests next door, which write TOML files and secrets for `Settings::from_args` to read.
#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub(super) fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fsb-sec-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
