//! Bridge failures and how each reaches the IdP as a SCIM error.
//!
//! The detail strings are shown verbatim to the Okta or Entra admin (Okta's Dashboard > Tasks,
//! Entra's provisioning logs), so each says what happened and what to do about it.

use crate::store::StoreError;
use falcon::FalconError;
use scim::error::ScimError;

use super::guard::GuardError;

/// How long an IdP should wait before retrying when Falcon is down or misconfigured.
const RETRY_LATER_SECS: u64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("{action}: {source}")]
    Falcon {
        action: String,
        #[source]
        source: FalconError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Guard(#[from] GuardError),
}

impl BridgeError {
    pub fn falcon(action: impl Into<String>, source: FalconError) -> Self {
        BridgeError::Falcon {
            action: action.into(),
            source,
        }
    }
}

impl From<BridgeError> for ScimError {
    fn from(err: BridgeError) -> Self {
        match err {
            BridgeError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ScimError::internal("the bridge's store failed; see the bridge's log")
            }
            BridgeError::Falcon { action, source } => falcon_to_scim(&action, source),
            BridgeError::Guard(refused @ GuardError::Refused { retry_after, .. }) => {
                ScimError::unavailable(refused.to_string(), Some(retry_after))
            }
            BridgeError::Guard(GuardError::Store(e)) => BridgeError::Store(e).into(),
        }
    }
}

fn falcon_to_scim(action: &str, err: FalconError) -> ScimError {
    let trace = err
        .trace_id()
        .map(|t| format!(" (Falcon trace id {t})"))
        .unwrap_or_default();
    match err {
        FalconError::RateLimited { retry_after, .. } => ScimError::rate_limited(
            format!("Falcon is rate limiting the bridge; could not {action}. Retry later{trace}"),
            retry_after.as_secs().max(1),
        ),
        FalconError::Rejected(ref f) => {
            ScimError::invalid_value(format!("Falcon refused to {action}: {}{trace}", f.message))
        }
        FalconError::InvalidRole { ref role_id, .. } => ScimError::invalid_value(format!(
            "Falcon does not know role '{role_id}' (could not {action}); fix the group mapping{trace}"
        )),
        FalconError::UnknownUser { .. } => ScimError::invalid_value(format!(
            "could not {action}: the Falcon user no longer exists (deleted outside the bridge?); \
             run 'falcon-scim-bridge reconcile'{trace}"
        )),
        FalconError::Server(_) | FalconError::Unreachable { .. } | FalconError::Decode { .. } => {
            tracing::warn!(error = %err, "Falcon unavailable");
            ScimError::unavailable(
                format!("Falcon is unavailable; could not {action}. Retry later{trace}"),
                Some(RETRY_LATER_SECS),
            )
        }
        FalconError::Authentication(_)
        | FalconError::MissingScope(_)
        | FalconError::WrongRegion { .. } => {
            tracing::error!(error = %err, "the bridge's Falcon API client is misconfigured");
            ScimError::unavailable(
                format!("the bridge cannot {action}: {err}"),
                Some(RETRY_LATER_SECS),
            )
        }
    }
}
