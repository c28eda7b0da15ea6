//! A Falcon user-management API simulator, faithful to what a client of the real API observes.
//!
//! It serves the token endpoint and the `/user-management` family over real HTTP, with
//! Falcon's envelopes, status codes, messages, scopes, rate limits, paging rules, FQL subset,
//! eventual consistency of grant reads, and injectable faults, and it counts every call so
//! tests and the benchmark can assert how the bridge talks to Falcon.
//!
//! Where Falcon's behaviour is undocumented or unobserved, the simulator decides as follows:
//! * duplicate `uid` on create: 400 `User with this email already exists`;
//! * `validate_only=true`: 200 meta-only (nothing was created, so not 201);
//! * unknown uuid on update/delete/grant/read-grants: 400 `invalid user uuid='<uuid>' specified`;
//!   on retrieveUsersGETV1 it is simply missing from `resources` (sorted by uid, not request order);
//! * revoking a role the user does not hold: 200, a no-op;
//! * grant batches are atomic; one errors entry per bad role id;
//! * entitiesRoles: 404 only when none of the ids is known;
//! * `uid` is unique and FQL-matched case-insensitively, all other fields case-sensitively;
//! * unknown or malformed client id: 400; a `member_cid` that is not the client's CID or a
//!   child of it: 403; tokens also accept HTTP Basic credentials;
//! * a token minted with `member_cid` acts in that child but is charged to the rate-limit
//!   window of the API client's own CID, so a parent client serving several children shares
//!   one budget across them (Falcon documents the per-CID limit, not which CID pays);
//! * deprecated routes (`/users/...`, `/user-roles/...`, combined user-roles v1) are absent:
//!   404, but counted;
//! * 429 bodies say `API rate limit exceeded.`; `X-RateLimit-RetryAfter` is epoch seconds.

// A `Reply` is a whole HTTP answer in the making and is the error of every route helper;
// boxing it would only add noise to a test double.
#![allow(clippy::result_large_err)]

mod accounting;
mod auth;
mod catalogue;
mod config;
mod controls;
mod faults;
mod fql;
mod gateway;
mod grants;
mod ids;
mod paging;
mod params;
mod rate_limit;
mod reply;
mod routes;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::model::{Role, User};

pub use config::{ApiClientSpec, ErrorsStyle, Scopes, SimConfig};
pub use faults::Fault;

use accounting::CallLog;
use auth::AuthRegistry;
use faults::FaultBook;
use rate_limit::RateLimiter;
use sim_support::locks::{lock, read, write};
use state::{Directory, NewUser, RoleChange};

/// Region of the default API client.
const DEFAULT_REGION: &str = "us-1";
/// Flight Control children the default CID gets, so `member_cid` tokens can be tested.
const DEFAULT_CHILD_CIDS: usize = 2;

/// The simulator serving on a local port (`sim_support::serve`: connections an injected
/// `Fault::Drop` can cut mid-request, so the client sees a network failure).
pub type RunningSim = sim_support::RunningSim<Simulator>;

