//! Reconciliation: what the store says (groups, memberships, deprovisioned users) against what
//! Falcon holds (users and direct grants), per user, and the repairs that make them equal.
//!
//! Only managed roles (those some group maps) are compared: a role granted by hand in the Falcon
//! console and mapped by no group is none of the bridge's business. Reading a user's grants costs
//! one Falcon call, so the reconciler paces itself to a share of the tenant's rate limit.
//! Falcon's grant reads lag its writes (falcon-api.md §3.6): a user changed in the last minute
//! may show drift that is not there; repairing it is harmless (grants and revokes are
//! idempotent) and the next run no longer reports it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::error::BridgeError;
use super::mapping::{self, FalconLink};
use super::target::TargetUser;
use super::writes::{Cause, Subject, caused_by};
use super::{Bridge, Target};
use crate::store::{AuditQuery, UserRow};
use crate::telemetry as names;

/// The least time between two Falcon calls of a reconciliation.
#[derive(Debug, Clone, Copy)]
pub struct Pace(Duration);

impl Pace {
    pub fn per_minute(calls: u32) -> Self {
        Pace(Duration::from_secs(60) / calls.max(1))
    }

    async fn wait(&self, last: &mut Option<Instant>) {
        if let Some(at) = *last {
            tokio::time::sleep_until(at + self.0).await;
        }
        *last = Some(Instant::now());
    }
}

/// One difference between the store and Falcon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Drift {
    /// Roles the user's groups map that Falcon does not grant.
    MissingRoles { roles: Vec<String> },
    /// Managed roles Falcon grants that none of the user's groups map.
    ExtraRoles { roles: Vec<String> },
    /// Deprovisioned in the store, but Falcon has a user with this login.
    UserShouldNotExist,
    /// Active in the store, but Falcon no longer has the user (deleted in the console?).
    UserMissingInFalcon,
    /// The bridge created this Falcon user (the audit log says so) but the store lost it (a
    /// crash between the create and its record).
    UserLostByStore,
}

impl Drift {
    pub fn kind(&self) -> &'static str {
        match self {
            Drift::MissingRoles { .. } => "missing_roles",
            Drift::ExtraRoles { .. } => "extra_roles",
            Drift::UserShouldNotExist => "user_should_not_exist",
            Drift::UserMissingInFalcon => "user_missing_in_falcon",
            Drift::UserLostByStore => "user_lost_by_store",
        }
    }

    const KINDS: [&'static str; 5] = [
        "missing_roles",
        "extra_roles",
        "user_should_not_exist",
        "user_missing_in_falcon",
        "user_lost_by_store",
    ];
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::MissingRoles { roles } => {
                write!(f, "roles missing in Falcon: {}", roles.join(", "))
            }
            Drift::ExtraRoles { roles } => write!(
                f,
                "managed roles Falcon grants beyond the user's groups: {}",
                roles.join(", ")
            ),
            Drift::UserShouldNotExist => f.write_str("deprovisioned, but the Falcon user exists"),
            Drift::UserMissingInFalcon => f.write_str("active, but Falcon has no such user"),
            Drift::UserLostByStore => f.write_str("created by the bridge, unknown to its store"),
        }
    }
}

/// The drift of one user, and (with `--apply`) what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct UserDrift {
    /// The SCIM id (absent for a user the store lost).
    pub id: Option<String>,
    pub login: String,
    pub falcon_uuid: Option<String>,
    pub drift: Drift,
    /// `repaired`, or why not; absent when not applying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Users of the store compared with Falcon.
    pub users_checked: usize,
    pub drift: Vec<UserDrift>,
    /// Groups whose name maps to no Falcon role: their members get nothing.
    pub unmapped_groups: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.drift.is_empty()
    }

    /// Drift counts by kind, every kind present (zero included).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> =
            Drift::KINDS.iter().map(|k| (*k, 0)).collect();
        for d in &self.drift {
            *counts.entry(d.drift.kind()).or_default() += 1;
        }
        counts
    }

    pub fn summary(&self) -> String {
        self.counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A table for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for group in &self.unmapped_groups {
            out += &format!(
                "note: group '{group}' maps to no Falcon role; map it in [groups] of BRIDGE_CONFIG\n"
            );
        }
        if self.drift.is_empty() {
            out += &format!("no drift ({} users checked)\n", self.users_checked);
            return out;
        }
        let login_width = self
            .drift
            .iter()
            .map(|d| d.login.len())
            .max()
            .unwrap_or(4)
            .max(4);
        out += &format!("{:login_width$}  {:22}  DETAIL\n", "USER", "DRIFT");
        for d in &self.drift {
            out += &format!(
                "{:login_width$}  {:22}  {}",
                d.login,
                d.drift.kind(),
                d.drift
            );
            if let Some(repair) = &d.repair {
                out += &format!("  -> {repair}");
            }
            out.push('\n');
        }
        out += &format!(
            "{} differences, {} users checked: {}\n",
            self.drift.len(),
            self.users_checked,
            self.summary()
        );
        out
    }
}

