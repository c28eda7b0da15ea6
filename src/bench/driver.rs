//! The load generator: an IdP's side of SCIM over HTTP/1.1 keep-alive, timing every request
//! and tallying what came back (latencies, 429s, unexpected answers).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use reqwest::Method;
use serde_json::Value;

use super::BenchError;

/// One request as the IdP saw it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub latency: Duration,
    /// `None` when no answer came (transport error).
    pub status: Option<u16>,
    /// The status was the one expected.
    pub expected: bool,
}

/// A SCIM answer: its sample, its body and its `Retry-After` header (seconds), if any.
#[derive(Debug)]
pub struct Answer {
    pub sample: Sample,
    pub body: Vec<u8>,
    /// `None` when absent; `Some(Err(text))` when present but not a number of seconds.
    pub retry_after: Option<Result<u64, String>>,
}

impl Answer {
    /// The body as JSON (`Null` when it is empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The samples of a phase.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub idp_429s: u64,
    pub errors: u64,
}

impl Tally {
    pub fn add(&mut self, sample: Sample) {
        self.latencies.push(sample.latency);
        if sample.status == Some(429) {
            self.idp_429s += 1;
        } else if !sample.expected {
            self.errors += 1;
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.idp_429s += other.idp_429s;
        self.errors += other.errors;
    }

    pub fn ops(&self) -> u64 {
        self.latencies.len() as u64
    }
}

/// A SCIM client with the bridge's bearer token. With several replicas it spreads its
/// requests over them in turn, as a round-robin load balancer would (clones share the turn).
#[derive(Clone)]
pub struct Idp {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/scim/v2`, one per replica.
    bases: Arc<[String]>,
    /// The next request's replica (modulo their number).
    turn: Arc<AtomicUsize>,
    /// Answers received from each replica.
    answered: Arc<[AtomicU64]>,
    token: String,
}

impl Idp {
    /// A client of one bridge at `root` (`http://127.0.0.1:PORT`).
    pub fn new(root: &str, token: &str, connections: usize) -> Result<Self, BenchError> {
        Self::round_robin(&[root.to_owned()], token, connections)
    }

    /// A client of the replicas at `roots`, which all accept `token`, taken in turn.
    /// `connections` is kept open to each.
    pub fn round_robin(
        roots: &[String],
        token: &str,
        connections: usize,
    ) -> Result<Self, BenchError> {
        if roots.is_empty() {
            return Err(BenchError::Unexpected("an IdP needs a bridge".into()));
        }
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections.max(1))
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(Self {
            http,
            bases: roots
                .iter()
                .map(|root| format!("{root}{}", crate::server::SCIM_PREFIX))
                .collect(),
            turn: Arc::new(AtomicUsize::new(0)),
            answered: roots.iter().map(|_| AtomicU64::new(0)).collect(),
            token: token.to_owned(),
        })
    }

    /// How many answers (of any status) each replica gave so far, in the order of the roots.
    pub fn answered_per_replica(&self) -> Vec<u64> {
        self.answered
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }

    /// The next replica's index.
    fn next_replica(&self) -> usize {
        if self.bases.len() == 1 {
            0
        } else {
            self.turn.fetch_add(1, Ordering::Relaxed) % self.bases.len()
        }
    }

