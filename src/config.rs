//! Settings: environment variables first (each also a `--flag`), secrets also from `NAME_FILE`,
//! an optional TOML file (`BRIDGE_CONFIG`) for what does not fit in a variable, all validated at
//! start so that a bad value stops the bridge with one line naming the variable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use bridge::roles::{DirectRoles, RoleAllowlist};
use bridge::store::Engine;
use bridge::{DeprovisionMode, PendingUsers, Policy};
use scim::auth::CredentialSpec;

// Inbound security (credentials, scopes, limits, TLS) lives in `config/security/`; the target's
// settings in `config/target.rs`; reading secrets from variables and files, shared by both, in
// `config/secrets.rs`.
mod secrets;
pub mod security;
mod target;
mod tenants;

pub use target::{AllthenticateSettings, TargetKind, TargetSettings};
pub use tenants::{TenantFile, TenantName, TenantSettings};

/// `serve`'s settings as the command line and environment give them (see `main.rs`). `check`
/// and `reconcile` take the same flags and variables but read only the core part
/// ([`CoreSettings`]): they need no SCIM credential.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// The system the bridge provisions: falcon, incydr, lumapps or allthenticate. Only its own
    /// variables are read.
    #[arg(
        long,
        env = "BRIDGE_TARGET",
        value_enum,
        ignore_case = true,
        default_value_t = TargetKind::Falcon
    )]
    pub bridge_target: TargetKind,
    /// Falcon API client id (User management: Read + Write).
    #[arg(long, env = "FALCON_CLIENT_ID")]
    pub falcon_client_id: Option<String>,
    /// Falcon API client secret (or FALCON_CLIENT_SECRET_FILE).
    #[arg(long, env = "FALCON_CLIENT_SECRET", hide_env_values = true)]
    pub falcon_client_secret: Option<String>,
    /// Falcon cloud: us-1, us-2, eu-1, us-gov-1, us-gov-2, us-3.
    #[arg(long, env = "FALCON_CLOUD", default_value = "us-1")]
    pub falcon_cloud: String,
    /// Any http(s) base URL; overrides FALCON_CLOUD (the simulator, a proxy).
    #[arg(long, env = "FALCON_BASE_URL")]
    pub falcon_base_url: Option<String>,
    /// Act inside this child CID (Flight Control).
    #[arg(long, env = "FALCON_MEMBER_CID")]
    pub falcon_member_cid: Option<String>,
    /// Incydr API base URL, after the tenant's console domain: e.g. https://api.us.code42.com.
    #[arg(long, env = "INCYDR_BASE_URL")]
    pub incydr_base_url: Option<String>,
    /// Incydr API client id (its role decides what the bridge may do).
    #[arg(long, env = "INCYDR_CLIENT_ID")]
    pub incydr_client_id: Option<String>,
    /// Incydr API client secret (or INCYDR_CLIENT_SECRET_FILE).
    #[arg(long, env = "INCYDR_CLIENT_SECRET", hide_env_values = true)]
    pub incydr_client_secret: Option<String>,
    /// Users per page when the Incydr directory is loaded (default 100, the SDK's). Incydr does
    /// not document its maximum; a larger page means fewer calls per refresh.
    #[arg(long, env = "INCYDR_PAGE_SIZE")]
    pub incydr_page_size: Option<u32>,
    /// LumApps cell of the customer, e.g. https://go-cell-001.api.lumapps.com (shown in the
    /// platform's debug dialog).
    #[arg(long, env = "LUMAPPS_BASE_URL")]
    pub lumapps_base_url: Option<String>,
    /// LumApps organisation (customer) id.
    #[arg(long, env = "LUMAPPS_ORGANIZATION_ID")]
    pub lumapps_organization_id: Option<String>,
    /// LumApps OAuth application client id.
    #[arg(long, env = "LUMAPPS_CLIENT_ID")]
    pub lumapps_client_id: Option<String>,
    /// LumApps OAuth application client secret (or LUMAPPS_CLIENT_SECRET_FILE).
    #[arg(long, env = "LUMAPPS_CLIENT_SECRET", hide_env_values = true)]
    pub lumapps_client_secret: Option<String>,
    /// The LumApps global administrator every token impersonates.
    #[arg(long, env = "LUMAPPS_ADMIN_EMAIL")]
    pub lumapps_admin_email: Option<String>,
    /// Allthenticate API base URL (no public one is documented: the organisation's).
    #[arg(long, env = "ALLTHENTICATE_BASE_URL")]
    pub allthenticate_base_url: Option<String>,
    /// Allthenticate API key, from the admin portal's Settings > API Keys (or
    /// ALLTHENTICATE_API_KEY_FILE).
    #[arg(long, env = "ALLTHENTICATE_API_KEY", hide_env_values = true)]
    pub allthenticate_api_key: Option<String>,
    /// The header the Allthenticate key travels in: `Authorization` (the default) carries
    /// `Bearer <key>`, any other header the bare key.
    #[arg(long, env = "ALLTHENTICATE_API_KEY_HEADER")]
    pub allthenticate_api_key_header: Option<String>,
    /// Invite new Allthenticate users without Allthenticate's e-mail (`no_email`): the IdP or an
    /// admin tells the person.
    #[arg(long, env = "ALLTHENTICATE_INVITE_WITHOUT_EMAIL", default_value_t = false, action = clap::ArgAction::Set)]
    pub allthenticate_invite_without_email: bool,
    /// Let a `[groups]` mapping grant Allthenticate's SUPER rank (billing, creating admins);
    /// overrides `allow_super_rank` of the `[allthenticate]` table of BRIDGE_CONFIG when set.
    #[arg(long, env = "ALLTHENTICATE_ALLOW_SUPER_RANK", action = clap::ArgAction::Set)]
    pub allthenticate_allow_super_rank: Option<bool>,
    /// Comma-separated bearer tokens the IdPs present (or SCIM_BEARER_TOKENS_FILE).
    #[arg(long, env = "SCIM_BEARER_TOKENS", hide_env_values = true)]
    pub scim_bearer_tokens: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "BRIDGE_LISTEN", default_value = "0.0.0.0:8080")]
    pub bridge_listen: String,
    /// The store: `sqlite://FILE` (one replica) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "BRIDGE_DATABASE_URL",
        default_value = "sqlite://falcon-scim-bridge.db"
    )]
    pub bridge_database_url: String,
    /// Connections to PostgreSQL this replica may hold (SQLite ignores it).
    #[arg(long, env = "BRIDGE_DATABASE_POOL_SIZE", default_value_t = bridge::store::DEFAULT_POSTGRES_POOL)]
    pub bridge_database_pool_size: u32,
    /// Path of the optional TOML configuration file.
    #[arg(long, env = "BRIDGE_CONFIG")]
    pub bridge_config: Option<PathBuf>,
    /// Public base URL of the SCIM endpoint for `Location` headers (default: from the Host header).
    #[arg(long, env = "BRIDGE_PUBLIC_URL")]
    pub bridge_public_url: Option<String>,
    /// Seconds between refreshes of the in-memory directory of Falcon users.
    #[arg(long, env = "BRIDGE_DIRECTORY_REFRESH_SECS", default_value_t = 300)]
    pub bridge_directory_refresh_secs: u64,
    /// What `active:false` does: `delete` (revoke roles, delete the Falcon user) or `revoke-only`.
    #[arg(long, env = "BRIDGE_DEPROVISION", default_value = "delete")]
    pub bridge_deprovision: String,
    /// Deletion guard: user deletions (deactivations where the target cannot delete, e.g.
    /// Incydr) allowed per rolling hour; 0 allows none.
    #[arg(long, env = "BRIDGE_MAX_DELETIONS_PER_HOUR", default_value_t = 25)]
    pub bridge_max_deletions_per_hour: u32,
    /// `POST /Users` of a login a target that cannot create users (Incydr) does not have yet:
    /// `await` (201; the user is pending until it appears there) or `refuse` (SCIM 400).
    #[arg(long, env = "BRIDGE_PENDING_USERS", value_enum, ignore_case = true, default_value_t = PendingArg::Await)]
    pub bridge_pending_users: PendingArg,
    /// Read from Falcon but only log (and audit as `dry-run`) the writes.
    #[arg(long, env = "BRIDGE_DRY_RUN", default_value_t = false, action = clap::ArgAction::Set)]
    pub bridge_dry_run: bool,
    /// Seconds between background reconciliations (report only); 0 turns them off.
    #[arg(long, env = "BRIDGE_RECONCILE_INTERVAL_SECS", default_value_t = 3600)]
    pub bridge_reconcile_interval_secs: u64,
    /// Share of Falcon's rate limit (percent, 1-100) a reconciliation may use.
    #[arg(long, env = "BRIDGE_RECONCILE_RATE_PERCENT", default_value_t = 10)]
    pub bridge_reconcile_rate_percent: u8,
    /// Limits and TLS (see `config/security/`).
    #[command(flatten)]
    pub security: security::SecurityArgs,
}

