//! The Falcon user-management client: HTTP, token cache and refresh, retries, 429 pacing,
//! batching and pagination.
//!
//! Every call goes through [`FalconClient::execute`], which owns the policy: wait for the shared
//! rate budget, take a concurrency permit, attach a fresh token, and on failure either retry
//! (401 once with a new token; 429 after `X-RateLimit-RetryAfter` within a bound; 5xx and
//! transport errors with backoff, for idempotent calls only) or return a typed [`FalconError`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, TryStreamExt, stream};
use rand::Rng;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::error::{Failure, FalconError};
use super::model::{
    self, CreateUserRequest, Envelope, Grant, IdsRequest, MAX_IDS_PER_LOOKUP, MAX_PAGE_LIMIT,
    MAX_ROLES_PER_ACTION, Role, RoleAction, RoleActionKind, TokenResponse, UpdateUserRequest, User,
    headers, routes,
};
use super::region::Region;
use super::throttle::{self, RateBudget};
use super::token::{AccessToken, TokenCache};
use crate::telemetry as names;
use secrecy::{ExposeSecret, SecretString};

/// How many query pages or id batches are fetched at once during a bulk load.
const BULK_PARALLELISM: usize = 8;

/// Everything the client needs to know; `ClientConfig::new` fills sane defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL without trailing slash, e.g. `https://api.crowdstrike.com`.
    pub base_url: String,
    /// The region the operator configured; a token reply naming another one is an error.
    /// `None` when a custom base URL is used without a region (the simulator, a proxy).
    pub expected_region: Option<Region>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Act inside this child CID (Flight Control).
    pub member_cid: Option<String>,
    /// Longest total time one call may spend waiting out 429s before giving up.
    pub max_rate_limit_wait: Duration,
    /// Retries of an idempotent call after a 5xx or a transport error.
    pub max_retries: u32,
    pub retry_base_delay: Duration,
    /// Most Falcon calls in flight at once, across all callers. Falcon limits calls per minute,
    /// not concurrency; this only keeps a burst (a large group push) from opening sockets
    /// without end.
    pub max_concurrency: usize,
    pub request_timeout: Duration,
    /// Refresh the token this long before it expires.
    pub token_refresh_margin: Duration,
}

impl ClientConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            expected_region: None,
            client_id: client_id.into(),
            client_secret: secret,
            member_cid: None,
            max_rate_limit_wait: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            max_concurrency: 256,
            request_timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(120),
        }
    }

    /// A client for one of Falcon's clouds.
    pub fn for_region(region: Region, client_id: impl Into<String>, secret: SecretString) -> Self {
        let mut cfg = Self::new(region.base_url(), client_id, secret);
        cfg.expected_region = Some(region);
        cfg
    }
}

/// Whether a call may be sent again after a failure whose effect we cannot know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads, renames and grant/revoke: sending twice leaves Falcon as sending once.
    Idempotent,
    /// Create and delete: a second send after a lost reply could fail or duplicate.
    Never,
}

enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

struct Call {
    operation: &'static str,
    method: Method,
    path: &'static str,
    query: Vec<(&'static str, String)>,
    body: Body,
    retry: Retry,
}

impl Call {
    fn new(operation: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            operation,
            method,
            path,
            query: Vec::new(),
            body: Body::Empty,
            retry: Retry::Idempotent,
        }
    }

    fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    fn json(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own model types cannot fail.
        self.body = Body::Json(serde_json::to_value(body).unwrap_or_default());
        self
    }

    fn never_retry(mut self) -> Self {
        self.retry = Retry::Never;
        self
    }
}

/// A successful reply.
struct Reply<T> {
    envelope: Envelope<T>,
    status: StatusCode,
}

