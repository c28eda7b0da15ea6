//! The core's failures, and the one place each becomes a SCIM error.
//!
//! The core decides what went wrong in its own terms ([`BridgeError`]); a target's failure
//! arrives classified by kind ([`ErrorKind`]), never as the target's own variants. The detail
//! strings below are shown verbatim to the Okta or Entra admin (Okta's Dashboard > Tasks,
//! Entra's provisioning logs), so each says what happened and what to do about it.

use std::fmt;

use scim::error::ScimError;
use target_api::{ErrorKind, Naming, TargetError};

use crate::guard::GuardError;
use crate::store::StoreError;

/// How long an IdP should wait before retrying when the target is down or misconfigured.
const RETRY_LATER_SECS: u64 = 30;

/// The SCIM resource a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::User => "User",
            Resource::Group => "Group",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("{resource} {id} not found")]
    NotFound { resource: Resource, id: String },
    /// A user or group with that name exists already.
    #[error("{0}")]
    Uniqueness(String),
    /// The request changes what cannot change.
    #[error("{0}")]
    Immutable(String),
    /// The request carries a value the bridge cannot accept.
    #[error("{0}")]
    Invalid(String),
    /// The target cannot do what the request asks.
    #[error("{0}")]
    Unsupported(String),
    /// The SCIM layer refused the request while it was applied under the identity's lock (a
    /// PATCH whose operations do not fit the current resource).
    #[error(transparent)]
    Request(ScimError),
    #[error(transparent)]
    Target(Box<TargetFailure>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Guard(#[from] GuardError),
}

/// A target call that failed, and what the bridge was doing.
#[derive(Debug, thiserror::Error)]
#[error("{action}: {source}")]
pub struct TargetFailure {
    /// How the admin calls the target and its parts.
    pub naming: Naming,
    /// What the bridge was doing, said to the admin: "create Falcon user jane@example.com".
    pub action: String,
    #[source]
    pub source: TargetError,
}

impl BridgeError {
    pub fn not_found(resource: Resource, id: impl fmt::Display) -> Self {
        BridgeError::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    /// Whether the same change could still succeed later without anyone changing anything (an
    /// interrupted change is then finished at the next start instead of forgotten).
    pub fn is_transient(&self) -> bool {
        match self {
            BridgeError::Target(failure) => failure.source.is_transient(),
            BridgeError::Store(_) => true,
            _ => false,
        }
    }
}

/// How long an IdP is asked to wait while the store is unreachable.
const STORE_RETRY_AFTER_SECS: u64 = 10;

/// How long an IdP is asked to wait while another replica works on the same identity.
const CONTENDED_RETRY_AFTER_SECS: u64 = 2;

impl From<BridgeError> for ScimError {
    fn from(err: BridgeError) -> Self {
        match err {
            BridgeError::NotFound { resource, id } => {
                ScimError::not_found(&resource.to_string(), &id)
            }
            BridgeError::Uniqueness(detail) => ScimError::uniqueness(detail),
            BridgeError::Immutable(detail) => ScimError::mutability(detail),
            // An IdP retries a 5xx forever; what the target cannot do is the admin's to see.
            BridgeError::Invalid(detail) | BridgeError::Unsupported(detail) => {
                ScimError::invalid_value(detail)
            }
            BridgeError::Request(e) => e,
            // Nothing was changed that a retry would not make again: the IdP waits and retries.
            BridgeError::Store(e) if e.is_unreachable() => {
                tracing::error!(error = %e, "the store is unreachable");
                ScimError::unavailable(
                    "the bridge's store is unreachable; retry shortly",
                    Some(STORE_RETRY_AFTER_SECS),
                )
            }
            // Another replica is changing the same identity, for longer than it should take.
            BridgeError::Store(e @ StoreError::Contended { .. }) => {
                tracing::warn!(error = %e, "gave up waiting for another replica");
                ScimError::unavailable(e.to_string(), Some(CONTENDED_RETRY_AFTER_SECS))
            }
            BridgeError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ScimError::internal("the bridge's store failed; see the bridge's log")
            }
            BridgeError::Target(failure) => {
                let TargetFailure {
                    naming,
                    action,
                    source,
                } = *failure;
                target_to_scim(&naming, &action, source)
            }
            BridgeError::Guard(refused @ GuardError::Refused { retry_after, .. }) => {
                ScimError::unavailable(refused.to_string(), Some(retry_after))
            }
            BridgeError::Guard(GuardError::Store(e)) => BridgeError::Store(e).into(),
        }
    }
}

/// `Retry-After` in whole seconds, rounded up: an IdP that waits as told finds the target ready,
/// never a second early. At least one second, so no IdP retries in a tight loop.
fn whole_seconds_up(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn target_to_scim(naming: &Naming, action: &str, err: TargetError) -> ScimError {
    let product = naming.product;
    let trace = err
        .trace_id()
        .map(|t| format!(" ({product} trace id {t})"))
        .unwrap_or_default();
    match err.kind() {
        ErrorKind::RateLimited { retry_after } => ScimError::rate_limited(
            format!(
                "{product} is rate limiting the bridge; could not {action}. Retry later{trace}"
            ),
            whole_seconds_up(*retry_after),
        ),
        ErrorKind::Rejected { reason } => {
            ScimError::invalid_value(format!("{product} refused to {action}: {reason}{trace}"))
        }
        ErrorKind::Conflict => {
            ScimError::uniqueness(format!("{product} refused to {action}: {err}{trace}"))
        }
        ErrorKind::Blocked { reason } => ScimError::invalid_value(format!(
            "{product} will not let the bridge {action}: {reason}{trace}"
        )),
        ErrorKind::UnknownEntitlement { id } => ScimError::invalid_value(format!(
            "{product} does not know {noun} '{id}' (could not {action}); fix the group mapping{trace}",
            noun = naming.entitlement,
        )),
        ErrorKind::NotFound => ScimError::invalid_value(format!(
            "could not {action}: the {product} user no longer exists (deleted outside the bridge?); \
             run 'falcon-scim-bridge reconcile'{trace}"
        )),
        ErrorKind::Unsupported => {
            ScimError::invalid_value(format!("{product} cannot {action}: {err}"))
        }
        ErrorKind::ReadOnly { reason } => {
            ScimError::mutability(format!("{product} will not {action}: {reason}{trace}"))
        }
        ErrorKind::Transient => {
            tracing::warn!(error = %err, target = product, "the target is unavailable");
            ScimError::unavailable(
                format!("{product} is unavailable; could not {action}. Retry later{trace}"),
                Some(RETRY_LATER_SECS),
            )
        }
        ErrorKind::Misconfigured => {
            tracing::error!(error = %err, target = product, "the bridge's access to the target is misconfigured");
            ScimError::unavailable(
                format!("the bridge cannot {action}: {err}"),
                Some(RETRY_LATER_SECS),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{target_to_scim, whole_seconds_up};
    use scim::error::ScimError;
    use std::time::Duration;
    use target_api::{ErrorKind, Naming, TargetError};

    #[test]
    fn an_attribute_the_target_holds_read_only_is_a_mutability_error() {
        let naming = Naming {
            product: "LumApps",
            key: "lumapps",
            entitlement: "group",
            example_entitlement: "Security Team",
        };
        let err = TargetError::new(
            ErrorKind::ReadOnly {
                reason: "bo's names come from its microsoft directory".into(),
            },
            "synchronised",
        );
        let scim: ScimError = target_to_scim(&naming, "rename bo", err);
        assert_eq!(scim.status, 400);
        assert_eq!(
            scim.detail,
            "LumApps will not rename bo: bo's names come from its microsoft directory"
        );
        assert_eq!(
            scim.scim_type,
            ScimError::mutability("").scim_type,
            "{scim:?}"
        );
    }

    #[test]
    fn another_replica_keeping_an_identity_too_long_is_a_503_to_retry_soon() {
        let waited = crate::store::StoreError::Contended {
            name: "user:1".into(),
            waited: Duration::from_secs(15),
        };
        let scim: ScimError = super::BridgeError::Store(waited).into();
        assert_eq!(scim.status, 503);
        assert_eq!(scim.retry_after_secs, Some(2));
        assert_eq!(
            scim.detail,
            "another replica has been working on user:1 for more than 15s"
        );
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::from_millis(29_100)), 30);
        assert_eq!(whole_seconds_up(Duration::from_secs(30)), 30);
        assert_eq!(whole_seconds_up(Duration::from_millis(10)), 1);
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
    }
}
