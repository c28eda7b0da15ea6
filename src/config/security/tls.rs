//! TLS settings: the certificate chain and private key the SCIM endpoint serves HTTPS with
//! (`BRIDGE_TLS_CERT`, `BRIDGE_TLS_KEY`). Both or neither: plain HTTP behind a terminating proxy
//! stays the default. The files are only checked to exist here; `crate::tls` loads them.

use super::SecurityArgs;
use crate::config::{ConfigError, invalid};
use crate::tls::TlsFiles;

/// The TLS files, when both are given; one without the other is a mistake worth stopping.
pub(in crate::config) fn tls(args: &SecurityArgs) -> Result<Option<TlsFiles>, ConfigError> {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::security::tests::{temp_dir, write};
    use crate::config::tests::args;
    use crate::config::{ServeArgs, Settings};

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
