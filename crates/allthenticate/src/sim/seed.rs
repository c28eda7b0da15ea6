//! The demo's organisation: a few members of every rank, one suspended, one guest, a group, a
//! policy used by that group and one only Alice has, and one pending invite. Small enough to
//! read in a banner, varied enough to show what the bridge does with each case.

use super::Simulator;
use super::org::NewUser;
use crate::model::{Rank, Status, UserTag};

/// The pending invite the demo starts with.
pub const DEMO_PENDING_INVITE: &str = "erin.early@example.com";

/// The members the demo starts with, in creation order.
pub fn demo_users() -> Vec<NewUser> {
    vec![
        NewUser::new("alice.admin@example.com", "Alice", "Admin")
            .rank(Rank::Super)
            .groups(&["Engineering"])
            .policies(&["Alice's Office Door"]),
        NewUser::new("bob.builder@example.com", "Bob", "Builder")
            .rank(Rank::Admin)
            .groups(&["Engineering"]),
        NewUser::new("carol.chen@example.com", "Carol", "Chen"),
        NewUser::new("dan.dormant@example.com", "Dan", "Dormant").status(Status::Suspended),
        NewUser::new("gina.guest@example.com", "Gina", "Guest").tag(UserTag::Guest),
    ]
}

impl Simulator {
    /// Seeds [`demo_users`], a policy of the `Engineering` group and [`DEMO_PENDING_INVITE`].
    /// Idempotent: members already there are kept as they are.
    pub fn seed_demo(&self) {
        for user in demo_users() {
            let email = user.email.clone();
            if self.user(&email).is_none()
                && let Err(err) = self.add_user(user)
            {
                tracing::warn!(error = %err, "a demo member was not seeded");
            }
        }
        if let Err(err) = self.add_policy("Engineering Laptops", &[], &["Engineering".to_owned()]) {
            tracing::warn!(error = %err, "the demo policy was not seeded");
        }
        self.add_invite(DEMO_PENDING_INVITE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_has_every_rank_a_suspension_a_guest_and_an_invite() {
        let sim = Simulator::default();
        sim.seed_demo();
        sim.seed_demo();
        let users = sim.users();
        assert_eq!(users.len(), 5);
        for rank in [Rank::Regular, Rank::Admin, Rank::Super] {
            assert!(users.iter().any(|u| u.rank == rank), "{rank}");
        }
        assert_eq!(
            users
                .iter()
                .filter(|u| u.status == Status::Suspended)
                .count(),
            1
        );
        assert!(users.iter().any(|u| u.user_tag == UserTag::Guest));
        let invites = sim.invites();
        assert_eq!(invites.len(), 1);
        assert_eq!(invites[0].email, DEMO_PENDING_INVITE);
    }
}
