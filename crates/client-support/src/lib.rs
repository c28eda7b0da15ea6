//! What the target clients (Incydr's, LumApps' and those to come) share and no target defines:
//! the retry policy's decisions (`retry`), the loop that sends one call until it succeeds or
//! that policy gives up (`send`), and the bearer-token cache (`token`). It knows no target's API
//! and nothing of SCIM: each client describes its calls through [`TargetCall`] (how a request
//! is sent, how a refusal becomes its error, what its log lines and metrics are called) and
//! fetches its own tokens.

pub mod retry;
pub mod send;
pub mod token;

pub use retry::{MAX_BACKOFF, RateLimited, Retries, RetryLimits, parse_retry_after};
pub use send::{Received, SendEvent, TargetCall, describe_transport_error, read_reply, send};
pub use token::{AccessToken, TokenCache};

/// What [`log_send_event!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use tracing;
}
