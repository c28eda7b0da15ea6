//! Falcon as a provisioning target: the [`Target`] the core drives, on top of [`FalconClient`].
//!
//! Falcon has no disable, so deactivation is emulated by the core (revoke every role, then
//! delete; a reactivation creates a new user with a new uuid). Roles are granted and revoked
//! one change at a time, by id, and the login e-mail cannot change.

use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use target_api::{
    Account, AccountRef, Auth, Capabilities, CreateMode, DeactivateMode, DeleteMode, Entitlement,
    EntitlementChange, EntitlementId, EntitlementModel, ErrorKind, Lookups, Naming, Paging,
    Profile, ProfileWrites, Target, TargetError,
};

use crate::model::{CreateUserRequest, Role, User};
use crate::{FalconClient, FalconError};

static CAPABILITIES: LazyLock<Capabilities> = LazyLock::new(capabilities);

/// What Falcon's user-management API allows.
pub fn capabilities() -> Capabilities {
    Capabilities {
        naming: Naming {
            product: "Falcon",
            key: "falcon",
            entitlement: "role",
            example_entitlement: "falcon_analyst",
        },
        create: CreateMode::Direct,
        deactivate: DeactivateMode::Emulated,
        delete: DeleteMode::Hard,
        entitlements: EntitlementModel::RoleSet {
            by_name: false,
            replace_all: false,
        },
        profile: ProfileWrites {
            login: false,
            names: true,
        },
        lookups: Lookups {
            by_login: true,
            batch_by_ids: true,
        },
        paging: Paging::Offset,
        auth: Auth::OAuthClientCredentials {
            token_lifetime: Duration::from_secs(1799),
        },
        ids_survive_reactivation: false,
    }
}

