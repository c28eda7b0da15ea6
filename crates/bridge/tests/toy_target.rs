//! The seam exercised by something that is not Falcon: an in-memory target whose deactivation
//! is native and whose roles are replaced as a whole, driven through the real SCIM router over
//! loopback HTTP the way Okta provisions (look-up, create, group push, deactivate, reactivate,
//! delete). A second target that can only adopt shows how a capability changes the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bridge::groups::GroupMapping;
use bridge::store::Store;
use bridge::{Bridge, PendingUsers, Policy};
use scim::auth::{CredentialSpec, Credentials};
use scim::{ScimSettings, router};
use secrecy::SecretString;
use serde_json::{Value, json};
use target_api::{
    Account, AccountRef, Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, Entitlement,
    EntitlementChange, EntitlementId, EntitlementModel, ErrorKind, Lookups, Naming, Paging,
    Profile, ProfileWrites, Target, TargetError,
};

const TOKEN: &str = "toy-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// One account of the toy target.
#[derive(Debug, Clone)]
struct ToyAccount {
    profile: Profile,
    active: bool,
    roles: BTreeSet<EntitlementId>,
}

/// An in-memory target that records every write it receives; clones share their state, so
/// the test keeps one to look into what the bridge did.
#[derive(Clone)]
struct Toy {
    capabilities: Capabilities,
    accounts: Arc<Mutex<BTreeMap<String, ToyAccount>>>,
    /// Groups of the target's own (when its entitlements are group memberships): id -> name.
    /// A member holds the group's id among its `roles`.
    groups: Arc<Mutex<BTreeMap<String, String>>>,
    writes: Arc<Mutex<Vec<String>>>,
    /// Reads of entitlements (per account or per group), to count what reconciliation costs.
    reads: Arc<Mutex<Vec<String>>>,
}

fn toy_capabilities(create: CreateMode) -> Capabilities {
    Capabilities {
        naming: Naming {
            product: "Toy",
            key: "toy",
            entitlement: "role",
            example_entitlement: "viewer",
        },
        create,
        deactivate: DeactivateMode::Native,
        delete: DeleteMode::Hard,
        entitlements: EntitlementModel::RoleSet {
            by_name: false,
            replace_all: true,
        },
        profile: ProfileWrites {
            login: false,
            names: true,
        },
        lookups: Lookups {
            by_login: true,
            batch_by_ids: false,
        },
        paging: Paging::None,
        auth: Auth::StaticApiKey,
        ids_survive_reactivation: true,
    }
}

fn role(id: &str) -> EntitlementId {
    EntitlementId::parse(id).unwrap()
}

impl Toy {
    fn new(create: CreateMode) -> Self {
        Self {
            capabilities: toy_capabilities(create),
            accounts: Arc::default(),
            groups: Arc::default(),
            writes: Arc::default(),
            reads: Arc::default(),
        }
    }

    /// A target like LumApps: its groups are its own, one call changes a group's members.
    fn with_native_groups() -> Self {
        let mut toy = Self::new(CreateMode::Direct);
        toy.capabilities.entitlements = EntitlementModel::GroupMembership;
        toy
    }

    fn native(&self) -> bool {
        self.capabilities.entitlements == EntitlementModel::GroupMembership
    }

    fn add_group(&self, id: &str, name: &str) {
        self.groups
            .lock()
            .unwrap()
            .insert(id.to_owned(), name.to_owned());
    }

    fn ids(accounts: &[AccountRef]) -> String {
        accounts
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A target like Incydr: it can neither create nor delete accounts.
    fn adopt_only_without_delete() -> Self {
        let mut toy = Self::new(CreateMode::AdoptOnly);
        toy.capabilities.delete = DeleteMode::None;
        toy
    }

    fn log(&self, write: String) {
        self.writes.lock().unwrap().push(write);
    }

    fn writes(&self) -> Vec<String> {
        self.writes.lock().unwrap().clone()
    }

    fn account(&self, id: &str) -> Option<ToyAccount> {
        self.accounts.lock().unwrap().get(id).cloned()
    }

    fn insert(&self, id: &str, login: &str) {
        self.accounts.lock().unwrap().insert(
            id.to_owned(),
            ToyAccount {
                profile: Profile {
                    login: login.to_owned(),
                    given_name: "Pre".into(),
                    family_name: "Existing".into(),
                },
                active: true,
                roles: BTreeSet::new(),
            },
        );
    }

    fn view(id: &str, a: &ToyAccount) -> Account {
        Account {
            reference: AccountRef::new(id, None),
            profile: a.profile.clone(),
            active: a.active,
            created: None,
            modified: None,
        }
    }

    fn missing(id: &str) -> TargetError {
        TargetError::new(ErrorKind::NotFound, format!("no account {id}"))
    }
}

impl Target for Toy {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        let accounts = self.accounts.lock().unwrap();
        Ok(accounts.iter().map(|(id, a)| Self::view(id, a)).collect())
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        let accounts = self.accounts.lock().unwrap();
        Ok(accounts
            .iter()
            .find(|(_, a)| a.profile.login.eq_ignore_ascii_case(login))
            .map(|(id, a)| Self::view(id, a)))
    }

