-- Leases: which process does a job that must run once at a time across replicas (the scheduled
-- reconciliation), and until when. A holder that dies stops renewing, and its lease expires.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
