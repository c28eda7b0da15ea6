//! The target this process provisions, as `BRIDGE_TARGET` (or `--target` of `demo` and `sim`)
//! chose it. The core and the SCIM front end are generic over [`Target`], but the trait's
//! methods return `impl Future`, so it cannot be a `dyn Target`: [`ConfiguredTarget`] is an enum
//! with one variant per target crate and forwards every call to the one it holds. Start-up,
//! `/readyz`, `check`, `reconcile` and `demo` are then written once for every target; a new
//! target is a new variant here and in [`TargetSettings`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use allthenticate::{AllthenticateClient, AllthenticateError, AllthenticateTarget, Rank};
use bridge::roles::{DirectRoles, RoleAllowlist};
use falcon::{FalconClient, FalconError, RateBudget};
use incydr::{IncydrClient, IncydrError, IncydrTarget};
use lumapps::{LumAppsClient, LumAppsError, LumAppsTarget};
use target_api::{
    Account, AccountRef, Capabilities, Entitlement, EntitlementChange, EntitlementId, Profile,
    Target, TargetError,
};

pub use crate::config::{TargetKind, TargetSettings};

/// The configured target's client could not be built (the settings were already validated, so
/// this is the HTTP client's own setup, e.g. no TLS backend).
#[derive(Debug, thiserror::Error)]
pub enum TargetSetupError {
    // The cause is part of the message, so it is not also the error's `source` (which would
    // print it twice in a chain).
    #[error("cannot set up the Falcon client: {0}")]
    Falcon(FalconError),
    #[error("cannot set up the Incydr client: {0}")]
    Incydr(IncydrError),
    #[error("cannot set up the LumApps client: {0}")]
    Lumapps(LumAppsError),
    #[error("cannot set up the Allthenticate client: {0}")]
    Allthenticate(AllthenticateError),
}

/// The target of this process. Cheap to clone: clones share the client (token, pool, budget).
#[derive(Debug, Clone)]
pub enum ConfiguredTarget {
    Falcon(FalconClient),
    Incydr(IncydrTarget),
    Lumapps(LumAppsTarget),
    Allthenticate(AllthenticateTarget),
}

impl ConfiguredTarget {
    /// The client for `settings`; makes no call.
    pub fn new(settings: &TargetSettings) -> Result<Self, TargetSetupError> {
        Ok(match settings {
            TargetSettings::Falcon(cfg) => ConfiguredTarget::Falcon(
                FalconClient::new(cfg.clone()).map_err(TargetSetupError::Falcon)?,
            ),
            TargetSettings::Incydr(cfg) => ConfiguredTarget::Incydr(IncydrTarget::new(
                IncydrClient::new(cfg.clone()).map_err(TargetSetupError::Incydr)?,
            )),
            TargetSettings::Lumapps(cfg) => ConfiguredTarget::Lumapps(LumAppsTarget::new(
                LumAppsClient::new(cfg.clone()).map_err(TargetSetupError::Lumapps)?,
            )),
            TargetSettings::Allthenticate(cfg) => {
                ConfiguredTarget::Allthenticate(AllthenticateTarget::new(
                    AllthenticateClient::new(cfg.client.clone())
                        .map_err(TargetSetupError::Allthenticate)?,
                    cfg.options,
                ))
            }
        })
    }

    /// [`ConfiguredTarget::new`], but a Falcon client draws on the rate budget of its API
    /// client in `budgets`: Falcon charges a parent client acting in several child CIDs (Flight
    /// Control) to one budget, so tenants under one parent must pace themselves together. Each
    /// keeps its own token (a token is bound to its `member_cid`).
    pub fn sharing(
        settings: &TargetSettings,
        budgets: &FalconBudgets,
    ) -> Result<Self, TargetSetupError> {
        match settings {
            TargetSettings::Falcon(cfg) => Ok(ConfiguredTarget::Falcon(
                FalconClient::with_shared_budget(cfg.clone(), budgets.of(cfg))
                    .map_err(TargetSetupError::Falcon)?,
            )),
            other => Self::new(other),
        }
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            ConfiguredTarget::Falcon(_) => TargetKind::Falcon,
            ConfiguredTarget::Incydr(_) => TargetKind::Incydr,
            ConfiguredTarget::Lumapps(_) => TargetKind::Lumapps,
            ConfiguredTarget::Allthenticate(_) => TargetKind::Allthenticate,
        }
    }
}

