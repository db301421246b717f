-- notary-signer's sealed keys (shared/spec/signer.md §6.2), in Go's table, column and constraint
-- names. Times are TEXT in RFC 3339 UTC with nine fractional digits. `deleted_at` marks a soft
-- delete: such rows are invisible to every read. `last_used` is NULL until the key first signs.
CREATE TABLE private_keys (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT NULL,
    key_id           TEXT NOT NULL,
    encryption_alg   TEXT NOT NULL,
    keywrap_alg      TEXT NOT NULL,
    algorithm        TEXT NOT NULL,
    passphrase_alias TEXT NOT NULL,
    gun              TEXT NOT NULL,
    role             TEXT NOT NULL,
    public           BLOB NOT NULL,
    private          BLOB NOT NULL,
    last_used        TEXT NULL,
    CONSTRAINT key_id UNIQUE (key_id),
    CONSTRAINT key_id_2 UNIQUE (key_id, algorithm)
);

-- CreateKey's "pending key for this GUN, role and algorithm" lookup.
CREATE INDEX private_keys_gun_role_algorithm_idx ON private_keys (gun, role, algorithm);
