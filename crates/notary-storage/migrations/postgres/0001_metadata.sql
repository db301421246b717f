-- notary-server metadata and changefeed (shared/spec/server-behaviour.md §6.2, §6.3): Go notary
-- 0.7's PostgreSQL schema (migrations/server/postgresql 0001 + 0002), with the same table,
-- column, type, constraint and index names, so Go's server can use a database laid out here and
-- ours can use one laid out by Go. Every statement is idempotent: when Go's migrations created
-- some of these tables already, this file only adds what is missing (src/postgres.rs, "Migrations").
--
-- Times are `timestamp` (without time zone) holding UTC. The NULL-able columns are Go's; this
-- program always sets `created_at`, `updated_at` and `sha256`.

-- One row per stored version of a role's file. `updated_at` is set on insert and never changed;
-- `deleted_at` is always NULL (deletes are hard deletes, as in Go) and exists for compatibility.
CREATE TABLE IF NOT EXISTS tuf_files (
    id         serial       PRIMARY KEY,
    created_at timestamp    NULL DEFAULT NULL,
    updated_at timestamp    NULL DEFAULT NULL,
    deleted_at timestamp    NULL DEFAULT NULL,
    gun        varchar(255) NOT NULL,
    role       varchar(255) NOT NULL,
    version    integer      NOT NULL,
    data       bytea        NOT NULL,
    sha256     char(64)     DEFAULT NULL,
    CONSTRAINT tuf_files_gun_role_version_key UNIQUE (gun, role, version)
);

-- Consistent downloads by checksum (`{role}.{sha256}.json`).
CREATE INDEX IF NOT EXISTS tuf_files_sha256_idx ON tuf_files (sha256);

CREATE TABLE IF NOT EXISTS change_category (
    category varchar(20) PRIMARY KEY
);

INSERT INTO change_category (category) VALUES ('update'), ('deletion') ON CONFLICT DO NOTHING;

-- One row per stored timestamp or deleted GUN. A deletion's empty `sha256` reads back as 64
-- spaces (CHAR padding), as in Go.
CREATE TABLE IF NOT EXISTS changefeed (
    id         serial       PRIMARY KEY,
    created_at timestamp    DEFAULT CURRENT_TIMESTAMP,
    gun        varchar(255) NOT NULL,
    version    integer      NOT NULL,
    sha256     char(64)     DEFAULT NULL,
    category   varchar(20)  NOT NULL DEFAULT 'update' REFERENCES change_category
);

CREATE INDEX IF NOT EXISTS idx_changefeed_gun ON changefeed (gun);
