//! Every Falcon write the bridge makes goes through here: sent and recorded in the audit log
//! with what caused it, or, in dry run, only logged and recorded as `dry-run`.
//!
//! The cause (the SCIM request, or `start-up` / `reconcile`) travels in a task-local set by
//! [`caused_by`], so that a group change that grants roles to 200 users records the same request
//! for each grant without threading it through every call.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;

use chrono::Utc;

use super::target::{TargetError as FalconError, TargetUser as User};
use super::{Bridge, Target};
use crate::store::AuditRecord;
use falcon::trace;
use scim::backend::RequestContext;

tokio::task_local! {
    static CAUSE: Cause;
}

/// What made the bridge write to Falcon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    pub method: Option<String>,
    pub path: Option<String>,
    /// The credential's configured name, never the token.
    pub credential: Option<String>,
    pub request_id: Option<String>,
}

impl Cause {
    pub fn request(ctx: &RequestContext) -> Self {
        Self {
            method: Some(ctx.method.clone()),
            path: Some(ctx.path.clone()),
            credential: Some(ctx.credential.clone()),
            request_id: ctx.request_id.clone(),
        }
    }

    /// Work the bridge does on its own (`start-up`, `reconcile`).
    pub fn internal(what: &str) -> Self {
        Self {
            path: Some(what.to_owned()),
            ..Self::default()
        }
    }
}

/// Runs `work` with `cause` as the cause of every Falcon write it makes.
pub async fn caused_by<F: Future>(cause: Cause, work: F) -> F::Output {
    CAUSE.scope(cause, work).await
}

/// The Falcon user a write concerns.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub login: &'a str,
    pub uuid: &'a str,
    pub cid: &'a str,
}

/// Falcon uuids dry run made up for users it pretended to create; Falcon has never heard of
/// them, so reads about them are answered here.
#[derive(Debug, Default)]
pub struct Pretended(Mutex<HashSet<String>>);

impl Pretended {
    fn insert(&self, uuid: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(uuid);
    }

    fn contains(&self, uuid: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(uuid)
    }
}

impl<T: Target> Bridge<T> {
    pub(super) async fn falcon_create(
        &self,
        login: &str,
        first: &str,
        last: &str,
    ) -> Result<User, FalconError> {
        let pretend = || {
            let uuid = uuid::Uuid::new_v4().to_string();
            self.pretended.insert(uuid.clone());
            User {
                uuid,
                uid: login.to_owned(),
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                status: "active".into(),
                ..User::default()
            }
        };
        self.write(
            "create",
            login,
            None,
            &[],
            pretend,
            |u| Some(u.uuid.clone()),
            async { self.target.create_user(login, first, last).await },
        )
        .await
    }

    pub(super) async fn falcon_rename(
        &self,
        who: Subject<'_>,
        first: &str,
        last: &str,
    ) -> Result<(), FalconError> {
        self.write(
            "rename",
            who.login,
            Some(who.uuid),
            &[],
            || (),
            |_| None,
            async {
                self.target
                    .rename_user(who.uuid, first, last)
                    .await
                    .map(|_| ())
            },
        )
        .await
    }

    pub(super) async fn falcon_delete(&self, who: Subject<'_>) -> Result<(), FalconError> {
        self.write(
            "delete",
            who.login,
            Some(who.uuid),
            &[],
            || (),
            |_| None,
            async { self.target.delete_user(who.uuid).await },
        )
        .await
    }

    pub(super) async fn falcon_grant(
        &self,
        who: Subject<'_>,
        roles: &[String],
    ) -> Result<(), FalconError> {
        self.write(
            "grant",
            who.login,
            Some(who.uuid),
            roles,
            || (),
            |_| None,
            async { self.target.grant_roles(who.uuid, who.cid, roles).await },
        )
        .await
    }

    pub(super) async fn falcon_revoke(
        &self,
        who: Subject<'_>,
        roles: &[String],
    ) -> Result<(), FalconError> {
        self.write(
            "revoke",
            who.login,
            Some(who.uuid),
            roles,
            || (),
            |_| None,
            async { self.target.revoke_roles(who.uuid, who.cid, roles).await },
        )
        .await
    }

    /// The user's direct grants; a user dry run pretended to create holds none.
    pub(super) async fn falcon_user_roles(&self, uuid: &str) -> Result<Vec<String>, FalconError> {
        if self.policy.dry_run && self.pretended.contains(uuid) {
            return Ok(Vec::new());
        }
        self.target.user_roles(uuid).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write<R>(
        &self,
        operation: &'static str,
        login: &str,
        uuid: Option<&str>,
        roles: &[String],
        pretend: impl FnOnce() -> R,
        uuid_of: impl FnOnce(&R) -> Option<String>,
        send: impl Future<Output = Result<R, FalconError>>,
    ) -> Result<R, FalconError> {
        let cause = CAUSE.try_with(Cause::clone).unwrap_or_default();
        let mut record = AuditRecord {
            at: Utc::now(),
            operation: operation.to_owned(),
            login: login.to_owned(),
            falcon_uuid: uuid.map(str::to_owned),
            roles: roles.to_vec(),
            outcome: String::new(),
            detail: None,
            trace_id: None,
            method: cause.method,
            path: cause.path,
            credential: cause.credential,
            request_id: cause.request_id,
        };
        let result = if self.policy.dry_run {
            let out = pretend();
            record.falcon_uuid = record.falcon_uuid.or_else(|| uuid_of(&out));
            record.outcome = "dry-run".into();
            tracing::info!(
                dry_run = true,
                operation,
                user = login,
                falcon_uuid = record.falcon_uuid.as_deref().unwrap_or(""),
                roles = ?roles,
                "dry run: Falcon write not sent"
            );
            Ok(out)
        } else {
            let (result, traces) = trace::capture(send).await;
            record.trace_id = traces.last().cloned();
            match &result {
                Ok(out) => {
                    record.falcon_uuid = record.falcon_uuid.or_else(|| uuid_of(out));
                    record.outcome = "ok".into();
                }
                Err(e) => {
                    record.outcome = "failed".into();
                    record.detail = Some(e.to_string());
                }
            }
            result
        };
        // The write has happened (or not) whatever the store says now; a lost audit row is
        // reported loudly rather than turned into a failed SCIM request.
        if let Err(e) = self.store.append_audit(&record).await {
            tracing::error!(error = %e, operation, user = login, "cannot record a Falcon write in the audit log");
        }
        result
    }
}
