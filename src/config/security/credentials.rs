//! Inbound credentials: the static tokens of `SCIM_BEARER_TOKENS` (read-write, named by the
//! TOML's `token_names`) and the `[[credentials]]` tables of the TOML file, each with a name for
//! logs and the audit log, a scope, and an optional rate limit of its own.
//!
//! A table names the variable or file holding its secret rather than the secret itself: the
//! TOML file is usually a ConfigMap, never a place for secrets. A table with a `jwt` table
//! instead accepts JWTs (see `jwt.rs`).
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
//!
//! [[credentials]]
//! name = "entra"
//! [credentials.jwt]
//! issuer = "https://sts.windows.net/TENANT-ID/"
//! audience = "api://falcon-scim-bridge"
//! algorithms = ["RS256"]
//! jwks_url = "https://login.microsoftonline.com/TENANT-ID/discovery/v2.0/keys"
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Deserialize;

use super::jwt::{JwtFile, jwt_spec};
use crate::config::secrets::{read_env_secret, read_file_secret, secret_value};
use crate::config::{CONFIG, ConfigError, FileConfig, invalid};
use scim::auth::{CredentialKind, CredentialSpec, Scope, weakness};
use secrecy::SecretString;

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
    /// Writes per minute for this credential instead of `BRIDGE_RATE_LIMIT_PER_MINUTE`; also caps
    /// its reads (a read-only credential given 60 reads 60 a minute).
    pub rate_limit_per_minute: Option<u32>,
    /// Accept JWTs verified by these rules instead of a static token.
    pub jwt: Option<JwtFile>,
}

/// The variable of the static bearer tokens.
pub(in crate::config) const BEARER_TOKENS: &str = "SCIM_BEARER_TOKENS";

/// The `(name, token)` pairs of `SCIM_BEARER_TOKENS`. The variable may be left unset when the
/// TOML file declares `[[credentials]]`.
pub(in crate::config) fn bearer_tokens(
    value: Option<String>,
    file: &FileConfig,
) -> Result<Vec<(String, SecretString)>, ConfigError> {
    const VAR: &str = BEARER_TOKENS;
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
                None => Ok((name, SecretString::from(token))),
            }
        })
        .collect()
}

/// The `[[credentials]]` of the TOML file, secrets read and checked; names must be unique
/// among them and the `SCIM_BEARER_TOKENS` names.
pub(in crate::config) fn declared_credentials(
    file: &FileConfig,
    bearer: &[(String, SecretString)],
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
        if let Some(jwt) = &c.jwt {
            if c.token_env.is_some() || c.token_file.is_some() {
                return Err(invalid(
                    CONFIG,
                    format!(
                        "{here}: a credential has either a static token or a jwt table, not both"
                    ),
                ));
            }
            specs.push(CredentialSpec {
                name: name.to_owned(),
                scope: c.scope,
                rate_limit_per_minute: c.rate_limit_per_minute,
                kind: CredentialKind::Jwt(jwt_spec(jwt.clone(), &here)?),
            });
            continue;
        }
        let token = match (&c.token_env, &c.token_file) {
            (Some(var), None) => read_env_secret(var, &here)?,
            (None, Some(path)) => read_file_secret(path, &here)?,
            _ => {
                return Err(invalid(
                    CONFIG,
                    format!(
                        "{here}: give exactly one of token_env, token_file or a [credentials.jwt] table"
                    ),
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
            kind: CredentialKind::StaticToken(SecretString::from(token)),
        });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::security::tests::{temp_dir, write};
    use crate::config::tests::args;
    use crate::config::{ServeArgs, Settings};
    use secrecy::ExposeSecret;

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
        let specs = &s.tenants[0].credentials;
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].name, "token-1");
        assert_eq!(specs[0].scope, Scope::ReadWrite);
        assert_eq!(specs[1].name, "auditor");
        assert_eq!(specs[1].scope, Scope::ReadOnly);
        assert_eq!(specs[1].rate_limit_per_minute, Some(30));
        assert!(
            matches!(&specs[1].kind, CredentialKind::StaticToken(t) if t.expose_secret() == "r".repeat(40))
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
        let names: Vec<&str> = s.tenants[0]
            .credentials
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["okta"]);
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
                "give exactly one of token_env, token_file or a [credentials.jwt] table",
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
