//! The inbound-security part of the settings: named and scoped credentials.
//!
//! Kept apart from `config.rs` so that security settings and the rest evolve without touching
//! each other. Static tokens come from `SCIM_BEARER_TOKENS` (read-write, named by the TOML's
//! `token_names`) and from `[[credentials]]` tables in the TOML file, which name the variable
//! or file holding the secret: the TOML file is usually a ConfigMap, never a place for secrets.
//!
//! ```toml
//! [[credentials]]
//! name = "okta"
//! token_env = "OKTA_SCIM_TOKEN"          # or token_file = "/run/secrets/okta-scim-token"
//!
//! [[credentials]]
//! name = "auditor"
//! scope = "read-only"                    # GET only; read-write is the default
//! token_file = "/run/secrets/auditor-token"
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, FileConfig, Settings, invalid, secret_value};
use crate::scim::auth::{CredentialKind, CredentialSpec, Scope, weakness};
use crate::secret::Secret;

/// The security settings that `Settings` carries besides `bearer_tokens`.
#[derive(Debug, Clone, Default)]
pub struct SecuritySettings {
    /// Credentials declared in the TOML file (`[[credentials]]`).
    pub credentials: Vec<CredentialSpec>,
}

/// One `[[credentials]]` table of the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFile {
    /// Shown in logs and the audit log.
    pub name: String,
    /// `read-write` (default) or `read-only`.
    #[serde(default)]
    pub scope: Scope,
    /// The environment variable holding a static bearer token.
    pub token_env: Option<String>,
    /// The file holding a static bearer token (a mounted Kubernetes or Docker secret).
    pub token_file: Option<PathBuf>,
    /// Requests per minute for this credential (default: `BRIDGE_RATE_LIMIT_PER_MINUTE`).
    pub rate_limit_per_minute: Option<u32>,
}

const CONFIG: &str = "BRIDGE_CONFIG";

/// The `(name, token)` pairs of `SCIM_BEARER_TOKENS`. The variable may be left unset when the
/// TOML file declares `[[credentials]]`.
pub(super) fn bearer_tokens(
    value: Option<String>,
    file: &FileConfig,
) -> Result<Vec<(String, Secret)>, ConfigError> {
    const VAR: &str = "SCIM_BEARER_TOKENS";
    let unset = value.as_deref().is_none_or(|v| v.trim().is_empty())
        && std::env::var_os(format!("{VAR}_FILE")).is_none();
    if unset && !file.credentials.is_empty() {
        return Ok(Vec::new());
    }
    let tokens = secret_value(value, VAR).map_err(|mut e| {
        if unset {
            e.problem
                .push_str(", or declare [[credentials]] in BRIDGE_CONFIG");
        }
        e
    })?;
    let tokens: Vec<&str> = tokens
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err(invalid(VAR, "no token given"));
    }
    let count = tokens.len();
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let name = file
                .token_names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("token-{}", i + 1));
            match weakness(token) {
                Some(why) => Err(invalid(
                    VAR,
                    format!("token {} of {count} (named '{name}') {why}", i + 1),
                )),
                None => Ok((name, Secret::new(token))),
            }
        })
        .collect()
}

/// The `[[credentials]]` of the TOML file, secrets read and checked; names must be unique
/// among them and the `SCIM_BEARER_TOKENS` names.
pub(super) fn declared_credentials(
    file: &FileConfig,
    bearer: &[(String, Secret)],
) -> Result<Vec<CredentialSpec>, ConfigError> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (name, _) in bearer {
        if !names.insert(name.clone()) {
            return Err(invalid(
                CONFIG,
                format!("token_names: '{name}' is used twice"),
            ));
        }
    }
    let mut specs = Vec::new();
    for (i, c) in file.credentials.iter().enumerate() {
        let name = c.name.trim();
        let here = format!("credentials[{i}] ('{name}')");
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            return Err(invalid(
                CONFIG,
                format!("credentials[{i}]: name must be 1 to 64 printable characters"),
            ));
        }
        if !names.insert(name.to_owned()) {
            return Err(invalid(
                CONFIG,
                format!("{here}: the name is already used by another credential"),
            ));
        }
        if c.rate_limit_per_minute == Some(0) {
            return Err(invalid(
                CONFIG,
                format!("{here}: rate_limit_per_minute must be at least 1"),
            ));
        }
        let token = match (&c.token_env, &c.token_file) {
            (Some(var), None) => read_env_secret(var, &here)?,
            (None, Some(path)) => read_file_secret(path, &here)?,
            _ => {
                return Err(invalid(
                    CONFIG,
                    format!("{here}: give exactly one of token_env or token_file"),
                ));
            }
        };
        if let Some(why) = weakness(&token) {
            let source = match (&c.token_env, &c.token_file) {
                (Some(var), _) => var.clone(),
                (_, Some(path)) => path.display().to_string(),
                _ => unreachable!("checked above"),
            };
            return Err(invalid(
                CONFIG,
                format!("{here}: the token in {source} {why}"),
            ));
        }
        specs.push(CredentialSpec {
            name: name.to_owned(),
            scope: c.scope,
            rate_limit_per_minute: c.rate_limit_per_minute,
            kind: CredentialKind::StaticToken(Secret::new(token)),
        });
    }
    Ok(specs)
}

