//! The target this process provisions, as `BRIDGE_TARGET` (or `--target` of `demo` and `sim`)
//! chose it. The core and the SCIM front end are generic over [`Target`], but the trait's
//! methods return `impl Future`, so it cannot be a `dyn Target`: [`ConfiguredTarget`] is an enum
//! with one variant per target crate and forwards every call to the one it holds. Start-up,
//! `/readyz`, `check`, `reconcile` and `demo` are then written once for every target; a new
//! target is a new variant here and in [`TargetSettings`].

use std::collections::BTreeSet;
use std::time::SystemTime;

use falcon::{FalconClient, FalconError};
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
}

/// The target of this process. Cheap to clone: clones share the client (token, pool, budget).
#[derive(Debug, Clone)]
pub enum ConfiguredTarget {
    Falcon(FalconClient),
    Incydr(IncydrTarget),
    Lumapps(LumAppsTarget),
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
        })
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            ConfiguredTarget::Falcon(_) => TargetKind::Falcon,
            ConfiguredTarget::Incydr(_) => TargetKind::Incydr,
            ConfiguredTarget::Lumapps(_) => TargetKind::Lumapps,
        }
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