/// A simulated Falcon tenant. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    latency: Mutex<Duration>,
    directory: RwLock<Directory>,
    auth: RwLock<AuthRegistry>,
    limiter: RateLimiter,
    faults: FaultBook,
    calls: CallLog,
    default_client: ApiClientSpec,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("default_cid", &self.inner.default_client.cid)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// A tenant with one default CID (with two Flight Control children), one read+write API
    /// client in `us-1`, and, when `seed_roles`, the default role catalogue plus one custom
    /// role in the default CID ("SOC Tier 1 (custom)") and one in the first child.
    pub fn new(config: SimConfig) -> Self {
        let cid = ids::random_hex32();
        let mut directory = Directory::default();
        directory.add_cid(&cid, None);
        let children: Vec<String> = (0..DEFAULT_CHILD_CIDS)
            .map(|_| ids::random_hex32())
            .collect();
        for child in &children {
            directory.add_cid(child, Some(&cid));
        }
        if config.seed_roles {
            for role in catalogue::default_roles() {
                directory.add_role(role);
            }
            directory.add_role(catalogue::custom_role(
                ids::random_hex32(),
                &cid,
                "SOC Tier 1 (custom)",
            ));
            if let Some(child) = children.first() {
                directory.add_role(catalogue::custom_role(
                    ids::random_hex32(),
                    child,
                    "Child Ops (custom)",
                ));
            }
        }
        let default_client = ApiClientSpec {
            client_id: ids::random_hex32(),
            client_secret: ids::random_secret(),
            cid,
            scopes: Scopes::READ_WRITE,
            region: DEFAULT_REGION.to_owned(),
        };
        let mut auth = AuthRegistry::default();
        auth.add_client(default_client.clone());
        Self {
            inner: Arc::new(Inner {
                latency: Mutex::new(config.latency),
                config,
                directory: RwLock::new(directory),
                auth: RwLock::new(auth),
                limiter: RateLimiter::default(),
                faults: FaultBook::default(),
                calls: CallLog::default(),
                default_client,
            }),
        }
    }

    /// The read+write client created with the simulator.
    pub fn default_client(&self) -> ApiClientSpec {
        self.inner.default_client.clone()
    }

    /// The Flight Control child CIDs of the default CID (usable as `member_cid`).
    pub fn child_cids(&self) -> Vec<String> {
        read(&self.inner.directory).children_of(&self.inner.default_client.cid)
    }

    /// Registers another API client; an unknown CID becomes a new top-level CID.
    pub fn add_client(&self, spec: ApiClientSpec) {
        write(&self.inner.directory).add_cid(&spec.cid, None);
        write(&self.inner.auth).add_client(spec);
    }

    /// The whole HTTP API, plus the `/_sim/` controls when enabled. `Fault::Drop` needs the
    /// connection handles that only [`Simulator::spawn`] provides; elsewhere it answers 503.
    pub fn router(&self) -> axum::Router {
        let api = routes::api_router(self);
        if self.inner.config.controls_enabled {
            controls::router(self).merge(api)
        } else {
            api
        }
    }

    /// Binds `addr` (port 0 picks a free port) and serves in a tokio task until
    /// [`RunningSim::shutdown`] or until the `RunningSim` is dropped.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningSim> {
        let router = self.router();
        RunningSim::start(self, router, addr, "falcon").await
    }

    /// Creates a user in the default CID, bypassing the API's checks (domain allow-list, e-mail
    /// shape); an existing uid (any case) is returned unchanged.
    pub fn seed_user(&self, uid: &str, first: &str, last: &str) -> User {
        let mut dir = write(&self.inner.directory);
        if let Some(existing) = dir.user_by_uid(uid) {
            return existing.clone();
        }
        let new = NewUser {
            uid: uid.to_owned(),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            cid: self.inner.default_client.cid.clone(),
        };
        dir.create_unchecked(new, Utc::now())
    }

    /// Creates `n` users with generated unique logins `first.last.NNNNNN@domain` in the
    /// default CID.
    pub fn seed_users(&self, n: usize, domain: &str) -> Vec<User> {
        let cid = self.inner.default_client.cid.clone();
        write(&self.inner.directory).seed_bulk(n, domain, &cid, Utc::now())
    }

    /// Every user of every CID, in uid order.
    pub fn users(&self) -> Vec<User> {
        read(&self.inner.directory)
            .users_by_uid()
            .cloned()
            .collect()
    }

    /// The user with this login (case-insensitive).
    pub fn user_by_uid(&self, uid: &str) -> Option<User> {
        read(&self.inner.directory).user_by_uid(uid).cloned()
    }

    /// The user with this uuid.
    pub fn user_by_uuid(&self, uuid: &str) -> Option<User> {
        read(&self.inner.directory).user(uuid).cloned()
    }

    /// Role ids the user holds now, ignoring the read lag and expired temporary grants, sorted.
    pub fn grants_of(&self, user_uuid: &str) -> Vec<String> {
        read(&self.inner.directory).current_grant_ids(user_uuid, Utc::now())
    }

    /// Grants roles as an administrator in the console would: no call is counted. The batch is
    /// validated like the API does; an invalid batch changes nothing and logs a warning.
    pub fn grant_roles(&self, user_uuid: &str, role_ids: &[&str]) {
        let ids: Vec<String> = role_ids.iter().map(|s| (*s).to_owned()).collect();
        let mut dir = write(&self.inner.directory);
        let Some(home) = dir.user(user_uuid).map(|u| u.cid.clone()) else {
            tracing::warn!(%user_uuid, "grant_roles: no such user");
            return;
        };
        let change = RoleChange::Grant { expires_at: None };
        let lag = self.inner.config.grant_read_lag;
        if let Err(err) = dir.change_roles(user_uuid, &home, &ids, &change, Instant::now(), lag) {
            tracing::warn!(%user_uuid, %err, "grant_roles: batch rejected");
        }
    }

    /// Every role of every CID.
    pub fn roles(&self) -> Vec<Role> {
        read(&self.inner.directory).all_roles().cloned().collect()
    }

    /// Arms `fault` for the next `times` calls to `route` (a path such as
    /// `model::routes::USERS`, or `"*"` for every `/user-management` route), optionally only
    /// for one `method`.
    pub fn inject_fault(&self, route: &str, method: Option<&str>, fault: Fault, times: u32) {
        self.inner.faults.arm(route, method, fault, times);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// Calls to `route` (a path), all methods.
    pub fn call_count(&self, route: &str) -> u64 {
        self.inner.calls.route_total(route)
    }

    /// Calls per `"METHOD /path"`, including the token endpoint and unknown routes.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        self.inner.calls.snapshot().routes
    }

    /// Authenticated `/user-management` calls per access token.
    pub fn calls_per_token(&self) -> BTreeMap<String, u64> {
        self.inner.calls.snapshot().tokens
    }

    /// `/user-management` calls.
    pub fn total_calls(&self) -> u64 {
        self.inner.calls.snapshot().total
    }

    /// Create, update, delete, role-action and user-action calls (whatever their outcome).
    pub fn write_calls(&self) -> u64 {
        self.inner.calls.snapshot().writes
    }

    /// 429s answered.
    pub fn throttled_count(&self) -> u64 {
        self.inner.calls.snapshot().throttled
    }

    /// Zeroes every counter (rate-limit windows are untouched).
    pub fn reset_counts(&self) {
        self.inner.calls.reset();
    }

    /// Changes the latency added to every `/user-management` call from now on.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.inner.latency) = latency;
    }

    /// Invalidates every issued token; the next call with one gets 401.
    pub fn revoke_all_tokens(&self) {
        write(&self.inner.auth).revoke_all();
    }
}
