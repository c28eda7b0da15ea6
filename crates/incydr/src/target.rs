//! Incydr as a provisioning target: the [`Target`] the core drives, on top of [`IncydrClient`].
//!
//! Incydr's API cannot create or delete users, nor change their names or username: users come
//! from Incydr's own provisioning and the bridge adopts them. Deactivation is native and
//! reversible, and a user keeps its id through it. Roles are replaced as a whole set, so
//! [`Target::set_entitlements`] reads the current set and writes the full new one in one `PUT`.

use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use target_api::{
    Account, AccountRef, Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, Entitlement,
    EntitlementChange, EntitlementId, EntitlementModel, ErrorKind, Lookups, Naming, Paging,
    Profile, ProfileWrites, Target, TargetError,
};

use crate::client::IncydrClient;
use crate::error::IncydrError;
use crate::model::{Role, TOKEN_LIFETIME_SECS, User};

static CAPABILITIES: LazyLock<Capabilities> = LazyLock::new(capabilities);

/// What Incydr's users API v1 allows.
pub fn capabilities() -> Capabilities {
    Capabilities {
        naming: Naming {
            product: "Incydr",
            key: "incydr",
            entitlement: "role",
            example_entitlement: "desktop-user",
        },
        create: CreateMode::AdoptOnly,
        deactivate: DeactivateMode::Native,
        delete: DeleteMode::None,
        entitlements: EntitlementModel::RoleSet {
            by_name: false,
            replace_all: true,
        },
        profile: ProfileWrites {
            login: false,
            names: false,
        },
        lookups: Lookups {
            by_login: true,
            batch_by_ids: false,
        },
        paging: Paging::PageNumber,
        auth: Auth::OAuthClientCredentials {
            token_lifetime: Duration::from_secs(TOKEN_LIFETIME_SECS),
        },
        ids_survive_reactivation: true,
    }
}

/// Incydr behind the [`Target`] seam.
#[derive(Debug, Clone)]
pub struct IncydrTarget {
    client: IncydrClient,
}

impl IncydrTarget {
    pub fn new(client: IncydrClient) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &IncydrClient {
        &self.client
    }
}

/// The one place an [`IncydrError`] becomes the kind the core decides on.
pub fn classify(err: IncydrError) -> TargetError {
    let kind = match &err {
        IncydrError::NotFound { .. } => ErrorKind::NotFound,
        IncydrError::LegalHold { subject, .. } => ErrorKind::Blocked {
            reason: format!(
                "{subject} is under an active legal hold in Incydr and must be released from it \
                 before it can be deactivated"
            ),
        },
        IncydrError::Rejected { message, .. } => ErrorKind::Rejected {
            reason: message.clone(),
        },
        IncydrError::RateLimited { retry_after } => ErrorKind::RateLimited {
            retry_after: *retry_after,
        },
        IncydrError::Server { .. }
        | IncydrError::Unreachable { .. }
        | IncydrError::Unreadable { .. } => ErrorKind::Transient,
        IncydrError::Authentication { .. } | IncydrError::Forbidden { .. } => {
            ErrorKind::Misconfigured
        }
    };
    TargetError::from_source(kind, err)
}

impl From<IncydrError> for TargetError {
    fn from(err: IncydrError) -> Self {
        classify(err)
    }
}

fn name(part: Option<String>) -> String {
    part.map(|p| p.trim().to_owned()).unwrap_or_default()
}

/// An Incydr user as the core sees it, addressed by its `userId`.
///
/// `active` is Incydr's `active` flag alone, not `active && !blocked`: the bridge controls
/// `active` (activate/deactivate) but has no v1 endpoint to block or unblock. Reporting a
/// blocked user as inactive would make an IdP's `active: true` a change the bridge can never
/// make; a block is an Incydr admin's own decision and stays visible in Incydr.
pub fn account(user: User) -> Account {
    Account {
        reference: AccountRef::new(user.user_id, None),
        profile: Profile {
            login: user.username,
            given_name: name(user.first_name),
            family_name: name(user.last_name),
        },
        active: user.active,
        created: user.creation_date,
        modified: user.modification_date,
    }
}

fn entitlement(role: Role) -> Option<Entitlement> {
    Some(Entitlement {
        id: EntitlementId::parse(&role.role_id).ok()?,
        display_name: role.role_name,
        description: String::new(),
    })
}

/// The full role set to send: the user's current roles, minus those the IdP governs (`managed`,
/// some group maps them) or the bridge set before (`applied`), plus those it wants (`desired`).
/// Roles no group maps (granted by hand in Incydr, or by Incydr's own provisioning) are kept.
pub fn replacement(current: &BTreeSet<String>, change: &EntitlementChange) -> BTreeSet<String> {
    current
        .iter()
        .filter(|id| {
            EntitlementId::parse(id)
                .map(|id| !change.applied.contains(&id) && !change.managed.contains(&id))
                .unwrap_or(true)
        })
        .cloned()
        .chain(change.desired.iter().map(|id| id.as_str().to_owned()))
        .collect()
}

