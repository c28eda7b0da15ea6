//! A Code42 Incydr users API v1 simulator, faithful to what a client of the real API observes.
//!
//! It serves `POST /v1/oauth` and the `/v1/users` family over real HTTP with the wire types of
//! [`crate::model`], expiring tokens, strict query parsing, role replacement with its four-list
//! diff, the legal-hold refusal and injectable faults, and it counts every call per path
//! template so tests and the benchmark can assert how the bridge talks to Incydr. Users enter
//! only through the test controls, as they would through Incydr's own provisioning: the API has
//! no create and no delete (those routes are absent: 404/405, but counted).
//!
//! Where the reference (`shared/targets/incydr.md`) is silent, the simulator decides:
//! * errors are Spring-style `{timestamp,status,error,message,path}`; codes such as
//!   `ACTIVE_LEGAL_HOLD` appear in `message`;
//! * wrong or missing Basic credentials on `/v1/oauth`: 401; a missing, unknown, revoked or
//!   expired bearer token on `/v1/users…`: 401 (the message tells which); a token dies at its
//!   expiry instant;
//! * booleans in queries: `true`/`false`/`True`/`False`, anything else 400; `page` starts at 1
//!   (`page=0` or non-numeric: 400); `pageSize` defaults to 100 and must be 1..=500 (the
//!   maximum is a guess); unknown query parameters are ignored; a page past the end is empty
//!   with the right `totalCount`;
//! * listings are in creation order; `username` matches exactly but case-insensitively, and
//!   usernames are unique case-insensitively;
//! * `PUT …/roles`: ids only; known ids are applied in request order, duplicates once; unknown
//!   ids go to `ignoredRolesIds` and do not fail the call; an empty list clears the set; a
//!   malformed body is a 400; an unknown user is a 404 before the body is read;
//! * `GET …/roles` lists the roles sorted by id, each with the permission strings of its role as
//!   `permissionIds` and its assignment time as creation date;
//! * activate/deactivate/move answer 200 with an empty body and are idempotent; a user under
//!   legal hold cannot be deactivated even when already inactive (400 `ACTIVE_LEGAL_HOLD`);
//!   roles are kept across deactivation;
//! * `move` takes `{"orgGuid"}` from a table of two orgs; an unknown org is a 400;
//! * the role catalogue is fixed and the API client may assign every role in it;
//! * no built-in rate limit (none is documented); a fault can answer 429 with or without
//!   `Retry-After` in seconds; faults apply before authentication.

mod api;
mod auth;
mod catalogue;
mod config;
mod controls;
mod directory;
mod faults;
mod gateway;
mod paging;
mod params;
mod reply;
mod templates;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::Utc;

use crate::model::{Role, User};

pub use config::SimConfig;
pub use directory::{DirectoryError, NewUser};
pub use faults::{ANY_ROUTE, Fault};
pub use paging::MAX_PAGE_SIZE;
pub use sim_support::CallCounts;
/// Path templates, as used by [`Simulator::call_count`] and [`Simulator::inject_fault`].
pub use templates::{ACTIVATE, DEACTIVATE, MOVE, ROLE, USER, USER_ROLES};

use auth::TokenBook;
use directory::Directory;
use faults::FaultBook;
use sim_support::CallLog;
use sim_support::locks::{lock, read, write};

/// The simulator serving on a local port (`sim_support::serve`: connections an injected
/// `Fault::Drop` can cut mid-request, so the client sees a network failure).
pub type RunningSim = sim_support::RunningSim<Simulator>;

/// A simulated Incydr tenant with one API client. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    latency: Mutex<Duration>,
    directory: RwLock<Directory>,
    tokens: Mutex<TokenBook>,
    faults: FaultBook,
    /// Keyed by path template; routes Incydr does not have (create, delete) still show up.
    calls: CallLog,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("tenant_uid", &self.inner.config.tenant_uid)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

impl Simulator {
    /// An empty tenant with the default role catalogue and two orgs.
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                latency: Mutex::new(config.latency),
                tokens: Mutex::new(TokenBook::new(config.token_lifetime)),
                config,
                directory: RwLock::new(Directory::default()),
                faults: FaultBook::default(),
                calls: CallLog::default(),
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The whole HTTP API, plus the `/_sim/` controls when enabled. `Fault::Drop` needs the
    /// connection handles that only [`Simulator::spawn`] provides; elsewhere it answers 503.
    pub fn router(&self) -> axum::Router {
        let api = api::router(self);
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
        RunningSim::start(self, router, addr, "incydr").await
    }

