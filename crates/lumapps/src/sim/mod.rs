//! A LumApps simulator (one "cell" host), faithful to what a client of the real API observes.
//!
//! It serves the v2 application-token endpoint and the v1 ("lumsites") user and feed calls
//! over real HTTP: HTTP Basic plus `user_email` impersonation, expiring tokens, writes reserved
//! to global administrators, users kept as whole JSON objects that `user/save` replaces,
//! opaque cursor paging (with the "empty page, `more: true`" edge case on demand), feeds with
//! batch membership, both error shapes, a `LumApps-Call-Id` on every answer, injectable faults,
//! and call counts per path template. The `/_sim/` test controls are always on.
//!
//! Where the reference (`shared/targets/lumapps.md`) is silent or only infers ([I]), the
//! simulator decides:
//! * token endpoint: the organisation in the path must be the configured one (else 404); wrong
//!   or missing Basic credentials: 401; `grant_type` other than `client_credentials`, a
//!   malformed form, or neither `user_email` nor `user_id` (one sample sends the latter, so it
//!   is accepted too): 400; an unknown or disabled user to impersonate: 401; all in the v2
//!   shape. `token_type` is `Bearer`, `expires_in` the lifetime in seconds (3600 by default).
//!   A token is bound to its user's id, so a later change of that user's e-mail keeps it valid;
//! * v1 calls: a missing, unknown, revoked or expired token is a 401 (v1 shape), and so is a
//!   token whose user was since deleted or disabled; writes (`user/save`, `user/deleteMulti`,
//!   `feed/save`, `feed/delete`, `feed/subscribers/save`) by a user whose *current*
//!   `isSuperAdmin` is not `true` are a 403; reads are open to any impersonated user;
//! * `user/save` create requires `email`, `firstName`, `lastName`, `accountType` (one of
//!   google, microsoft, okta, external); `status` defaults to `enabled`, `isHidden`,
//!   `isSuperAdmin` and `synchronized` to `false`; an e-mail already present in any case is a
//!   400; `password`/`rePassword` must match and are never stored or returned;
//! * `user/save` with `id` (or `uid`; both must agree) replaces the whole user with the body:
//!   fields left out are gone. The same fields are required, plus `status` (enabled|disabled);
//!   `id`, `uid`, `customer` and `createdAt` are kept, `fullName` ("first last") and
//!   `updatedAt` recomputed; an unknown id is a 404; taking another user's e-mail a 400.
//!   Directory-synchronised users (google, microsoft, okta, `synchronized: true`) are saved
//!   like any other: the simulator does not guard IdP-owned fields, the client must leave them;
//! * ids are 16-digit numeric-looking strings, shared by users and feeds, never reused;
//! * `user/get`: `uid` and/or `email` (both must name the same user), neither = the caller;
//!   not found: 404;
//! * `user/list` and `feed/list`: creation order; `maxResults` defaults to 30 and is capped
//!   silently at `SimConfig::page_cap` (100), 0 or a non-number is a 400; the cursor is opaque
//!   (an offset into the listing as it is when the next page is asked for, so users created or
//!   deleted meanwhile shift it), a garbage cursor a 400; the last page has `more: false` and no `cursor`; `callId` in the
//!   body equals the `LumApps-Call-Id` header. Filters: `status` (enabled|disabled, else 400),
//!   `types` (repeated, any of, unknown value 400), `feeds` (repeated: members of any; an
//!   unknown feed id matches nobody), `email` (exact, case-insensitive), `ids` (repeated),
//!   `showHidden` (default false: users with `isHidden: true` are left out unless it is
//!   `true`); other parameters (`fields`, `lang`, `query`, …) are ignored;
//! * the empty-page edge case (`SimConfig::empty_page_before_next`): the first page's cursor
//!   leads to one `{items: [], more: true}` page whose cursor leads to the real second page;
//!   it happens once per listing, not at every page boundary;
//! * `user/deleteMulti {"uid":[…]}` answers 200 `{uid:[deleted], errors:[{uid, reason:
//!   "NOT_FOUND"}]}`; deleted users leave every feed; deletion is irreversible;
//! * feeds: `feed/save` without `uid` creates (requires `name`), with `uid` replaces the feed
//!   object (a rename; unknown uid 404); names are unique case-sensitively (400); `feed/get`
//!   and `feed/delete` take `?uid=` (missing: 400, unknown: 404). `feed/delete` is served on
//!   both `DELETE` and `GET`: the discovery document was not at hand, Cloud Endpoints deletes
//!   are usually `DELETE`, and the SDK style calls everything through GET/POST; it answers
//!   200 `{}`, and its members simply lose that membership;
//! * `feed/subscribers/save {feed, addedUsers, removedUsers}`: entries with an `@` are
//!   e-mails, others ids; all or nothing: an unknown user is a 400, an unknown feed a 404, a
//!   user both added and removed a 400; re-adding a member or removing a non-member is a
//!   no-op; answers 200 `{}`; `user/list?feeds=` lists members in user creation order;
//! * errors: v1 `{"error":{"code","message","errors":[{"domain":"global","reason","message"}]}}`
//!   with Cloud-Endpoints reasons (`badRequest`, `required`, `forbidden`, `notFound`, …); v2
//!   `{"errors":[{"code","detail","title","status"}]}`; unknown paths 404 and wrong methods
//!   405, in the shape of the path's API;
//! * no built-in rate limit (none is documented); a fault can answer 429 with or without
//!   `Retry-After` in seconds; faults apply after counting and before authentication, and the
//!   token endpoint is only faulted when a test names [`TOKEN`].

