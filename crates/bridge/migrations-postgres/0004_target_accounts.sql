-- Mirrors migrations/0004_target_accounts.sql, the SQLite migration of the same number. Change
-- the two together; tests/schema_parity.rs compares what they build.

-- The store speaks of target accounts, not of Falcon users: a user's link to its account is the
-- account's id (unique: one account belongs to at most one SCIM user) and an opaque detail the
-- target needs to address it (Falcon: the CID). Renaming keeps every row and constraint.
ALTER TABLE users RENAME COLUMN falcon_uuid TO account_id;
ALTER TABLE users RENAME COLUMN falcon_cid TO account_detail;
ALTER TABLE audit RENAME COLUMN falcon_uuid TO account_id;