impl From<FalconError> for TargetError {
    fn from(err: FalconError) -> Self {
        let trace_id = err.trace_id().map(str::to_owned);
        let kind = match &err {
            FalconError::RateLimited { retry_after, .. } => ErrorKind::RateLimited {
                retry_after: *retry_after,
            },
            FalconError::Rejected(f) => ErrorKind::Rejected {
                reason: f.message.clone(),
            },
            FalconError::InvalidRole { role_id, .. } => match EntitlementId::parse(role_id) {
                Ok(id) => ErrorKind::UnknownEntitlement { id },
                Err(_) => ErrorKind::Rejected {
                    reason: err.to_string(),
                },
            },
            FalconError::UnknownUser { .. } => ErrorKind::NotFound,
            FalconError::Server(_)
            | FalconError::Unreachable { .. }
            | FalconError::Decode { .. } => ErrorKind::Transient,
            FalconError::Authentication(_)
            | FalconError::MissingScope(_)
            | FalconError::WrongRegion { .. } => ErrorKind::Misconfigured,
        };
        TargetError::from_source(kind, err).with_trace_id(trace_id)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn parse_time(text: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A Falcon user as the core sees it: addressed by uuid and CID, always active (Falcon has no
/// disabled state).
pub fn account(user: User) -> Account {
    Account {
        reference: AccountRef::new(user.uuid, non_empty(&user.cid)),
        profile: Profile {
            login: user.uid,
            given_name: user.first_name,
            family_name: user.last_name,
        },
        active: true,
        created: parse_time(user.created_at.as_deref()),
        modified: parse_time(user.updated_at.as_deref()),
    }
}

fn entitlement(role: Role) -> Option<Entitlement> {
    Some(Entitlement {
        id: EntitlementId::parse(&role.id).ok()?,
        display_name: role.display_name,
        description: role.description,
    })
}

fn role_ids(ids: &[EntitlementId]) -> Vec<String> {
    ids.iter().map(|id| id.as_str().to_owned()).collect()
}

fn cid(account: &AccountRef) -> &str {
    account.detail.as_deref().unwrap_or_default()
}

impl Target for FalconClient {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn credentials_accepted_at(&self) -> Option<SystemTime> {
        self.token_obtained_at()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, TargetError> {
        Ok(self
            .list_all_users()
            .await?
            .into_iter()
            .map(account)
            .collect())
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<Account>, TargetError> {
        Ok(self.find_user_by_uid(login).await?.map(account))
    }

    async fn create(&self, profile: &Profile) -> Result<Account, TargetError> {
        let request = CreateUserRequest {
            uid: profile.login.clone(),
            first_name: profile.given_name.clone(),
            last_name: profile.family_name.clone(),
            cid: None,
            password: None,
        };
        let created = self.create_user(&request, false).await?;
        created.map(account).ok_or_else(|| {
            FalconError::Decode {
                operation: "createUserV1",
                detail: "no user in the reply".into(),
            }
            .into()
        })
    }

    async fn update_profile(
        &self,
        account: &AccountRef,
        profile: &Profile,
    ) -> Result<(), TargetError> {
        self.update_user(&account.id, &profile.given_name, &profile.family_name)
            .await?;
        Ok(())
    }

    async fn set_active(&self, _account: &AccountRef, _active: bool) -> Result<(), TargetError> {
        Err(TargetError::new(
            ErrorKind::Unsupported,
            "Falcon has no deactivation: the bridge revokes the user's roles and deletes it",
        ))
    }

    async fn delete(&self, account: &AccountRef) -> Result<(), TargetError> {
        Ok(self.delete_user(&account.id).await?)
    }

    async fn entitlement_catalogue(&self) -> Result<Vec<Entitlement>, TargetError> {
        Ok(self
            .role_catalogue()
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
            .user_grants(&account.id)
            .await?
            .into_iter()
            .filter_map(|g| EntitlementId::parse(&g.role_id).ok())
            .collect())
    }

    /// Grants what is desired and not applied, then revokes what is applied and no longer
    /// desired: one call each (per 100 roles), none when that side is empty.
    async fn set_entitlements(
        &self,
        account: &AccountRef,
        change: &EntitlementChange,
    ) -> Result<(), TargetError> {
        let grant = change.added();
        if !grant.is_empty() {
            self.grant_roles(&account.id, cid(account), &role_ids(&grant))
                .await?;
        }
        let revoke = change.removed();
        if !revoke.is_empty() {
            self.revoke_roles(&account.id, cid(account), &role_ids(&revoke))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Failure;

    fn failure(status: u16) -> Failure {
        Failure {
            operation: "userRolesActionV1",
            status,
            code: None,
            message: "nope".into(),
            trace_id: Some("t-9".into()),
        }
    }

    #[test]
    fn falcon_errors_are_classified_with_their_trace_id() {
        let cases: [(FalconError, ErrorKind); 5] = [
            (
                FalconError::UnknownUser {
                    uuid: "u".into(),
                    failure: failure(400),
                },
                ErrorKind::NotFound,
            ),
            (
                FalconError::InvalidRole {
                    role_id: "falcon_admin".into(),
                    failure: failure(400),
                },
                ErrorKind::UnknownEntitlement {
                    id: EntitlementId::parse("falcon_admin").unwrap(),
                },
            ),
            (
                FalconError::Rejected(failure(400)),
                ErrorKind::Rejected {
                    reason: "nope".into(),
                },
            ),
            (FalconError::Server(failure(502)), ErrorKind::Transient),
            (
                FalconError::MissingScope(failure(403)),
                ErrorKind::Misconfigured,
            ),
        ];
        for (falcon, kind) in cases {
            let e = TargetError::from(falcon);
            assert_eq!(e.kind(), &kind);
            assert_eq!(e.trace_id(), Some("t-9"));
        }
        let throttled = TargetError::from(FalconError::RateLimited {
            retry_after: Duration::from_secs(7),
            trace_id: None,
        });
        assert!(throttled.is_transient());
    }

    #[test]
    fn a_falcon_user_becomes_an_account_addressed_by_uuid_and_cid() {
        let a = account(User {
            uuid: "3f1c".into(),
            uid: "pre@example.com".into(),
            cid: "c1".into(),
            first_name: "Pre".into(),
            last_name: String::new(),
            created_at: Some("2026-03-02T09:15:42.118203Z".into()),
            ..Default::default()
        });
        assert_eq!(a.reference, AccountRef::new("3f1c", Some("c1".into())));
        assert_eq!(a.profile.given_name, "Pre");
        assert!(a.active);
        assert_eq!(
            a.created.unwrap().to_rfc3339(),
            "2026-03-02T09:15:42.118203+00:00"
        );
    }
}
