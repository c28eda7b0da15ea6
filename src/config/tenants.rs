//! Several tenants in one bridge: the `[[tenants]]` tables of the TOML file.
//!
//! A tenant is a name, one target connection, its own inbound credentials and its own policy
//! (group mapping, deletion guard, dry run, deprovisioning). Each table is turned into the
//! variables and file sections an environment-only bridge would have been given, and read by
//! the same code ([`CoreSettings::from_parts`], [`declared_credentials`]), so a tenant's values
//! are checked exactly as a single bridge's are; a problem is reported under `BRIDGE_CONFIG`
//! with the tenant and the key that holds it.
//!
//! ```toml
//! [[tenants]]
//! name = "acme"
//! max_deletions_per_hour = 10
//! [tenants.falcon]
//! client_id = "0123456789abcdef0123456789abcdef"
//! client_secret_env = "MSSP_FALCON_SECRET"      # or client_secret_file
//! member_cid = "fedcba9876543210fedcba9876543210"
//! [tenants.groups]
//! "SOC Tier 1" = ["falcon_analyst"]
//! [[tenants.credentials]]
//! name = "acme-okta"
//! token_env = "ACME_SCIM_TOKEN"
//! ```
//!
//! Secrets are never inline: every secret key ends in `_env` or `_file` and names where it is.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::secrets::{read_env_secret, read_file_secret};
use super::security::{CredentialFile, declared_credentials};
use super::{
    AllthenticateFile, CONFIG, ConfigError, CoreSettings, FileConfig, PendingArg, ServeArgs,
    TargetKind, TargetSettings, invalid,
};
use bridge::roles::RoleAllowlist;
use scim::auth::{CredentialKind, CredentialSpec};

/// A tenant's name: what its SCIM path (`/t/{name}/scim/v2`), its store, and the `tenant` label
/// of metrics and logs carry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantName(String);

/// Long enough for a customer's name, short enough for a metric label and a schema name.
const MAX_NAME: usize = 40;