/// The values of `BRIDGE_PENDING_USERS` (see [`PendingUsers`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PendingArg {
    /// 201, and the user is pending until the target has it.
    #[default]
    Await,
    /// SCIM 400 saying how the user gets into the target.
    Refuse,
}

/// The optional TOML file. Unknown keys are an error: a typo must not silently do nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Names for the bearer tokens, in the order of SCIM_BEARER_TOKENS (logs and audit).
    #[serde(default)]
    pub token_names: Vec<String>,
    /// Refuse (SCIM 400) a `POST /Groups` whose name maps to no Falcon role, instead of
    /// accepting it with no roles.
    #[serde(default)]
    pub refuse_unmapped_groups: bool,
    /// Group display name -> the target's role ids its members get: a list, or one id alone
    /// (`"Allthenticate Admins" = "ADMIN"`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Named, scoped inbound credentials (see `config/security/credentials.rs`).
    #[serde(default)]
    pub credentials: Vec<security::CredentialFile>,
    /// What only Allthenticate reads (`BRIDGE_TARGET=allthenticate`).
    #[serde(default)]
    pub allthenticate: AllthenticateFile,
    /// Roles an IdP may give a user directly: ids or display names, or `"*"` for all; none by
    /// default.
    #[serde(default, deserialize_with = "allowlist")]
    pub assignable_roles: RoleAllowlist,
    /// IdP value -> role id or display name, for values that cannot equal a role id.
    #[serde(default)]
    pub role_aliases: BTreeMap<String, String>,
    /// Several tenants, each with its target, credentials and policy (see `config/tenants.rs`);
    /// none: one tenant configured by the variables, served at `/scim/v2`.
    #[serde(default)]
    pub tenants: Vec<TenantFile>,
}

