//! Secrets, read from where deployments keep them: never from the TOML file, which is usually a
//! ConfigMap, but from an environment variable or a mounted file (Docker and Kubernetes
//! secrets).
//!
//! Two shapes share these readers. A setting of its own (`FALCON_CLIENT_SECRET`,
//! `SCIM_BEARER_TOKENS`) comes from its variable or from the file `NAME_FILE` names, and a
//! problem names the setting. A `[[credentials]]` table of the TOML file names the variable or
//! the file itself (`token_env`, `secret_file`...), and a problem names the table, under
//! `BRIDGE_CONFIG`. Either way the value is trimmed, as files end with a newline.

use std::path::Path;

use super::{CONFIG, ConfigError, invalid};

/// A secret from its variable, or from the file `NAME_FILE` names (Docker and Kubernetes
/// secrets are mounted as files).
pub(super) fn secret_value(
    value: Option<String>,
    var: &'static str,
) -> Result<String, ConfigError> {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        return Ok(v.trim().to_owned());
    }
    let file_var = format!("{var}_FILE");
    match std::env::var_os(&file_var) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                invalid(
                    var,
                    format!(
                        "cannot read {file_var} ({}): {e}",
                        Path::new(&path).display()
                    ),
                )
            })?;
            let text = text.trim().to_owned();
            if text.is_empty() {
                return Err(invalid(var, format!("{file_var} names an empty file")));
            }
            Ok(text)
        }
        None => Err(invalid(
            var,
            format!("required but not set (set {var} or {file_var})"),
        )),
    }
}

/// The secret in the environment variable `var` that the TOML table `here` names.
pub(super) fn read_env_secret(var: &str, here: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        Ok(_) => Err(invalid(CONFIG, format!("{here}: {var} is empty"))),
        Err(_) => Err(invalid(
            CONFIG,
            format!("{here}: the environment variable {var} is not set"),
        )),
    }
}

/// The secret in the file `path` that the TOML table `here` names.
pub(super) fn read_file_secret(path: &Path, here: &str) -> Result<String, ConfigError> {
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
