-- Mirrors migrations/0001_users.sql, the SQLite migration of the same number: the same schema
-- in PostgreSQL's words (INTEGER is BIGINT, as SQLite's integers are 64-bit). Change the two
-- together; tests/schema_parity.rs compares what they build.

-- SCIM users the bridge manages. Falcon holds the profile and the grants; this row holds what
-- Falcon cannot: the stable SCIM id, externalId, display attributes, and tombstones of
-- deprovisioned users (falcon_uuid NULL, active 0) so that the IdP can reactivate them.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    user_name     TEXT NOT NULL,
    user_name_lc  TEXT NOT NULL UNIQUE,
    external_id   TEXT,
    given_name    TEXT,
    family_name   TEXT,
    formatted     TEXT,
    display_name  TEXT,
    emails        TEXT NOT NULL DEFAULT '[]',
    active        BIGINT NOT NULL,
    falcon_uuid   TEXT UNIQUE,
    falcon_cid    TEXT,
    created       TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