impl<T: Target> Bridge<T> {
    /// Compares the store with Falcon and reports the drift (no write).
    pub async fn reconcile(&self, pace: Pace) -> Result<Report, BridgeError> {
        self.reconcile_inner(pace, false).await
    }

    /// Like [`Self::reconcile`], and repairs each drift (deletions through the deletion guard).
    pub async fn reconcile_apply(&self, pace: Pace) -> Result<Report, BridgeError> {
        caused_by(
            Cause::internal("reconcile"),
            self.reconcile_inner(pace, true),
        )
        .await
    }

    async fn reconcile_inner(&self, pace: Pace, apply: bool) -> Result<Report, BridgeError> {
        let mut last_call = None;
        pace.wait(&mut last_call).await;
        let falcon_users = self
            .target
            .list_users()
            .await
            .map_err(|e| BridgeError::falcon("list Falcon's users", e))?;
        let by_uuid: HashMap<&str, &TargetUser> =
            falcon_users.iter().map(|u| (u.uuid.as_str(), u)).collect();
        let by_login: HashMap<String, &TargetUser> = falcon_users
            .iter()
            .map(|u| (u.uid.to_lowercase(), u))
            .collect();
        let groups = self.store.all_groups().await?;
        let managed: BTreeSet<String> = groups.iter().flat_map(|g| g.roles.clone()).collect();
        let mut report = Report {
            unmapped_groups: groups
                .iter()
                .filter(|g| g.roles.is_empty())
                .map(|g| g.display_name.clone())
                .collect(),
            ..Report::default()
        };
        let rows = self.store.all_users().await?;
        report.users_checked = rows.len();
        for row in &rows {
            let link = mapping::link_from_row(row);
            let found = match &link {
                Some(l) => by_uuid.get(l.uuid.as_str()).copied(),
                None => by_login.get(&row.user_name.to_lowercase()).copied(),
            };
            let mut drifts = Vec::new();
            match (row.active, &link, found) {
                (true, Some(_), None) => drifts.push(Drift::UserMissingInFalcon),
                (false, None, Some(_)) => drifts.push(Drift::UserShouldNotExist),
                (_, Some(l), Some(_)) => {
                    pace.wait(&mut last_call).await;
                    drifts.extend(self.role_drift(row, l, &managed).await?);
                }
                _ => {}
            }
            for drift in drifts {
                let repair = if apply {
                    Some(self.repair(row, found, &drift).await)
                } else {
                    None
                };
                report.drift.push(UserDrift {
                    id: Some(row.id.clone()),
                    login: row.user_name.clone(),
                    falcon_uuid: found.map(|u| u.uuid.clone()),
                    drift,
                    repair,
                });
            }
        }
        report
            .drift
            .extend(self.lost_by_store(&rows, &by_login).await?);
        if apply {
            for lost in report
                .drift
                .iter_mut()
                .filter(|d| d.drift == Drift::UserLostByStore)
            {
                lost.repair =
                    Some("left in Falcon: the IdP adopts it by userName on its next push".into());
            }
        }
        for (kind, n) in report.counts() {
            metrics::gauge!(names::DRIFT, "kind" => kind).set(n as f64);
        }
        Ok(report)
    }

    async fn role_drift(
        &self,
        row: &UserRow,
        link: &FalconLink,
        managed: &BTreeSet<String>,
    ) -> Result<Vec<Drift>, BridgeError> {
        let granted: BTreeSet<String> = self
            .falcon_user_roles(&link.uuid)
            .await
            .map_err(|e| BridgeError::falcon(format!("read the roles of {}", row.user_name), e))?
            .into_iter()
            .filter(|r| managed.contains(r))
            .collect();
        let desired = if row.active {
            self.store.desired_roles(&row.id).await?
        } else {
            BTreeSet::new()
        };
        let mut drifts = Vec::new();
        let missing: Vec<String> = desired.difference(&granted).cloned().collect();
        if !missing.is_empty() {
            drifts.push(Drift::MissingRoles { roles: missing });
        }
        let extra: Vec<String> = granted.difference(&desired).cloned().collect();
        if !extra.is_empty() {
            drifts.push(Drift::ExtraRoles { roles: extra });
        }
        Ok(drifts)
    }

