//! What a target can do, declared once and read by the core, `/ServiceProviderConfig`,
//! `/Schemas` and `check`, instead of being discovered from the target's errors.

use std::time::Duration;

use crate::EntitlementId;

/// Everything the core needs to know about a target before it calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub naming: Naming,
    pub create: CreateMode,
    pub deactivate: DeactivateMode,
    pub delete: DeleteMode,
    pub entitlements: EntitlementModel,
    pub profile: ProfileWrites,
    pub lookups: Lookups,
    pub paging: Paging,
    pub auth: Auth,
    /// Whether an account keeps its id when it is deactivated and activated again (Falcon
    /// re-creates the account, so its id changes; the SCIM id never does).
    pub ids_survive_reactivation: bool,
}

/// How people and operators call the target and its parts, for messages an IdP admin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naming {
    /// The product: "Falcon".
    pub product: &'static str,
    /// A lower-case key for metric labels and report kinds: "falcon".
    pub key: &'static str,
    /// What a group grants, singular: "role".
    pub entitlement: &'static str,
    /// An entitlement id to show in examples of the group mapping: "falcon_analyst".
    pub example_entitlement: &'static str,
}

/// How a new account comes into the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    /// The API creates it (Falcon, LumApps).
    Direct,
    /// The API invites it; the account exists once the invitation is accepted (Allthenticate).
    Invite,
    /// The API cannot create accounts; they arrive through the target's own channels and the
    /// bridge can only adopt them (Incydr).
    AdoptOnly,
}

/// How `active: false` is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeactivateMode {
    /// A native, reversible, idempotent deactivation (Incydr).
    Native,
    /// A status field saved with the rest of the account (LumApps).
    Field,
    /// A toggle: the target reads the state first and flips it only when needed, under the
    /// account's lock (Allthenticate).
    Toggle,
    /// No deactivation: the bridge revokes every entitlement and deletes the account, and
    /// re-creates it on reactivation (Falcon).
    Emulated,
}

impl DeactivateMode {
    /// Whether [`crate::Target::set_active`] does it (everything but `Emulated`).
    pub fn is_native(self) -> bool {
        !matches!(self, DeactivateMode::Emulated)
    }
}

/// What `DELETE /Users/{id}` can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    /// The account is deleted, irreversibly (Falcon, LumApps).
    Hard,
    /// The account leaves the organisation (Allthenticate).
    RemoveFromOrg,
    /// No delete: the account is deactivated instead (Incydr).
    None,
}

/// How entitlements are held and changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntitlementModel {
    /// A set of roles. `replace_all`: one call sets the whole set (Incydr); otherwise roles are
    /// granted and revoked one change at a time (Falcon). `by_name`: the API names roles by
    /// display name, resolved through the catalogue.
    RoleSet { by_name: bool, replace_all: bool },
    /// One value per account, the highest of `ordered` (lowest first) that the account's groups
    /// map (Allthenticate's rank).
    SingleRank { ordered: Vec<EntitlementId> },
    /// Groups of the target's own; one membership call per group change (LumApps feeds).
    GroupMembership,
}

impl EntitlementModel {
    /// Whether entitlements are granted and revoked one change at a time (Falcon), rather than
    /// set as a whole.
    pub fn is_incremental(&self) -> bool {
        matches!(
            self,
            EntitlementModel::RoleSet {
                replace_all: false,
                ..
            }
        )
    }
}

/// Which profile attributes the target lets the bridge change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileWrites {
    /// The login (`userName`).
    pub login: bool,
    /// Given and family name.
    pub names: bool,
}

/// How accounts can be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookups {
    /// The API filters by login on the server.
    pub by_login: bool,
    /// The API fetches many accounts by id in one call.
    pub batch_by_ids: bool,
}

/// How the API pages lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Offset,
    PageNumber,
    Cursor,
    /// Everything in one reply.
    None,
}

/// How the bridge authenticates to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// OAuth 2 client credentials; tokens live about `token_lifetime`.
    OAuthClientCredentials { token_lifetime: Duration },
    /// A static API key sent in a header.
    StaticApiKey,
}