/// The rate budgets of the Falcon API clients the tenants use, one per client (its base URL
/// and id).
#[derive(Debug, Default)]
pub struct FalconBudgets {
    budgets: Mutex<HashMap<(String, String), Arc<RateBudget>>>,
}

impl FalconBudgets {
    fn of(&self, cfg: &falcon::ClientConfig) -> Arc<RateBudget> {
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets
            .entry((cfg.base_url.clone(), cfg.client_id.clone()))
            .or_default()
            .clone()
    }
}

/// `[groups]` entries that map Allthenticate's SUPER rank, or an `assignable_roles` that opens
/// it to direct assignment, while the configuration does not allow it: this stops the start
/// (and fails `check`) rather than each grant failing later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperRankRefused {
    pub groups: Vec<String>,
    /// How `assignable_roles` opens SUPER: `"*"`, or the name it lists.
    pub direct: Option<String>,
}

impl fmt::Display for SuperRankRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut causes = Vec::new();
        if !self.groups.is_empty() {
            let named: Vec<String> = self.groups.iter().map(|g| format!("group '{g}'")).collect();
            let verb = if self.groups.len() == 1 {
                "maps"
            } else {
                "map"
            };
            causes.push(format!("{} in [groups] {verb} to", named.join(", ")));
        }
        match self.direct.as_deref() {
            Some("*") => causes.push("assignable_roles = \"*\" opens".to_owned()),
            Some(name) => causes.push(format!("assignable_roles opens ('{name}')")),
            None => {}
        }
        let subject = match causes.as_slice() {
            [both @ .., last] if !both.is_empty() => format!("{}, and {last},", both.join(", ")),
            _ => causes.join(""),
        };
        write!(
            f,
            "{subject} Allthenticate's SUPER rank (billing, creating admins), which the \
             configuration does not allow: set allow_super_rank = true in the [allthenticate] \
             table of BRIDGE_CONFIG (or ALLTHENTICATE_ALLOW_SUPER_RANK=true) to let the IdP grant \
             it, or use ADMIN"
        )?;
        if self.direct.is_some() {
            write!(f, " (assignable_roles = [\"REGULAR\", \"ADMIN\"])")?;
        }
        Ok(())
    }
}

impl std::error::Error for SuperRankRefused {}

/// Refuses a `[groups]` mapping to SUPER (in any case), or an `assignable_roles` that opens
/// it, for Allthenticate unless `allow_super_rank`; any other target, or the setting, lets
/// everything through.
pub fn refuse_super_rank(
    settings: &TargetSettings,
    group_roles: &BTreeMap<String, Vec<String>>,
    direct: &DirectRoles,
) -> Result<(), SuperRankRefused> {
    let TargetSettings::Allthenticate(cfg) = settings else {
        return Ok(());
    };
    if cfg.options.allow_super_rank {
        return Ok(());
    }
    let groups: Vec<String> = group_roles
        .iter()
        .filter(|(_, ranks)| ranks.iter().any(|r| Rank::parse(r) == Rank::Super))
        .map(|(group, _)| group.clone())
        .collect();
    let direct = match &direct.allowlist {
        RoleAllowlist::None => None,
        RoleAllowlist::All => Some("*".to_owned()),
        RoleAllowlist::Listed(names) => names
            .iter()
            .find(|n| Rank::parse(n.trim()) == Rank::Super)
            .cloned(),
    };
    if groups.is_empty() && direct.is_none() {
        Ok(())
    } else {
        Err(SuperRankRefused { groups, direct })
    }
}

/// Calls the same [`Target`] method on whichever target `$self` holds. The calls name the
/// trait: a client's inherent method of the same name would otherwise win.
macro_rules! forward {
    ($self:ident, $target:ident => $call:expr) => {
        match $self {
            ConfiguredTarget::Falcon($target) => $call,
            ConfiguredTarget::Incydr($target) => $call,
            ConfiguredTarget::Lumapps($target) => $call,
            ConfiguredTarget::Allthenticate($target) => $call,
        }
    };
}

