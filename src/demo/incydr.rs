//! `demo --target incydr`: the bridge against the Incydr simulator. Incydr's API cannot create
//! users, so the banner shows what an IdP does with Incydr instead: it adopts a user Incydr
//! already has, a group push replaces that user's roles in one call, and new users come from
//! Incydr's own provisioning (here a simulator control).

use incydr::sim::RunningSim;
use secrecy::SecretString;

use super::{
    Demo, LOOPBACK_ANY_PORT, SEED_USERS, add_member_curl, assemble, bind_error, list_users_curl,
    post_user_curl,
};
use crate::config::TargetSettings;
use crate::simulators::incydr_simulator;
use crate::startup::StartupError;

/// The group mapping of the Incydr demo: role ids of the simulator's catalogue.
const DEMO_GROUPS: [(&str, &[&str]); 2] = [
    (
        "Insider Risk Analysts",
        &["insider-risk-analyst", "alerts-read"],
    ),
    ("Incydr Administrators", &["cloud-admin"]),
];

/// The seeded user the banner's `POST /Users` adopts: one the IdP has not pushed yet.
const ADOPTED: (&str, &str, &str) = SEED_USERS[2];

/// The user the banner's last curl line adds to Incydr, as its own provisioning would.
const ARRIVING: (&str, &str, &str) = ("dave.hunter@example.com", "Dave", "Hunter");

impl Demo<RunningSim> {
    /// Starts the Incydr simulator on a free loopback port, seeded with the demo's users, and
    /// builds the bridge on `listen`.
    pub async fn start_incydr(
        listen: std::net::SocketAddr,
        token: Option<String>,
    ) -> Result<Self, StartupError> {
        let sim = incydr_simulator(std::time::Duration::ZERO, None);
        for (username, first, last) in SEED_USERS {
            let user = sim.seed_user(username, first, last);
            if username.starts_with("alice") {
                // As if granted in Incydr's console: the bridge keeps roles none of its groups
                // maps.
                if let Err(e) = sim.grant_roles(&user.user_id, &["customer-cloud-admin"]) {
                    tracing::warn!(error = %e, "the demo's seeded role was not granted");
                }
            }
        }
        let sim = sim.spawn(LOOPBACK_ANY_PORT).await.map_err(bind_error)?;
        let config = sim.sim.config();
        let target = TargetSettings::Incydr(incydr::ClientConfig::new(
            sim.base_url.clone(),
            config.client_id.clone(),
            SecretString::from(config.client_secret.clone()),
        ));
        assemble(target, &DEMO_GROUPS, listen, token, sim).await
    }

    /// What a newcomer needs, ready to paste.
    pub fn banner(&self) -> String {
        let base = self.base_url();
        let token = &self.token;
        let (group, group_id) = &self.groups[0];
        let (member, member_id) = &self.example_member;
        let (arriving, first, last) = ARRIVING;
        let new_user = serde_json::json!({
            "users": [{"username": arriving, "firstName": first, "lastName": last}],
        });
        format!(
            "falcon-scim-bridge demo: the SCIM bridge runs against an embedded Incydr simulator.\n\
             \n  SCIM base URL : {base}\
             \n  Bearer token  : {token}{listening}\
             \n  Incydr (sim)  : {sim} (client id {id}; test controls under /_sim/)\n\
             \nList the Incydr users the bridge sees:\n\
             \n  {list}\n\
             \nIncydr's API cannot create users: they come from Incydr's own provisioning and the\
             \nbridge adopts them. Provision {adopted} as Okta or Entra would;\
             \nthe bridge links the Incydr user it already has (201) and creates nothing:\n\
             \n  {post}\n\
             \nThe groups {groups} exist (GET /Groups) and grant Incydr roles to their members.\
             \nAdd {member} to \"{group}\", as a Group Push would; Incydr gets the\
             \ngroup's roles in one call that sets the user's whole role set:\n\
             \n  {patch}\n\
             \nAdd a user to Incydr as its own provisioning would (a simulator control); the bridge\
             \nlists it after its next directory refresh, within a minute:\n\
             \n  curl -s -X POST -H 'Content-Type: application/json' -d '{new_user}' '{sim}/_sim/users'\n\
             \nPress Ctrl-C to stop.",
            listening = self.listening_line(),
            sim = self.sim.base_url,
            id = self.sim.sim.config().client_id,
            list = list_users_curl(&base, token),
            adopted = ADOPTED.0,
            post = post_user_curl(&base, token, ADOPTED),
            groups = self.group_names(),
            patch = add_member_curl(&base, token, group_id, member_id),
        )
    }
}
