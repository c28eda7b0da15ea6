//! Reconciliation: what the store says (groups, memberships, deprovisioned users) against what
//! the target holds (accounts and their entitlements), per user, and the repairs that make them
//! equal.
//!
//! Only managed entitlements (those some group maps or some user holds directly) are compared:
//! a role granted by hand in the target's console and managed by neither is none of the
//! bridge's business. Reading an account's entitlements costs one target call, so the
//! reconciler paces itself to a share of the rate limit; where groups are the target's own, it
//! reads each managed group's members once instead (a listing per group, not one per user and
//! group). Some targets' reads lag their writes (Falcon's grant reads by half a minute and more):
//! a user changed in the last minute may show drift that is not there; repairing it is harmless
//! (grants and revokes are idempotent) and the next run no longer reports it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use serde::{Serialize, Serializer};
use target_api::{
    Account, AccountRef, CreateMode, EntitlementChange, EntitlementId, EntitlementModel, ErrorKind,
    Naming, Target,
};
use tokio::time::Instant;

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::policy::DeprovisionMode;
use crate::resources;
use crate::store::{AuditQuery, UserRow};
use crate::telemetry as names;
use crate::writes::{Cause, Subject, caused_by};

/// The lease of the scheduled reconciliation (`leases.rs`).
const RECONCILE_LEASE: &str = "reconcile";

/// The least time between two target calls of a reconciliation.
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

/// One difference between the store and the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Entitlements the user's groups map that the target does not grant.
    MissingRoles { roles: Vec<String> },
    /// Managed entitlements the target grants that none of the user's groups map.
    ExtraRoles { roles: Vec<String> },
    /// Deprovisioned in the store, but the target has an account with this login.
    UserShouldNotExist,
    /// Active in the store, but the target no longer has the account (deleted in its console?).
    UserMissingInTarget,
    /// The bridge created this account (the audit log says so) but the store lost it (a crash
    /// between the create and its record).
    UserLostByStore,
}

impl Drift {
    /// The kind, as reports and the `bridge_drift` metric name it; `key` is the target's
    /// ([`Naming::key`]).
    pub fn kind(&self, key: &str) -> String {
        match self {
            Drift::MissingRoles { .. } => "missing_roles".into(),
            Drift::ExtraRoles { .. } => "extra_roles".into(),
            Drift::UserShouldNotExist => "user_should_not_exist".into(),
            Drift::UserMissingInTarget => format!("user_missing_in_{key}"),
            Drift::UserLostByStore => "user_lost_by_store".into(),
        }
    }

    /// Every kind, for metrics that show zero too.
    fn kinds(key: &str) -> [String; 5] {
        [
            Drift::MissingRoles { roles: Vec::new() },
            Drift::ExtraRoles { roles: Vec::new() },
            Drift::UserShouldNotExist,
            Drift::UserMissingInTarget,
            Drift::UserLostByStore,
        ]
        .map(|d| d.kind(key))
    }

    /// What it means, for people.
    pub fn describe(&self, naming: &Naming) -> String {
        let product = naming.product;
        let noun = naming.entitlement;
        match self {
            Drift::MissingRoles { roles } => {
                format!("{noun}s missing in {product}: {}", roles.join(", "))
            }
            Drift::ExtraRoles { roles } => format!(
                "managed {noun}s {product} grants beyond the user's groups: {}",
                roles.join(", ")
            ),
            Drift::UserShouldNotExist => {
                format!("deprovisioned, but the {product} user exists")
            }
            Drift::UserMissingInTarget => format!("active, but {product} has no such user"),
            Drift::UserLostByStore => "created by the bridge, unknown to its store".into(),
        }
    }
}

/// The drift of one user, and (with `--apply`) what became of it.
#[derive(Debug, Clone)]
pub struct UserDrift {
    /// The SCIM id (absent for a user the store lost).
    pub id: Option<String>,
    pub login: String,
    /// The target account's id, when the target has the account.
    pub account_id: Option<String>,
    pub drift: Drift,
    /// `repaired`, or why not; absent when not applying.
    pub repair: Option<String>,
    /// The target's names, for the kind and the description.
    pub naming: Naming,
}