impl Target for ConfiguredTarget {
    fn capabilities(&self) -> &Capabilities {
        forward!(self, t => Target::capabilities(t))
    }

    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        forward!(self, t => Target::credentials_accepted_at(t))
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        forward!(self, t => Target::list_accounts(t).await)
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        forward!(self, t => Target::find_by_login(t, login).await)
    }

    async fn create(&self, profile: &Profile) -> Result<Account, TargetError> {
        forward!(self, t => Target::create(t, profile).await)
    }

    async fn update_profile(
        &self,
        account: &AccountRef,
        profile: &Profile,
    ) -> Result<(), TargetError> {
        forward!(self, t => Target::update_profile(t, account, profile).await)
    }

    async fn set_active(&self, account: &AccountRef, active: bool) -> Result<(), TargetError> {
        forward!(self, t => Target::set_active(t, account, active).await)
    }

    async fn delete(&self, account: &AccountRef) -> Result<(), TargetError> {
        forward!(self, t => Target::delete(t, account).await)
    }

    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        forward!(self, t => Target::entitlement_catalogue(t).await)
    }

    async fn entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        forward!(self, t => Target::entitlements(t, account).await)
    }

    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        forward!(self, t => Target::set_entitlements(t, account, change).await)
    }

    async fn create_group(&self, name: &str) -> Result<Entitlement, TargetError> {
        forward!(self, t => Target::create_group(t, name).await)
    }

    async fn rename_group(&self, id: &EntitlementId, name: &str) -> Result<(), TargetError> {
        forward!(self, t => Target::rename_group(t, id, name).await)
    }

    async fn delete_group(&self, id: &EntitlementId) -> Result<(), TargetError> {
        forward!(self, t => Target::delete_group(t, id).await)
    }

    async fn invite(&self, profile: &Profile) -> Result<Option<Account>, TargetError> {
        forward!(self, t => Target::invite(t, profile).await)
    }

    async fn withdraw_invitation(&self, login: &str) -> Result<(), TargetError> {
        forward!(self, t => Target::withdraw_invitation(t, login).await)
    }

    async fn group_members(&self, id: &EntitlementId) -> Result<Vec<AccountRef>, TargetError> {
        forward!(self, t => Target::group_members(t, id).await)
    }

    async fn change_group_members(
        &self,
        id: &EntitlementId,
        added: &[AccountRef],
        removed: &[AccountRef],
    ) -> Result<(), TargetError> {
        forward!(self, t => Target::change_group_members(t, id, added, removed).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    /// Port 9 (discard) is never contacted: nothing here makes a call.
    const NOWHERE: &str = "http://127.0.0.1:9";

    #[test]
    fn each_variant_answers_with_its_own_target() {
        let falcon = ConfiguredTarget::new(&TargetSettings::Falcon(falcon::ClientConfig::new(
            NOWHERE.to_owned(),
            "id".to_owned(),
            SecretString::from("s"),
        )))
        .unwrap();
        let incydr = ConfiguredTarget::new(&TargetSettings::Incydr(incydr::ClientConfig::new(
            NOWHERE,
            "id",
            SecretString::from("s"),
        )))
        .unwrap();
        assert_eq!(falcon.kind(), TargetKind::Falcon);
        assert_eq!(falcon.capabilities(), &falcon::target::capabilities());
        assert_eq!(incydr.kind(), TargetKind::Incydr);
        assert_eq!(incydr.capabilities(), &incydr::target::capabilities());
        // No token yet: neither has proven access.
        assert!(falcon.credentials_accepted_at().is_none());
        assert!(incydr.credentials_accepted_at().is_none());
        assert_eq!(TargetKind::Falcon.naming(), falcon.capabilities().naming);
        assert_eq!(TargetKind::Incydr.naming(), incydr.capabilities().naming);
    }

    #[test]
    fn the_lumapps_variant_answers_with_lumapps() {
        let lumapps = ConfiguredTarget::new(&TargetSettings::Lumapps(lumapps::ClientConfig::new(
            NOWHERE,
            "org",
            "app",
            SecretString::from("s"),
            "admin@example.com",
        )))
        .unwrap();
        assert_eq!(lumapps.kind(), TargetKind::Lumapps);
        assert_eq!(lumapps.capabilities(), &lumapps::target::capabilities());
        assert_eq!(
            lumapps.capabilities().entitlements,
            target_api::EntitlementModel::GroupMembership
        );
        assert!(lumapps.credentials_accepted_at().is_none());
        assert_eq!(TargetKind::Lumapps.naming(), lumapps.capabilities().naming);
    }

    fn allthenticate_settings(allow_super_rank: bool) -> TargetSettings {
        TargetSettings::Allthenticate(crate::config::AllthenticateSettings {
            client: allthenticate::ClientConfig::new(NOWHERE, SecretString::from("k")),
            options: allthenticate::TargetOptions {
                invite_without_email: true,
                allow_super_rank,
            },
        })
    }

    #[test]
    fn the_allthenticate_variant_answers_with_allthenticate_and_its_options() {
        let target = ConfiguredTarget::new(&allthenticate_settings(true)).unwrap();
        assert_eq!(target.kind(), TargetKind::Allthenticate);
        assert_eq!(
            target.capabilities(),
            &allthenticate::target::capabilities()
        );
        assert!(matches!(
            target.capabilities().entitlements,
            target_api::EntitlementModel::SingleRank { .. }
        ));
        // A static key: nothing proves it before the first call.
        assert!(target.credentials_accepted_at().is_none());
        assert_eq!(
            TargetKind::Allthenticate.naming(),
            target.capabilities().naming
        );
        let ConfiguredTarget::Allthenticate(inner) = &target else {
            panic!("{target:?}");
        };
        assert!(inner.options().invite_without_email && inner.options().allow_super_rank);
    }

    #[test]
    fn a_super_mapping_is_refused_for_allthenticate_unless_allowed() {
        let groups: BTreeMap<String, Vec<String>> = [
            ("Admins", vec!["ADMIN"]),
            ("Owners", vec!["super"]),
            ("Billing", vec!["REGULAR", "SUPER"]),
        ]
        .into_iter()
        .map(|(g, r)| (g.to_owned(), r.into_iter().map(str::to_owned).collect()))
        .collect();
        let refused = refuse_super_rank(
            &allthenticate_settings(false),
            &groups,
            &DirectRoles::default(),
        )
        .unwrap_err();
        assert_eq!(refused.groups, ["Billing", "Owners"]);
        let text = refused.to_string();
        assert!(
            text.starts_with("group 'Billing', group 'Owners' in [groups] map to")
                && text.contains("allow_super_rank = true")
                && text.contains("ALLTHENTICATE_ALLOW_SUPER_RANK"),
            "{text}"
        );
        let one: BTreeMap<String, Vec<String>> =
            [("Owners".to_owned(), vec!["SUPER".to_owned()])].into();
        let text = refuse_super_rank(
            &allthenticate_settings(false),
            &one,
            &DirectRoles::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            text.starts_with("group 'Owners' in [groups] maps to"),
            "{text}"
        );
        assert_eq!(
            refuse_super_rank(
                &allthenticate_settings(true),
                &groups,
                &DirectRoles::default()
            ),
            Ok(())
        );
        let admins: BTreeMap<String, Vec<String>> =
            [("Admins".to_owned(), vec!["ADMIN".to_owned()])].into();
        assert_eq!(
            refuse_super_rank(
                &allthenticate_settings(false),
                &admins,
                &DirectRoles::default()
            ),
            Ok(())
        );
        // Opening SUPER to direct assignment is refused the same way, by name or by "*".
        let listed = DirectRoles {
            allowlist: RoleAllowlist::Listed(vec!["ADMIN".into(), "Super".into()]),
            aliases: BTreeMap::new(),
        };
        let text = refuse_super_rank(&allthenticate_settings(false), &one, &listed)
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(
                "group 'Owners' in [groups] maps to, and assignable_roles opens ('Super'), \
                 Allthenticate's SUPER rank"
            ) && text.ends_with("(assignable_roles = [\"REGULAR\", \"ADMIN\"])"),
            "{text}"
        );
        let star = DirectRoles {
            allowlist: RoleAllowlist::All,
            aliases: BTreeMap::new(),
        };
        let refused =
            refuse_super_rank(&allthenticate_settings(false), &admins, &star).unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("assignable_roles = \"*\" opens Allthenticate's SUPER rank")
        );
        assert_eq!(
            refuse_super_rank(&allthenticate_settings(true), &admins, &star),
            Ok(())
        );
        // Another target's role that happens to be called "super" is its own business.
        let incydr = TargetSettings::Incydr(incydr::ClientConfig::new(
            NOWHERE,
            "id",
            SecretString::from("s"),
        ));
        assert_eq!(
            refuse_super_rank(&incydr, &groups, &DirectRoles::default()),
            Ok(())
        );
    }

    #[tokio::test]
    async fn calls_reach_the_variant_it_holds() {
        let incydr = ConfiguredTarget::new(&TargetSettings::Incydr(incydr::ClientConfig::new(
            NOWHERE,
            "id",
            SecretString::from("s"),
        )))
        .unwrap();
        // Only Incydr refuses a create before any call, with its own words.
        let refused = incydr.create(&Profile::default()).await.unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("Incydr's API cannot create users"),
            "{refused}"
        );
    }
}
