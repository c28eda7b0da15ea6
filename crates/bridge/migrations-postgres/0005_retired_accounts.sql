-- Mirrors migrations/0005_retired_accounts.sql, the SQLite migration of the same number. Change
-- the two together; tests/schema_parity.rs compares what they build.

-- Accounts the IdP deleted on a target whose API cannot delete (Incydr): the account stays in
-- the target, deactivated, and the bridge hides it from every read, as a deletion would. A later
-- POST of the same login takes it over again (under a new SCIM id) and removes the row.
CREATE TABLE retired_accounts (
    account_id TEXT PRIMARY KEY NOT NULL,
    login      TEXT NOT NULL,
    retired_at TEXT NOT NULL
);
