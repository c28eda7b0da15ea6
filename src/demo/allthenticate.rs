//! `demo --target allthenticate`: the bridge against the Allthenticate simulator, seeded with
//! the simulator's demo organisation (every rank, a suspended member, a guest, a pending
//! invitation) and the demo's people. Groups map to one rank per user: the banner adopts a
//! member, invites a new hire, gives a member the ADMIN rank through a group push (one
//! `/modifyrank`), and accepts the pending invitation as its person would.

use allthenticate::sim::{DEMO_PENDING_INVITE, RunningSim};
use secrecy::SecretString;

use super::{
    Demo, LOOPBACK_ANY_PORT, SEED_USERS, add_member_curl, assemble, bind_error, list_users_curl,
    post_user_curl,
};
use crate::config::{AllthenticateSettings, TargetSettings};
use crate::simulators::allthenticate_simulator;
use crate::startup::StartupError;

/// The group mapping of the Allthenticate demo: a group's members get the ADMIN rank.
const DEMO_GROUPS: [(&str, &[&str]); 1] = [("Allthenticate Admins", &["ADMIN"])];

/// The seeded member the banner's `POST /Users` adopts: one the IdP has not pushed yet.
const ADOPTED: (&str, &str, &str) = SEED_USERS[2];

/// The new hire the banner provisions: no Allthenticate account, so an invitation.
const INVITED: (&str, &str, &str) = ("nina.newhire@example.com", "Nina", "Newhire");

impl Demo<RunningSim> {
    /// Starts the Allthenticate simulator on a free loopback port, seeded with its demo
    /// organisation and the demo's people, and builds the bridge on `listen`.
    pub async fn start_allthenticate(
        listen: std::net::SocketAddr,
        token: Option<String>,
    ) -> Result<Self, StartupError> {
        let sim = allthenticate_simulator(std::time::Duration::ZERO, None);
        sim.seed_demo();
        for (email, first, last) in SEED_USERS {
            // Alice is in the demo organisation already (its SUPER): kept as she is.
            sim.seed_user(email, first, last);
        }
        let sim = sim.spawn(LOOPBACK_ANY_PORT).await.map_err(bind_error)?;
        let config = sim.sim.config();
        let target = TargetSettings::Allthenticate(AllthenticateSettings {
            client: allthenticate::ClientConfig::new(
                sim.base_url.clone(),
                SecretString::from(config.api_key.clone()),
            )
            .key_header(config.key_header.clone()),
            options: allthenticate::TargetOptions::default(),
        });
        assemble(target, &DEMO_GROUPS, listen, token, sim).await
    }

    /// What a newcomer needs, ready to paste.
    pub fn banner(&self) -> String {
        let base = self.base_url();
        let token = &self.token;
        let (group, group_id) = &self.groups[0];
        let (member, member_id) = &self.example_member;
        let accept = serde_json::json!({
            "email": DEMO_PENDING_INVITE,
            "first_name": "Erin",
            "last_name": "Early",
        });
        format!(
            "falcon-scim-bridge demo: the SCIM bridge runs against an embedded Allthenticate simulator.\n\
             \n  SCIM base URL : {base}\
             \n  Bearer token  : {token}{listening}\
             \n  Allthenticate (sim) : {sim} (API key in {header}; test controls under /_sim/)\n\
             \nList the Allthenticate users the bridge sees:\n\
             \n  {list}\n\
             \nAllthenticate creates users by invitation. Provision {adopted}, already a member,\
             \nas Okta or Entra would; the bridge links the member it has (201) and invites nobody:\n\
             \n  {post}\n\
             \nProvision {invited}, whom Allthenticate does not know: the bridge invites her and\
             \nanswers 201; she is pending (GET /Users shows her) until she accepts the invitation:\n\
             \n  {post_invited}\n\
             \nThe group {groups} exists (GET /Groups) and maps to the ADMIN rank: a user gets the\
             \nhighest rank its groups map, REGULAR when none, and never SUPER unless allowed.\
             \nAdd {member} to \"{group}\", as a Group Push would; Allthenticate gets one /modifyrank:\n\
             \n  {patch}\n\
             \n{invite} has a pending invitation. Accept it as its person would (a simulator\
             \ncontrol); the bridge lists the new member after its next directory refresh:\n\
             \n  curl -s -X POST -H 'Content-Type: application/json' -d '{accept}' '{sim}/_sim/invites/accept'\n\
             \nPress Ctrl-C to stop.",
            listening = self.listening_line(),
            sim = self.sim.base_url,
            header = self.sim.sim.config().key_header,
            list = list_users_curl(&base, token),
            adopted = ADOPTED.0,
            post = post_user_curl(&base, token, ADOPTED),
            invited = INVITED.0,
            post_invited = post_user_curl(&base, token, INVITED),
            groups = self.group_names(),
            patch = add_member_curl(&base, token, group_id, member_id),
            invite = DEMO_PENDING_INVITE,
        )
    }
}