    /// Adds a user to the tenant, as Incydr's own provisioning would (at start or at any time
    /// later); fails on a username already present (any case). No API call is counted.
    pub fn add_user(&self, user: NewUser) -> Result<User, DirectoryError> {
        write(&self.inner.directory).add_user(user, Utc::now())
    }

    /// Like [`Simulator::add_user`], but an existing username returns that user unchanged.
    pub fn seed(&self, user: NewUser) -> User {
        let mut dir = write(&self.inner.directory);
        if let Some(existing) = dir.user_by_username(&user.username) {
            return existing.clone();
        }
        let username = user.username.clone();
        match dir.add_user(user, Utc::now()) {
            Ok(created) => created,
            // Unreachable: the username was just checked under the same lock.
            Err(_) => dir
                .user_by_username(&username)
                .cloned()
                .unwrap_or_else(|| unreachable!("user {username} vanished")),
        }
    }

    /// An active user with these names; see [`Simulator::seed`].
    pub fn seed_user(&self, username: &str, first: &str, last: &str) -> User {
        self.seed(NewUser::new(username, first, last))
    }

    /// `n` active users with generated unique logins `first.last.NNNNNNN@domain`.
    pub fn seed_users(&self, n: usize, domain: &str) -> Vec<User> {
        write(&self.inner.directory).seed_bulk(n, domain, Utc::now())
    }

    /// Every user, in creation order.
    pub fn users(&self) -> Vec<User> {
        read(&self.inner.directory).users().cloned().collect()
    }

    pub fn user(&self, user_id: &str) -> Option<User> {
        read(&self.inner.directory).user(user_id).cloned()
    }

    /// The user with this login (case-insensitive).
    pub fn user_by_username(&self, username: &str) -> Option<User> {
        read(&self.inner.directory)
            .user_by_username(username)
            .cloned()
    }

    /// Puts the user under an active legal hold (`true`) or releases it.
    pub fn set_legal_hold(&self, user_id: &str, held: bool) -> Result<(), DirectoryError> {
        write(&self.inner.directory).set_legal_hold(user_id, held)
    }

    /// Blocks or unblocks sign-in (v1 has no endpoint for it, only the field and filter).
    pub fn set_blocked(&self, user_id: &str, blocked: bool) -> Result<(), DirectoryError> {
        write(&self.inner.directory).set_blocked(user_id, blocked, Utc::now())
    }

    /// Role ids the user holds, sorted.
    pub fn roles_of(&self, user_id: &str) -> Result<Vec<String>, DirectoryError> {
        read(&self.inner.directory).role_ids_of(user_id)
    }

    /// Adds roles as an administrator in the console would; no call is counted. All or nothing:
    /// an unknown role id changes nothing.
    pub fn grant_roles(&self, user_id: &str, role_ids: &[&str]) -> Result<(), DirectoryError> {
        let ids: Vec<String> = role_ids.iter().map(|s| (*s).to_owned()).collect();
        write(&self.inner.directory).grant_roles(user_id, &ids, Utc::now())
    }

    /// The role catalogue.
    pub fn roles(&self) -> Vec<Role> {
        read(&self.inner.directory).roles().to_vec()
    }

    /// The `orgGuid`s `move` accepts; the first is where users are created.
    pub fn org_guids(&self) -> Vec<String> {
        read(&self.inner.directory).org_guids()
    }

    /// Arms `fault` for the next `times` calls to `route` (a path template such as
    /// [`USER_ROLES`], a concrete path, or [`ANY_ROUTE`] for every `/v1/users` route),
    /// optionally only for one `method`.
    pub fn inject_fault(&self, route: &str, method: Option<&str>, fault: Fault, times: u32) {
        self.inner.faults.arm(route, method, fault, times);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// Calls to `"METHOD template"`, e.g. `call_count("PUT", USER_ROLES)`.
    pub fn call_count(&self, method: &str, template: &str) -> u64 {
        self.inner.calls.count(method, template)
    }

    /// Every counter: the total and the calls per `"METHOD template"`.
    pub fn call_counts(&self) -> CallCounts {
        self.inner.calls.snapshot()
    }

    /// Every API call (token endpoint and absent routes included).
    pub fn total_calls(&self) -> u64 {
        self.inner.calls.total()
    }

    /// Zeroes every counter.
    pub fn reset_counts(&self) {
        self.inner.calls.reset();
    }

    /// Changes the latency added to every API call from now on.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.inner.latency) = latency;
    }

    /// The lifetime of tokens issued from now on (tokens already issued keep theirs).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.inner.tokens).set_lifetime(lifetime);
    }

    /// Invalidates every issued token; the next call with one gets 401.
    pub fn revoke_all_tokens(&self) {
        lock(&self.inner.tokens).revoke_all();
    }
}
