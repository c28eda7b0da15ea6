//! An Allthenticate users API simulator, faithful to what a client of the real API observes.
//!
//! It serves `/multipleusers`, `/user`, `/modifyrank`, `/togglesuspension`, `/promoteguest`,
//! `/invites` and `/groups` over real HTTP with the wire types of [`crate::model`]: expiring API
//! keys in a configurable header, members with two kinds of id, pending invites and the
//! "already has an Allthenticate account" switches, a real suspension toggle, a delete that
//! cascades to groups, sole-owner policies and pending invites, and injectable faults. It counts
//! every call per path so tests and the benchmark can assert how the bridge talks to it.
//!
//! Where the reference (`shared/targets/allthenticate.md`) is silent, the simulator decides
//! (and the client agrees, per the reference's "assumes" section):
//! * every member carries `status` (ACTIVE|SUSPENDED), `rank` (REGULAR|ADMIN|SUPER) and
//!   `user_tag` (USER|GUEST) in `/multipleusers` and `GET /user`; enum parameters are read
//!   case-insensitively and written in upper case;
//! * `user_id`s start at 1001 and `email_id`s at 500001, so the ranges never meet: an
//!   `email_id` given as `admin_user_id` finds nobody (400), and vice versa;
//! * a missing, wrong, expired or revoked key is a 401 `{"error"}` whose message says which
//!   (never the key); the key travels as `Authorization: Bearer <key>` unless
//!   [`SimConfig::key_header`] names another header, which then carries the bare key; the
//!   configured key never expires unless [`SimConfig::key_lifetime`] says so;
//! * parameters are read from a JSON body, a form body or the query string (the body wins when
//!   both have one); `emails[]` equals `emails`; lists may be serialized JSON arrays; booleans
//!   accept `true/false/1/0/yes/no` in any case;
//! * an unknown user, a bad or missing parameter, an unknown group and a refused operation are
//!   all 400 `{"error"}`; an unknown user's message starts with `User not found`;
//! * success bodies are `{"success": msg}`; `/togglesuspension` (return undocumented) adds the
//!   new `status`; `GET /user` returns `{email_id, policies:[[name]…],
//!   computer_usernames:[{computer_username}…], smartcards:[{label,number}], status, rank,
//!   user_tag}`, its policies being those assigned directly or through one of the user's groups;
//! * the invented member fields: `email_status` is `CONFIRMED`; `created`, `confirmed` and
//!   `active_date` are the creation time, `device_added` too for seeded and added members;
//!   `ad_status` is `REGISTERED` (a device) or `NONE`; `username` defaults to the e-mail's local
//!   part; `name` is "first last";
//! * `/modifyrank` to the rank already held succeeds (the client avoids sending it); a guest's
//!   rank can be changed; `/promoteguest` of a non-guest is a 400;
//! * `PUT /invites`: each e-mail goes to exactly one list: `invalid` (not an address),
//!   `exists` (already a member, any case), `added` (already has an Allthenticate account:
//!   member at once, ACTIVE REGULAR USER, its new `email_id` in `add_ids`), `failed_invite`
//!   (marked undeliverable and `no_email` not set) or `invited` (a pending invite; an e-mail
//!   already pending is invited again and keeps its one invite and date). `success` is `true`
//!   and the answer 200 even when every e-mail is invalid; `send_email` is `!no_email`;
//!   `groups` (`[{id,name}]` or bare ids) put added users into those users' groups at once and
//!   invited ones on acceptance; unknown group ids are ignored; `smartcards` is ignored;
//! * `POST /invites` with `emails` invites as `PUT` does; with only `email` it resends a
//!   pending invite (date kept), or 400 when there is none;
//! * the global account switch gives an e-mail without names of its own names from its local
//!   part (`ann.lee@…` → Ann Lee); an accepted invite takes the names the control gives;
//! * `DELETE /user` with `email_id` (which wins) removes a member only; with `email` it removes
//!   the member (and its pending invite) or, when there is no member, the pending invite alone
//!   (`{"success": "Invite for … was successfully deleted …"}`); a policy is deleted with its
//!   last user only when no group uses it either;
//! * `GET /groups` defaults to `type=users`; users' groups list member e-mails as `items`;
//!   `DELETE /groups` of a group a policy uses is a 400 naming the policy;
//! * `/modifyallusernames` and `/modifysmartcard` are not simulated (404, but counted);
//! * no built-in rate limit (none is documented); a fault can answer 429 with or without
//!   `Retry-After` in seconds; faults apply before authentication.

mod api;
mod auth;
mod config;
mod controls;
mod faults;
mod gateway;
mod invitations;
mod inviting;
mod org;
mod params;
mod reply;
mod seed;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::model::PendingInvite;

pub use config::SimConfig;
pub use faults::{ANY_ROUTE, Fault};
pub use org::{FIRST_EMAIL_ID, FIRST_USER_ID, NewUser, SimError, SimUser};
pub use seed::{DEMO_PENDING_INVITE, demo_users};
pub use sim_support::CallCounts;

use auth::KeyBook;
use faults::FaultBook;
use org::{GroupKind, Org};
use sim_support::CallLog;
use sim_support::locks::{lock, read, write};

/// The simulator serving on a local port (`sim_support::serve`: connections an injected
/// `Fault::Drop` can cut mid-request, so the client sees a network failure).
pub type RunningSim = sim_support::RunningSim<Simulator>;

