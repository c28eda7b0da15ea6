-- Every Falcon write the bridge made (or, in dry run, would have made), with what caused it.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    operation   TEXT NOT NULL,
    login       TEXT NOT NULL,
    falcon_uuid TEXT,
    roles       TEXT NOT NULL DEFAULT '[]',
    outcome     TEXT NOT NULL,
    detail      TEXT,
    trace_id    TEXT,
    method      TEXT,
    path        TEXT,
    credential  TEXT,
    request_id  TEXT
);
CREATE INDEX audit_by_time ON audit(at);
CREATE INDEX audit_by_login ON audit(login);

-- The deletion guard's ledger: one row per Falcon deletion, kept for the rolling window.
CREATE TABLE deprovision_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL
);

-- A user change written before its Falcon calls and removed after them: what is left at start-up
-- was interrupted and is finished then.
CREATE TABLE intents (
    user_id TEXT PRIMARY KEY NOT NULL,
    intent  TEXT NOT NULL,
    at      TEXT NOT NULL
);