    async fn create(&self, profile: &Profile) -> Result<Account, TargetError> {
        let id = format!("toy-{}", self.accounts.lock().unwrap().len() + 1);
        self.log(format!("create {}", profile.login));
        let account = ToyAccount {
            profile: profile.clone(),
            active: true,
            roles: BTreeSet::new(),
        };
        let view = Self::view(&id, &account);
        self.accounts.lock().unwrap().insert(id, account);
        Ok(view)
    }

    async fn update_profile(
        &self,
        account: &AccountRef,
        profile: &Profile,
    ) -> Result<(), TargetError> {
        self.log(format!("rename {}", account.id));
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts
            .get_mut(&account.id)
            .ok_or_else(|| Self::missing(&account.id))?;
        a.profile.given_name = profile.given_name.clone();
        a.profile.family_name = profile.family_name.clone();
        Ok(())
    }

    async fn set_active(&self, account: &AccountRef, active: bool) -> Result<(), TargetError> {
        self.log(format!("set_active {} {active}", account.id));
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts
            .get_mut(&account.id)
            .ok_or_else(|| Self::missing(&account.id))?;
        a.active = active;
        Ok(())
    }

    async fn delete(&self, account: &AccountRef) -> Result<(), TargetError> {
        self.log(format!("delete {}", account.id));
        self.accounts
            .lock()
            .unwrap()
            .remove(&account.id)
            .map(|_| ())
            .ok_or_else(|| Self::missing(&account.id))
    }

    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        if self.native() {
            let groups = self.groups.lock().unwrap();
            return Ok(groups
                .iter()
                .map(|(id, name)| Entitlement {
                    id: role(id),
                    display_name: name.clone(),
                    description: String::new(),
                })
                .collect());
        }
        Ok(["viewer", "admin"]
            .into_iter()
            .map(|id| Entitlement {
                id: role(id),
                display_name: format!("Toy {id}"),
                description: String::new(),
            })
            .collect())
    }

    async fn entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        self.reads
            .lock()
            .unwrap()
            .push(format!("entitlements {}", account.id));
        self.account(&account.id)
            .map(|a| a.roles)
            .ok_or_else(|| Self::missing(&account.id))
    }

    /// Replace-all: the whole desired set in one write, whatever was applied before.
    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let list: Vec<&str> = change.desired.iter().map(EntitlementId::as_str).collect();
        self.log(format!("set_roles {} [{}]", account.id, list.join(",")));
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts
            .get_mut(&account.id)
            .ok_or_else(|| Self::missing(&account.id))?;
        a.roles = change.desired.clone();
        Ok(())
    }

    async fn create_group(&self, name: &str) -> Result<Entitlement, TargetError> {
        let mut groups = self.groups.lock().unwrap();
        if groups.values().any(|n| n == name) {
            return Err(TargetError::new(ErrorKind::Conflict, "name taken"));
        }
        let id = format!("grp-{}", groups.len() + 1);
        groups.insert(id.clone(), name.to_owned());
        self.log(format!("create_group {name}"));
        Ok(Entitlement {
            id: role(&id),
            display_name: name.to_owned(),
            description: String::new(),
        })
    }

    async fn rename_group(&self, id: &EntitlementId, name: &str) -> Result<(), TargetError> {
        self.log(format!("rename_group {id} {name}"));
        let mut groups = self.groups.lock().unwrap();
        let group = groups
            .get_mut(id.as_str())
            .ok_or_else(|| Self::missing(id.as_str()))?;
        *group = name.to_owned();
        Ok(())
    }

    async fn delete_group(&self, id: &EntitlementId) -> Result<(), TargetError> {
        self.log(format!("delete_group {id}"));
        self.groups.lock().unwrap().remove(id.as_str());
        for account in self.accounts.lock().unwrap().values_mut() {
            account.roles.remove(id);
        }
        Ok(())
    }

    async fn group_members(&self, id: &EntitlementId) -> Result<Vec<AccountRef>, TargetError> {
        self.reads.lock().unwrap().push(format!("members {id}"));
        if !self.groups.lock().unwrap().contains_key(id.as_str()) {
            return Err(Self::missing(id.as_str()));
        }
        let accounts = self.accounts.lock().unwrap();
        Ok(accounts
            .iter()
            .filter(|(_, a)| a.roles.contains(id))
            .map(|(account, _)| AccountRef::new(account.clone(), None))
            .collect())
    }

    async fn change_group_members(
        &self,
        id: &EntitlementId,
        added: &[AccountRef],
        removed: &[AccountRef],
    ) -> Result<(), TargetError> {
        self.log(format!(
            "members {id} +[{}] -[{}]",
            Self::ids(added),
            Self::ids(removed)
        ));
        let mut accounts = self.accounts.lock().unwrap();
        for a in added {
            if let Some(account) = accounts.get_mut(&a.id) {
                account.roles.insert(id.clone());
            }
        }
        for a in removed {
            if let Some(account) = accounts.get_mut(&a.id) {
                account.roles.remove(id);
            }
        }
        Ok(())
    }
}

