//! The Falcon user-management client: HTTP, token cache and refresh, retries, 429 pacing,
//! batching and pagination.
//!
//! Every call goes through [`FalconClient::execute`], which owns the policy: wait for the shared
//! rate budget, take a concurrency permit, attach a fresh token, and on failure either retry
//! (401 once with a new token; 429 after `X-RateLimit-RetryAfter` within a bound; 5xx and
//! transport errors with backoff, for idempotent calls only) or return a typed [`FalconError`].
//!
//! Where each part lives: this file holds the [`FalconClient`] type and its accessors;
//! `config.rs` the [`ClientConfig`]; `call.rs` the description of one API call (route, query,
//! body, whether it may be retried); `auth.rs` the token endpoint and the 401 refresh;
//! `send.rs` sending one call until the policy gives up; `retry.rs` the policy's decisions
//! (backoff, the 429 wait bound); `reply.rs` reading a reply and turning a refusal into a
//! [`FalconError`]; `users.rs` and `roles.rs` the API calls themselves.

mod auth;
mod call;
mod config;
mod reply;
mod retry;
mod roles;
mod send;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use client_support::TokenCache;
use tokio::sync::Semaphore;

use super::error::FalconError;
use super::throttle::RateBudget;

pub use config::ClientConfig;

/// Log lines name the client, not the file inside it that wrote them, so one filter or log
/// query covers every line the client writes.
const LOG_TARGET: &str = module_path!();

/// The typed Falcon client. Cheap to clone; clones share the token, budget and permits.
///
/// Clients for several Flight Control children of one parent API client are separate
/// `FalconClient`s (a token minted with `member_cid` acts only in that child), built with
/// [`FalconClient::with_shared_budget`] so that they pace themselves on one rate limit.
#[derive(Clone)]
pub struct FalconClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    /// Falcon tokens live 30 minutes; a burst of calls at expiry must not become a burst of
    /// token requests (the token endpoint has its own, much smaller, rate limit).
    tokens: TokenCache,
    /// Possibly shared with other clients of the same parent API client: Falcon charges their
    /// calls to one window, so a 429 seen by any of them must pause all of them.
    budget: Arc<RateBudget>,
    /// Per client on purpose: Falcon limits calls per minute, not concurrency, so there is
    /// nothing to share; this only bounds one client's open sockets.
    permits: Semaphore,
}

impl std::fmt::Debug for FalconClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FalconClient")
            .field("base_url", &self.inner.cfg.base_url)
            .finish_non_exhaustive()
    }
}

impl FalconClient {
    /// A client with a rate budget of its own (one API client, one CID).
    pub fn new(cfg: ClientConfig) -> Result<Self, FalconError> {
        Self::with_shared_budget(cfg, Arc::default())
    }

