//! JWT credentials: a `[credentials.jwt]` table (see `credentials.rs`) turned into the rules a
//! token must pass, with every choice that would weaken them refused at start: algorithms are
//! pinned, HMAC and public-key algorithms never share a credential, shared secrets are long
//! enough, key sets come over https, and the clock-skew leeway stays short.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::secrets::{read_env_secret, read_file_secret};
use crate::config::{CONFIG, ConfigError, invalid};
use scim::auth::jwks::JwksSource;
use scim::auth::{JwtSpec, KeySource, MIN_HMAC_SECRET_BYTES};
use secrecy::SecretString;

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

/// The rules of one `[credentials.jwt]` table, its secret read; `here` names the table in errors.
pub(super) fn jwt_spec(jwt: JwtFile, here: &str) -> Result<JwtSpec, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::security::tests::{temp_dir, write};
    use crate::config::tests::args;
    use crate::config::{ServeArgs, Settings};
    use scim::auth::{CredentialKind, Scope};

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
        let specs = &s.tenants[0].credentials;
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
}
