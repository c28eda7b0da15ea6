//! `demo`: a target's simulator and the bridge in one process on loopback, with an in-memory
//! store, a few seeded users and the groups of its mapping, so a newcomer sees provisioning
//! work in a minute. It runs on the bridge's default limits, the rate limit included, as
//! `serve` would. Falcon is the default; `demo --target incydr` runs the Incydr simulator
//! (`demo/incydr.rs`), `demo --target lumapps` the LumApps simulator (`demo/lumapps.rs`),
//! `demo --target allthenticate` the Allthenticate simulator (`demo/allthenticate.rs`). All
//! seed the same people and differ in what the target allows, which their banners show.

mod allthenticate;
mod incydr;
mod lumapps;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::config::{CoreSettings, Settings, TargetSettings, TenantSettings};
use crate::server::SCIM_PREFIX;
use crate::startup::{Application, StartupError};
use bridge::Policy;
use falcon::ClientConfig;
use falcon::sim::{RunningSim, SimConfig, Simulator};
use scim::auth::CredentialSpec;
use scim::backend::{GroupBackend, ListRequest, RequestContext, UserBackend};
use scim::group::GroupWrite;
use secrecy::SecretString;

/// Users that exist in the target before any IdP connects (the bridge lists and can adopt them).
const SEED_USERS: [(&str, &str, &str); 3] = [
    ("alice.admin@example.com", "Alice", "Admin"),
    ("bob.analyst@example.com", "Bob", "Analyst"),
    ("carol.responder@example.com", "Carol", "Responder"),
];

/// The group mapping of the demo: a SCIM group with one of these names grants these roles.
/// Both groups exist from the start.
const DEMO_GROUPS: [(&str, &[&str]); 2] = [
    ("Falcon Analysts", &["falcon_analyst", "event_viewer"]),
    ("Falcon Administrators", &["falcon_administrator"]),
];

/// The seeded user the banner's group curl line puts into the first group.
const EXAMPLE_MEMBER: &str = "bob.analyst@example.com";

/// A running demo: the bridge, and the simulator `S` of its target (Falcon's by default).
pub struct Demo<S = RunningSim> {
    pub app: Application,
    pub sim: S,
    pub token: String,
    /// The groups of the mapping, created at start: `(displayName, SCIM id)`, in mapping order.
    pub groups: Vec<(String, String)>,
    /// `(userName, SCIM id)` of the seeded user the banner adds to the first group.
    pub example_member: (String, String),
}

impl Demo {
    /// Starts the Falcon simulator on a free loopback port and builds the bridge on `listen`.
    pub async fn start(listen: SocketAddr, token: Option<String>) -> Result<Self, StartupError> {
        let sim = Simulator::new(SimConfig {
            controls_enabled: true,
            ..SimConfig::default()
        });
        for (uid, first, last) in SEED_USERS {
            let user = sim.seed_user(uid, first, last);
            if uid.starts_with("alice") {
                sim.grant_roles(&user.uuid, &["falcon_administrator"]);
            }
        }
        let sim = sim.spawn(LOOPBACK_ANY_PORT).await.map_err(bind_error)?;
        let client = sim.sim.default_client();
        let target = TargetSettings::Falcon(ClientConfig::new(
            sim.base_url.clone(),
            client.client_id,
            SecretString::from(client.client_secret),
        ));
        assemble(target, &DEMO_GROUPS, listen, token, sim).await
    }

    /// What a newcomer needs, ready to paste.
    pub fn banner(&self) -> String {
        let base = self.base_url();
        let token = &self.token;
        let client = self.sim.sim.default_client();
        let (group, group_id) = &self.groups[0];
        let (member, member_id) = &self.example_member;
        format!(
            "falcon-scim-bridge demo: the SCIM bridge runs against an embedded Falcon simulator.\n\
             \n  SCIM base URL : {base}\
             \n  Bearer token  : {token}{listening}\
             \n  Falcon (sim)  : {sim} (client id {id}; test controls under /_sim/)\n\
             \nList the Falcon users the bridge sees:\n\
             \n  {list}\n\
             \nProvision a new user, as Okta or Entra would:\n\
             \n  {post}\n\
             \nThe groups {groups} exist (GET /Groups) and grant Falcon roles to their members.\
             \nAdd {member} to \"{group}\", as a Group Push would; Falcon grants the group's roles:\n\
             \n  {patch}\n\
             \nPress Ctrl-C to stop.",
            listening = self.listening_line(),
            sim = self.sim.base_url,
            id = client.client_id,
            list = list_users_curl(&base, token),
            post = post_user_curl(&base, token, ("new.user@example.com", "New", "User")),
            groups = self.group_names(),
            patch = add_member_curl(&base, token, group_id, member_id),
        )
    }
}

impl<S> Demo<S> {
    /// The SCIM base URL as a client on this machine reaches it: a bridge listening on every
    /// interface (`0.0.0.0`, `::`) is reached on loopback.
    pub fn base_url(&self) -> String {
        format!("http://{}{SCIM_PREFIX}", reachable(self.app.local_addr()))
    }