fn read_env_secret(var: &str, here: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        Ok(_) => Err(invalid(CONFIG, format!("{here}: {var} is empty"))),
        Err(_) => Err(invalid(
            CONFIG,
            format!("{here}: the environment variable {var} is not set"),
        )),
    }
}

fn read_file_secret(path: &Path, here: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            CONFIG,
            format!("{here}: cannot read {}: {e}", path.display()),
        )
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(
            CONFIG,
            format!("{here}: {} is empty", path.display()),
        ));
    }
    Ok(text.to_owned())
}

impl Settings {
    /// Every inbound credential: the `SCIM_BEARER_TOKENS` ones (read-write), then the declared.
    pub fn credential_specs(&self) -> Vec<CredentialSpec> {
        self.bearer_tokens
            .iter()
            .map(|(name, token)| CredentialSpec::static_token(name.clone(), token.clone()))
            .chain(self.security.credentials.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::args;
    use super::super::{ServeArgs, Settings};
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fsb-sec-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn declared_credentials_have_scopes_and_read_their_secret_files() {
        let dir = temp_dir();
        let secret = write(&dir, "auditor", &format!("{}\n", "r".repeat(40)));
        let config = write(
            &dir,
            "c.toml",
            &format!(
                "[[credentials]]\nname = \"auditor\"\nscope = \"read-only\"\ntoken_file = \"{}\"\nrate_limit_per_minute = 30\n",
                secret.display()
            ),
        );
        let s = Settings::from_args(&ServeArgs {
            bridge_config: Some(config),
            ..args()
        })
        .unwrap();
        let specs = s.credential_specs();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].name, "token-1");
        assert_eq!(specs[0].scope, Scope::ReadWrite);
        assert_eq!(specs[1].name, "auditor");
        assert_eq!(specs[1].scope, Scope::ReadOnly);
        assert_eq!(specs[1].rate_limit_per_minute, Some(30));
        assert!(
            matches!(&specs[1].kind, CredentialKind::StaticToken(t) if t.expose() == "r".repeat(40))
        );
        assert!(!format!("{s:?}").contains(&"r".repeat(40)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn scim_bearer_tokens_may_be_unset_when_credentials_are_declared() {
        let dir = temp_dir();
        let secret = write(&dir, "okta", &"o".repeat(33));
        let config = write(
            &dir,
            "c.toml",
            &format!(
                "[[credentials]]\nname = \"okta\"\ntoken_file = \"{}\"\n",
                secret.display()
            ),
        );
        let s = Settings::from_args(&ServeArgs {
            bridge_config: Some(config),
            scim_bearer_tokens: None,
            ..args()
        })
        .unwrap();
        assert!(s.bearer_tokens.is_empty());
        assert_eq!(s.credential_specs().len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn short_tokens_are_refused_with_the_variable_and_why() {
        let err = Settings::from_args(&ServeArgs {
            scim_bearer_tokens: Some(format!("{},short-token", "a".repeat(40))),
            ..args()
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "SCIM_BEARER_TOKENS: token 2 of 2 (named 'token-2') is 11 characters long; at least 32 \
             are required so that it cannot be guessed (generate one with: openssl rand -base64 33)"
        );
        assert!(!err.contains('\n'), "one line");
        assert!(
            !err.contains("short-token"),
            "the token itself is not shown"
        );

        let dir = temp_dir();
        let secret = write(&dir, "weak", "weak-token");
        let config = write(
            &dir,
            "c.toml",
            &format!(
                "[[credentials]]\nname = \"weak\"\ntoken_file = \"{}\"\n",
                secret.display()
            ),
        );
        let err = Settings::from_args(&ServeArgs {
            bridge_config: Some(config),
            ..args()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("BRIDGE_CONFIG: credentials[0] ('weak'): the token in ")
                && err.contains("is 10 characters long"),
            "{err}"
        );
        assert!(!err.contains("weak-token"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_credential_tables_name_the_problem() {
        let dir = temp_dir();
        let secret = write(&dir, "t", &"t".repeat(40));
        let cases = [
            (
                "[[credentials]]\nname = \"x\"\n".to_owned(),
                "give exactly one of token_env or token_file",
            ),
            (
                format!(
                    "[[credentials]]\nname = \"x\"\nscope = \"admin\"\ntoken_file = \"{}\"\n",
                    secret.display()
                ),
                "unknown variant `admin`, expected `read-write` or `read-only`",
            ),
            (
                format!(
                    "[[credentials]]\nname = \"token-1\"\ntoken_file = \"{}\"\n",
                    secret.display()
                ),
                "already used",
            ),
            (
                format!(
                    "[[credentials]]\nname = \"x\"\ntoken_fil = \"{}\"\n",
                    secret.display()
                ),
                "unknown field `token_fil`",
            ),
            (
                "[[credentials]]\nname = \"x\"\ntoken_env = \"FSB_TEST_SURELY_UNSET_VARIABLE\"\n"
                    .to_owned(),
                "FSB_TEST_SURELY_UNSET_VARIABLE is not set",
            ),
        ];
        for (i, (toml, expected)) in cases.into_iter().enumerate() {
            let config = write(&dir, &format!("{i}.toml"), &toml);
            let err = Settings::from_args(&ServeArgs {
                bridge_config: Some(config),
                ..args()
            })
            .unwrap_err();
            assert_eq!(err.var, "BRIDGE_CONFIG");
            assert!(
                err.problem.contains(expected),
                "{err} should say {expected}"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
