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
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, FileConfig, Settings, invalid, secret_value};
use crate::tls::TlsFiles;
use scim::auth::jwks::JwksSource;
use scim::auth::{
    CredentialKind, CredentialSpec, JwtSpec, KeySource, MIN_HMAC_SECRET_BYTES, Scope, weakness,
};
use scim::limits::{Limits, PARSER_MAX_FILTER_DEPTH, RateLimit};
use secrecy::SecretString;

/// The security settings that `Settings` carries besides `bearer_tokens`.
#[derive(Debug, Clone, Default)]
pub struct SecuritySettings {
    /// Credentials declared in the TOML file (`[[credentials]]`).
    pub credentials: Vec<CredentialSpec>,
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
    /// Requests per minute per credential (default 1200; 0 turns the limit off).
    #[arg(long, env = "BRIDGE_RATE_LIMIT_PER_MINUTE")]
    pub bridge_rate_limit_per_minute: Option<u32>,
    /// Requests a credential may make at once before the per-minute rate applies (default 200).
    #[arg(long, env = "BRIDGE_RATE_LIMIT_BURST")]
    pub bridge_rate_limit_burst: Option<u32>,
    /// PEM certificate chain: serve HTTPS instead of HTTP (with BRIDGE_TLS_KEY).
    #[arg(long, env = "BRIDGE_TLS_CERT")]
    pub bridge_tls_cert: Option<PathBuf>,
    /// PEM private key of BRIDGE_TLS_CERT.
    #[arg(long, env = "BRIDGE_TLS_KEY")]
    pub bridge_tls_key: Option<PathBuf>,
}

/// The TLS files, when both are given; one without the other is a mistake worth stopping.
pub(super) fn tls(args: &SecurityArgs) -> Result<Option<TlsFiles>, ConfigError> {
    match (&args.bridge_tls_cert, &args.bridge_tls_key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => {
            for (path, var) in [(cert, "BRIDGE_TLS_CERT"), (key, "BRIDGE_TLS_KEY")] {
                if !path.is_file() {
                    return Err(invalid(
                        var,
                        format!("{} is not a readable file", path.display()),
                    ));
                }
            }
            Ok(Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }))
        }
        (Some(_), None) => Err(invalid(
            "BRIDGE_TLS_KEY",
            "required when BRIDGE_TLS_CERT is set",
        )),
        (None, Some(_)) => Err(invalid(
            "BRIDGE_TLS_CERT",
            "required when BRIDGE_TLS_KEY is set",
        )),
    }
}

/// The limits from `args`, defaults where unset, each checked for sense.
pub(super) fn limits(args: &SecurityArgs) -> Result<Limits, ConfigError> {
    let d = Limits::default();
    let at_least_one = |value: Option<usize>, default: usize, var: &'static str| match value {
        Some(0) => Err(invalid(var, "must be at least 1")),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    let max_filter_depth = at_least_one(
        args.bridge_max_filter_depth,
        d.max_filter_depth,
        "BRIDGE_MAX_FILTER_DEPTH",
    )?;
    if max_filter_depth > PARSER_MAX_FILTER_DEPTH {
        return Err(invalid(
            "BRIDGE_MAX_FILTER_DEPTH",
            format!("at most {PARSER_MAX_FILTER_DEPTH} (the filter parser's own bound)"),
        ));
    }
    let timeout = match args.bridge_request_timeout_secs {
        Some(0) => return Err(invalid("BRIDGE_REQUEST_TIMEOUT_SECS", "must be at least 1")),
        Some(secs) => Duration::from_secs(secs),
        None => d.request_timeout,
    };
    let burst = match args.bridge_rate_limit_burst {
        Some(0) => return Err(invalid("BRIDGE_RATE_LIMIT_BURST", "must be at least 1")),
        Some(b) => b,
        None => d.rate_limit.burst,
    };
    Ok(Limits {
        max_body_bytes: at_least_one(
            args.bridge_max_body_bytes,
            d.max_body_bytes,
            "BRIDGE_MAX_BODY_BYTES",
        )?,
        max_patch_operations: at_least_one(
            args.bridge_max_patch_operations,
            d.max_patch_operations,
            "BRIDGE_MAX_PATCH_OPERATIONS",
        )?,
        max_filter_len: at_least_one(
            args.bridge_max_filter_length,
            d.max_filter_len,
            "BRIDGE_MAX_FILTER_LENGTH",
        )?,
        max_filter_depth,
        max_results: at_least_one(args.bridge_max_results, d.max_results, "BRIDGE_MAX_RESULTS")?,
        max_members: at_least_one(args.bridge_max_members, d.max_members, "BRIDGE_MAX_MEMBERS")?,
        request_timeout: timeout,
        rate_limit: RateLimit {
            per_minute: args
                .bridge_rate_limit_per_minute
                .unwrap_or(d.rate_limit.per_minute),
            burst,
        },
    })
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
    /// Accept JWTs verified by these rules instead of a static token.
    pub jwt: Option<JwtFile>,
}