/// The core and the SCIM router over `toy`, served on a random loopback port.
struct App {
    base: String,
    http: reqwest::Client,
    bridge: Arc<Bridge<Toy>>,
}

fn mapping() -> GroupMapping {
    let mut groups = BTreeMap::new();
    groups.insert("Toy Viewers".to_owned(), vec!["viewer".to_owned()]);
    groups.insert("Toy Admins".to_owned(), vec!["admin".to_owned()]);
    GroupMapping::new(&groups, false).unwrap()
}

async fn spawn(toy: Toy) -> App {
    spawn_with(toy, Policy::default()).await
}

async fn spawn_with(toy: Toy, policy: Policy) -> App {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let bridge = Bridge::start(toy, store, policy, mapping()).await.unwrap();
    bridge.refresh_catalogue().await.unwrap();
    bridge.refresh_directory().await.unwrap();
    let credentials = Credentials::new(vec![CredentialSpec::static_token(
        "okta",
        SecretString::from(TOKEN),
    )]);
    let scim = router(
        bridge.clone(),
        Arc::new(credentials),
        ScimSettings::default(),
    );
    let app = axum::Router::new().nest("/scim/v2", scim);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    App {
        base: format!("http://{addr}/scim/v2"),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        bridge,
    }
}

impl App {
    /// Sends `method path` with an optional JSON body; checks the status; returns the body.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let resp = req.send().await.expect("the bridge answers");
        let got = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(got, status, "{path}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    async fn patch_user_active(&self, id: &str, active: bool) -> Value {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": active}}]
        });
        self.call(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            Some(body),
            200,
        )
        .await
    }

    async fn add_member(&self, group: &str, user: &str) {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]
        });
        self.call(
            reqwest::Method::PATCH,
            &format!("/Groups/{group}"),
            Some(body),
            204,
        )
        .await;
    }

    async fn create_group(&self, name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": []
        });
        let group = self
            .call(reqwest::Method::POST, "/Groups", Some(body), 201)
            .await;
        group["id"].as_str().unwrap().to_owned()
    }
}

fn okta_user(login: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": true, "value": login, "type": "work"}],
        "active": true
    })
}

