//! `demo`: the Falcon simulator and the bridge in one process on loopback, with an in-memory
//! store and a few seeded Falcon users, so a newcomer sees provisioning work in a minute. It
//! runs on the bridge's default limits, the rate limit included, as `serve` would.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::Settings;
use crate::startup::{Application, StartupError};
use bridge::Policy;
use falcon::ClientConfig;
use falcon::sim::{RunningSim, SimConfig, Simulator};
use secrecy::SecretString;

/// Falcon users that exist before any IdP connects (the bridge lists and can adopt them).
const SEED_USERS: [(&str, &str, &str); 3] = [
    ("alice.admin@example.com", "Alice", "Admin"),
    ("bob.analyst@example.com", "Bob", "Analyst"),
    ("carol.responder@example.com", "Carol", "Responder"),
];

/// The group mapping of the demo: a SCIM group with one of these names grants these roles.
const DEMO_GROUPS: [(&str, &[&str]); 2] = [
    ("Falcon Analysts", &["falcon_analyst", "event_viewer"]),
    ("Falcon Administrators", &["falcon_administrator"]),
];

pub struct Demo {
    pub app: Application,
    pub sim: RunningSim,
    pub token: String,
}

impl Demo {
    /// Starts the simulator on a free loopback port and builds the bridge on `listen`.
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
        let sim = sim
            .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|source| StartupError::Bind {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        let client = sim.sim.default_client();
        let token = token.unwrap_or_else(random_token);
        let settings = Settings {
            falcon: ClientConfig::new(
                sim.base_url.clone(),
                client.client_id,
                SecretString::from(client.client_secret),
            ),
            bearer_tokens: vec![("demo".to_owned(), SecretString::from(token.clone()))],
            listen,
            database_url: "sqlite::memory:".to_owned(),
            public_url: None,
            directory_refresh: Duration::from_secs(60),
            policy: Policy::default(),
            group_roles: DEMO_GROUPS
                .iter()
                .map(|(group, roles)| {
                    (
                        (*group).to_owned(),
                        roles.iter().map(|r| (*r).to_owned()).collect(),
                    )
                })
                .collect(),
            refuse_unmapped_groups: false,
            reconcile: Default::default(),
            security: Default::default(),
        };
        let app = Application::build(settings).await?;
        Ok(Self { app, sim, token })
    }

    /// What a newcomer needs, ready to paste.
    pub fn banner(&self) -> String {
        let base = self.app.scim_base_url();
        let token = &self.token;
        let client = self.sim.sim.default_client();
        format!(
            "falcon-scim-bridge demo: the SCIM bridge runs against an embedded Falcon simulator.\n\
             \n  SCIM base URL : {base}\
             \n  Bearer token  : {token}\
             \n  Falcon (sim)  : {sim} (client id {id}; test controls under /_sim/)\n\
             \nList the Falcon users the bridge sees:\n\
             \n  curl -s -H 'Authorization: Bearer {token}' '{base}/Users?count=10'\n\
             \nProvision a new user, as Okta or Entra would:\n\
             \n  curl -s -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \\\
             \n    -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"new.user@example.com\",\"name\":{{\"givenName\":\"New\",\"familyName\":\"User\"}},\"active\":true}}' \\\
             \n    '{base}/Users'\n\
             \nGroups named \"Falcon Analysts\" and \"Falcon Administrators\" grant Falcon roles to their members.\n\
             \nPress Ctrl-C to stop.",
            sim = self.sim.base_url,
            id = client.client_id,
        )
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