    /// A client pacing itself on `budget`, which other clients may hold too. Give every client
    /// of one parent API client (one per `member_cid`) the same budget: Falcon charges all of
    /// them to the parent's own CID.
    pub fn with_shared_budget(
        cfg: ClientConfig,
        budget: Arc<RateBudget>,
    ) -> Result<Self, FalconError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("falcon-scim-bridge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| FalconError::Unreachable {
                operation: "client setup",
                detail: e.to_string(),
            })?;
        let permits = Semaphore::new(cfg.max_concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                cfg,
                tokens: TokenCache::default(),
                budget,
                permits,
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// Obtains a token now if there is no valid one (start-up, `check`, readiness).
    pub async fn authenticate(&self) -> Result<(), FalconError> {
        self.token().await.map(|_| ())
    }

    /// When the token in use was obtained; `None` when there is no valid token.
    pub fn token_obtained_at(&self) -> Option<SystemTime> {
        self.inner.tokens.obtained_at()
    }

    /// The last `X-RateLimit-Limit` / `-Remaining` Falcon sent to any client sharing the budget.
    pub fn rate_limit_snapshot(&self) -> (Option<u64>, Option<u64>) {
        self.inner.budget.snapshot()
    }

    /// The budget this client paces itself on, to build further clients sharing it.
    pub fn rate_budget(&self) -> Arc<RateBudget> {
        Arc::clone(&self.inner.budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::routes;
    use crate::sim::{Fault, RunningSim, SimConfig, Simulator};
    use secrecy::SecretString;

    async fn start(config: SimConfig) -> RunningSim {
        Simulator::new(config)
            .spawn("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    /// The simulator's default API client acting in `member_cid`. A 429 is returned at once
    /// (the simulator's retry times are far beyond the bound) so no test waits one out.
    fn config(running: &RunningSim, member_cid: &str) -> ClientConfig {
        let spec = running.sim.default_client();
        let mut cfg = ClientConfig::new(
            running.base_url.clone(),
            spec.client_id,
            SecretString::from(spec.client_secret),
        );
        cfg.member_cid = Some(member_cid.to_owned());
        cfg.max_rate_limit_wait = Duration::from_secs(5);
        cfg
    }

    /// Two clients of the simulator's parent client, in its two children, on one budget.
    fn sharing(running: &RunningSim) -> (FalconClient, FalconClient) {
        let children = running.sim.child_cids();
        let first = FalconClient::new(config(running, &children[0])).unwrap();
        let second =
            FalconClient::with_shared_budget(config(running, &children[1]), first.rate_budget())
                .unwrap();
        (first, second)
    }

    fn is_rate_limited(result: Result<Vec<String>, FalconError>) -> bool {
        matches!(result, Err(FalconError::RateLimited { .. }))
    }

    #[tokio::test]
    async fn a_429_seen_by_one_client_pauses_every_client_sharing_its_budget() {
        let running = start(SimConfig::default()).await;
        let (first, second) = sharing(&running);
        let alone = FalconClient::new(config(&running, &running.sim.child_cids()[1])).unwrap();
        assert!(Arc::ptr_eq(&first.rate_budget(), &second.rate_budget()));
        assert!(!Arc::ptr_eq(&first.rate_budget(), &alone.rate_budget()));
        for client in [&first, &second, &alone] {
            client.authenticate().await.unwrap();
        }
        // The token endpoint's own limit (per IP) is not the CID's: nothing is learnt from it.
        assert_eq!(first.rate_limit_snapshot(), (None, None));

        // What Falcon tells one client, the other knows too.
        first.query_user_ids(None).await.unwrap();
        assert_eq!(first.rate_limit_snapshot(), (Some(6000), Some(5999)));
        assert_eq!(second.rate_limit_snapshot(), first.rate_limit_snapshot());

        running.sim.inject_fault(
            routes::QUERY_USERS,
            None,
            Fault::RateLimit {
                retry_after_secs: 60,
            },
            1,
        );
        assert!(is_rate_limited(first.query_user_ids(None).await));
        // The other client now waits for Falcon's retry time instead of calling.
        assert!(second.rate_budget().delay() > Duration::from_secs(30));
        assert_eq!(second.rate_limit_snapshot(), (Some(6000), Some(0)));
        let calls = running.sim.call_count(routes::QUERY_USERS);
        assert!(is_rate_limited(second.query_user_ids(None).await));
        assert_eq!(running.sim.call_count(routes::QUERY_USERS), calls);

        // A client built with `new` paces itself alone.
        assert_eq!(alone.rate_budget().delay(), Duration::ZERO);
        alone.query_user_ids(None).await.unwrap();
        assert_eq!(running.sim.call_count(routes::QUERY_USERS), calls + 1);
        running.shutdown().await;
    }

    #[tokio::test]
    async fn clients_of_one_parent_in_two_children_spend_one_window() {
        let running = start(SimConfig {
            rate_limit_per_minute: 3,
            ..SimConfig::default()
        })
        .await;
        let (first, second) = sharing(&running);
        first.authenticate().await.unwrap();
        second.authenticate().await.unwrap();

        // Three calls, whichever child they act in, spend the parent's window of three...
        first.query_user_ids(None).await.unwrap();
        second.query_user_ids(None).await.unwrap();
        first.query_user_ids(None).await.unwrap();
        assert_eq!(second.rate_limit_snapshot(), (Some(3), Some(0)));
        // ...so Falcon refuses the fourth, and both clients then hold back.
        assert!(is_rate_limited(second.query_user_ids(None).await));
        assert_eq!(running.sim.throttled_count(), 1);
        assert!(first.rate_budget().delay() > Duration::from_secs(30));
        assert!(is_rate_limited(first.query_user_ids(None).await));
        assert_eq!(running.sim.throttled_count(), 1);
        assert_eq!(running.sim.call_count(routes::QUERY_USERS), 4);
        running.shutdown().await;
    }

    #[tokio::test]
    async fn a_429_from_the_token_endpoint_pauses_no_api_call() {
        let running = start(SimConfig::default()).await;
        let (first, second) = sharing(&running);
        second.authenticate().await.unwrap();
        running.sim.inject_fault(
            routes::TOKEN,
            None,
            Fault::RateLimit {
                retry_after_secs: 60,
            },
            1,
        );
        assert!(matches!(
            first.authenticate().await,
            Err(FalconError::RateLimited { .. })
        ));
        // The IP's token budget ran out, not the CID's: the other client calls at once.
        assert_eq!(second.rate_budget().delay(), Duration::ZERO);
        second.query_user_ids(None).await.unwrap();
        assert_eq!(second.rate_limit_snapshot(), (Some(6000), Some(5999)));
        running.shutdown().await;
    }
}