#[tokio::test]
async fn an_okta_sequence_drives_a_native_deactivation_replace_all_target() {
    let toy = Toy::new(CreateMode::Direct);
    let app = spawn(toy.clone()).await;
    let get = reqwest::Method::GET;
    let filter = "/Users?filter=userName%20eq%20%22jane@example.com%22";

    // Okta looks the user up, finds nothing, creates it.
    let found = app.call(get.clone(), filter, None, 200).await;
    assert_eq!(found["totalResults"], 0);
    let user = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("jane@example.com")),
            201,
        )
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "toy-1", "the SCIM id is the account's id");
    assert_eq!(toy.account(&id).unwrap().profile.given_name, "Jane");
    let found = app.call(get.clone(), filter, None, 200).await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    // Group push: each membership change is one write of the whole role set.
    let viewers = app.create_group("Toy Viewers").await;
    let admins = app.create_group("Toy Admins").await;
    app.add_member(&viewers, &id).await;
    assert_eq!(toy.account(&id).unwrap().roles, [role("viewer")].into());
    app.add_member(&admins, &id).await;
    assert_eq!(
        toy.account(&id).unwrap().roles,
        [role("admin"), role("viewer")].into()
    );
    assert_eq!(
        toy.writes(),
        [
            "create jane@example.com",
            "set_roles toy-1 [viewer]",
            "set_roles toy-1 [admin,viewer]",
        ]
    );

    // Deactivation is the target's own, reversible, and keeps the account and its roles.
    let off = app.patch_user_active(&id, false).await;
    assert_eq!(off["active"], false);
    let held = toy.account(&id).unwrap();
    assert!(!held.active);
    assert_eq!(held.roles.len(), 2, "a native deactivation revokes nothing");
    let read = app
        .call(get.clone(), &format!("/Users/{id}"), None, 200)
        .await;
    assert_eq!(read["active"], false);
    // Deactivating again changes nothing in the target.
    app.patch_user_active(&id, false).await;
    assert_eq!(toy.writes().last().unwrap(), "set_active toy-1 false");
    assert_eq!(
        toy.writes()
            .iter()
            .filter(|w| w.starts_with("set_active"))
            .count(),
        1
    );

    // Reactivation flips it back under the same ids; nothing is created again.
    let on = app.patch_user_active(&id, true).await;
    assert_eq!(on["active"], true);
    assert_eq!(on["id"], id.as_str());
    assert!(toy.account(&id).unwrap().active);
    assert_eq!(toy.writes().last().unwrap(), "set_active toy-1 true");
    assert_eq!(
        toy.writes()
            .iter()
            .filter(|w| w.starts_with("create"))
            .count(),
        1
    );

    // The audit log names the target's writes.
    let audit = app.bridge.store().audit(&Default::default()).await.unwrap();
    let operations: Vec<&str> = audit.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        operations,
        ["create", "grant", "grant", "deactivate", "activate"]
    );
    assert!(
        audit
            .iter()
            .all(|r| r.account_id.as_deref() == Some("toy-1"))
    );

    // Discovery says what this target does.
    let schemas = app.call(get.clone(), "/Schemas", None, 200).await;
    let user_schema = &schemas["Resources"][0];
    let active = user_schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "active")
        .unwrap();
    assert_eq!(
        active["description"],
        "false deactivates the Toy user; true activates it again"
    );

    // DELETE removes the account; the user is gone for the IdP.
    app.call(reqwest::Method::DELETE, &format!("/Users/{id}"), None, 204)
        .await;
    assert!(toy.account(&id).is_none());
    assert_eq!(toy.writes().last().unwrap(), "delete toy-1");
    app.call(get, &format!("/Users/{id}"), None, 404).await;
}

#[tokio::test]
async fn an_adopt_only_target_told_to_refuse_says_why_it_cannot_create() {
    let toy = Toy::new(CreateMode::AdoptOnly);
    toy.insert("acct-7", "pre@example.com");
    let refuse = Policy {
        pending: PendingUsers::Refuse,
        ..Policy::default()
    };
    let app = spawn_with(toy.clone(), refuse).await;

    let refused = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("new@example.com")),
            400,
        )
        .await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Toy cannot create users through its API"),
        "{detail}"
    );
    assert!(toy.writes().is_empty(), "nothing reached the target");
    let found = app
        .call(
            reqwest::Method::GET,
            "/Users?filter=userName%20eq%20%22new@example.com%22",
            None,
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0, "nothing was kept either");

    let adopted = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("pre@example.com")),
            201,
        )
        .await;
    assert_eq!(adopted["id"], "acct-7");
    // Adoption brings the names the IdP sent, where the target lets them change.
    assert_eq!(toy.writes(), ["rename acct-7"]);
    assert_eq!(toy.account("acct-7").unwrap().profile.given_name, "Jane");
}

