-- Mirrors migrations/0002_groups.sql, the SQLite migration of the same number. Change the two
-- together; tests/schema_parity.rs compares what they build.

-- SCIM groups: a display name and the Falcon role ids membership grants.
CREATE TABLE groups (
    id              TEXT PRIMARY KEY NOT NULL,
    display_name    TEXT NOT NULL,
    display_name_lc TEXT NOT NULL UNIQUE,
    external_id     TEXT,
    roles           TEXT NOT NULL DEFAULT '[]',
    created         TEXT NOT NULL,
    last_modified   TEXT NOT NULL
);

CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);

-- The managed roles the bridge has granted to the user in Falcon and not revoked since.
-- Comparing it with the roles the user's groups map tells what to grant and revoke, without
-- reading Falcon (whose role reads lag its writes).
ALTER TABLE users ADD COLUMN applied_roles TEXT NOT NULL DEFAULT '[]';