    /// Logins the audit log shows the bridge created, that Falcon has, and the store does not.
    async fn lost_by_store(
        &self,
        rows: &[UserRow],
        by_login: &HashMap<String, &TargetUser>,
    ) -> Result<Vec<UserDrift>, BridgeError> {
        let known: BTreeSet<String> = rows.iter().map(|r| r.user_name.to_lowercase()).collect();
        let mut last_op: BTreeMap<String, String> = BTreeMap::new();
        for record in self.store.audit(&AuditQuery::default()).await? {
            if record.outcome == "ok" && matches!(record.operation.as_str(), "create" | "delete") {
                last_op.insert(record.login.to_lowercase(), record.operation);
            }
        }
        Ok(last_op
            .into_iter()
            .filter(|(login, op)| op == "create" && !known.contains(login))
            .filter_map(|(login, _)| by_login.get(&login).map(|u| (login, *u)))
            .map(|(login, user)| UserDrift {
                id: None,
                login,
                falcon_uuid: Some(user.uuid.clone()),
                drift: Drift::UserLostByStore,
                repair: None,
            })
            .collect())
    }

    /// Repairs one drift under the user's lock; returns what happened, for the report.
    async fn repair(&self, row: &UserRow, found: Option<&TargetUser>, drift: &Drift) -> String {
        let _lock = self.locks.lock(&super::users::id_key(&row.id)).await;
        let login = row.user_name.as_str();
        let result = match (drift, found) {
            (Drift::MissingRoles { roles }, Some(user)) => {
                let who = Subject {
                    login,
                    uuid: &user.uuid,
                    cid: &user.cid,
                };
                self.falcon_grant(who, roles)
                    .await
                    .map_err(|e| BridgeError::falcon(format!("grant {roles:?} to {login}"), e))
            }
            (Drift::ExtraRoles { roles }, Some(user)) => {
                let who = Subject {
                    login,
                    uuid: &user.uuid,
                    cid: &user.cid,
                };
                self.falcon_revoke(who, roles)
                    .await
                    .map_err(|e| BridgeError::falcon(format!("revoke {roles:?} from {login}"), e))
            }
            (Drift::UserShouldNotExist, Some(user)) => {
                let link = FalconLink {
                    uuid: user.uuid.clone(),
                    cid: user.cid.clone(),
                };
                let resource = mapping::resource_from_row(row);
                self.deprovision(&resource, &link, super::DeprovisionMode::Delete)
                    .await
                    .map(|_| ())
            }
            (Drift::UserMissingInFalcon, _) => self.recreate(row).await,
            _ => return "nothing to do".into(),
        };
        let settled = match result {
            Ok(()) => self.settle_applied_roles(row).await,
            Err(e) => Err(e),
        };
        match settled {
            Ok(()) => "repaired".into(),
            Err(e) => format!("not repaired: {e}"),
        }
    }

    /// After a repair Falcon holds what the memberships say: so does the store's record of it.
    async fn settle_applied_roles(&self, row: &UserRow) -> Result<(), BridgeError> {
        let desired = if row.active {
            self.store.desired_roles(&row.id).await?
        } else {
            BTreeSet::new()
        };
        self.store.set_applied_roles(&row.id, &desired).await?;
        Ok(())
    }

    /// An active user Falcon lost: create it again and grant its roles.
    async fn recreate(&self, row: &UserRow) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(&row.id).cloned() else {
            return Ok(());
        };
        let link = self.create_in_falcon(&entry.resource.write).await?;
        self.record(entry.resource, Some(link)).await?;
        self.forget_applied_roles(&row.id).await?;
        self.sync_user_locked(&row.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift(login: &str, drift: Drift) -> UserDrift {
        UserDrift {
            id: Some("id".into()),
            login: login.into(),
            falcon_uuid: None,
            drift,
            repair: None,
        }
    }

    #[test]
    fn reports_count_every_kind_and_render_one_line_per_drift() {
        let report = Report {
            users_checked: 3,
            drift: vec![
                drift(
                    "a@example.com",
                    Drift::MissingRoles {
                        roles: vec!["falcon_analyst".into()],
                    },
                ),
                drift("b@example.com", Drift::UserShouldNotExist),
            ],
            unmapped_groups: vec!["Marketing".into()],
        };
        let counts = report.counts();
        assert_eq!(counts.len(), Drift::KINDS.len());
        assert_eq!(counts["missing_roles"], 1);
        assert_eq!(counts["extra_roles"], 0);
        assert_eq!(report.summary(), "missing_roles=1 user_should_not_exist=1");
        let text = report.render();
        assert!(
            text.contains("group 'Marketing' maps to no Falcon role"),
            "{text}"
        );
        assert!(text.contains("a@example.com  missing_roles"), "{text}");
        assert!(text.contains("2 differences, 3 users checked"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["drift"][0]["drift"]["kind"], "missing_roles");
        assert_eq!(json["drift"][0]["drift"]["roles"][0], "falcon_analyst");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_spaces_calls() {
        let pace = Pace::per_minute(60);
        let mut last = None;
        let start = Instant::now();
        for _ in 0..3 {
            pace.wait(&mut last).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