#[tokio::test]
async fn a_user_the_target_does_not_have_yet_is_pending_until_it_appears() {
    let toy = Toy::new(CreateMode::AdoptOnly);
    let app = spawn(toy.clone()).await;
    let get = reqwest::Method::GET;

    // Two users the target does not have: 201 each, and no call that writes.
    let jane = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("jane@example.com")),
            201,
        )
        .await;
    let jane = jane["id"].as_str().unwrap().to_owned();
    let joe = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("joe@example.com")),
            201,
        )
        .await;
    let joe = joe["id"].as_str().unwrap().to_owned();
    assert!(toy.writes().is_empty());

    // Reads show them as the IdP set them; changes are kept for later.
    let found = app
        .call(
            get.clone(),
            "/Users?filter=userName%20eq%20%22JANE@example.com%22",
            None,
            200,
        )
        .await;
    assert_eq!(found["Resources"][0]["id"], jane.as_str());
    assert_eq!(found["Resources"][0]["active"], true);
    let viewers = app.create_group("Toy Viewers").await;
    app.add_member(&viewers, &jane).await;
    let off = app.patch_user_active(&joe, false).await;
    assert_eq!(off["active"], false);
    assert!(toy.writes().is_empty(), "nothing to write to yet");
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(6000))
        .await
        .unwrap();
    let mut pending: Vec<(&str, bool)> = report
        .pending
        .iter()
        .map(|p| (p.login.as_str(), p.in_target))
        .collect();
    pending.sort();
    assert_eq!(
        pending,
        [("jane@example.com", false), ("joe@example.com", false)]
    );
    assert!(report.is_clean(), "{}", report.render());
    assert!(report.render().contains("pending: jane@example.com"));

    // The target's own provisioning brings both in; the next refresh links them under the
    // SCIM ids the IdP knows, and applies what the IdP asked for.
    toy.insert("acct-1", "Jane@Example.com");
    toy.insert("acct-2", "joe@example.com");
    app.bridge.refresh_directory().await.unwrap();
    let mut writes = toy.writes();
    writes.sort();
    // Jane also gets the names the IdP sent (this target lets them change).
    assert_eq!(
        writes,
        [
            "rename acct-1",
            "set_active acct-2 false",
            "set_roles acct-1 [viewer]"
        ]
    );
    let read = app
        .call(get.clone(), &format!("/Users/{jane}"), None, 200)
        .await;
    assert_eq!(read["active"], true);
    let listed = app.call(get.clone(), "/Users", None, 200).await;
    assert_eq!(listed["totalResults"], 2, "linked, not listed twice");
    assert!(app.bridge.pending_users().is_empty());
    // A later refresh finds nothing more to do.
    app.bridge.refresh_directory().await.unwrap();
    assert_eq!(toy.writes().len(), 3);
    // Once linked, changes go to the target as for any user.
    app.patch_user_active(&joe, true).await;
    assert_eq!(toy.writes().last().unwrap(), "set_active acct-2 true");
}

/// The user `id` (found by `filter`) is 404, found by no filter and listed nowhere.
async fn assert_gone(app: &App, id: &str, filter: &str) {
    let get = reqwest::Method::GET;
    app.call(get.clone(), &format!("/Users/{id}"), None, 404)
        .await;
    let found = app.call(get.clone(), filter, None, 200).await;
    assert_eq!(found["totalResults"], 0);
    let listed = app.call(get, "/Users", None, 200).await;
    assert_eq!(listed["totalResults"], 0);
}

#[tokio::test]
async fn a_deleted_user_stays_hidden_where_the_target_cannot_delete() {
    let toy = Toy::adopt_only_without_delete();
    toy.insert("acct-7", "pre@example.com");
    let app = spawn(toy.clone()).await;
    let get = reqwest::Method::GET;
    let filter = "/Users?filter=userName%20eq%20%22pre@example.com%22";

    let adopted = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("pre@example.com")),
            201,
        )
        .await;
    assert_eq!(adopted["id"], "acct-7");
    app.call(reqwest::Method::DELETE, "/Users/acct-7", None, 204)
        .await;
    assert_eq!(toy.writes().last().unwrap(), "set_active acct-7 false");
    let kept = toy.account("acct-7").expect("the target keeps the account");
    assert!(!kept.active);

    // Gone for the IdP, now and after the refreshes and restarts that see the account again.
    assert_gone(&app, "acct-7", filter).await;
    app.bridge.refresh_directory().await.unwrap();
    assert_gone(&app, "acct-7", filter).await;
    let restarted = Bridge::start(
        toy.clone(),
        app.bridge.store().clone(),
        Policy::default(),
        mapping(),
    )
    .await
    .unwrap();
    restarted.refresh_directory().await.unwrap();
    assert_eq!(restarted.directory_size(), 0, "hidden after a restart too");

    // Provisioned again: the account is taken over and activated, under a new SCIM id.
    let again = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("pre@example.com")),
            201,
        )
        .await;
    let id = again["id"].as_str().unwrap();
    assert_ne!(id, "acct-7");
    assert_eq!(again["active"], true);
    assert_eq!(toy.writes().last().unwrap(), "set_active acct-7 true");
    assert!(toy.account("acct-7").unwrap().active);
    let found = app.call(get.clone(), filter, None, 200).await;
    assert_eq!(found["Resources"][0]["id"], id);
    app.bridge.refresh_directory().await.unwrap();
    let listed = app.call(get, "/Users", None, 200).await;
    assert_eq!(listed["totalResults"], 1, "{listed}");
    assert!(
        app.bridge
            .store()
            .retired_accounts()
            .await
            .unwrap()
            .is_empty(),
        "no longer retired"
    );
}