    /// The groups of the mapping, quoted, for the banner: `"A" and "B"`.
    fn group_names(&self) -> String {
        let names: Vec<String> = self
            .groups
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect();
        names.join(" and ")
    }

    /// "Listening on" for the banner, when the address a client uses is not the one bound.
    fn listening_line(&self) -> String {
        let listening = self.app.local_addr();
        if listening.ip().is_unspecified() {
            format!("\n  Listening on  : {listening} (every interface)")
        } else {
            String::new()
        }
    }
}

/// The banner's first curl line: the users the bridge sees.
fn list_users_curl(base: &str, token: &str) -> String {
    format!("curl -s -H 'Authorization: Bearer {token}' '{base}/Users?count=10'")
}

/// A curl line that `POST`s `(userName, givenName, familyName)` as Okta or Entra would.
fn post_user_curl(base: &str, token: &str, (login, given, family): (&str, &str, &str)) -> String {
    format!(
        "curl -s -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \\\
         \n    -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"{login}\",\"name\":{{\"givenName\":\"{given}\",\"familyName\":\"{family}\"}},\"active\":true}}' \\\
         \n    '{base}/Users'"
    )
}

/// A curl line that adds `member_id` to the group `group_id`, as a Group Push would.
fn add_member_curl(base: &str, token: &str, group_id: &str, member_id: &str) -> String {
    format!(
        "curl -s -X PATCH -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \\\
         \n    -d '{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{{\"op\":\"add\",\"path\":\"members\",\"value\":[{{\"value\":\"{member_id}\"}}]}}]}}' \\\
         \n    '{base}/Groups/{group_id}?attributes=displayName,members'"
    )
}

/// Where the demo's simulator listens: a free loopback port.
const LOOPBACK_ANY_PORT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

fn bind_error(error: std::io::Error) -> StartupError {
    StartupError::Bind {
        addr: LOOPBACK_ANY_PORT,
        error,
    }
}

/// Builds the bridge on `listen` against `target` (the running `sim`), with the group mapping
/// `groups`, and creates those groups as an IdP's Group Push would, so that `GET /Groups` shows
/// them from the start.
async fn assemble<S>(
    target: TargetSettings,
    groups: &[(&str, &[&str])],
    listen: SocketAddr,
    token: Option<String>,
    sim: S,
) -> Result<Demo<S>, StartupError> {
    let token = token.unwrap_or_else(random_token);
    let core = CoreSettings {
        tenant: None,
        target,
        database_url: "sqlite::memory:".to_owned(),
        database_pool: 1,
        policy: Policy::default(),
        // A group without roles is a group of the target's own (LumApps' feeds): it maps to
        // nothing, being the target group of its name.
        group_roles: groups
            .iter()
            .filter(|(_, roles)| !roles.is_empty())
            .map(|(group, roles)| {
                (
                    (*group).to_owned(),
                    roles.iter().map(|r| (*r).to_owned()).collect(),
                )
            })
            .collect(),
        refuse_unmapped_groups: false,
        reconcile: Default::default(),
    };
    let settings = Settings {
        tenants: vec![TenantSettings {
            core,
            credentials: vec![CredentialSpec::static_token(
                "demo",
                SecretString::from(token.clone()),
            )],
        }],
        listen,
        public_url: None,
        directory_refresh: Duration::from_secs(60),
        security: Default::default(),
    };
    let app = Application::build(settings).await?;
    let bridge = app.bridge();
    let ctx = RequestContext {
        credential: "demo".to_owned(),
        method: "POST".to_owned(),
        path: format!("{SCIM_PREFIX}/Groups"),
        ..RequestContext::default()
    };
    let mut created_groups = Vec::with_capacity(groups.len());
    for (name, _) in groups {
        let group = GroupWrite {
            display_name: (*name).to_owned(),
            external_id: None,
            members: Vec::new(),
        };
        let created = bridge
            .create_group(group, &ctx)
            .await
            .map_err(StartupError::Bridge)?;
        created_groups.push((created.display_name, created.id));
    }
    let users = bridge
        .list_users(&ListRequest::default())
        .await
        .map_err(StartupError::Bridge)?;
    let example_member = users
        .items
        .into_iter()
        .find(|u| u.write.user_name == EXAMPLE_MEMBER)
        .map(|u| (u.write.user_name, u.id))
        .unwrap_or_else(|| (EXAMPLE_MEMBER.to_owned(), "USER-ID".to_owned()));
    Ok(Demo {
        app,
        sim,
        token,
        groups: created_groups,
        example_member,
    })
}

/// Where a client on this machine reaches a listener on `addr`.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

fn random_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_on_every_interface_is_reached_on_loopback() {
        let at = |text: &str| reachable(text.parse().unwrap()).to_string();
        assert_eq!(at("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(at("[::]:8080"), "[::1]:8080");
        assert_eq!(at("127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(at("192.0.2.7:8080"), "192.0.2.7:8080");
    }
}