/// A `[credentials.jwt]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtFile {
    /// The accepted `iss`: one string or a list.
    pub issuer: OneOrMany,
    /// The accepted `aud`: one string or a list.
    pub audience: OneOrMany,
    /// Pinned algorithms, e.g. `["RS256"]`; all HMAC (HS256...) or all public-key.
    pub algorithms: Vec<String>,
    /// For HS256/384/512: the variable or file holding the shared secret.
    pub secret_env: Option<String>,
    pub secret_file: Option<PathBuf>,
    /// For RS/PS/ES/EdDSA: where the issuer publishes its keys.
    pub jwks_url: Option<String>,
    pub jwks_file: Option<PathBuf>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds (default 60, at most 300).
    pub leeway_secs: Option<u64>,
    /// Refuse tokens without `nbf` (default true; Okta's access tokens carry none).
    pub require_nbf: Option<bool>,
    /// Fetched keys are fetched again after this many seconds (default 3600).
    pub jwks_max_age_secs: Option<u64>,
    /// Fetches (also for an unknown `kid`) happen at most this often (default 60 s).
    pub jwks_min_refetch_secs: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

pub const DEFAULT_JWT_LEEWAY_SECS: u64 = 60;
const MAX_JWT_LEEWAY_SECS: u64 = 300;
pub const DEFAULT_JWKS_MAX_AGE_SECS: u64 = 3600;
pub const DEFAULT_JWKS_MIN_REFETCH_SECS: u64 = 60;

const CONFIG: &str = "BRIDGE_CONFIG";

/// The `(name, token)` pairs of `SCIM_BEARER_TOKENS`. The variable may be left unset when the
/// TOML file declares `[[credentials]]`.
pub(super) fn bearer_tokens(
    value: Option<String>,
    file: &FileConfig,
) -> Result<Vec<(String, SecretString)>, ConfigError> {
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
                None => Ok((name, SecretString::from(token))),
            }
        })
        .collect()
}