/// A simulated Allthenticate organisation. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    latency: Mutex<Duration>,
    org: RwLock<Org>,
    keys: Mutex<KeyBook>,
    faults: FaultBook,
    /// Keyed by path: Allthenticate's paths carry no ids, so the path is the template (a trailing
    /// slash or an unknown path is counted as sent, and answered 404).
    calls: CallLog,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is the simulator's own test value, but Debug output still leaves it out.
        f.debug_struct("Simulator")
            .field("key_header", &self.inner.config.key_header)
            .finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

impl Simulator {
    /// An empty organisation with the configured API key.
    pub fn new(config: SimConfig) -> Self {
        let mut keys = KeyBook::default();
        keys.insert(&config.api_key, config.key_lifetime, Instant::now());
        Self {
            inner: Arc::new(Inner {
                latency: Mutex::new(config.latency),
                keys: Mutex::new(keys),
                config,
                org: RwLock::new(Org::default()),
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
        RunningSim::start(self, router, addr, "allthenticate").await
    }

    /// Adds a member with fresh ids, as an accepted invite or the portal would; fails on an
    /// e-mail already present (any case). No API call is counted.
    pub fn add_user(&self, user: NewUser) -> Result<SimUser, SimError> {
        write(&self.inner.org).add_member(user, Utc::now())
    }

    /// An active REGULAR member with these names; an e-mail already present returns that
    /// member unchanged. Panics on an e-mail that is no address: a seeding mistake of the
    /// caller's, which [`Simulator::add_user`] returns as an error instead.
    pub fn seed_user(&self, email: &str, first: &str, last: &str) -> SimUser {
        let mut org = write(&self.inner.org);
        if let Some(existing) = org.find(email) {
            return existing;
        }
        match org.add_member(NewUser::new(email, first, last), Utc::now()) {
            Ok(user) => user,
            Err(err) => panic!("seed_user({email}): {err}"),
        }
    }

    /// Every member's full state, in creation order.
    pub fn users(&self) -> Vec<SimUser> {
        read(&self.inner.org).all()
    }

    /// One member by e-mail (any case), `user_id` or `email_id`.
    pub fn user(&self, key: &str) -> Option<SimUser> {
        read(&self.inner.org).find(key)
    }

    /// Pending invites, oldest first.
    pub fn invites(&self) -> Vec<PendingInvite> {
        read(&self.inner.org).invitations.list()
    }

    /// A pending invite, as if sent from the portal (none is added twice).
    pub fn add_invite(&self, email: &str) {
        write(&self.inner.org)
            .invitations
            .add(email, Utc::now(), Vec::new());
    }

    /// The invitee accepts: the invite becomes an ACTIVE REGULAR member tagged USER with fresh
    /// ids and these names.
    pub fn accept_invite(&self, email: &str, first: &str, last: &str) -> Result<SimUser, SimError> {
        write(&self.inner.org).accept_invite(email, first, last, Utc::now())
    }

    /// `email` already has an Allthenticate account: inviting it adds it at once.
    pub fn set_has_account(&self, email: &str, first: Option<String>, last: Option<String>) {
        write(&self.inner.org)
            .invitations
            .set_account(email, first, last);
    }

    /// Every e-mail already has an Allthenticate account (`true`), or only those set one by one.
    pub fn set_every_email_has_account(&self, on: bool) {
        write(&self.inner.org)
            .invitations
            .set_every_email_has_account(on);
    }

    /// The invitation e-mail to `email` cannot be sent: it lands in `failed_invite`.
    pub fn set_undeliverable(&self, email: &str) {
        write(&self.inner.org).invitations.set_undeliverable(email);
    }

    /// A users' group (the existing one when the name is taken); returns its id.
    pub fn add_group(&self, name: &str) -> i64 {
        write(&self.inner.org).group_named(name)
    }

    /// A resource group of `resource_type` (`COMPUTER` or `DOOR`) holding `items`.
    pub fn add_resource_group(&self, name: &str, resource_type: &str, items: Vec<String>) -> i64 {
        write(&self.inner.org).add_group(
            name,
            GroupKind::Resources(resource_type.to_ascii_uppercase()),
            items,
        )
    }

    /// A policy (created when missing) assigned to these members (by e-mail) and users'
    /// groups (by name), which must all exist.
    pub fn add_policy(
        &self,
        name: &str,
        users: &[String],
        groups: &[String],
    ) -> Result<(), SimError> {
        write(&self.inner.org).add_policy(name, users, groups)
    }

    /// A new API key, as "Generate" in the portal; `None` never expires.
    pub fn generate_key(&self, lifetime: Option<Duration>) -> String {
        lock(&self.inner.keys).generate(lifetime, Instant::now())
    }

    /// Expires `key` now (every key when `None`); how many it touched.
    pub fn expire_keys(&self, key: Option<&str>) -> usize {
        lock(&self.inner.keys).expire(key, Instant::now())
    }

    /// Revokes `key` (every key when `None`); how many it touched.
    pub fn revoke_keys(&self, key: Option<&str>) -> usize {
        lock(&self.inner.keys).revoke(key)
    }

    /// Arms `fault` for the next `times` calls to `route` (a path such as
    /// [`crate::model::routes::USER`], or [`ANY_ROUTE`]), optionally only for one `method`.
    pub fn inject_fault(&self, route: &str, method: Option<&str>, fault: Fault, times: u32) {
        self.inner.faults.arm(route, method, fault, times);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// Calls to `"METHOD route"`, e.g. `call_count("POST", routes::TOGGLE_SUSPENSION)`.
    pub fn call_count(&self, method: &str, route: &str) -> u64 {
        self.inner.calls.count(method, route)
    }

    /// Every counter: the total and the calls per `"METHOD route"`.
    pub fn call_counts(&self) -> CallCounts {
        self.inner.calls.snapshot()
    }

    /// Every API call (absent routes included).
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
}
