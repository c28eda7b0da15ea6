//! `demo --target lumapps`: the bridge against the LumApps simulator. LumApps has groups of its
//! own (feeds), so the banner shows no role mapping: a `POST /Groups` creates the feed of that
//! name (or adopts it), and a Group Push adding members is one `feed/subscribers/save` call.

use lumapps::sim::RunningSim;
use secrecy::SecretString;
use serde_json::json;

use super::{
    Demo, LOOPBACK_ANY_PORT, SEED_USERS, add_member_curl, assemble, bind_error, list_users_curl,
    post_user_curl,
};
use crate::config::TargetSettings;
use crate::simulators::lumapps_simulator;
use crate::startup::StartupError;

/// The feed that exists in LumApps before the bridge starts; the demo's `POST /Groups` of its
/// name adopts it rather than creating a second one.
const EXISTING_FEED: &str = "All Staff";

/// The SCIM groups created at start: LumApps feeds, mapped to no role.
const DEMO_GROUPS: [(&str, &[&str]); 1] = [(EXISTING_FEED, &[])];

/// The name of the group the banner's `POST /Groups` creates as a new feed.
const NEW_GROUP: &str = "Security Team";

impl Demo<RunningSim> {
    /// Starts the LumApps simulator on a free loopback port, seeded with the demo's users and
    /// one feed, and builds the bridge on `listen`.
    pub async fn start_lumapps(
        listen: std::net::SocketAddr,
        token: Option<String>,
    ) -> Result<Self, StartupError> {
        let sim = lumapps_simulator(None);
        for (email, first, last) in SEED_USERS {
            let seeded = sim.seed_user(json!({
                "email": email,
                "firstName": first,
                "lastName": last,
            }));
            if let Err(e) = seeded {
                tracing::warn!(error = %e, "the demo's user was not seeded");
            }
        }
        if let Err(e) = sim.seed_feed(EXISTING_FEED, &[SEED_USERS[0].0]) {
            tracing::warn!(error = %e, "the demo's feed was not seeded");
        }
        let sim = sim.spawn(LOOPBACK_ANY_PORT).await.map_err(bind_error)?;
        let config = sim.sim.config();
        let target = TargetSettings::Lumapps(lumapps::ClientConfig::new(
            sim.base_url.clone(),
            config.org_id.clone(),
            config.client_id.clone(),
            SecretString::from(config.client_secret.clone()),
            config.admin_email.clone(),
        ));
        assemble(target, &DEMO_GROUPS, listen, token, sim).await
    }

    /// What a newcomer needs, ready to paste.
    pub fn banner(&self) -> String {
        let base = self.base_url();
        let token = &self.token;
        let (group, group_id) = &self.groups[0];
        let (member, member_id) = &self.example_member;
        format!(
            "falcon-scim-bridge demo: the SCIM bridge runs against an embedded LumApps simulator.\n\
             \n  SCIM base URL : {base}\
             \n  Bearer token  : {token}{listening}\
             \n  LumApps (sim) : {sim} (organisation {org}, client id {id}; test controls under /_sim/)\n\
             \nList the LumApps users the bridge sees:\n\
             \n  {list}\n\
             \nProvision a new user, as Okta or Entra would; LumApps gets an external user:\n\
             \n  {post}\n\
             \nLumApps groups are feeds. Push a new group; the bridge creates the feed \"{new_group}\":\n\
             \n  {post_group}\n\
             \nThe group \"{group}\" exists (GET /Groups): it adopted the LumApps feed of that name.\
             \nAdd {member} to it, as a Group Push would; LumApps gets one feed/subscribers/save:\n\
             \n  {patch}\n\
             \nPress Ctrl-C to stop.",
            listening = self.listening_line(),
            sim = self.sim.base_url,
            org = self.sim.sim.config().org_id,
            id = self.sim.sim.config().client_id,
            list = list_users_curl(&base, token),
            post = post_user_curl(&base, token, ("new.user@example.com", "New", "User")),
            new_group = NEW_GROUP,
            post_group = post_group_curl(&base, token, NEW_GROUP),
            patch = add_member_curl(&base, token, group_id, member_id),
        )
    }
}

/// A curl line that creates the group `name`, as a Group Push does first.
fn post_group_curl(base: &str, token: &str, name: &str) -> String {
    format!(
        "curl -s -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \\\
         \n    -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"{name}\"}}' \\\
         \n    '{base}/Groups'"
    )
}