/// The typed Falcon client. Cheap to clone; clones share the token, budget and permits.
#[derive(Clone)]
pub struct FalconClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    tokens: TokenCache,
    budget: RateBudget,
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
    pub fn new(cfg: ClientConfig) -> Result<Self, FalconError> {
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
                budget: RateBudget::default(),
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

    /// The last `X-RateLimit-Limit` / `-Remaining` Falcon sent.
    pub fn rate_limit_snapshot(&self) -> (Option<u64>, Option<u64>) {
        self.inner.budget.snapshot()
    }

    // ----- users -------------------------------------------------------------------------

    /// queryUserV1 paged to exhaustion (limit 500): the uuids of every user matching `filter`.
    pub async fn query_user_ids(&self, filter: Option<&str>) -> Result<Vec<String>, FalconError> {
        let page = |offset: u64| {
            let mut call = Call::new("queryUserV1", Method::GET, routes::QUERY_USERS)
                .query("offset", offset.to_string())
                .query("limit", MAX_PAGE_LIMIT.to_string())
                .query("sort", "uid|asc");
            if let Some(f) = filter {
                call = call.query("filter", f);
            }
            self.execute::<String>(call)
        };
        let first = page(0).await?;
        let total = first
            .envelope
            .meta
            .pagination
            .map(|p| p.total)
            .unwrap_or_default();
        let mut ids = first.envelope.into_resources();
        if (ids.len() as u64) < total && !ids.is_empty() {
            // The first page tells us every offset, so the rest can be fetched in parallel.
            let step = ids.len() as u64;
            let offsets: Vec<u64> = (1..).map(|i| i * step).take_while(|o| *o < total).collect();
            let rest: Vec<Vec<String>> = stream::iter(offsets)
                .map(|offset| async move {
                    Ok::<_, FalconError>(page(offset).await?.envelope.into_resources())
                })
                .buffered(BULK_PARALLELISM)
                .try_collect()
                .await?;
            ids.extend(rest.into_iter().flatten());
        }
        // Users created or deleted while we paged can shift offsets; never report one twice.
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        ids.retain(|id| seen.insert(id.clone()));
        Ok(ids)
    }

    /// retrieveUsersGETV1 in batches of at most 5000 ids. Unknown ids are simply absent.
    pub async fn retrieve_users(&self, ids: &[String]) -> Result<Vec<User>, FalconError> {
        // Owned chunks: a stream over borrowed ones makes the future not `Send` (rust#100013).
        let chunks: Vec<Vec<String>> = ids
            .chunks(MAX_IDS_PER_LOOKUP)
            .map(<[String]>::to_vec)
            .collect();
        let batches: Vec<Vec<User>> = stream::iter(chunks)
            .map(|chunk| async move {
                let call = Call::new("retrieveUsersGETV1", Method::POST, routes::RETRIEVE_USERS)
                    .json(IdsRequest { ids: chunk });
                Ok::<_, FalconError>(self.execute::<User>(call).await?.envelope.into_resources())
            })
            .buffered(BULK_PARALLELISM)
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    /// Every user of the CID, in a few paged queries plus batched look-ups.
    pub async fn list_all_users(&self) -> Result<Vec<User>, FalconError> {
        let ids = self.query_user_ids(None).await?;
        self.retrieve_users(&ids).await
    }

    /// The user whose login is `uid` (compared as Falcon's tools do: lower-cased).
    pub async fn find_user_by_uid(&self, uid: &str) -> Result<Option<User>, FalconError> {
        let filter = super::fql::eq("uid", &uid.to_lowercase());
        let ids = self.query_user_ids(Some(&filter)).await?;
        let users = self.retrieve_users(&ids).await?;
        Ok(users.into_iter().find(|u| u.uid.eq_ignore_ascii_case(uid)))
    }

    /// createUserV1. With `validate_only`, Falcon checks the request and creates nothing
    /// (the result is then `None`).
    pub async fn create_user(
        &self,
        request: &CreateUserRequest,
        validate_only: bool,
    ) -> Result<Option<User>, FalconError> {
        let call = Call::new("createUserV1", Method::POST, routes::USERS)
            .query("validate_only", validate_only.to_string())
            .json(request)
            .never_retry();
        let reply = self.execute::<User>(call).await?;
        if validate_only {
            return Ok(None);
        }
        let status = reply.status;
        reply
            .envelope
            .into_resources()
            .into_iter()
            .next()
            .map(Some)
            .ok_or_else(|| FalconError::Decode {
                operation: "createUserV1",
                detail: format!("HTTP {status} without the created user"),
            })
    }

    /// updateUserV1. Falcon wants both names on every rename, so both are required here.
    pub async fn update_user(
        &self,
        uuid: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<User, FalconError> {
        let call = Call::new("updateUserV1", Method::PATCH, routes::USERS)
            .query("user_uuid", uuid)
            .json(UpdateUserRequest {
                first_name: Some(first_name.to_owned()),
                last_name: Some(last_name.to_owned()),
            });
        let reply = self
            .execute::<User>(call)
            .await
            .map_err(|e| with_user(e, uuid))?;
        reply
            .envelope
            .into_resources()
            .into_iter()
            .next()
            .ok_or_else(|| FalconError::Decode {
                operation: "updateUserV1",
                detail: "reply without the updated user".into(),
            })
    }

    /// deleteUserV1: permanent.
    pub async fn delete_user(&self, uuid: &str) -> Result<(), FalconError> {
        let call = Call::new("deleteUserV1", Method::DELETE, routes::USERS)
            .query("user_uuid", uuid)
            .never_retry();
        self.execute::<serde_json::Value>(call)
            .await
            .map(|_| ())
            .map_err(|e| with_user(e, uuid))
    }

    // ----- roles and grants --------------------------------------------------------------

    /// Grants `role_ids` to the user: one call per 100 roles (each call is atomic in Falcon).
    pub async fn grant_roles(
        &self,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        self.role_action(RoleActionKind::Grant, uuid, cid, role_ids)
            .await
    }

    /// Revokes `role_ids` from the user: one call per 100 roles.
    pub async fn revoke_roles(
        &self,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        self.role_action(RoleActionKind::Revoke, uuid, cid, role_ids)
            .await
    }

    async fn role_action(
        &self,
        action: RoleActionKind,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        for chunk in role_ids.chunks(MAX_ROLES_PER_ACTION) {
            let call = Call::new("userRolesActionV1", Method::POST, routes::USER_ROLE_ACTIONS)
                .json(RoleAction {
                    action,
                    cid: cid.to_owned(),
                    uuid: uuid.to_owned(),
                    role_ids: chunk.to_vec(),
                    expires_at: None,
                });
            self.execute::<serde_json::Value>(call)
                .await
                .map_err(|e| with_user(e, uuid))?;
        }
        Ok(())
    }

    /// The user's direct grants (CombinedUserRolesV2, `direct_only=true`), paged to exhaustion.
    /// Temporary grants are included; they carry `expires_at`.
    pub async fn user_grants(&self, uuid: &str) -> Result<Vec<Grant>, FalconError> {
        let mut grants = Vec::new();
        let mut offset = 0u64;
        loop {
            let call = Call::new(
                "CombinedUserRolesV2",
                Method::GET,
                routes::COMBINED_USER_ROLES,
            )
            .query("user_uuid", uuid)
            .query("direct_only", "true")
            .query("offset", offset.to_string())
            .query("limit", MAX_PAGE_LIMIT.to_string());
            let reply = self
                .execute::<Grant>(call)
                .await
                .map_err(|e| with_user(e, uuid))?;
            let total = reply.envelope.meta.pagination.map(|p| p.total);
            let page = reply.envelope.into_resources();
            offset += page.len() as u64;
            let done = page.is_empty() || total.is_none_or(|t| offset >= t);
            grants.extend(page);
            if done {
                return Ok(grants);
            }
        }
    }

    /// Ids of the roles the caller's CID can grant (queriesRolesV1).
    pub async fn role_ids(&self) -> Result<Vec<String>, FalconError> {
        let call = Call::new("queriesRolesV1", Method::GET, routes::QUERY_ROLES);
        Ok(self
            .execute::<String>(call)
            .await?
            .envelope
            .into_resources())
    }

    /// Role details (entitiesRolesGETV2, 5000 ids a call). Unknown ids are absent.
    pub async fn roles(&self, ids: &[String]) -> Result<Vec<Role>, FalconError> {
        let mut roles = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IDS_PER_LOOKUP) {
            let call = Call::new("entitiesRolesGETV2", Method::POST, routes::RETRIEVE_ROLES).json(
                IdsRequest {
                    ids: chunk.to_vec(),
                },
            );
            match self.execute::<Role>(call).await {
                Ok(reply) => roles.extend(reply.envelope.into_resources()),
                // Falcon documents 404 for ids it does not know.
                Err(FalconError::Rejected(f)) if f.status == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(roles)
    }

    /// The whole role catalogue: queriesRolesV1 then entitiesRolesGETV2.
    pub async fn role_catalogue(&self) -> Result<Vec<Role>, FalconError> {
        let ids = self.role_ids().await?;
        self.roles(&ids).await
    }

    // ----- the call machinery ------------------------------------------------------------

    async fn token(&self) -> Result<AccessToken, FalconError> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<AccessToken, FalconError> {
        let cfg = &self.inner.cfg;
        let mut form = vec![
            ("client_id", cfg.client_id.clone()),
            (
                "client_secret",
                cfg.client_secret.expose_secret().to_owned(),
            ),
        ];
        if let Some(member) = &cfg.member_cid {
            form.push(("member_cid", member.clone()));
        }
        let mut call = Call::new("oauth2AccessToken", Method::POST, routes::TOKEN);
        call.body = Body::Form(form);
        let (reply, headers) = self.send::<TokenResponse>(&call, None).await?;
        if let (Some(expected), Some(actual)) =
            (cfg.expected_region, header(&headers, headers::REGION))
            && !actual.eq_ignore_ascii_case(expected.as_str())
        {
            return Err(FalconError::WrongRegion {
                configured: expected.to_string(),
                actual: actual.to_ascii_lowercase(),
            });
        }
        let token: TokenResponse = reply;
        metrics::counter!(names::FALCON_TOKEN_REFRESHES).increment(1);
        tracing::info!(
            expires_in = token.expires_in,
            "obtained a Falcon access token"
        );
        Ok(AccessToken::new(
            SecretString::from(token.access_token),
            Duration::from_secs(token.expires_in),
            cfg.token_refresh_margin,
        ))
    }

    /// Sends an API call with a token. A 401 (the token expired or was revoked early) is
    /// answered by one refresh and one more attempt.
    async fn execute<T: DeserializeOwned>(&self, call: Call) -> Result<Reply<T>, FalconError> {
        let token = self.token().await?;
        let reply = match self.send::<Envelope<T>>(&call, Some(&token)).await {
            Err(FalconError::Authentication(f)) if f.status == 401 => {
                tracing::info!(
                    operation = call.operation,
                    "Falcon refused the access token; refreshing once"
                );
                self.inner.tokens.invalidate(&token);
                let token = self.token().await?;
                self.send::<Envelope<T>>(&call, Some(&token)).await
            }
            other => other,
        };
        reply.map(|(reply, _)| reply)
    }

    /// Sends `call` until it succeeds or the retry policy gives up.
    async fn send<B: DeserializeOwned + HasEnvelopeErrors>(
        &self,
        call: &Call,
        token: Option<&AccessToken>,
    ) -> Result<(B::Out, HeaderMap), FalconError> {
        let inner = &self.inner;
        let throttle_deadline = Instant::now() + inner.cfg.max_rate_limit_wait;
        let mut failures = 0u32;
        loop {
            let wait = inner.budget.delay();
            // Only a throttle wait can exceed the bound; slow retries of other failures cannot.
            if !wait.is_zero() && Instant::now() + wait > throttle_deadline {
                return Err(FalconError::RateLimited {
                    retry_after: wait,
                    trace_id: None,
                });
            }
            if !wait.is_zero() {
                metrics::counter!(names::FALCON_THROTTLE_WAIT_MS)
                    .increment(wait.as_millis() as u64);
                tokio::time::sleep(wait).await;
            }

            let permit = inner
                .permits
                .acquire()
                .await
                .map_err(|_| FalconError::Unreachable {
                    operation: call.operation,
                    detail: "client is shutting down".into(),
                })?;
            let started = Instant::now();
            let result = self.request(call, token).send().await;
            let result = match result {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    resp.bytes().await.map(|b| (status, headers, b))
                }
                Err(e) => Err(e),
            };
            drop(permit);

            let elapsed = started.elapsed().as_secs_f64();
            let status_label = match &result {
                Ok((status, _, _)) => status.as_u16().to_string(),
                Err(_) => "error".to_owned(),
            };
            metrics::counter!(names::FALCON_CALLS, "operation" => call.operation, "status" => status_label.clone())
                .increment(1);
            metrics::histogram!(names::FALCON_CALL_SECONDS, "operation" => call.operation, "status" => status_label)
                .record(elapsed);
            let (status, headers, bytes) = match result {
                Ok(parts) => parts,
                Err(e) => {
                    let detail = describe_transport_error(&e);
                    tracing::warn!(operation = call.operation, %detail, "Falcon call failed without a reply");
                    if call.retry == Retry::Idempotent && failures < inner.cfg.max_retries {
                        failures += 1;
                        tokio::time::sleep(self.backoff(failures)).await;
                        continue;
                    }
                    return Err(FalconError::Unreachable {
                        operation: call.operation,
                        detail,
                    });
                }
            };
            inner.budget.observe(
                header_u64(&headers, headers::RATE_LIMIT),
                header_u64(&headers, headers::RATE_REMAINING),
            );
            let trace_id = header(&headers, headers::TRACE_ID).map(str::to_owned);
            if let Some(trace) = &trace_id {
                super::trace::report(trace);
            }
            tracing::debug!(
                operation = call.operation,
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                trace_id = trace_id.as_deref().unwrap_or(""),
                "Falcon call"
            );

            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = throttle::retry_after(
                    header(&headers, headers::RATE_RETRY_AFTER),
                    SystemTime::now(),
                );
                inner.budget.block_until(Instant::now() + wait);
                tracing::warn!(
                    operation = call.operation,
                    wait_ms = wait.as_millis() as u64,
                    "Falcon rate limit reached; waiting"
                );
                metrics::counter!(names::FALCON_THROTTLED).increment(1);
                if Instant::now() + wait > throttle_deadline {
                    return Err(FalconError::RateLimited {
                        retry_after: wait,
                        trace_id,
                    });
                }
                continue;
            }
            if status.is_server_error()
                && call.retry == Retry::Idempotent
                && failures < inner.cfg.max_retries
            {
                failures += 1;
                tracing::warn!(
                    operation = call.operation,
                    status = status.as_u16(),
                    attempt = failures,
                    "Falcon server error; retrying"
                );
                tokio::time::sleep(self.backoff(failures)).await;
                continue;
            }

            let failure = |message: String, code: Option<i64>| Failure {
                operation: call.operation,
                status: status.as_u16(),
                code,
                message,
                trace_id: trace_id.clone(),
            };
            let parsed = serde_json::from_slice::<B>(&bytes);
            if status.is_success() {
                let body = parsed.map_err(|e| FalconError::Decode {
                    operation: call.operation,
                    detail: format!("HTTP {status}: {e}"),
                })?;
                // Like gofalcon, a non-empty `errors` fails the call even on 2xx.
                if let Some((message, code)) = body.error_summary() {
                    return Err(classify(call, failure(message, code)));
                }
                return Ok((body.into_out(status), headers));
            }
            let (message, code) = parsed
                .ok()
                .and_then(|b| b.error_summary())
                .or_else(|| error_summary_of_any_body(&bytes))
                .unwrap_or_else(|| (format!("HTTP {status} without an error message"), None));
            return Err(classify(call, failure(message, code)));
        }
    }

    fn request(&self, call: &Call, token: Option<&AccessToken>) -> reqwest::RequestBuilder {
        let inner = &self.inner;
        let url = format!("{}{}", inner.cfg.base_url, call.path);
        let mut req = inner
            .http
            .request(call.method.clone(), url)
            .timeout(inner.cfg.request_timeout)
            .query(&call.query);
        if let Some(token) = token {
            req = req.bearer_auth(token.value.expose_secret());
        }
        match &call.body {
            Body::Json(value) => req.json(value),
            Body::Form(fields) => req.form(fields),
            // Falcon wants a JSON content type even on empty bodies (gofalcon adds it too).
            Body::Empty => req.header(CONTENT_TYPE, "application/json"),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.inner.cfg.retry_base_delay;
        let exp = base
            .saturating_mul(1u32 << attempt.min(6))
            .min(Duration::from_secs(10));
        let jitter = rand::rng().random_range(0.5..1.0);
        exp.mul_f64(jitter)
    }
}

/// Bodies the retry loop can read `errors` from: the envelope, and the token reply.
trait HasEnvelopeErrors: Sized {
    type Out;
    fn error_summary(&self) -> Option<(String, Option<i64>)>;
    fn into_out(self, status: StatusCode) -> Self::Out;
}

impl<T> HasEnvelopeErrors for Envelope<T> {
    type Out = Reply<T>;

    fn error_summary(&self) -> Option<(String, Option<i64>)> {
        summarise(self.errors())
    }

    fn into_out(self, status: StatusCode) -> Reply<T> {
        Reply {
            envelope: self,
            status,
        }
    }
}

impl HasEnvelopeErrors for TokenResponse {
    type Out = TokenResponse;

    fn error_summary(&self) -> Option<(String, Option<i64>)> {
        None
    }

    fn into_out(self, _: StatusCode) -> TokenResponse {
        self
    }
}

fn summarise(errors: &[model::ApiError]) -> Option<(String, Option<i64>)> {
    let first = errors.first()?;
    let message = errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some((message, Some(first.code)))
}

fn error_summary_of_any_body(bytes: &[u8]) -> Option<(String, Option<i64>)> {
    let env: Envelope<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    summarise(env.errors())
}

/// Turns a refusal into the error the SCIM layer can act on.
fn classify(call: &Call, failure: Failure) -> FalconError {
    let is_token_call = call.path == routes::TOKEN;
    match failure.status {
        400 | 401 | 403 if is_token_call => FalconError::Authentication(failure),
        401 => FalconError::Authentication(failure),
        403 => FalconError::MissingScope(failure),
        _ if failure.message.contains("invalid roleID") => FalconError::InvalidRole {
            role_id: quoted_after(&failure.message, "roleID=").unwrap_or_default(),
            failure,
        },
        _ if failure.message.contains("invalid user uuid") => FalconError::UnknownUser {
            uuid: quoted_after(&failure.message, "uuid=").unwrap_or_default(),
            failure,
        },
        s if s >= 500 => FalconError::Server(failure),
        _ => FalconError::Rejected(failure),
    }
}

/// Fills in the uuid of the user a call was about when Falcon's message named none.
fn with_user(err: FalconError, uuid: &str) -> FalconError {
    match err {
        FalconError::UnknownUser {
            uuid: found,
            failure,
        } if found.is_empty() => FalconError::UnknownUser {
            uuid: uuid.to_owned(),
            failure,
        },
        other => other,
    }
}

/// `x` from `... key='x' ...`.
fn quoted_after(message: &str, key: &str) -> Option<String> {
    let rest = &message[message.find(key)? + key.len()..];
    let rest = rest.strip_prefix('\'')?;
    Some(rest[..rest.find('\'')?].to_owned())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header(headers, name).and_then(|v| v.trim().parse().ok())
}

/// A transport error in words, without the URL's query (it can hold user ids, never secrets,
/// but the operation name says enough).
fn describe_transport_error(e: &reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, message: &str) -> Failure {
        Failure {
            operation: "userRolesActionV1",
            status,
            code: Some(i64::from(status)),
            message: message.into(),
            trace_id: None,
        }
    }

    #[test]
    fn classifies_falcon_refusals() {
        let call = Call::new("userRolesActionV1", Method::POST, routes::USER_ROLE_ACTIONS);
        match classify(
            &call,
            failure(400, "invalid roleID='Falcon_Analyst' specified"),
        ) {
            FalconError::InvalidRole { role_id, .. } => assert_eq!(role_id, "Falcon_Analyst"),
            other => panic!("{other:?}"),
        }
        match classify(&call, failure(400, "invalid user uuid='abc' specified")) {
            FalconError::UnknownUser { uuid, .. } => assert_eq!(uuid, "abc"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(&call, failure(403, "access denied, authorization failed")),
            FalconError::MissingScope(_)
        ));
        assert!(matches!(
            classify(&call, failure(503, "x")),
            FalconError::Server(_)
        ));
        assert!(matches!(
            classify(&call, failure(400, "domain not allowed")),
            FalconError::Rejected(_)
        ));
        let token_call = Call::new("oauth2AccessToken", Method::POST, routes::TOKEN);
        assert!(matches!(
            classify(&token_call, failure(403, "Failed to issue access token")),
            FalconError::Authentication(_)
        ));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let client = FalconClient::new(ClientConfig::new(
            "http://127.0.0.1:9",
            "id",
            SecretString::from("s"),
        ))
        .unwrap();
        let first = client.backoff(1);
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
        assert!(client.backoff(30) <= Duration::from_secs(10));
    }
}