impl TenantName {
    /// Lower-case letters, digits and inner hyphens, 1 to 40 of them.
    pub fn parse(name: &str) -> Result<Self, String> {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(format!(
                "'{name}' is not a tenant name: use 1 to {MAX_NAME} lower-case letters, digits \
                 and inner hyphens ([a-z0-9-])"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One `[[tenants]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub name: String,
    /// The target: exactly one of these tables.
    pub falcon: Option<FalconTable>,
    pub incydr: Option<IncydrTable>,
    pub lumapps: Option<LumappsTable>,
    pub allthenticate: Option<AllthenticateTable>,
    /// Who may call this tenant's SCIM endpoint; at least one.
    #[serde(default)]
    pub credentials: Vec<CredentialFile>,
    /// `delete` or `revoke-only`; `BRIDGE_DEPROVISION` when absent.
    pub deprovision: Option<String>,
    /// `BRIDGE_MAX_DELETIONS_PER_HOUR` when absent.
    pub max_deletions_per_hour: Option<u32>,
    /// `BRIDGE_DRY_RUN` when absent.
    pub dry_run: Option<bool>,
    /// `await` or `refuse`; `BRIDGE_PENDING_USERS` when absent.
    pub pending_users: Option<String>,
    #[serde(default)]
    pub refuse_unmapped_groups: bool,
    #[serde(default, deserialize_with = "super::one_or_many")]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "super::allowlist")]
    pub assignable_roles: RoleAllowlist,
    #[serde(default)]
    pub role_aliases: BTreeMap<String, String>,
}

/// `[tenants.falcon]`: the variables `FALCON_*` of a single bridge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalconTable {
    pub client_id: String,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub cloud: Option<String>,
    pub base_url: Option<String>,
    pub member_cid: Option<String>,
}

/// `[tenants.incydr]`: the variables `INCYDR_*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncydrTable {
    pub base_url: String,
    pub client_id: String,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub page_size: Option<u32>,
}

/// `[tenants.lumapps]`: the variables `LUMAPPS_*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LumappsTable {
    pub base_url: String,
    pub organization_id: String,
    pub client_id: String,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub admin_email: String,
}

/// `[tenants.allthenticate]`: the variables `ALLTHENTICATE_*` and the `[allthenticate]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllthenticateTable {
    pub base_url: String,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub api_key_header: Option<String>,
    #[serde(default)]
    pub invite_without_email: bool,
    #[serde(default)]
    pub allow_super_rank: bool,
}

/// What one tenant serves with: the core's settings (which name the tenant) and the
/// credentials bound to it.
#[derive(Debug, Clone)]
pub struct TenantSettings {
    pub core: CoreSettings,
    pub credentials: Vec<scim::auth::CredentialSpec>,
}

/// Every `[[tenants]]` table read and checked, in the file's order.
pub(super) fn tenants(
    args: &ServeArgs,
    file: &FileConfig,
) -> Result<Vec<TenantSettings>, ConfigError> {
    single_tenant_settings_unused(args, file)?;
    let mut names = BTreeSet::new();
    let mut tenants = Vec::new();
    for (i, table) in file.tenants.iter().enumerate() {
        let name = TenantName::parse(table.name.trim())
            .map_err(|problem| invalid(CONFIG, format!("tenants[{i}]: {problem}")))?;
        if !names.insert(name.clone()) {
            return Err(invalid(
                CONFIG,
                format!("tenants[{i}]: the name '{name}' is used by another tenant"),
            ));
        }
        let here = |problem: String| invalid(CONFIG, format!("tenant '{name}': {problem}"));
        let (tenant_args, tenant_file) = as_single_bridge(args, table).map_err(here)?;
        let mut core = CoreSettings::from_parts(&tenant_args, &tenant_file)
            .map_err(|e| here(format!("{}: {}", key_of(e.var), e.problem)))?;
        core.tenant = Some(name.clone());
        if table.credentials.is_empty() {
            return Err(here(
                "declare at least one [[tenants.credentials]]: its IdP has no other way in".into(),
            ));
        }
        let credentials = declared_credentials(&tenant_file, &[]).map_err(|e| {
            here(
                e.problem
                    .replacen("credentials[", "tenants.credentials[", 1),
            )
        })?;
        tenants.push(TenantSettings { core, credentials });
    }
    credentials_bound_to_one_tenant(&tenants)?;
    one_tenant_per_falcon_cid(&tenants)?;
    Ok(tenants)
}

/// With tenants, the settings of a single bridge's one tenant would apply to none of them: a
/// token there would be bound to no tenant. Refused rather than ignored.
fn single_tenant_settings_unused(args: &ServeArgs, file: &FileConfig) -> Result<(), ConfigError> {
    let variables = [
        ("SCIM_BEARER_TOKENS", args.scim_bearer_tokens.is_some()),
        ("FALCON_CLIENT_ID", args.falcon_client_id.is_some()),
        ("INCYDR_BASE_URL", args.incydr_base_url.is_some()),
        ("LUMAPPS_BASE_URL", args.lumapps_base_url.is_some()),
        (
            "ALLTHENTICATE_BASE_URL",
            args.allthenticate_base_url.is_some(),
        ),
    ];
    if let Some((var, _)) = variables.iter().find(|(_, set)| *set) {
        return Err(invalid(
            var,
            "is set, but BRIDGE_CONFIG declares [[tenants]], each with its own target and \
             credentials: move it into a tenant's table, or unset it",
        ));
    }
    // A secret's `NAME_FILE` would be as silently unused as the variable itself.
    let files = [
        "SCIM_BEARER_TOKENS",
        "FALCON_CLIENT_SECRET",
        "INCYDR_CLIENT_SECRET",
        "LUMAPPS_CLIENT_SECRET",
        "ALLTHENTICATE_API_KEY",
    ];
    if let Some(var) = files
        .iter()
        .find(|var| std::env::var_os(format!("{var}_FILE")).is_some())
    {
        return Err(invalid(
            var,
            format!(
                "{var}_FILE is set, but BRIDGE_CONFIG declares [[tenants]], each with its own \
                 secrets (…_file keys in its tables): unset it"
            ),
        ));
    }
    let sections = [
        ("[[credentials]]", !file.credentials.is_empty()),
        ("token_names", !file.token_names.is_empty()),
        ("[groups]", !file.groups.is_empty()),
        ("[role_aliases]", !file.role_aliases.is_empty()),
        (
            "assignable_roles",
            file.assignable_roles != RoleAllowlist::None,
        ),
        ("refuse_unmapped_groups", file.refuse_unmapped_groups),
        ("[allthenticate]", file.allthenticate.allow_super_rank),
    ];
    if let Some((section, _)) = sections.iter().find(|(_, set)| *set) {
        return Err(invalid(
            CONFIG,
            format!(
                "{section} is outside [[tenants]]: with tenants it belongs in each tenant's \
                 table (tenants.{})",
                section.trim_matches(['[', ']'])
            ),
        ));
    }
    Ok(())
}

/// A tenant's table as the variables and file of a single bridge: its target's, its policy's
/// (the environment's values where the table has none), and the shared ones (store, schedule).
fn as_single_bridge(
    args: &ServeArgs,
    table: &TenantFile,
) -> Result<(ServeArgs, FileConfig), String> {
    let mut tenant = ServeArgs {
        bridge_database_url: args.bridge_database_url.clone(),
        bridge_database_pool_size: args.bridge_database_pool_size,
        bridge_directory_refresh_secs: args.bridge_directory_refresh_secs,
        bridge_reconcile_interval_secs: args.bridge_reconcile_interval_secs,
        bridge_reconcile_rate_percent: args.bridge_reconcile_rate_percent,
        bridge_deprovision: table
            .deprovision
            .clone()
            .unwrap_or_else(|| args.bridge_deprovision.clone()),
        bridge_max_deletions_per_hour: table
            .max_deletions_per_hour
            .unwrap_or(args.bridge_max_deletions_per_hour),
        bridge_dry_run: table.dry_run.unwrap_or(args.bridge_dry_run),
        bridge_pending_users: match table.pending_users.as_deref() {
            None => args.bridge_pending_users,
            Some("await") => PendingArg::Await,
            Some("refuse") => PendingArg::Refuse,
            Some(other) => {
                return Err(format!(
                    "pending_users: '{other}' is neither 'await' nor 'refuse'"
                ));
            }
        },
        ..ServeArgs::default()
    };
    let mut allthenticate = AllthenticateFile::default();
    let targets = [
        table.falcon.is_some(),
        table.incydr.is_some(),
        table.lumapps.is_some(),
        table.allthenticate.is_some(),
    ];
    if targets.iter().filter(|t| **t).count() != 1 {
        return Err(
            "give exactly one target table: [tenants.falcon], [tenants.incydr], \
             [tenants.lumapps] or [tenants.allthenticate]"
                .into(),
        );
    }
    if let Some(t) = &table.falcon {
        tenant.bridge_target = TargetKind::Falcon;
        tenant.falcon_client_id = Some(t.client_id.clone());
        tenant.falcon_client_secret = Some(secret(
            "falcon.client_secret",
            &t.client_secret_env,
            &t.client_secret_file,
        )?);
        tenant.falcon_cloud = t.cloud.clone().unwrap_or_else(|| "us-1".into());
        tenant.falcon_base_url = t.base_url.clone();
        tenant.falcon_member_cid = t.member_cid.clone();
    }
    if let Some(t) = &table.incydr {
        tenant.bridge_target = TargetKind::Incydr;
        tenant.incydr_base_url = Some(t.base_url.clone());
        tenant.incydr_client_id = Some(t.client_id.clone());
        tenant.incydr_client_secret = Some(secret(
            "incydr.client_secret",
            &t.client_secret_env,
            &t.client_secret_file,
        )?);
        tenant.incydr_page_size = t.page_size;
    }
    if let Some(t) = &table.lumapps {
        tenant.bridge_target = TargetKind::Lumapps;
        tenant.lumapps_base_url = Some(t.base_url.clone());
        tenant.lumapps_organization_id = Some(t.organization_id.clone());
        tenant.lumapps_client_id = Some(t.client_id.clone());
        tenant.lumapps_client_secret = Some(secret(
            "lumapps.client_secret",
            &t.client_secret_env,
            &t.client_secret_file,
        )?);
        tenant.lumapps_admin_email = Some(t.admin_email.clone());
    }
    if let Some(t) = &table.allthenticate {
        tenant.bridge_target = TargetKind::Allthenticate;
        tenant.allthenticate_base_url = Some(t.base_url.clone());
        tenant.allthenticate_api_key = Some(secret(
            "allthenticate.api_key",
            &t.api_key_env,
            &t.api_key_file,
        )?);
        tenant.allthenticate_api_key_header = t.api_key_header.clone();
        tenant.allthenticate_invite_without_email = t.invite_without_email;
        allthenticate.allow_super_rank = t.allow_super_rank;
    }
    let file = FileConfig {
        refuse_unmapped_groups: table.refuse_unmapped_groups,
        groups: table.groups.clone(),
        credentials: table.credentials.clone(),
        allthenticate,
        assignable_roles: table.assignable_roles.clone(),
        role_aliases: table.role_aliases.clone(),
        ..FileConfig::default()
    };
    Ok((tenant, file))
}

/// A secret from the variable `{key}_env` names or the file `{key}_file` names: exactly one.
fn secret(key: &str, env: &Option<String>, file: &Option<PathBuf>) -> Result<String, String> {
    let problem = |e: ConfigError| e.problem;
    match (env, file) {
        (Some(var), None) => read_env_secret(var, key).map_err(problem),
        (None, Some(path)) => read_file_secret(path, key).map_err(problem),
        _ => Err(format!(
            "give exactly one of {key}_env or {key}_file (secrets are never inline)"
        )),
    }
}

/// The key of a tenant's table that holds what the variable `var` holds for a single bridge:
/// `FALCON_MEMBER_CID` is `falcon.member_cid`, `BRIDGE_DEPROVISION` is `deprovision`.
fn key_of(var: &str) -> String {
    let lower = var.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("bridge_") {
        return rest.to_owned();
    }
    match lower.split_once('_') {
        Some((target, rest)) => format!("{target}.{rest}"),
        None => lower,
    }
}

/// A static token (or a JWT issuer and audience) accepted by two tenants would let one tenant's
/// IdP into the other's users: each credential belongs to one tenant.
fn credentials_bound_to_one_tenant(tenants: &[TenantSettings]) -> Result<(), ConfigError> {
    let mut seen: Vec<(String, &str, &CredentialSpec)> = Vec::new();
    for tenant in tenants {
        let name = tenant.core.tenant.as_ref().map_or("", TenantName::as_str);
        for spec in &tenant.credentials {
            let twin = seen.iter().find(|(other, _, earlier)| {
                other != name && same_credential(&earlier.kind, &spec.kind)
            });
            if let Some((other, other_credential, _)) = twin {
                return Err(invalid(
                    CONFIG,
                    format!(
                        "tenant '{name}': credential '{}' is also tenant '{other}'s credential \
                         '{other_credential}'; a credential belongs to one tenant",
                        spec.name
                    ),
                ));
            }
            seen.push((name.to_owned(), spec.name.as_str(), spec));
        }
    }
    Ok(())
}

fn same_credential(a: &CredentialKind, b: &CredentialKind) -> bool {
    match (a, b) {
        (CredentialKind::StaticToken(a), CredentialKind::StaticToken(b)) => {
            a.expose_secret() == b.expose_secret()
        }
        (CredentialKind::Jwt(a), CredentialKind::Jwt(b)) => {
            a.issuers.iter().any(|iss| b.issuers.contains(iss))
                && a.audiences.iter().any(|aud| b.audiences.contains(aud))
        }
        _ => false,
    }
}

/// Two tenants acting in one Falcon CID would each take the other's users for unmanaged ones.
fn one_tenant_per_falcon_cid(tenants: &[TenantSettings]) -> Result<(), ConfigError> {
    let mut seen = BTreeMap::new();
    for tenant in tenants {
        let TargetSettings::Falcon(cfg) = &tenant.core.target else {
            continue;
        };
        let name = tenant.core.tenant.as_ref().map_or("", TenantName::as_str);
        let cid = (
            cfg.base_url.clone(),
            cfg.client_id.clone(),
            cfg.member_cid.clone(),
        );
        if let Some(other) = seen.insert(cid, name) {
            return Err(invalid(
                CONFIG,
                format!(
                    "tenants '{other}' and '{name}' act in the same Falcon CID (one API client, \
                     the same member_cid): give each its own member_cid"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::config::tests::args;
    use bridge::DeprovisionMode;

    const CID_A: &str = "0123456789abcdef0123456789abcdef";
    const CID_B: &str = "fedcba9876543210fedcba9876543210";

    /// A directory with the secrets the tenants below read, and a config file to fill in.
    struct Files {
        dir: PathBuf,
    }

    impl Files {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("fsb-tenants-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            for (name, secret) in [
                ("falcon", "f".repeat(40)),
                ("acme-token", "a".repeat(40)),
                ("globex-token", "g".repeat(40)),
                ("initech-token", "i".repeat(40)),
                ("key", "k".repeat(40)),
            ] {
                std::fs::write(dir.join(name), format!("{secret}\n")).unwrap();
            }
            Self { dir }
        }

        fn path(&self, name: &str) -> String {
            self.dir.join(name).display().to_string()
        }

        /// `serve`'s arguments with no single-tenant target or token, and `toml` as the file.
        fn args(&self, toml: &str) -> ServeArgs {
            let file = self.dir.join("bridge.toml");
            std::fs::write(&file, toml.replace("DIR", &self.dir.display().to_string())).unwrap();
            ServeArgs {
                falcon_client_id: None,
                falcon_client_secret: None,
                scim_bearer_tokens: None,
                bridge_config: Some(file),
                bridge_max_deletions_per_hour: 7,
                ..args()
            }
        }

        fn falcon(&self, name: &str, cid: &str, token: &str) -> String {
            format!(
                "[[tenants]]\nname = \"{name}\"\n\
                 [tenants.falcon]\nclient_id = \"{CID_A}\"\nclient_secret_file = \"{}\"\n\
                 base_url = \"http://127.0.0.1:9\"\nmember_cid = \"{cid}\"\n\
                 [[tenants.credentials]]\nname = \"{name}-okta\"\ntoken_file = \"{}\"\n",
                self.path("falcon"),
                self.path(token),
            )
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn problem(args: &ServeArgs) -> String {
        let err = Settings::from_args(args).unwrap_err();
        assert_eq!(err.var, CONFIG, "{err}");
        err.problem
    }

    #[test]
    fn each_tenant_has_its_target_credentials_and_policy() {
        let files = Files::new();
        let toml = format!(
            "{}{}\
             [[tenants]]\nname = \"initech\"\ndeprovision = \"revoke-only\"\ndry_run = true\n\
             [tenants.allthenticate]\nbase_url = \"http://127.0.0.1:9\"\napi_key_file = \"{}\"\n\
             [tenants.groups]\n\"Admins\" = \"ADMIN\"\n\
             [[tenants.credentials]]\nname = \"entra\"\ntoken_file = \"{}\"\n",
            files.falcon("acme", CID_A, "acme-token"),
            files.falcon("globex", CID_B, "globex-token"),
            files.path("key"),
            files.path("initech-token"),
        );
        let settings = Settings::from_args(&files.args(&toml)).unwrap();
        let names: Vec<String> = settings
            .tenants
            .iter()
            .map(|t| t.core.tenant.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(names, ["acme", "globex", "initech"]);
        let [acme, globex, initech] = settings.tenants.as_slice() else {
            panic!("three tenants");
        };
        let TargetSettings::Falcon(cfg) = &globex.core.target else {
            panic!("globex is Falcon");
        };
        assert_eq!(cfg.member_cid.as_deref(), Some(CID_B));
        assert_eq!(cfg.expected_region, Some(falcon::Region::Us1));
        assert!(matches!(
            initech.core.target,
            TargetSettings::Allthenticate(_)
        ));
        assert_eq!(acme.credentials[0].name, "acme-okta");
        assert_eq!(initech.credentials[0].name, "entra");
        // The environment's policy unless the table says otherwise.
        assert_eq!(acme.core.policy.max_deletions_per_hour, 7);
        assert_eq!(acme.core.policy.deprovision, DeprovisionMode::Delete);
        assert!(!acme.core.policy.dry_run);
        assert_eq!(initech.core.policy.deprovision, DeprovisionMode::RevokeOnly);
        assert!(initech.core.policy.dry_run);
        assert_eq!(initech.core.group_roles["Admins"], ["ADMIN"]);
        assert!(acme.core.group_roles.is_empty());
        // One store URL; each tenant's store is named by its tenant (Store::open_for).
        assert_eq!(acme.core.database_url, initech.core.database_url);
        // Neither secret shows.
        let text = format!("{settings:?}");
        assert!(!text.contains(&"f".repeat(40)) && !text.contains(&"a".repeat(40)));
        // check and reconcile pick one tenant, and say which exist when none or a wrong one is
        // named.
        let args = files.args(&toml);
        let core = CoreSettings::for_tenant(&args, Some("globex")).unwrap();
        assert_eq!(core.tenant.unwrap().as_str(), "globex");
        let err = CoreSettings::from_args(&args).unwrap_err().to_string();
        assert!(err.contains("--tenant: acme, globex, initech"), "{err}");
        let err = CoreSettings::for_tenant(&args, Some("umbrella"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no tenant is named 'umbrella'"), "{err}");
        assert_eq!(CoreSettings::all_from_args(&args).unwrap().len(), 3);
    }

    #[test]
    fn a_tenant_problem_names_the_tenant_and_its_key() {
        let files = Files::new();
        let cases: Vec<(String, &str)> = vec![
            (
                files
                    .falcon("acme", CID_A, "acme-token")
                    .replace("name = \"acme\"", "name = \"Acme Corp\""),
                "tenants[0]: 'Acme Corp' is not a tenant name",
            ),
            (
                format!(
                    "{}{}",
                    files.falcon("acme", CID_A, "acme-token"),
                    files.falcon("acme", CID_B, "globex-token")
                ),
                "tenants[1]: the name 'acme' is used by another tenant",
            ),
            (
                files
                    .falcon("acme", CID_A, "acme-token")
                    .replace(CID_A, "not-a-cid")
                    .replace(
                        "client_id = \"not-a-cid\"",
                        &format!("client_id = \"{CID_A}\""),
                    ),
                "tenant 'acme': falcon.member_cid: must be a 32-character hexadecimal CID",
            ),
            (
                files.falcon("acme", CID_A, "acme-token").replace(
                    "name = \"acme\"\n",
                    "name = \"acme\"\ndeprovision = \"suspend\"\n",
                ),
                "tenant 'acme': deprovision: 'suspend' is neither",
            ),
            (
                files
                    .falcon("acme", CID_A, "acme-token")
                    .replace("client_secret_file", "client_secret_env")
                    .replace(&files.path("falcon"), "FSB_TEST_UNSET_SECRET_VARIABLE"),
                "tenant 'acme': falcon.client_secret: the environment variable \
                 FSB_TEST_UNSET_SECRET_VARIABLE is not set",
            ),
            (
                "[[tenants]]\nname = \"acme\"\n[[tenants.credentials]]\nname = \"x\"\n\
                 token_file = \"DIR/acme-token\"\n"
                    .to_owned(),
                "tenant 'acme': give exactly one target table",
            ),
            (
                format!(
                    "[[tenants]]\nname = \"acme\"\n[tenants.falcon]\nclient_id = \"{CID_A}\"\n\
                     client_secret_file = \"DIR/falcon\"\n"
                ),
                "tenant 'acme': declare at least one [[tenants.credentials]]",
            ),
            (
                format!(
                    "{}{}",
                    files.falcon("acme", CID_A, "acme-token"),
                    files.falcon("globex", CID_B, "acme-token")
                ),
                "tenant 'globex': credential 'globex-okta' is also tenant 'acme's credential \
                 'acme-okta'",
            ),
            (
                format!(
                    "{}{}",
                    files.falcon("acme", CID_A, "acme-token"),
                    files.falcon("globex", CID_A, "globex-token")
                ),
                "tenants 'acme' and 'globex' act in the same Falcon CID",
            ),
            (
                format!(
                    "[groups]\n\"SOC\" = \"falcon_analyst\"\n{}",
                    files.falcon("acme", CID_A, "acme-token")
                ),
                "[groups] is outside [[tenants]]",
            ),
        ];
        for (toml, expected) in cases {
            let problem = problem(&files.args(&toml));
            assert!(
                problem.starts_with(expected),
                "{problem}\nshould start with\n{expected}"
            );
            assert!(!problem.contains(&"f".repeat(40)), "no secret in {problem}");
        }
        // A secret inline is not a key a tenant has.
        let inline = files
            .falcon("acme", CID_A, "acme-token")
            .replace("client_secret_file", "client_secret");
        assert!(problem(&files.args(&inline)).contains("unknown field `client_secret`"));
        // The single tenant's variables are refused beside tenants, naming the variable.
        let toml = files.falcon("acme", CID_A, "acme-token");
        let err = Settings::from_args(&ServeArgs {
            scim_bearer_tokens: Some("t".repeat(40)),
            ..files.args(&toml)
        })
        .unwrap_err();
        assert_eq!(err.var, "SCIM_BEARER_TOKENS");
        assert!(err.problem.contains("declares [[tenants]]"), "{err}");
    }

    #[test]
    fn the_readmes_mssp_example_is_a_valid_file() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Several tenants").expect("the section")..];
        let start = section.find("```toml\n").expect("its example") + "```toml\n".len();
        let end = start + section[start..].find("```").expect("the example's end");
        let file: FileConfig = toml::from_str(&section[start..end]).unwrap();
        let names: Vec<&str> = file.tenants.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["acme", "globex", "initech"]);
        assert!(file.tenants[1].credentials[0].jwt.is_some());
        assert!(file.tenants[2].allthenticate.is_some());
    }

    /// The tenants overlay's file (deploy/kubernetes/overlays/tenants) is what the bridge reads.
    #[test]
    fn the_tenants_overlays_file_is_a_valid_file() {
        let text = include_str!("../../deploy/kubernetes/overlays/tenants/config.toml");
        let file: FileConfig = toml::from_str(text).unwrap();
        assert_eq!(file.tenants.len(), 3);
        assert!(file.groups.is_empty() && file.credentials.is_empty());
        for tenant in &file.tenants {
            assert!(TenantName::parse(&tenant.name).is_ok(), "{}", tenant.name);
        }
    }

    #[test]
    fn names_and_keys() {
        assert!(TenantName::parse("acme-eu-2").is_ok());
        for bad in ["", "-acme", "acme-", "Acme", "a b", "a_b", &"a".repeat(41)] {
            assert!(TenantName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(key_of("FALCON_MEMBER_CID"), "falcon.member_cid");
        assert_eq!(
            key_of("ALLTHENTICATE_API_KEY_HEADER"),
            "allthenticate.api_key_header"
        );
        assert_eq!(
            key_of("BRIDGE_MAX_DELETIONS_PER_HOUR"),
            "max_deletions_per_hour"
        );
    }
}