/// `assignable_roles`: `"*"`, one name, or a list of names.
fn allowlist<'de, D>(deserializer: D) -> Result<RoleAllowlist, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(all) if all.trim() == "*" => RoleAllowlist::All,
        OneOrMany::One(name) => RoleAllowlist::Listed(vec![name]),
        OneOrMany::Many(names) => RoleAllowlist::Listed(names),
    })
}

/// The `[allthenticate]` table of the TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllthenticateFile {
    /// Whether a `[groups]` entry may map Allthenticate's SUPER rank (billing, creating
    /// admins); without it such a mapping stops the start.
    #[serde(default)]
    pub allow_super_rank: bool,
}

/// A `[groups]` value: a list of ids, or one id alone.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "an id (\"ADMIN\") or a list of ids ([\"a\", \"b\"])"
)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn one_or_many<'de, D>(deserializer: D) -> Result<BTreeMap<String, Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let groups = BTreeMap::<String, OneOrMany>::deserialize(deserializer)?;
    Ok(groups
        .into_iter()
        .map(|(group, ids)| {
            let ids = match ids {
                OneOrMany::One(id) => vec![id],
                OneOrMany::Many(ids) => ids,
            };
            (group, ids)
        })
        .collect())
}

/// What the provisioning core needs, and all that `check` and `reconcile` need: the target and
/// access to it, the store, the policy (deprovisioning, deletion guard, dry run), the group
/// mapping and the reconciler's share of the target's rate limit.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// The tenant of a bridge serving several; `None` for the one tenant of a configuration
    /// without `[[tenants]]`.
    pub tenant: Option<TenantName>,
    pub target: TargetSettings,
    pub database_url: String,
    /// Connections to PostgreSQL (SQLite ignores it).
    pub database_pool: u32,
    pub policy: Policy,
    /// Group display name -> the target's role ids, from the TOML file.
    pub group_roles: BTreeMap<String, Vec<String>>,
    pub refuse_unmapped_groups: bool,
    pub reconcile: ReconcileSchedule,
}

