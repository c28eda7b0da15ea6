-- Mirrors migrations/0006_direct_roles.sql, the SQLite migration of the same number. Change the
-- two together; tests/schema_parity.rs compares what they build.

-- The roles the IdP gave each user directly (issue 20), as it sent them: the SCIM `roles`
-- list, echoed back on reads. What the target must hold is these and the roles of the user's
-- groups; the bridge resolves the values to target roles when it syncs.
ALTER TABLE users ADD COLUMN direct_roles TEXT NOT NULL DEFAULT '[]';