impl Serialize for UserDrift {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            id: &'a Option<String>,
            login: &'a str,
            account_id: &'a Option<String>,
            drift: DriftShown<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            repair: &'a Option<String>,
        }
        #[derive(Serialize)]
        struct DriftShown<'a> {
            kind: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            roles: Option<&'a [String]>,
        }
        let roles = match &self.drift {
            Drift::MissingRoles { roles } | Drift::ExtraRoles { roles } => Some(roles.as_slice()),
            _ => None,
        };
        Shown {
            id: &self.id,
            login: &self.login,
            account_id: &self.account_id,
            drift: DriftShown {
                kind: self.drift.kind(self.naming.key),
                roles,
            },
            repair: &self.repair,
        }
        .serialize(serializer)
    }
}

/// A pending user, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingUser {
    pub id: String,
    pub login: String,
    /// The target has the account now: the next directory refresh links it.
    pub in_target: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Users of the store compared with the target.
    pub users_checked: usize,
    pub drift: Vec<UserDrift>,
    /// Groups whose name maps to no entitlement: their members get nothing.
    pub unmapped_groups: Vec<String>,
    /// Users waiting for their account to appear in a target that cannot create accounts; no
    /// drift, but worth knowing.
    pub pending: Vec<PendingUser>,
    #[serde(skip)]
    pub naming: Naming,
}

impl Report {
    pub fn new(naming: Naming) -> Self {
        Self {
            users_checked: 0,
            drift: Vec::new(),
            unmapped_groups: Vec::new(),
            pending: Vec::new(),
            naming,
        }
    }

    pub fn is_clean(&self) -> bool {
        self.drift.is_empty()
    }

