//! The store's small writes, queued for the group commit of `batch.rs`: user rows, audit rows,
//! applied roles and intents. Each returns once its write is committed. The tables' own modules
//! hold their SQL and their reads; this one only queues, so that `batch.rs` can call into the
//! tables without the tables calling back into it.

use std::collections::BTreeSet;

use target_api::EntitlementId;

use super::batch::Write;
use super::groups::roles_to;
use super::{AuditRecord, Store, StoreError, UserRow};

impl Store {
    /// Inserts or replaces the row with this id.
    pub async fn save_user(&self, user: &UserRow) -> Result<(), StoreError> {
        self.batch.write(Write::SaveUser(user.clone())).await?;
        Ok(())
    }

    pub async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.batch.write(Write::DeleteUser(id.to_owned())).await? > 0)
    }

    /// Appends `record` to the audit log.
    pub async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.batch.write(Write::Audit(record.clone())).await?;
        Ok(())
    }

    pub async fn set_applied_roles(
        &self,
        user_id: &str,
        roles: &BTreeSet<EntitlementId>,
    ) -> Result<(), StoreError> {
        self.batch
            .write(Write::AppliedRoles {
                user_id: user_id.to_owned(),
                roles: roles_to(roles),
            })
            .await?;
        Ok(())
    }

    /// Records what is about to be done to `user_id` (JSON the bridge understands).
    pub async fn save_intent(&self, user_id: &str, intent: &str) -> Result<(), StoreError> {
        self.batch
            .write(Write::SaveIntent {
                user_id: user_id.to_owned(),
                intent: intent.to_owned(),
                at: chrono::Utc::now().to_rfc3339(),
            })
            .await?;
        Ok(())
    }

    pub async fn clear_intent(&self, user_id: &str) -> Result<(), StoreError> {
        self.batch
            .write(Write::ClearIntent(user_id.to_owned()))
            .await?;
        Ok(())
    }
}