/// `serve`'s settings: each tenant's (its core's and its credentials), and the SCIM endpoint's
/// (address, limits, TLS).
#[derive(Debug, Clone)]
pub struct Settings {
    /// One without a name (a configuration without `[[tenants]]`, served at `/scim/v2`), or
    /// the `[[tenants]]` of the file, each at `/t/{name}/scim/v2`.
    pub tenants: Vec<TenantSettings>,
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub directory_refresh: Duration,
    /// Limits and TLS (see `config/security/`).
    pub security: security::SecuritySettings,
}

/// When `serve` reconciles in the background, and how much of Falcon's rate limit it may use.
#[derive(Debug, Clone)]
pub struct ReconcileSchedule {
    /// `None`: never.
    pub interval: Option<Duration>,
    /// Falcon calls per minute the reconciler may make.
    pub calls_per_minute: u32,
}

/// Falcon's default rate limit per CID, in calls a minute: the reconciler's share
/// (`BRIDGE_RECONCILE_RATE_PERCENT`) is a percentage of it. Incydr publishes no rate limit, so
/// its reconciler is paced on the same basis.
const FALCON_CALLS_PER_MINUTE: u32 = 6000;

impl Default for ReconcileSchedule {
    fn default() -> Self {
        Self {
            interval: None,
            calls_per_minute: FALCON_CALLS_PER_MINUTE / 10,
        }
    }
}