/// The `[[credentials]]` of the TOML file, secrets read and checked; names must be unique
/// among them and the `SCIM_BEARER_TOKENS` names.
pub(super) fn declared_credentials(
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

fn jwt_spec(jwt: JwtFile, here: &str) -> Result<JwtSpec, ConfigError> {
    let bad = |problem: String| invalid(CONFIG, format!("{here}: jwt: {problem}"));
    let issuers = jwt.issuer.into_vec();
    let audiences = jwt.audience.into_vec();
    if issuers.is_empty() || issuers.iter().any(|i| i.trim().is_empty()) {
        return Err(bad("issuer must name at least one issuer".into()));
    }
    if audiences.is_empty() || audiences.iter().any(|a| a.trim().is_empty()) {
        return Err(bad("audience must name at least one audience".into()));
    }
    if jwt.algorithms.is_empty() {
        return Err(bad(
            "algorithms must pin at least one algorithm, e.g. [\"RS256\"]".into(),
        ));
    }
    let mut algorithms = Vec::new();
    for name in &jwt.algorithms {
        let alg: jsonwebtoken::Algorithm = name.parse().map_err(|_| {
            bad(format!(
                "'{name}' is not an algorithm (HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA)"
            ))
        })?;
        algorithms.push(alg);
    }
    let hmac = algorithms
        .iter()
        .filter(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac)
        .count();
    if hmac != 0 && hmac != algorithms.len() {
        return Err(bad(
            "HMAC (HS*) and public-key algorithms cannot share a credential: a shared secret and \
             a key set are different keys; declare two credentials"
                .into(),
        ));
    }
    let keys = if hmac > 0 {
        if jwt.jwks_url.is_some() || jwt.jwks_file.is_some() {
            return Err(bad(
                "HS* algorithms verify with secret_env or secret_file, not a key set".into(),
            ));
        }
        let secret = match (&jwt.secret_env, &jwt.secret_file) {
            (Some(var), None) => read_env_secret(var, here)?,
            (None, Some(path)) => read_file_secret(path, here)?,
            _ => return Err(bad("give exactly one of secret_env or secret_file".into())),
        };
        if secret.len() < MIN_HMAC_SECRET_BYTES {
            let source = jwt.secret_env.clone().unwrap_or_else(|| {
                jwt.secret_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            });
            return Err(bad(format!(
                "the secret in {source} is {} bytes long; HMAC needs at least {MIN_HMAC_SECRET_BYTES} \
                 (RFC 7518 §3.2) so that it cannot be guessed",
                secret.len()
            )));
        }
        KeySource::SharedSecret(SecretString::from(secret))
    } else {
        if jwt.secret_env.is_some() || jwt.secret_file.is_some() {
            return Err(bad(
                "public-key algorithms verify with jwks_url or jwks_file, not a secret".into(),
            ));
        }
        match (&jwt.jwks_url, &jwt.jwks_file) {
            (Some(url), None) => {
                check_jwks_url(url).map_err(bad)?;
                KeySource::Jwks(JwksSource::Url(url.clone()))
            }
            (None, Some(path)) => {
                if !path.is_file() {
                    return Err(bad(format!(
                        "jwks_file {} is not a readable file",
                        path.display()
                    )));
                }
                KeySource::Jwks(JwksSource::File(path.clone()))
            }
            _ => return Err(bad("give exactly one of jwks_url or jwks_file".into())),
        }
    };
    let leeway = jwt.leeway_secs.unwrap_or(DEFAULT_JWT_LEEWAY_SECS);
    if leeway > MAX_JWT_LEEWAY_SECS {
        return Err(bad(format!(
            "leeway_secs is {leeway}; at most {MAX_JWT_LEEWAY_SECS} (a long leeway keeps expired tokens alive)"
        )));
    }
    let max_age = jwt.jwks_max_age_secs.unwrap_or(DEFAULT_JWKS_MAX_AGE_SECS);
    let min_refetch = jwt
        .jwks_min_refetch_secs
        .unwrap_or(DEFAULT_JWKS_MIN_REFETCH_SECS);
    if max_age == 0 {
        return Err(bad("jwks_max_age_secs must be at least 1".into()));
    }
    Ok(JwtSpec {
        issuers,
        audiences,
        algorithms,
        keys,
        leeway: Duration::from_secs(leeway),
        require_nbf: jwt.require_nbf.unwrap_or(true),
        jwks_max_age: Duration::from_secs(max_age),
        jwks_min_refetch: Duration::from_secs(min_refetch),
    })
}

/// A key set must come over https: over plain http anyone on the path could substitute keys.
/// Loopback is the exception (a local sidecar, and the tests).
fn check_jwks_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("jwks_url is not a URL ({e})"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("jwks_url must be an https:// URL (http:// only on loopback)".into()),
    }
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
    use secrecy::ExposeSecret;

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

    #[test]
    fn jwt_tables_pin_algorithms_and_keys() {
        let dir = temp_dir();
        let secret = write(&dir, "hs", &"h".repeat(40));
        let short = write(&dir, "short", "too-short");
        let jwks = write(&dir, "jwks.json", "{\"keys\":[]}");
        let good = write(
            &dir,
            "good.toml",
            &format!(
                "[[credentials]]\nname = \"entra\"\nscope = \"read-only\"\n[credentials.jwt]\n\
                 issuer = \"https://sts.windows.net/t/\"\naudience = [\"api://a\", \"api://b\"]\n\
                 algorithms = [\"RS256\"]\njwks_url = \"https://login.microsoftonline.com/t/discovery/v2.0/keys\"\n\
                 [[credentials]]\nname = \"hs\"\n[credentials.jwt]\nissuer = \"i\"\naudience = \"a\"\n\
                 algorithms = [\"HS256\"]\nsecret_file = \"{}\"\nleeway_secs = 30\nrequire_nbf = false\n\
                 [[credentials]]\nname = \"file\"\n[credentials.jwt]\nissuer = \"i2\"\naudience = \"a\"\n\
                 algorithms = [\"ES256\"]\njwks_file = \"{}\"\n",
                secret.display(),
                jwks.display()
            ),
        );
        let s = Settings::from_args(&ServeArgs {
            bridge_config: Some(good),
            ..args()
        })
        .unwrap();
        let specs = s.credential_specs();
        let CredentialKind::Jwt(entra) = &specs[1].kind else {
            panic!("entra is a JWT credential")
        };
        assert_eq!(specs[1].scope, Scope::ReadOnly);
        assert_eq!(entra.audiences, ["api://a", "api://b"]);
        assert_eq!(entra.leeway, Duration::from_secs(60));
        assert!(entra.require_nbf);
        let CredentialKind::Jwt(hs) = &specs[2].kind else {
            panic!("hs is a JWT credential")
        };
        assert!(matches!(&hs.keys, KeySource::SharedSecret(_)));
        assert!(!hs.require_nbf);
        assert!(
            !format!("{s:?}").contains(&"h".repeat(40)),
            "no secret in Debug"
        );

        let table = |jwt: &str| {
            format!(
                "[[credentials]]\nname = \"x\"\n[credentials.jwt]\nissuer = \"i\"\naudience = \"a\"\n{jwt}\n"
            )
        };
        let cases = [
            (
                table("algorithms = [\"none\"]\njwks_url = \"https://x/keys\""),
                "'none' is not an algorithm",
            ),
            (
                table("algorithms = []\njwks_url = \"https://x/keys\""),
                "at least one algorithm",
            ),
            (
                table(&format!(
                    "algorithms = [\"HS256\", \"RS256\"]\nsecret_file = \"{}\"",
                    secret.display()
                )),
                "cannot share a credential",
            ),
            (
                table("algorithms = [\"RS256\"]\njwks_url = \"http://idp.example/keys\""),
                "https://",
            ),
            (
                table(&format!(
                    "algorithms = [\"RS256\"]\nsecret_file = \"{}\"",
                    secret.display()
                )),
                "not a secret",
            ),
            (
                table("algorithms = [\"HS256\"]\njwks_url = \"https://x/keys\""),
                "not a key set",
            ),
            (
                table(&format!(
                    "algorithms = [\"HS256\"]\nsecret_file = \"{}\"",
                    short.display()
                )),
                "is 9 bytes long; HMAC needs at least 32",
            ),
            (
                table(
                    "algorithms = [\"RS256\"]\njwks_url = \"https://x/keys\"\nleeway_secs = 3600",
                ),
                "leeway_secs",
            ),
            (
                table("algorithms = [\"RS256\"]\njwks_url = \"https://x/keys\"\nissuer_typo = 1"),
                "unknown field",
            ),
            (
                format!(
                    "[[credentials]]\nname = \"x\"\ntoken_file = \"{}\"\n[credentials.jwt]\nissuer = \"i\"\naudience = \"a\"\nalgorithms = [\"HS256\"]\nsecret_file = \"{}\"\n",
                    secret.display(),
                    secret.display()
                ),
                "not both",
            ),
        ];
        for (i, (toml, expected)) in cases.into_iter().enumerate() {
            let config = write(&dir, &format!("bad{i}.toml"), &toml);
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
            assert!(!err.problem.contains(&"h".repeat(40)));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn limits_default_and_refuse_nonsense() {
        let s = Settings::from_args(&args()).unwrap();
        assert_eq!(s.security.limits, Limits::default());
        let s = Settings::from_args(&ServeArgs {
            security: SecurityArgs {
                bridge_max_members: Some(50),
                bridge_rate_limit_per_minute: Some(0),
                bridge_request_timeout_secs: Some(5),
                ..Default::default()
            },
            ..args()
        })
        .unwrap();
        assert_eq!(s.security.limits.max_members, 50);
        assert_eq!(s.security.limits.rate_limit.per_minute, 0);
        assert_eq!(s.security.limits.request_timeout, Duration::from_secs(5));
        for (security, var) in [
            (
                SecurityArgs {
                    bridge_max_filter_depth: Some(65),
                    ..Default::default()
                },
                "BRIDGE_MAX_FILTER_DEPTH",
            ),
            (
                SecurityArgs {
                    bridge_max_body_bytes: Some(0),
                    ..Default::default()
                },
                "BRIDGE_MAX_BODY_BYTES",
            ),
            (
                SecurityArgs {
                    bridge_request_timeout_secs: Some(0),
                    ..Default::default()
                },
                "BRIDGE_REQUEST_TIMEOUT_SECS",
            ),
            (
                SecurityArgs {
                    bridge_rate_limit_burst: Some(0),
                    ..Default::default()
                },
                "BRIDGE_RATE_LIMIT_BURST",
            ),
        ] {
            let err = Settings::from_args(&ServeArgs { security, ..args() }).unwrap_err();
            assert_eq!(err.var, var);
        }
    }

    #[test]
    fn tls_needs_both_files() {
        let dir = temp_dir();
        let cert = write(&dir, "cert.pem", "x");
        let key = write(&dir, "key.pem", "x");
        let with = |cert: Option<PathBuf>, key: Option<PathBuf>| {
            Settings::from_args(&ServeArgs {
                security: SecurityArgs {
                    bridge_tls_cert: cert,
                    bridge_tls_key: key,
                    ..Default::default()
                },
                ..args()
            })
        };
        assert!(with(None, None).unwrap().security.tls.is_none());
        let s = with(Some(cert.clone()), Some(key.clone())).unwrap();
        assert_eq!(s.security.tls.unwrap().key, key);
        assert_eq!(
            with(Some(cert.clone()), None).unwrap_err().var,
            "BRIDGE_TLS_KEY"
        );
        assert_eq!(
            with(None, Some(key.clone())).unwrap_err().var,
            "BRIDGE_TLS_CERT"
        );
        assert_eq!(
            with(Some(dir.join("missing.pem")), Some(key))
                .unwrap_err()
                .var,
            "BRIDGE_TLS_CERT"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
