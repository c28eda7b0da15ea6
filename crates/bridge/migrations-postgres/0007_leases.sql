-- Mirrors migrations/0007_leases.sql, the SQLite migration of the same number. Change the
-- two together; tests/schema_parity.rs compares what they build.
-- Leases: which process does a job that must run once at a time across replicas (the scheduled
-- reconciliation), and until when. A holder that dies stops renewing, and its lease expires.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
