-- notary-server metadata and changefeed (shared/spec/server-behaviour.md §6.2, §6.3).
-- Table, column, constraint and index names follow Go notary 0.7's PostgreSQL migrations so a
-- database laid out by Go's schema is recognisable; the types are SQLite's. Times are TEXT in
-- RFC 3339 UTC with nine fractional digits (`2026-11-22T03:42:16.589819328Z`).

-- One row per stored version of a role's file. `updated_at` is set on insert and never changed;
-- `deleted_at` is always NULL (deletes are hard deletes, as in Go) and exists for compatibility.
CREATE TABLE tuf_files (
    id         INTEGER PRIMARY KEY,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    deleted_at TEXT    NULL,
    gun        TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    sha256     TEXT    NOT NULL,
    CONSTRAINT tuf_files_gun_role_version_key UNIQUE (gun, role, version)
);

-- Consistent downloads by checksum (`{role}.{sha256}.json`).
CREATE INDEX tuf_files_sha256_idx ON tuf_files (sha256);

CREATE TABLE change_category (
    category TEXT NOT NULL PRIMARY KEY
);

INSERT INTO change_category (category) VALUES ('update'), ('deletion');

-- One row per stored timestamp or deleted GUN. AUTOINCREMENT: IDs are never reused.
CREATE TABLE changefeed (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    gun        TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    sha256     TEXT    NULL DEFAULT NULL,
    category   TEXT    NOT NULL DEFAULT 'update' REFERENCES change_category (category)
);

CREATE INDEX idx_changefeed_gun ON changefeed (gun);
