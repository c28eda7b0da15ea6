-- The change log replicas read each other's writes from (see migrations-postgres/0008). With
-- SQLite there is one replica and nothing fills it: it exists so that both engines' schemas
-- mean the same and a store copied into PostgreSQL finds it.
CREATE TABLE changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    at   INTEGER NOT NULL
);