/// Problems inside the TOML file are reported against the variable that names the file.
const CONFIG: &str = "BRIDGE_CONFIG";

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl CoreSettings {
    /// The core's settings alone: no SCIM credential, address or limit is read. With
    /// `[[tenants]]` this is an error naming them: see [`CoreSettings::for_tenant`].
    pub fn from_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        Self::for_tenant(args, None)
    }

    /// [`CoreSettings::from_args`], or with `[[tenants]]` those of `tenant`, which must then be
    /// given.
    pub fn for_tenant(args: &ServeArgs, tenant: Option<&str>) -> Result<Self, ConfigError> {
        let mut all = Self::all_from_args(args)?;
        match tenant {
            None if all.len() == 1 && all[0].tenant.is_none() => Ok(all.remove(0)),
            None => Err(invalid(
                CONFIG,
                format!(
                    "name the tenant with --tenant: {}",
                    tenant_names(&all).join(", ")
                ),
            )),
            Some(name) => {
                let names = tenant_names(&all);
                all.into_iter()
                    .find(|c| c.tenant.as_ref().is_some_and(|t| t.as_str() == name))
                    .ok_or_else(|| {
                        invalid(
                            CONFIG,
                            format!(
                                "no tenant is named '{name}' (there are: {})",
                                if names.is_empty() {
                                    "none".to_owned()
                                } else {
                                    names.join(", ")
                                }
                            ),
                        )
                    })
            }
        }
    }

    /// Every tenant's core settings: one without a name when there are no `[[tenants]]`.
    pub fn all_from_args(args: &ServeArgs) -> Result<Vec<Self>, ConfigError> {
        let file = file_config(args)?;
        if file.tenants.is_empty() {
            return Ok(vec![Self::from_parts(args, &file)?]);
        }
        Ok(tenants::tenants(args, &file)?
            .into_iter()
            .map(|t| t.core)
            .collect())
    }

    fn from_parts(args: &ServeArgs, file: &FileConfig) -> Result<Self, ConfigError> {
        let target = TargetSettings::from_args(args, file)?;
        match bridge::store::Engine::of(&args.bridge_database_url) {
            None => {
                return Err(invalid(
                    "BRIDGE_DATABASE_URL",
                    "use sqlite:///data/falcon-scim-bridge.db (one replica) or \
                     postgres://USER@HOST:5432/DB (the password from PGPASSWORD or in the URL)",
                ));
            }
            Some(Engine::Postgres) if args.bridge_database_pool_size == 0 => {
                return Err(invalid("BRIDGE_DATABASE_POOL_SIZE", "must be at least 1"));
            }
            Some(_) => {}
        }
        let deprovision = match args.bridge_deprovision.as_str() {
            "delete" => DeprovisionMode::Delete,
            "revoke-only" => DeprovisionMode::RevokeOnly,
            other => {
                return Err(invalid(
                    "BRIDGE_DEPROVISION",
                    format!("'{other}' is neither 'delete' nor 'revoke-only'"),
                ));
            }
        };
        let pending = match args.bridge_pending_users {
            PendingArg::Await => PendingUsers::Await,
            PendingArg::Refuse => PendingUsers::Refuse,
        };
        if !(1..=100).contains(&args.bridge_reconcile_rate_percent) {
            return Err(invalid(
                "BRIDGE_RECONCILE_RATE_PERCENT",
                "must be between 1 and 100",
            ));
        }
        let reconcile = ReconcileSchedule {
            interval: (args.bridge_reconcile_interval_secs > 0)
                .then(|| Duration::from_secs(args.bridge_reconcile_interval_secs)),
            calls_per_minute: FALCON_CALLS_PER_MINUTE
                * u32::from(args.bridge_reconcile_rate_percent)
                / 100,
        };
        Ok(CoreSettings {
            tenant: None,
            target,
            database_url: args.bridge_database_url.clone(),
            database_pool: args.bridge_database_pool_size,
            policy: Policy {
                deprovision,
                max_deletions_per_hour: args.bridge_max_deletions_per_hour,
                dry_run: args.bridge_dry_run,
                pending,
                direct_roles: DirectRoles {
                    allowlist: file.assignable_roles.clone(),
                    aliases: file.role_aliases.clone(),
                },
            },
            group_roles: file.groups.clone(),
            refuse_unmapped_groups: file.refuse_unmapped_groups,
            reconcile,
        })
    }
}

impl Settings {
    pub fn from_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        let file = file_config(args)?;
        let tenants = if file.tenants.is_empty() {
            let core = CoreSettings::from_parts(args, &file)?;
            let bearer_tokens = security::bearer_tokens(args.scim_bearer_tokens.clone(), &file)?;
            let declared = security::declared_credentials(&file, &bearer_tokens)?;
            let credentials = bearer_tokens
                .into_iter()
                .map(|(name, token)| CredentialSpec::static_token(name, token))
                .chain(declared)
                .collect();
            vec![TenantSettings { core, credentials }]
        } else {
            tenants::tenants(args, &file)?
        };
        let security = security::SecuritySettings {
            limits: security::limits(&args.security)?,
            tls: security::tls(&args.security)?,
        };
        let listen = args.bridge_listen.parse().map_err(|_| {
            invalid(
                "BRIDGE_LISTEN",
                format!("'{}' is not an address:port", args.bridge_listen),
            )
        })?;
        if let Some(url) = &args.bridge_public_url {
            url::Url::parse(url)
                .map_err(|e| invalid("BRIDGE_PUBLIC_URL", format!("not a URL ({e})")))?;
        }
        if args.bridge_directory_refresh_secs == 0 {
            return Err(invalid(
                "BRIDGE_DIRECTORY_REFRESH_SECS",
                "must be at least 1",
            ));
        }
        Ok(Settings {
            tenants,
            listen,
            public_url: args
                .bridge_public_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned()),
            directory_refresh: Duration::from_secs(args.bridge_directory_refresh_secs),
            security,
        })
    }
}