    /// Sends one request and reads the whole answer; never fails (a transport error is a
    /// sample without status).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expect: u16,
    ) -> Answer {
        let replica = self.next_replica();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.bases[replica]))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let started = Instant::now();
        let result = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .map(|v| parse_retry_after(v.to_str().unwrap_or_default()));
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes.to_vec(), retry_after))
        }
        .await;
        let latency = started.elapsed();
        let (status, body, retry_after) = match result {
            Ok((status, body, retry_after)) => {
                self.answered[replica].fetch_add(1, Ordering::Relaxed);
                (Some(status), body, retry_after)
            }
            Err(e) => {
                tracing::warn!(%path, error = %e, "no answer from the bridge");
                (None, Vec::new(), None)
            }
        };
        if let Some(s) = status.filter(|s| *s != expect && *s != 429) {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            tracing::warn!(%path, status = s, expected = expect, body = %text, "unexpected answer");
        }
        Answer {
            sample: Sample {
                latency,
                status,
                expected: status == Some(expect),
            },
            body,
            retry_after,
        }
    }

    /// Sends one request as an IdP that honours `Retry-After` (Okta does): after a 429 it
    /// waits as told and sends the request again. Returns every attempt's sample, the last
    /// answer, and whether each 429 carried a usable `Retry-After`; a 429 without one ends
    /// the retries, since an IdP could only guess.
    pub async fn call_honouring_retry_after(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expect: u16,
    ) -> (Vec<Sample>, Answer, bool) {
        let mut samples = Vec::new();
        loop {
            let answer = self.call(method.clone(), path, body, expect).await;
            samples.push(answer.sample);
            if answer.sample.status != Some(429) {
                return (samples, answer, true);
            }
            match &answer.retry_after {
                Some(Ok(secs)) => tokio::time::sleep(Duration::from_secs(*secs)).await,
                _ => {
                    tracing::warn!(%path, retry_after = ?answer.retry_after, "429 without a usable Retry-After");
                    return (samples, answer, false);
                }
            }
        }
    }

    pub async fn get(&self, path: &str, expect: u16) -> Answer {
        self.call(Method::GET, path, None, expect).await
    }

    pub async fn post(&self, path: &str, body: &Value, expect: u16) -> Answer {
        self.call(Method::POST, path, Some(body), expect).await
    }

    pub async fn patch(&self, path: &str, body: &Value, expect: u16) -> Answer {
        self.call(Method::PATCH, path, Some(body), expect).await
    }
}

/// Runs `op` for every item with at most `concurrency` at once; each op returns its samples
/// and a result. Returns the tally, the results (in completion order) and the wall time.
pub async fn run_concurrently<I, F, Fut, R>(
    items: I,
    concurrency: usize,
    op: F,
) -> (Tally, Vec<R>, Duration)
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = (Vec<Sample>, R)>,
{
    let started = Instant::now();
    let outcomes: Vec<(Vec<Sample>, R)> = stream::iter(items)
        .map(op)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let wall = started.elapsed();
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(outcomes.len());
    for (samples, result) in outcomes {
        for s in samples {
            tally.add(s);
        }
        results.push(result);
    }
    (tally, results, wall)
}

/// `Retry-After` as RFC 9110 allows it from an API: a number of seconds. (The HTTP-date form is
/// not one the bridge sends, so it counts as unusable here.)
fn parse_retry_after(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| text.to_owned())
}

/// SCIM's string quoting for a filter value.
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `/Users?filter=userName eq "<name>"`, URL-encoded.
pub fn user_name_filter(user_name: &str) -> String {
    let filter = format!("userName eq {}", quoted(user_name));
    format!(
        "/Users?{}",
        serde_urlencoded::to_string([("filter", filter)]).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_count_429s_apart_from_errors() {
        let mut t = Tally::default();
        let s = |status, expected| Sample {
            latency: Duration::from_millis(1),
            status,
            expected,
        };
        t.add(s(Some(201), true));
        t.add(s(Some(429), false));
        t.add(s(Some(500), false));
        t.add(s(None, false));
        assert_eq!((t.ops(), t.idp_429s, t.errors), (4, 1, 2));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after(" 30"), Ok(30));
        assert_eq!(parse_retry_after("0"), Ok(0));
        assert!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT").is_err());
        assert!(parse_retry_after("1.5").is_err());
    }

    #[test]
    fn filters_are_quoted_and_encoded() {
        assert_eq!(
            user_name_filter("a.b@x.com"),
            "/Users?filter=userName+eq+%22a.b%40x.com%22"
        );
    }
}