#[tokio::test]
async fn native_groups_are_the_targets_own_and_a_member_change_is_one_call() {
    let toy = Toy::with_native_groups();
    toy.add_group("grp-0", "Existing Feed");
    let app = spawn(toy.clone()).await;
    let mut users = Vec::new();
    for login in ["a@example.com", "b@example.com", "c@example.com"] {
        let user = app
            .call(reqwest::Method::POST, "/Users", Some(okta_user(login)), 201)
            .await;
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    let members: Vec<&str> = users.iter().map(String::as_str).collect();
    let written = |toy: &Toy| toy.writes()[3..].to_vec();

    // The target's groups are listed before any push, under their own ids.
    let listed = app.call(reqwest::Method::GET, "/Groups", None, 200).await;
    assert_eq!(listed["totalResults"], 1, "{listed}");
    assert_eq!(listed["Resources"][0]["id"], "grp-0");
    assert_eq!(listed["Resources"][0]["displayName"], "Existing Feed");
    // A group of that exact name exists in the target: adopted under that id, nothing created.
    let existing = app.create_group("Existing Feed").await;
    assert_eq!(existing, "grp-0");
    assert!(written(&toy).is_empty(), "{:?}", toy.writes());
    // Otherwise the target creates it.
    let security = app.create_group("Security").await;
    assert_eq!(written(&toy), ["create_group Security"]);

    // Three members in one PATCH: one call for the group.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members",
                        "value": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>()}]
    });
    app.call(
        reqwest::Method::PATCH,
        &format!("/Groups/{security}"),
        Some(body),
        204,
    )
    .await;
    assert_eq!(
        written(&toy)[1..],
        ["members grp-2 +[toy-1,toy-2,toy-3] -[]"]
    );
    assert_eq!(toy.account("toy-2").unwrap().roles, [role("grp-2")].into());
    // Each member's audit shows its part of the call.
    let audit = app.bridge.store().audit(&Default::default()).await.unwrap();
    let grants: Vec<&str> = audit
        .iter()
        .filter(|r| r.operation == "grant")
        .map(|r| r.login.as_str())
        .collect();
    assert_eq!(grants, ["a@example.com", "b@example.com", "c@example.com"]);

    // One out, a rename, then the group goes: each one call, in the target's terms.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])},
            {"op": "replace", "path": "displayName", "value": "Security Team"}
        ]
    });
    app.call(
        reqwest::Method::PATCH,
        &format!("/Groups/{security}"),
        Some(body),
        204,
    )
    .await;
    assert_eq!(
        written(&toy)[2..],
        [
            "rename_group grp-2 Security Team",
            "members grp-2 +[] -[toy-2]"
        ]
    );
    app.call(
        reqwest::Method::DELETE,
        &format!("/Groups/{security}"),
        None,
        204,
    )
    .await;
    assert_eq!(written(&toy)[4..], ["delete_group grp-2"]);
    assert!(toy.account("toy-1").unwrap().roles.is_empty());

    // The former members hold nothing the bridge would take away again: a reactivation sync
    // makes no call.
    app.patch_user_active(&users[0], false).await;
    app.patch_user_active(&users[0], true).await;
    assert_eq!(
        written(&toy)[5..],
        ["set_active toy-1 false", "set_active toy-1 true"]
    );
}