fn tenant_names(all: &[CoreSettings]) -> Vec<String> {
    all.iter()
        .filter_map(|c| c.tenant.as_ref().map(ToString::to_string))
        .collect()
}

/// What `check` says about the settings only `serve` needs (it needs none of them itself).
#[derive(Debug)]
pub enum ServeReadiness {
    /// `serve` would start with these settings.
    Ready(Box<Settings>),
    /// No SCIM credential is configured at all: fine for `check` and `reconcile`, not for `serve`.
    NoCredentials,
    /// `serve` would stop at start with this.
    Invalid(ConfigError),
}

impl ServeReadiness {
    pub fn of(args: &ServeArgs) -> Self {
        match Settings::from_args(args) {
            Ok(settings) => Self::Ready(Box::new(settings)),
            Err(e) if e.var == security::BEARER_TOKENS && !args.names_bearer_tokens() => {
                Self::NoCredentials
            }
            Err(e) => Self::Invalid(e),
        }
    }
}

impl ServeArgs {
    /// Whether `SCIM_BEARER_TOKENS` (or `SCIM_BEARER_TOKENS_FILE`) is given at all.
    fn names_bearer_tokens(&self) -> bool {
        self.scim_bearer_tokens
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            || std::env::var_os(format!("{}_FILE", security::BEARER_TOKENS)).is_some()
    }
}

/// The TOML file `BRIDGE_CONFIG` names, or an empty one.
fn file_config(args: &ServeArgs) -> Result<FileConfig, ConfigError> {
    match &args.bridge_config {
        Some(path) => read_file_config(path),
        None => Ok(FileConfig::default()),
    }
}