/// Ignored role ids in a `PUT` answer are a group mapping Incydr does not accept.
fn ignored_error(account: &AccountRef, ignored: &[String]) -> Option<TargetError> {
    let first = ignored.first()?;
    let message = format!(
        "Incydr ignored role(s) {} for user {}: unknown, or not assignable by this API client",
        ignored.join(", "),
        account.id
    );
    let kind = match EntitlementId::parse(first) {
        Ok(id) => ErrorKind::UnknownEntitlement { id },
        Err(_) => ErrorKind::Rejected {
            reason: message.clone(),
        },
    };
    Some(TargetError::new(kind, message))
}

fn unsupported(message: &str) -> TargetError {
    TargetError::new(ErrorKind::Unsupported, message)
}

impl Target for IncydrTarget {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        self.client.token_obtained_at()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        Ok(self
            .client
            .list_users()
            .await?
            .into_iter()
            .map(account)
            .collect())
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        Ok(self.client.user_by_username(login).await?.map(account))
    }

    async fn create(&self, _profile: &Profile) -> Result<Account, TargetError> {
        Err(unsupported(
            "Incydr's API cannot create users: provision them in Incydr (SCIM from Okta or \
             Entra, directory sync, SSO or the console) and the bridge adopts them by username",
        ))
    }

    async fn update_profile(
        &self,
        _account: &AccountRef,
        _profile: &Profile,
    ) -> Result<(), TargetError> {
        Err(unsupported(
            "Incydr's API cannot change a user's username or names: they are read-only",
        ))
    }

    async fn set_active(&self, account: &AccountRef, active: bool) -> Result<(), TargetError> {
        if active {
            self.client.activate(&account.id).await?;
        } else {
            self.client.deactivate(&account.id).await?;
        }
        Ok(())
    }

    async fn delete(&self, _account: &AccountRef) -> Result<(), TargetError> {
        Err(unsupported(
            "Incydr's API cannot delete users: the bridge deactivates them instead",
        ))
    }

    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        Ok(self
            .client
            .roles()
            .await?
            .into_iter()
            .filter_map(entitlement)
            .collect())
    }

    async fn entitlements(
        &self,
        account: &AccountRef,
    ) -> Result<BTreeSet<EntitlementId>, TargetError> {
        Ok(self
            .client
            .user_roles(&account.id)
            .await?
            .into_iter()
            .filter_map(|r| EntitlementId::parse(&r.role_id).ok())
            .collect())
    }

    /// Reads the user's roles, then sends one `PUT` with the full new set, or none when it is
    /// already what Incydr holds. The read is needed because the `PUT` replaces everything and
    /// must not drop roles the bridge does not manage.
    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let current: BTreeSet<String> = self
            .client
            .user_roles(&account.id)
            .await?
            .into_iter()
            .map(|r| r.role_id)
            .collect();
        let wanted = replacement(&current, change);
        if wanted == current {
            return Ok(());
        }
        let update = self
            .client
            .replace_roles(&account.id, wanted.into_iter().collect())
            .await?;
        match ignored_error(account, &update.ignored) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> BTreeSet<EntitlementId> {
        names
            .iter()
            .map(|n| EntitlementId::parse(n).unwrap())
            .collect()
    }

    fn strings(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_new_set_keeps_roles_the_bridge_never_set() {
        let change = EntitlementChange {
            desired: ids(&["desktop-user", "cloud-admin"]),
            applied: ids(&["desktop-user", "alert-analyst"]),
            ..Default::default()
        };
        // `manual` was granted by hand; `alert-analyst` was the bridge's and is no longer wanted.
        let current = strings(&["manual", "desktop-user", "alert-analyst"]);
        assert_eq!(
            replacement(&current, &change),
            strings(&["manual", "desktop-user", "cloud-admin"])
        );
        // Nothing to do: the result equals the current set, so no PUT is sent.
        let settled = strings(&["manual", "desktop-user", "cloud-admin"]);
        assert_eq!(replacement(&settled, &change), settled);
        // Removing everything the bridge set leaves the hand-granted role.
        let clear = EntitlementChange {
            desired: BTreeSet::new(),
            applied: ids(&["desktop-user", "cloud-admin"]),
            ..Default::default()
        };
        assert_eq!(replacement(&settled, &clear), strings(&["manual"]));
    }

    #[test]
    fn a_role_some_group_maps_is_the_idps_to_decide_even_if_granted_by_hand() {
        // `cloud-admin` was granted by hand, but a group maps it and the user is not a member.
        let change = EntitlementChange {
            desired: ids(&["desktop-user"]),
            applied: BTreeSet::new(),
            managed: ids(&["desktop-user", "cloud-admin"]),
        };
        let current = strings(&["manual", "cloud-admin"]);
        assert_eq!(
            replacement(&current, &change),
            strings(&["manual", "desktop-user"])
        );
    }

    #[test]
    fn incydr_errors_are_classified() {
        let cases = [
            (
                IncydrError::NotFound {
                    operation: "getUser",
                    subject: "user u1".into(),
                    message: "not found".into(),
                },
                ErrorKind::NotFound,
            ),
            (
                IncydrError::Rejected {
                    operation: "replaceUserRoles",
                    status: 400,
                    message: "bad role list".into(),
                },
                ErrorKind::Rejected {
                    reason: "bad role list".into(),
                },
            ),
            (
                IncydrError::RateLimited {
                    retry_after: Duration::from_secs(7),
                },
                ErrorKind::RateLimited {
                    retry_after: Duration::from_secs(7),
                },
            ),
            (
                IncydrError::Server {
                    operation: "listUsers",
                    status: 503,
                    message: "down".into(),
                },
                ErrorKind::Transient,
            ),
            (
                IncydrError::Unreachable {
                    operation: "listUsers",
                    detail: "connection failed".into(),
                },
                ErrorKind::Transient,
            ),
            (
                IncydrError::Unreadable {
                    operation: "listUsers",
                    detail: "EOF".into(),
                },
                ErrorKind::Transient,
            ),
            (
                IncydrError::Authentication {
                    client_id: "key-1".into(),
                    status: 401,
                    message: "Unauthorized".into(),
                },
                ErrorKind::Misconfigured,
            ),
            (
                IncydrError::Forbidden {
                    operation: "listRoles",
                    message: "denied".into(),
                },
                ErrorKind::Misconfigured,
            ),
        ];
        for (incydr, kind) in cases {
            let text = incydr.to_string();
            let e = TargetError::from(incydr);
            assert_eq!(e.kind(), &kind);
            assert_eq!(e.to_string(), text);
            assert!(e.source_ref().is_some());
        }
    }

    #[test]
    fn a_legal_hold_is_blocked_with_a_reason_to_act_on() {
        let e = classify(IncydrError::LegalHold {
            operation: "deactivateUser",
            subject: "user u1".into(),
            message: "ACTIVE_LEGAL_HOLD".into(),
        });
        match e.kind() {
            ErrorKind::Blocked { reason } => {
                assert!(reason.contains("user u1"), "{reason}");
                assert!(reason.contains("legal hold in Incydr"), "{reason}");
                assert!(reason.contains("released"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.is_transient());
    }

    #[test]
    fn ignored_roles_name_the_first_as_unknown_and_list_all() {
        let account = AccountRef::new("u1", None);
        assert!(ignored_error(&account, &[]).is_none());
        let e = ignored_error(&account, &["nope".into(), "also-nope".into()]).unwrap();
        assert_eq!(
            e.kind(),
            &ErrorKind::UnknownEntitlement {
                id: EntitlementId::parse("nope").unwrap()
            }
        );
        assert!(e.to_string().contains("nope, also-nope"), "{e}");
    }

    #[test]
    fn a_user_becomes_an_account_addressed_by_user_id() {
        let user: User = serde_json::from_value(serde_json::json!({
            "userId": "9a1", "username": "Ann@X.io", "firstName": " Ann ", "lastName": null,
            "active": true, "blocked": true, "creationDate": "2026-03-02T09:15:42Z"
        }))
        .unwrap();
        let a = account(user);
        assert_eq!(a.reference, AccountRef::new("9a1", None));
        assert_eq!(a.profile.login, "Ann@X.io");
        assert_eq!(a.profile.given_name, "Ann");
        assert_eq!(a.profile.family_name, "");
        // Blocked is not deactivated: see `account`.
        assert!(a.active);
        assert!(a.created.is_some());
    }

    #[test]
    fn capabilities_declare_an_adopt_only_replace_all_target() {
        let c = capabilities();
        assert_eq!(c.naming.key, "incydr");
        assert_eq!(c.create, CreateMode::AdoptOnly);
        assert_eq!(c.delete, DeleteMode::None);
        assert!(c.deactivate.is_native());
        assert_eq!(
            c.entitlements,
            EntitlementModel::RoleSet {
                by_name: false,
                replace_all: true
            }
        );
        assert!(c.ids_survive_reactivation);
    }

    #[tokio::test]
    async fn create_update_and_delete_are_unsupported_without_a_call() {
        // Port 9 (discard) is never contacted: these fail before any request.
        let client = IncydrClient::new(crate::ClientConfig::new(
            "http://127.0.0.1:9",
            "id",
            secrecy::SecretString::from("s"),
        ))
        .unwrap();
        let target = IncydrTarget::new(client);
        let account = AccountRef::new("u1", None);
        let created = target.create(&Profile::default()).await.unwrap_err();
        assert_eq!(created.kind(), &ErrorKind::Unsupported);
        assert!(created.to_string().contains("cannot create users"));
        let updated = target
            .update_profile(&account, &Profile::default())
            .await
            .unwrap_err();
        assert_eq!(updated.kind(), &ErrorKind::Unsupported);
        let deleted = target.delete(&account).await.unwrap_err();
        assert_eq!(deleted.kind(), &ErrorKind::Unsupported);
        assert!(deleted.to_string().contains("deactivates them instead"));
    }
}