#[tokio::test]
async fn a_push_linking_to_a_target_group_adopts_it_and_removes_members_it_had() {
    let toy = Toy::with_native_groups();
    toy.add_group("grp-7", "Linked Feed");
    let app = spawn(toy.clone()).await;
    let mut users = Vec::new();
    for login in ["a@example.com", "b@example.com"] {
        let user = app
            .call(reqwest::Method::POST, "/Users", Some(okta_user(login)), 201)
            .await;
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    // b was in the target group before the bridge knew it.
    toy.accounts
        .lock()
        .unwrap()
        .get_mut("toy-2")
        .unwrap()
        .roles
        .insert(role("grp-7"));
    assert_eq!(toy.writes().len(), 2, "the two creates only");

    // Okta links its group to the listed one and pushes: the first change adopts it.
    app.add_member("grp-7", &users[0]).await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": "members", "value": [{"value": users[1]}]}]
    });
    app.call(reqwest::Method::PATCH, "/Groups/grp-7", Some(body), 204)
        .await;
    assert_eq!(
        toy.writes()[2..],
        ["members grp-7 +[toy-1] -[]", "members grp-7 +[] -[toy-2]"]
    );
    assert!(toy.account("toy-2").unwrap().roles.is_empty());
    let group = app
        .call(reqwest::Method::GET, "/Groups/grp-7", None, 200)
        .await;
    assert_eq!(group["members"][0]["value"], users[0].as_str(), "{group}");
}

#[tokio::test]
async fn an_adopted_target_group_keeps_its_members_and_reconciliation_reads_each_group_once() {
    let toy = Toy::with_native_groups();
    toy.add_group("grp-0", "Existing Feed");
    let app = spawn(toy.clone()).await;
    let mut users = Vec::new();
    for login in ["a@example.com", "b@example.com", "c@example.com"] {
        let user = app
            .call(reqwest::Method::POST, "/Users", Some(okta_user(login)), 201)
            .await;
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    // a and b were in the target group before the bridge knew it.
    for account in ["toy-1", "toy-2"] {
        toy.accounts
            .lock()
            .unwrap()
            .get_mut(account)
            .unwrap()
            .roles
            .insert(role("grp-0"));
    }
    let member_ids = |group: &Value| -> Vec<String> {
        let mut ids: Vec<String> = group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |ids: &[&String]| -> Vec<String> {
        let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
        ids.sort();
        ids
    };

    // Not adopted yet: its members are the target's, read at the request.
    let unmanaged = app
        .call(reqwest::Method::GET, "/Groups/grp-0", None, 200)
        .await;
    assert_eq!(member_ids(&unmanaged), sorted(&[&users[0], &users[1]]));

    // A push of that name with c: adopted with a and b, and only c is written.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Existing Feed",
        "members": [{"value": users[2]}]
    });
    let adopted = app
        .call(reqwest::Method::POST, "/Groups", Some(body), 201)
        .await;
    assert_eq!(adopted["id"], "grp-0");
    assert_eq!(
        member_ids(&adopted),
        sorted(&[&users[0], &users[1], &users[2]])
    );
    assert_eq!(toy.writes()[3..], ["members grp-0 +[toy-3] -[]"]);

    // A second group; reconciliation reads each group once and no account's groups.
    let other = app.create_group("Other").await;
    app.add_member(&other, &users[0]).await;
    toy.reads.lock().unwrap().clear();
    let pace = bridge::reconcile::Pace::per_minute(60_000);
    let report = app.bridge.reconcile(pace).await.unwrap();
    assert!(report.is_clean(), "{}", report.render());
    let mut reads = toy.reads.lock().unwrap().clone();
    reads.sort();
    assert_eq!(reads, ["members grp-0", "members grp-2"]);

    // b leaves the group in the target's console; the group Other is deleted there.
    toy.accounts
        .lock()
        .unwrap()
        .get_mut("toy-2")
        .unwrap()
        .roles
        .remove(&role("grp-0"));
    toy.groups.lock().unwrap().remove("grp-2");
    let report = app.bridge.reconcile(pace).await.unwrap();
    let mut drift: Vec<(String, String)> = report
        .drift
        .iter()
        .map(|d| (d.login.clone(), d.drift.kind("toy")))
        .collect();
    drift.sort();
    assert_eq!(
        drift,
        [
            ("a@example.com".to_owned(), "missing_roles".to_owned()),
            ("b@example.com".to_owned(), "missing_roles".to_owned())
        ]
    );
}