fn required(value: Option<String>, var: &'static str) -> Result<String, ConfigError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(var, "required but not set"))
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            "BRIDGE_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    toml::from_str(&text).map_err(|e| invalid("BRIDGE_CONFIG", format!("{}: {e}", path.display())))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn args() -> ServeArgs {
        ServeArgs {
            falcon_client_id: Some("0123456789abcdef0123456789abcdef".into()),
            falcon_client_secret: Some("s".repeat(40)),
            falcon_cloud: "us-1".into(),
            scim_bearer_tokens: Some("a".repeat(40)),
            bridge_listen: "127.0.0.1:8080".into(),
            bridge_database_url: "sqlite::memory:".into(),
            bridge_directory_refresh_secs: 300,
            bridge_deprovision: "delete".into(),
            bridge_max_deletions_per_hour: 25,
            bridge_reconcile_interval_secs: 3600,
            bridge_reconcile_rate_percent: 10,
            ..Default::default()
        }
    }

    #[test]
    fn good_settings_load() {
        let s = Settings::from_args(&args()).unwrap();
        let TargetSettings::Falcon(cfg) = &s.tenants[0].core.target else {
            panic!("{:?}", s.tenants[0].core.target);
        };
        assert_eq!(cfg.base_url, "https://api.crowdstrike.com");
        assert_eq!(cfg.expected_region, Some(falcon::Region::Us1));
        assert_eq!(s.tenants[0].credentials[0].name, "token-1");
        assert_eq!(s.tenants[0].core.policy.pending, PendingUsers::Await);
        let refuse = Settings::from_args(&ServeArgs {
            bridge_pending_users: PendingArg::Refuse,
            ..args()
        })
        .unwrap();
        assert_eq!(refuse.tenants[0].core.policy.pending, PendingUsers::Refuse);
    }

    #[test]
    fn each_problem_names_its_variable() {
        let cases: Vec<(ServeArgs, &str)> = vec![
            (
                ServeArgs {
                    falcon_client_id: None,
                    ..args()
                },
                "FALCON_CLIENT_ID: required",
            ),
            (
                ServeArgs {
                    falcon_cloud: "eu-9".into(),
                    ..args()
                },
                "FALCON_CLOUD: unknown Falcon cloud 'eu-9'",
            ),
            (
                ServeArgs {
                    falcon_base_url: Some("ftp://x".into()),
                    ..args()
                },
                "FALCON_BASE_URL",
            ),
            (
                ServeArgs {
                    scim_bearer_tokens: Some(" , ".into()),
                    ..args()
                },
                "SCIM_BEARER_TOKENS",
            ),
            (
                ServeArgs {
                    bridge_listen: "nowhere".into(),
                    ..args()
                },
                "BRIDGE_LISTEN",
            ),
            (
                ServeArgs {
                    bridge_deprovision: "suspend".into(),
                    ..args()
                },
                "BRIDGE_DEPROVISION",
            ),
            (
                ServeArgs {
                    bridge_database_url: "mysql://bridge@db/scim".into(),
                    ..args()
                },
                "BRIDGE_DATABASE_URL: use sqlite://",
            ),
            (
                ServeArgs {
                    bridge_database_url: "postgres://bridge@db/scim".into(),
                    bridge_database_pool_size: 0,
                    ..args()
                },
                "BRIDGE_DATABASE_POOL_SIZE",
            ),
            (
                ServeArgs {
                    falcon_member_cid: Some("xyz".into()),
                    ..args()
                },
                "FALCON_MEMBER_CID",
            ),
        ];
        for (a, expected) in cases {
            let err = Settings::from_args(&a).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err} should start with {expected}"
            );
            assert!(!err.contains(&"s".repeat(40)), "no secret in {err}");
        }
    }

    #[test]
    fn check_and_reconcile_need_no_scim_credential_but_serve_does() {
        let no_tokens = ServeArgs {
            scim_bearer_tokens: None,
            bridge_listen: "not an address".into(),
            bridge_directory_refresh_secs: 0,
            ..args()
        };
        let core = CoreSettings::from_args(&no_tokens).unwrap();
        assert_eq!(core.database_url, "sqlite::memory:");
        let postgres = ServeArgs {
            bridge_database_url: "postgres://bridge:pw@db:5432/scim".into(),
            bridge_database_pool_size: 20,
            ..args()
        };
        let core = CoreSettings::from_args(&postgres).unwrap();
        assert_eq!(core.database_pool, 20);
        assert_eq!(core.reconcile.calls_per_minute, 600);
        let err = Settings::from_args(&no_tokens).unwrap_err();
        assert_eq!(err.var, "SCIM_BEARER_TOKENS");
        assert!(matches!(
            ServeReadiness::of(&no_tokens),
            ServeReadiness::NoCredentials
        ));
        // What the core uses is still checked.
        let err = CoreSettings::from_args(&ServeArgs {
            bridge_deprovision: "suspend".into(),
            ..no_tokens.clone()
        })
        .unwrap_err();
        assert_eq!(err.var, "BRIDGE_DEPROVISION");
        // Tokens given but too short, or another serve setting wrong: serve would not start.
        match ServeReadiness::of(&ServeArgs {
            scim_bearer_tokens: Some("short".into()),
            ..args()
        }) {
            ServeReadiness::Invalid(e) => assert_eq!(e.var, "SCIM_BEARER_TOKENS"),
            other => panic!("{other:?}"),
        }
        match ServeReadiness::of(&ServeArgs {
            bridge_listen: "nowhere".into(),
            ..args()
        }) {
            ServeReadiness::Invalid(e) => assert_eq!(e.var, "BRIDGE_LISTEN"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ServeReadiness::of(&args()),
            ServeReadiness::Ready(_)
        ));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let s = Settings::from_args(&args()).unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains(&"s".repeat(40)) && !text.contains(&"a".repeat(40)));
    }

    #[test]
    fn a_groups_value_is_one_id_or_a_list_of_ids() {
        let file: FileConfig = toml::from_str(
            "[groups]\n\"Allthenticate Admins\" = \"ADMIN\"\n\"Owners\" = [\"SUPER\"]\n\
             \"SOC Tier 1\" = [\"falcon_analyst\", \"event_viewer\"]\n\"None\" = []\n",
        )
        .unwrap();
        assert_eq!(file.groups["Allthenticate Admins"], ["ADMIN"]);
        assert_eq!(file.groups["Owners"], ["SUPER"]);
        assert_eq!(
            file.groups["SOC Tier 1"],
            ["falcon_analyst", "event_viewer"]
        );
        assert!(file.groups["None"].is_empty());
        assert!(!file.allthenticate.allow_super_rank);
        // Anything else is refused with what is expected.
        let err = toml::from_str::<FileConfig>("[groups]\n\"Admins\" = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("an id (\"ADMIN\") or a list of ids"), "{err}");
    }

    #[test]
    fn assignable_roles_are_none_by_default_a_star_a_name_or_a_list_with_aliases() {
        let off: FileConfig = toml::from_str("").unwrap();
        assert_eq!(off.assignable_roles, RoleAllowlist::None);
        let all: FileConfig = toml::from_str("assignable_roles = \"*\"\n").unwrap();
        assert_eq!(all.assignable_roles, RoleAllowlist::All);
        let one: FileConfig = toml::from_str("assignable_roles = \"Event Viewer\"\n").unwrap();
        assert_eq!(
            one.assignable_roles,
            RoleAllowlist::Listed(vec!["Event Viewer".into()])
        );
        let listed: FileConfig = toml::from_str(
            "assignable_roles = [\"falcon_analyst\", \"Event Viewer\"]\n\
             [role_aliases]\n\"EventViewer\" = \"event_viewer\"\n",
        )
        .unwrap();
        assert_eq!(
            listed.assignable_roles,
            RoleAllowlist::Listed(vec!["falcon_analyst".into(), "Event Viewer".into()])
        );
        assert_eq!(listed.role_aliases["EventViewer"], "event_viewer");
        assert!(toml::from_str::<FileConfig>("assignable_roles = 3\n").is_err());
    }

    #[test]
    fn the_toml_file_names_tokens_and_rejects_typos() {
        let dir = std::env::temp_dir().join(format!("fsb-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "token_names = [\"okta\"]\n[groups]\n\"SOC Tier 1\" = [\"falcon_analyst\", \"event_viewer\"]\n",
        )
        .unwrap();
        let s = Settings::from_args(&ServeArgs {
            bridge_config: Some(good),
            ..args()
        })
        .unwrap();
        assert_eq!(s.tenants[0].credentials[0].name, "okta");
        assert_eq!(
            s.tenants[0].core.group_roles["SOC Tier 1"],
            ["falcon_analyst", "event_viewer"]
        );
        assert!(!s.tenants[0].core.refuse_unmapped_groups);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "token_nmes = [\"okta\"]\n").unwrap();
        let err = Settings::from_args(&ServeArgs {
            bridge_config: Some(bad),
            ..args()
        })
        .unwrap_err();
        assert_eq!(err.var, "BRIDGE_CONFIG");
        let _ = std::fs::remove_dir_all(dir);
    }
}
