-- Groups a `POST /Groups` stored and then failed to finish (a grant refused, the target
-- throttling): the IdP's retry of that POST, on whichever replica and after a restart, is
-- answered as its first success would have been, not with a 409.
CREATE TABLE unanswered_groups (
    group_id TEXT PRIMARY KEY NOT NULL REFERENCES groups(id) ON DELETE CASCADE
);
