//! Sending one call until it succeeds (any 2xx) or the retry policy gives up. Each attempt is
//! counted in the metrics on its own, so a retried call shows up once per attempt.
//!
//! A 429 is waited out for every call (the target did nothing). A 5xx or a lost reply is retried
//! only for calls that may be repeated ([`TargetCall::may_repeat`]); one that may not goes again
//! only when its connection never opened. What the loop does not know is the target's: how to
//! send the request, what its errors are, and how its log lines and metrics are named.

use std::future::Future;
use std::time::{Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::retry::{RateLimited, Retries, RetryLimits, parse_retry_after};

/// A reply as it came off the wire.
#[derive(Debug)]
pub struct Received {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// One call to a target, as the send loop needs it.
pub trait TargetCall {
    /// The target client's error.
    type Error;
    /// Counter of attempts, by `operation` and `status` (HTTP status or `error`).
    const CALLS_METRIC: &'static str;
    /// Counter of 429s the target answered.
    const THROTTLED_METRIC: &'static str;

    /// Our name of the operation, for logs, metrics and errors.
    fn operation(&self) -> &'static str;

    /// Whether the call may go again after a reply that may have followed the write (a 5xx, or
    /// a reply lost on a connection that opened). Creates may not; most calls may.
    fn may_repeat(&self) -> bool {
        true
    }

    /// Sends the request once and reads the whole reply (see [`read_reply`]).
    fn attempt(&self) -> impl Future<Output = Result<Received, reqwest::Error>> + Send;

    /// The error when no reply came and the call may not go again; `detail` is
    /// [`describe_transport_error`]'s.
    fn unreachable(&self, detail: String) -> Self::Error;

    /// The error when 429s lasted past the call's bound.
    fn rate_limited(&self, limited: RateLimited, received: &Received) -> Self::Error;

    /// The error a refusal (any non-2xx the retry policy is done with) becomes.
    fn refused(&self, received: &Received) -> Self::Error;

    /// The call id a target's reply carries, for the log line of a retried server error; the
    /// default, `None`, writes no `call_id` field.
    fn logged_call_id(&self, _received: &Received) -> Option<String> {
        None
    }

    /// Writes the log line of `event`; [`log_send_event!`](crate::log_send_event) does it under
    /// the client's own log target.
    fn log(&self, event: SendEvent<'_>);
}

/// What the send loop logs, for [`TargetCall::log`].
#[derive(Debug)]
pub enum SendEvent<'a> {
    /// An attempt ended; `status` is the HTTP status or `error`.
    Attempted {
        operation: &'static str,
        status: &'a str,
        elapsed_ms: u64,
    },
    /// An attempt got no reply.
    NoReply {
        operation: &'static str,
        detail: &'a str,
    },
    /// A 429, waited out.
    Throttled {
        operation: &'static str,
        wait_ms: u64,
        retry_after_sent: bool,
    },
    /// A 5xx, retried.
    ServerError {
        operation: &'static str,
        status: u16,
        call_id: Option<String>,
    },
}

/// Writes a [`SendEvent`] as a log line under `target` (a constant: tracing fixes an event's
/// target where the event is written, which is why this is a macro and not a function here),
/// with messages that begin with `name`, e.g. `"Incydr call"`.
#[macro_export]
macro_rules! log_send_event {
    ($event:expr, target: $target:expr, name: $name:literal) => {{
        use $crate::__private::tracing;
        match $event {
            $crate::SendEvent::Attempted {
                operation,
                status,
                elapsed_ms,
            } => tracing::debug!(
                target: $target,
                operation,
                status = %status,
                elapsed_ms,
                concat!($name, " call")
            ),
            $crate::SendEvent::NoReply { operation, detail } => tracing::warn!(
                target: $target,
                operation,
                %detail,
                concat!($name, " call failed without a reply")
            ),
            $crate::SendEvent::Throttled {
                operation,
                wait_ms,
                retry_after_sent,
            } => tracing::warn!(
                target: $target,
                operation,
                wait_ms,
                retry_after_sent,
                concat!($name, " rate limit reached; waiting")
            ),
            $crate::SendEvent::ServerError {
                operation,
                status,
                call_id,
            } => tracing::warn!(
                target: $target,
                operation,
                status,
                call_id = call_id.as_deref(),
                concat!($name, " server error; retrying")
            ),
        }
    }};
}

/// Sends `call` until it succeeds (any 2xx) or the retry policy, bounded by `limits`, gives up.
pub async fn send<C: TargetCall>(call: &C, limits: RetryLimits) -> Result<Received, C::Error> {
    let operation = call.operation();
    let mut retries = Retries::new(limits);
    loop {
        let started = Instant::now();
        let result = call.attempt().await;
        let status_label = match &result {
            Ok(r) => r.status.as_u16().to_string(),
            Err(_) => "error".to_owned(),
        };
        call.log(SendEvent::Attempted {
            operation,
            status: &status_label,
            elapsed_ms: started.elapsed().as_millis() as u64,
        });
        metrics::counter!(C::CALLS_METRIC, "operation" => operation, "status" => status_label)
            .increment(1);
        let received = match result {
            Ok(received) => received,
            Err(error) => {
                let detail = describe_transport_error(&error);
                call.log(SendEvent::NoReply {
                    operation,
                    detail: &detail,
                });
                let may_repeat = call.may_repeat() || error.is_connect();
                match retries.after_failure().filter(|_| may_repeat) {
                    Some(pause) => {
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    None => return Err(call.unreachable(detail)),
                }
            }
        };
        if received.status == StatusCode::TOO_MANY_REQUESTS {
            metrics::counter!(C::THROTTLED_METRIC).increment(1);
            let said = parse_retry_after(
                received
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
                SystemTime::now(),
            );
            let pause = match retries.after_rate_limit(said) {
                Ok(pause) => pause,
                Err(limited) => return Err(call.rate_limited(limited, &received)),
            };
            call.log(SendEvent::Throttled {
                operation,
                wait_ms: pause.as_millis() as u64,
                retry_after_sent: said.is_some(),
            });
            tokio::time::sleep(pause).await;
            continue;
        }
        if received.status.is_server_error()
            && call.may_repeat()
            && let Some(pause) = retries.after_failure()
        {
            call.log(SendEvent::ServerError {
                operation,
                status: received.status.as_u16(),
                call_id: call.logged_call_id(&received),
            });
            tokio::time::sleep(pause).await;
            continue;
        }
        if received.status.is_success() {
            return Ok(received);
        }
        return Err(call.refused(&received));
    }
}

/// Sends a built request once and reads the whole reply.
pub async fn read_reply(request: reqwest::RequestBuilder) -> Result<Received, reqwest::Error> {
    let resp = request.send().await?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await?;
    Ok(Received {
        status,
        headers,
        body,
    })
}

/// A transport error in words, with its causes (never the URL's credentials: clients put none
/// there).
pub fn describe_transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reply interrupted"
    } else {
        "request failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    detail
}
