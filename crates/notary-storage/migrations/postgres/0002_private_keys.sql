-- notary-signer's sealed keys (shared/spec/signer.md §6.2): Go notary 0.7's PostgreSQL schema
-- (migrations/signer/postgresql 0001), with the same table, column, type and constraint names.
-- Idempotent, like 0001. `deleted_at` marks a soft delete: such rows are invisible to every read.
-- `last_used` is NULL until the key first signs. Times are `timestamp` holding UTC.
CREATE TABLE IF NOT EXISTS private_keys (
    id               serial       PRIMARY KEY,
    created_at       timestamp    NULL DEFAULT NULL,
    updated_at       timestamp    NULL DEFAULT NULL,
    deleted_at       timestamp    NULL DEFAULT NULL,
    key_id           varchar(255) NOT NULL,
    encryption_alg   varchar(255) NOT NULL,
    keywrap_alg      varchar(255) NOT NULL,
    algorithm        varchar(50)  NOT NULL,
    passphrase_alias varchar(50)  NOT NULL,
    public           bytea        NOT NULL,
    private          bytea        NOT NULL,
    gun              varchar(255) NOT NULL,
    role             varchar(255) NOT NULL,
    last_used        timestamp    NULL DEFAULT NULL,
    CONSTRAINT key_id UNIQUE (key_id),
    CONSTRAINT key_id_2 UNIQUE (key_id, algorithm)
);