mod api;
mod auth;
mod config;
mod controls;
mod directory;
mod faults;
mod gateway;
mod paging;
mod reply;
mod templates;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value};

pub use config::SimConfig;
pub use directory::{ACCOUNT_TYPES, Object, SimError};
pub use faults::{ANY_ROUTE, Fault};
pub use paging::DEFAULT_PAGE_SIZE;
pub use reply::CALL_ID_HEADER;
pub use sim_support::CallCounts;
/// Path templates, as used by [`Simulator::call_count`] and [`Simulator::inject_fault`].
pub use templates::{
    FEED_DELETE, FEED_GET, FEED_LIST, FEED_SAVE, FEED_SUBSCRIBERS_SAVE, TOKEN, USER_DELETE_MULTI,
    USER_GET, USER_LIST, USER_SAVE, V1,
};

use auth::TokenBook;
use directory::Directory;
use faults::FaultBook;
use sim_support::CallLog;
use sim_support::locks::{lock, read, write};

/// The simulator serving on a local port (`sim_support::serve`: connections an injected
/// `Fault::Drop` can cut mid-request, so the client sees a network failure).
pub type RunningSim = sim_support::RunningSim<Simulator>;

/// A simulated LumApps organisation with one OAuth application. Cheap to clone; all clones
/// share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    empty_page_before_next: AtomicBool,
    directory: RwLock<Directory>,
    tokens: Mutex<TokenBook>,
    faults: FaultBook,
    /// Keyed by path template, the token endpoint included.
    calls: CallLog,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("org_id", &self.inner.config.org_id)
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
    /// An organisation holding only the configured administrator (enabled, external,
    /// `isSuperAdmin: true`) and no feeds.
    pub fn new(config: SimConfig) -> Self {
        let mut directory = Directory::new(&config.org_id);
        let mut admin = Map::new();
        admin.insert("email".to_owned(), config.admin_email.clone().into());
        admin.insert("firstName".to_owned(), "Sim".into());
        admin.insert("lastName".to_owned(), "Admin".into());
        admin.insert("isSuperAdmin".to_owned(), Value::Bool(true));
        if let Err(err) = directory.seed_user(admin, Utc::now()) {
            // Only an empty or invalid admin e-mail gets here; the simulator still runs.
            tracing::warn!(%err, "the configured LumApps admin could not be seeded");
        }
        Self {
            inner: Arc::new(Inner {
                empty_page_before_next: AtomicBool::new(config.empty_page_before_next),
                tokens: Mutex::new(TokenBook::new(config.token_lifetime)),
                config,
                directory: RwLock::new(directory),
                faults: FaultBook::default(),
                calls: CallLog::default(),
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The token path of this organisation: `/v2/organizations/{org}/application-token`.
    pub fn token_path(&self) -> String {
        TOKEN.replace("{org}", &self.inner.config.org_id)
    }

    /// The whole HTTP API plus the `/_sim/` controls. `Fault::Drop` needs the connection
    /// handles that only [`Simulator::spawn`] provides; elsewhere it answers 503.
    pub fn router(&self) -> axum::Router {
        controls::router(self).merge(api::router(self))
    }

    /// Binds `addr` (port 0 picks a free port) and serves in a tokio task until
    /// [`RunningSim::shutdown`] or until the `RunningSim` is dropped.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningSim> {
        let router = self.router();
        RunningSim::start(self, router, addr, "lumapps").await
    }

    /// Adds a user the way LumApps' directory sync or console would (no call is counted): a
    /// JSON object with at least `email`; names default from the e-mail, `accountType` to
    /// `external`, `synchronized` to true for google/microsoft/okta, `status` to `enabled`.
    /// Any other field is stored as given. Fails on an e-mail already present (any case).
    pub fn seed_user(&self, user: Value) -> Result<Object, SimError> {
        let Value::Object(user) = user else {
            return Err(SimError::Invalid("a user is a JSON object".to_owned()));
        };
        write(&self.inner.directory).seed_user(user, Utc::now())
    }

    /// Every user, in creation order.
    pub fn users(&self) -> Vec<Object> {
        read(&self.inner.directory).users().to_vec()
    }

    pub fn user(&self, id: &str) -> Option<Object> {
        read(&self.inner.directory).user(id).cloned()
    }

    /// The user with this e-mail (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<Object> {
        read(&self.inner.directory).user_by_email(email).cloned()
    }

    /// Sets `isSuperAdmin` on the user named by id or e-mail; takes effect on its tokens at once.
    pub fn set_super_admin(&self, user: &str, admin: bool) -> Result<Object, SimError> {
        write(&self.inner.directory).set_super_admin(user, admin, Utc::now())
    }

    /// Creates a feed named `name` with these members (e-mails or ids), all or nothing.
    pub fn seed_feed(&self, name: &str, members: &[&str]) -> Result<Object, SimError> {
        let mut directory = write(&self.inner.directory);
        let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        if let Some(unknown) = members.iter().find(|m| directory.resolve(m).is_none()) {
            return Err(SimError::UnknownUser(unknown.clone()));
        }
        let mut feed = Map::new();
        feed.insert("name".to_owned(), name.into());
        let feed = directory.save_feed(feed, Utc::now())?;
        let uid = feed["uid"].as_str().unwrap_or_default().to_owned();
        directory.change_members(&uid, &members, &[])?;
        Ok(feed)
    }

    /// Adds and removes members of a feed as an admin would in LumApps' console (e-mails or
    /// ids), all or nothing.
    pub fn change_feed_members(
        &self,
        feed_uid: &str,
        added: &[&str],
        removed: &[&str],
    ) -> Result<(), SimError> {
        let owned = |list: &[&str]| list.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
        write(&self.inner.directory).change_members(feed_uid, &owned(added), &owned(removed))
    }

    /// Every feed object, in creation order.
    pub fn feeds(&self) -> Vec<Object> {
        read(&self.inner.directory).feeds()
    }

    /// The ids of the feed's members, in the order they joined; `None` for an unknown feed.
    pub fn feed_members(&self, feed_uid: &str) -> Option<Vec<String>> {
        read(&self.inner.directory)
            .feed_members(feed_uid)
            .map(<[String]>::to_vec)
    }

    /// Arms `fault` for the next `times` calls to `route` (a path template such as
    /// [`USER_SAVE`] or [`TOKEN`], a concrete path, or [`ANY_ROUTE`] for every v1 route),
    /// optionally only for one `method`.
    pub fn inject_fault(&self, route: &str, method: Option<&str>, fault: Fault, times: u32) {
        self.inner.faults.arm(route, method, fault, times);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// Calls to `"METHOD template"`, e.g. `call_count("POST", USER_SAVE)`.
    pub fn call_count(&self, method: &str, template: &str) -> u64 {
        self.inner.calls.count(method, template)
    }

    /// Every counter: the total and the calls per `"METHOD template"`.
    pub fn call_counts(&self) -> CallCounts {
        self.inner.calls.snapshot()
    }

    /// Zeroes every counter.
    pub fn reset_counts(&self) {
        self.inner.calls.reset();
    }

    /// The lifetime of tokens issued from now on (tokens already issued keep theirs).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.inner.tokens).set_lifetime(lifetime);
    }

    /// Invalidates every issued token; the next call with one gets 401.
    pub fn revoke_all_tokens(&self) {
        lock(&self.inner.tokens).revoke_all();
    }

    /// Turns the empty-page edge case of the listings on or off from now on.
    pub fn set_empty_page_before_next(&self, on: bool) {
        self.inner
            .empty_page_before_next
            .store(on, Ordering::SeqCst);
    }

    pub(crate) fn empty_page_before_next(&self) -> bool {
        self.inner.empty_page_before_next.load(Ordering::SeqCst)
    }
}
