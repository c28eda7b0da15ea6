//! Why the bridge, or one of its tenants, did not start.

use std::net::SocketAddr;

use crate::target::{SuperRankRefused, TargetSetupError};
use crate::tls::TlsError;
use bridge::groups::{EmptyMappedId, UnknownMappedId};
use bridge::roles::DirectRolesError;
use bridge::store::StoreError;

/// Why the bridge did not start. `main` prints it with its chain of causes (`{:#}`), so a
/// variant either names its cause in its message or marks it as its source, never both: the
/// cause would be printed twice.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Target(#[from] TargetSetupError),
    #[error("the group mapping names what the target does not have: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Mapping(Vec<UnknownMappedId>),
    #[error("direct role assignment is misconfigured: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    DirectRoles(Vec<DirectRolesError>),
    #[error(transparent)]
    EmptyMapping(#[from] EmptyMappedId),
    #[error(transparent)]
    SuperRank(#[from] SuperRankRefused),
    #[error(transparent)]
    Bridge(bridge::error::BridgeError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error(
        "BRIDGE_DATABASE_URL names {configured}, which does not exist, but {} does: the store \
         of an earlier release, whose Kubernetes manifests used that file name. Rename it to the \
         configured name (or set BRIDGE_DATABASE_URL to it) and start again; an empty store would \
         forget every group, membership and deprovisioned user",
        .found.display()
    )]
    EarlierStore {
        configured: String,
        found: std::path::PathBuf,
    },
}

/// The store file name the deploy manifests used before they and the image agreed on one.
const EARLIER_STORE_FILE: &str = "bridge.db";

/// The store of an earlier release beside a configured store file that does not exist yet:
/// starting would create a new, empty store and lose what the old one holds.
pub fn earlier_store_beside(database_url: &str) -> Result<(), StartupError> {
    let Some(path) = database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
    else {
        return Ok(());
    };
    let path = std::path::Path::new(path);
    let earlier = path.with_file_name(EARLIER_STORE_FILE);
    if path.exists() || earlier == path || !earlier.exists() {
        return Ok(());
    }
    Err(StartupError::EarlierStore {
        configured: path.display().to_string(),
        found: earlier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_store_beside_a_missing_one_stops_the_start() {
        let dir = std::env::temp_dir().join(format!("fsb-earlier-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("falcon-scim-bridge.db").display());
        assert!(
            earlier_store_beside(&url).is_ok(),
            "nothing there: a new store"
        );
        std::fs::write(dir.join("bridge.db"), b"").unwrap();
        let refused = earlier_store_beside(&url).unwrap_err().to_string();
        assert!(refused.contains("bridge.db does"), "{refused}");
        std::fs::write(dir.join("falcon-scim-bridge.db"), b"").unwrap();
        assert!(
            earlier_store_beside(&url).is_ok(),
            "the configured store exists"
        );
        assert!(earlier_store_beside("sqlite::memory:").is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