    /// Drift counts by kind, every kind present (zero included).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let key = self.naming.key;
        let mut counts: BTreeMap<String, usize> =
            Drift::kinds(key).into_iter().map(|k| (k, 0)).collect();
        for d in &self.drift {
            *counts.entry(d.drift.kind(key)).or_default() += 1;
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
        let (product, noun) = (self.naming.product, self.naming.entitlement);
        let key = self.naming.key;
        let mut out = String::new();
        for group in &self.unmapped_groups {
            out += &format!(
                "note: group '{group}' maps to no {product} {noun}; map it in [groups] of BRIDGE_CONFIG\n"
            );
        }
        for p in &self.pending {
            let when = if p.in_target {
                format!("{product} has it now; the next directory refresh links it")
            } else {
                format!("not in {product} yet; linked when it appears there")
            };
            out += &format!("pending: {} (id {}): {when}\n", p.login, p.id);
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
                d.drift.kind(key),
                d.drift.describe(&self.naming)
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

/// What a single-rank target should hold and holds, compared as sets: the highest desired
/// rank alone (the target gives one), and without the lowest rank when none is desired (the
/// lowest is what "no rank" is).
fn single_rank(
    ordered: &[EntitlementId],
    desired: BTreeSet<EntitlementId>,
    granted: &BTreeSet<EntitlementId>,
) -> (BTreeSet<EntitlementId>, BTreeSet<EntitlementId>) {
    match ordered.iter().rev().find(|r| desired.contains(*r)) {
        Some(top) => (BTreeSet::from([top.clone()]), granted.clone()),
        None => {
            let floor = ordered.first();
            let held = granted.iter().filter(|r| Some(*r) != floor).cloned();
            (BTreeSet::new(), held.collect())
        }
    }
}

impl<T: Target> Bridge<T> {
    /// Compares the store with the target and reports the drift (no write).
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
        let naming = self.naming();
        let mut last_call = None;
        pace.wait(&mut last_call).await;
        let accounts = self
            .target
            .list_accounts()
            .await
            .map_err(|e| self.target_failed(format!("list {}'s users", naming.product), e))?;
        let by_id: HashMap<&str, &Account> = accounts
            .iter()
            .map(|a| (a.reference.id.as_str(), a))
            .collect();
        let by_login: HashMap<String, &Account> = accounts
            .iter()
            .map(|a| (a.profile.login.to_lowercase(), a))
            .collect();
        let groups = self.store.all_groups().await?;
        let rows = self.store.all_users().await?;
        // The roles the IdP governs: those some group maps, and those given directly.
        let managed: BTreeSet<EntitlementId> = groups
            .iter()
            .flat_map(|g| g.roles.clone())
            .chain(rows.iter().flat_map(|r| self.direct_roles_of(r)))
            .collect();
        let holders = if self.groups_are_native() {
            Some(self.group_holders(&managed, pace, &mut last_call).await?)
        } else {
            None
        };
        let mut report = Report::new(naming);
        report.unmapped_groups = groups
            .iter()
            .filter(|g| g.roles.is_empty())
            .map(|g| g.display_name.clone())
            .collect();
        report.users_checked = rows.len();
        let has_pending = self.capabilities().create != CreateMode::Direct;
        for row in &rows {
            let link = resources::link_from_row(row);
            if has_pending && link.is_none() {
                report.pending.push(PendingUser {
                    id: row.id.clone(),
                    login: row.user_name.clone(),
                    in_target: by_login.contains_key(&row.user_name.to_lowercase()),
                });
                continue;
            }
            let found = match &link {
                Some(l) => by_id.get(l.id.as_str()).copied(),
                None => by_login.get(&row.user_name.to_lowercase()).copied(),
            };
            let mut drifts = Vec::new();
            let mut granted = BTreeSet::new();
            match (row.active, &link, found) {
                (true, Some(_), None) => drifts.push(Drift::UserMissingInTarget),
                (false, None, Some(_)) => drifts.push(Drift::UserShouldNotExist),
                (_, Some(l), Some(_)) => {
                    granted = match &holders {
                        Some(holders) => holders.get(&l.id).cloned().unwrap_or_default(),
                        None => {
                            pace.wait(&mut last_call).await;
                            self.managed_grants(row, l, &managed).await?
                        }
                    };
                    drifts.extend(self.role_drift(row, &granted).await?);
                }
                _ => {}
            }
            for drift in drifts {
                let repair = if apply {
                    Some(self.repair(row, found, &drift, &granted).await)
                } else {
                    None
                };
                report.drift.push(UserDrift {
                    id: Some(row.id.clone()),
                    login: row.user_name.clone(),
                    account_id: found.map(|a| a.reference.id.clone()),
                    drift,
                    repair,
                    naming,
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
                lost.repair = Some(format!(
                    "left in {}: the IdP adopts it by userName on its next push",
                    naming.product
                ));
            }
        }
        for (kind, n) in report.counts() {
            metrics::gauge!(names::DRIFT, "kind" => kind).set(n as f64);
        }
        Ok(report)
    }

    /// Which managed target groups each account (by id) is in, from one member listing per
    /// group. A group the target no longer has holds no one: its members show it missing.
    async fn group_holders(
        &self,
        managed: &BTreeSet<EntitlementId>,
        pace: Pace,
        last_call: &mut Option<Instant>,
    ) -> Result<HashMap<String, BTreeSet<EntitlementId>>, BridgeError> {
        let product = self.naming().product;
        let mut holders: HashMap<String, BTreeSet<EntitlementId>> = HashMap::new();
        for group in managed {
            pace.wait(last_call).await;
            let members = match self.target.group_members(group).await {
                Ok(members) => members,
                Err(e) if matches!(e.kind(), ErrorKind::NotFound) => Vec::new(),
                Err(e) => {
                    return Err(self
                        .target_failed(format!("read the members of {product} group {group}"), e));
                }
            };
            for account in members {
                holders.entry(account.id).or_default().insert(group.clone());
            }
        }
        Ok(holders)
    }

    /// The managed entitlements the target says the account holds.
    async fn managed_grants(
        &self,
        row: &UserRow,
        link: &AccountRef,
        managed: &BTreeSet<EntitlementId>,
    ) -> Result<BTreeSet<EntitlementId>, BridgeError> {
        Ok(self
            .target_entitlements(link)
            .await
            .map_err(|e| self.target_failed(format!("read the roles of {}", row.user_name), e))?
            .into_iter()
            .filter(|r| managed.contains(r))
            .collect())
    }

    async fn role_drift(
        &self,
        row: &UserRow,
        granted: &BTreeSet<EntitlementId>,
    ) -> Result<Vec<Drift>, BridgeError> {
        let desired = self.desired_of(row).await?;
        let (desired, granted) = match &self.capabilities().entitlements {
            EntitlementModel::SingleRank { ordered } => single_rank(ordered, desired, granted),
            _ => (desired, granted.clone()),
        };
        let granted = &granted;
        let names = |set: BTreeSet<&EntitlementId>| -> Vec<String> {
            set.into_iter().map(ToString::to_string).collect()
        };
        let mut drifts = Vec::new();
        let missing = names(desired.difference(granted).collect());
        if !missing.is_empty() {
            drifts.push(Drift::MissingRoles { roles: missing });
        }
        let extra = names(granted.difference(&desired).collect());
        if !extra.is_empty() {
            drifts.push(Drift::ExtraRoles { roles: extra });
        }
        Ok(drifts)
    }

    /// Logins the audit log shows the bridge created, that the target has, and the store does
    /// not.
    async fn lost_by_store(
        &self,
        rows: &[UserRow],
        by_login: &HashMap<String, &Account>,
    ) -> Result<Vec<UserDrift>, BridgeError> {
        let known: BTreeSet<String> = rows.iter().map(|r| r.user_name.to_lowercase()).collect();
        let mut last_op: BTreeMap<String, String> = BTreeMap::new();
        for record in self.store.audit(&AuditQuery::default()).await? {
            if record.outcome == "ok" && matches!(record.operation.as_str(), "create" | "delete") {
                last_op.insert(record.login.to_lowercase(), record.operation);
            }
        }
        let naming = self.naming();
        Ok(last_op
            .into_iter()
            .filter(|(login, op)| op == "create" && !known.contains(login))
            .filter_map(|(login, _)| by_login.get(&login).map(|a| (login, *a)))
            .map(|(login, account)| UserDrift {
                id: None,
                login,
                account_id: Some(account.reference.id.clone()),
                drift: Drift::UserLostByStore,
                repair: None,
                naming,
            })
            .collect())
    }

    /// Repairs one drift under the user's lock; returns what happened, for the report.
    /// `granted` is what the target said the account holds of the managed entitlements.
    async fn repair(
        &self,
        row: &UserRow,
        found: Option<&Account>,
        drift: &Drift,
        granted: &BTreeSet<EntitlementId>,
    ) -> String {
        let Ok(id) = UserId::parse(&row.id) else {
            return "not repaired: the stored id is not a SCIM id".into();
        };
        let _lock = match self.lock(&LockKey::User(id.clone())).await {
            Ok(lock) => lock,
            Err(e) => return format!("not repaired: {e}"),
        };
        let login = row.user_name.as_str();
        let ids = |roles: &[String]| -> BTreeSet<EntitlementId> {
            roles
                .iter()
                .filter_map(|r| EntitlementId::parse(r).ok())
                .collect()
        };
        let result = match (drift, found) {
            (Drift::MissingRoles { roles }, Some(account)) => {
                let who = Subject {
                    login,
                    account: &account.reference,
                };
                let change = EntitlementChange {
                    desired: granted.union(&ids(roles)).cloned().collect(),
                    applied: granted.clone(),
                    ..Default::default()
                };
                self.target_set_entitlements(who, &change)
                    .await
                    .map_err(|e| self.target_failed(format!("grant {roles:?} to {login}"), e))
            }
            (Drift::ExtraRoles { roles }, Some(account)) => {
                let who = Subject {
                    login,
                    account: &account.reference,
                };
                let change = EntitlementChange {
                    desired: granted.difference(&ids(roles)).cloned().collect(),
                    applied: granted.clone(),
                    ..Default::default()
                };
                self.target_set_entitlements(who, &change)
                    .await
                    .map_err(|e| self.target_failed(format!("revoke {roles:?} from {login}"), e))
            }
            (Drift::UserShouldNotExist, Some(account)) => {
                let resource = resources::resource_from_row(row);
                self.deprovision(&resource, &account.reference, DeprovisionMode::Delete)
                    .await
                    .map(|_| ())
            }
            (Drift::UserMissingInTarget, _) => self.recreate(&id).await,
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

    /// After a repair the target holds what the memberships say: so does the store's record.
    async fn settle_applied_roles(&self, row: &UserRow) -> Result<(), BridgeError> {
        let desired = self.desired_of(row).await?;
        self.store.set_applied_roles(&row.id, &desired).await?;
        Ok(())
    }

    /// What an active user's account should hold: its groups' roles and its direct set.
    async fn desired_of(&self, row: &UserRow) -> Result<BTreeSet<EntitlementId>, BridgeError> {
        if !row.active {
            return Ok(BTreeSet::new());
        }
        let mut desired = self.store.desired_roles(&row.id).await?;
        desired.extend(self.direct_roles_of(row));
        Ok(desired)
    }

    fn direct_roles_of(&self, row: &UserRow) -> BTreeSet<EntitlementId> {
        self.direct_role_ids(&resources::roles_from_json(&row.roles_json))
    }

    /// Whether this replica runs the scheduled reconciliation now: it takes the job's lease
    /// for `every`, so that of several replicas sharing the store one reconciles per interval,
    /// and another takes over once a holder that died stops renewing. Alone, a replica always
    /// leads.
    pub async fn lead_reconciliation(&self, every: Duration) -> Result<bool, BridgeError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let until = now.saturating_add(i64::try_from(every.as_secs()).unwrap_or(i64::MAX));
        Ok(self
            .store
            .take_lease(RECONCILE_LEASE, &self.replica, now, until)
            .await?)
    }

    /// An active user the target lost: create it again and grant its entitlements.
    async fn recreate(&self, id: &UserId) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(id).cloned() else {
            return Ok(());
        };
        let link = self.create_in_target(&entry.resource.write).await?;
        self.record(entry.resource, Some(link)).await?;
        self.forget_applied_roles(id).await?;
        self.sync_user_locked(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<EntitlementId> {
        ids.iter()
            .map(|i| EntitlementId::parse(i).unwrap())
            .collect()
    }

    #[test]
    fn a_single_rank_is_compared_as_the_highest_and_the_floor_is_no_rank() {
        let ordered: Vec<EntitlementId> = ["REGULAR", "ADMIN", "SUPER"]
            .iter()
            .map(|r| EntitlementId::parse(r).unwrap())
            .collect();
        // Two groups (REGULAR and ADMIN), the target gives ADMIN: no drift.
        let (d, g) = single_rank(&ordered, set(&["REGULAR", "ADMIN"]), &set(&["ADMIN"]));
        assert_eq!((d, g), (set(&["ADMIN"]), set(&["ADMIN"])));
        // No group, the user is REGULAR: no drift either.
        let (d, g) = single_rank(&ordered, set(&[]), &set(&["REGULAR"]));
        assert_eq!((d, g), (set(&[]), set(&[])));
        // No group, still ADMIN: ADMIN is extra.
        let (d, g) = single_rank(&ordered, set(&[]), &set(&["ADMIN"]));
        assert_eq!((d, g), (set(&[]), set(&["ADMIN"])));
    }

    const FALCON: Naming = Naming {
        product: "Falcon",
        key: "falcon",
        entitlement: "role",
        example_entitlement: "falcon_analyst",
    };

    fn drift(login: &str, drift: Drift) -> UserDrift {
        UserDrift {
            id: Some("id".into()),
            login: login.into(),
            account_id: None,
            drift,
            repair: None,
            naming: FALCON,
        }
    }

    #[test]
    fn reports_count_every_kind_and_render_one_line_per_drift() {
        let report = Report {
            naming: FALCON,
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
            pending: Vec::new(),
        };
        let counts = report.counts();
        assert_eq!(counts.len(), 5);
        assert_eq!(counts["user_missing_in_falcon"], 0);
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
