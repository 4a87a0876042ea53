import SQLKit
import NIOCore

/// Versioned schema migrations, applied in order at start inside one transaction each.
///
/// What is here is spec §10's list and nothing else: ids, public keys, salts, profile names,
/// SRP verifiers, `crypto_pwhash_str` strings, ciphertext texts, key refs, timestamps,
/// tombstones, token hashes, throttle counters and audit rows. Times are Unix milliseconds.
enum Migrations {
    static func all(_ dialect: StoreDialect) -> [[String]] {
        [
            // Version 1: the whole v1 schema.
            [
                """
                CREATE TABLE server_secrets (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL)
                """,
                """
                CREATE TABLE accounts (
                    account_id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    kdf_profile TEXT NOT NULL,
                    salt_auk TEXT NOT NULL,
                    salt_srp TEXT NOT NULL,
                    srp_verifier TEXT NOT NULL,
                    public_key TEXT NOT NULL,
                    enc_private_key TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE srp_logins (
                    login_id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    is_decoy BIGINT NOT NULL,
                    salt_srp TEXT NOT NULL,
                    srp_verifier TEXT NOT NULL,
                    secret_b TEXT NOT NULL,
                    client_public TEXT NOT NULL,
                    client_address TEXT,
                    expires_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(account_id),
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL)
                """,
                "CREATE INDEX sessions_by_account ON sessions (account_id)",
                """
                CREATE TABLE vaults (
                    vault_id TEXT PRIMARY KEY,
                    owner_account_id TEXT NOT NULL REFERENCES accounts(account_id),
                    enc_name TEXT NOT NULL,
                    wrapped_index_key TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    deleted_at BIGINT)
                """,
                """
                CREATE TABLE slots (
                    slot_id TEXT PRIMARY KEY,
                    vault_id TEXT NOT NULL REFERENCES vaults(vault_id),
                    kind TEXT NOT NULL,
                    account_id TEXT REFERENCES accounts(account_id),
                    granted_by TEXT NOT NULL REFERENCES accounts(account_id),
                    wrapped_vk TEXT NOT NULL,
                    enc_label TEXT,
                    unwrap_key_escrow TEXT,
                    auth_hash TEXT,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT)
                """,
                "CREATE UNIQUE INDEX slots_one_per_account ON slots (vault_id, account_id)",
                "CREATE INDEX slots_by_account ON slots (account_id)",
                """
                CREATE TABLE items (
                    vault_id TEXT NOT NULL REFERENCES vaults(vault_id),
                    key_ref TEXT NOT NULL,
                    enc_name TEXT NOT NULL,
                    enc_value TEXT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    deleted BIGINT NOT NULL,
                    PRIMARY KEY (vault_id, key_ref))
                """,
                """
                CREATE TABLE audit_events (
                    event_id \(dialect.autoIncrementPrimaryKey),
                    time BIGINT NOT NULL,
                    actor_id TEXT,
                    actor_kind TEXT NOT NULL,
                    action TEXT NOT NULL,
                    vault_id TEXT,
                    slot_id TEXT,
                    target_account_id TEXT,
                    key_refs TEXT NOT NULL,
                    client_address TEXT,
                    outcome TEXT NOT NULL)
                """,
                "CREATE INDEX audit_by_vault ON audit_events (vault_id, event_id)",
                """
                CREATE TABLE throttles (
                    throttle_key TEXT PRIMARY KEY,
                    failures BIGINT NOT NULL,
                    blocked_until BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL)
                """,
            ],
            // 2: a per-vault revision, bumped in the transaction of every change to the vault's
            // items or keys, so a replica can tell in one indexed read whether the items it
            // encoded for an earlier pull are still current (the pull cache).
            // The index serves "last used" of machine slots, now read from the audit rows.
            [
                "ALTER TABLE vaults ADD COLUMN revision BIGINT NOT NULL DEFAULT 0",
                "CREATE INDEX audit_by_slot ON audit_events (slot_id, event_id)",
            ],
            // 3: ids are never reused, shares are invitations with a role (docs/security.md).
            // * retired_ids: every slot id and vault id that was ever removed (spec §11 A1), so
            //   a revoked machine slot cannot be re-created under its old id by whoever holds
            //   its leaked MK. Seeded from the audit rows of slots removed before this version.
            // * slots.role: `read` or `write` for share slots (null for owner and machine);
            //   shares made before this version could write, so they keep `write`.
            // * slots.accepted_at: a share counts only once its recipient accepted it; shares
            //   made before this version were in use, so they count as accepted.
            // * audit_events.detail: a short, bounded fact about the action (a share's role).
            [
                """
                CREATE TABLE retired_ids (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    retired_at BIGINT NOT NULL)
                """,
                """
                INSERT INTO retired_ids (id, kind, retired_at)
                SELECT a.slot_id, 'slot', 0 FROM audit_events a
                WHERE a.slot_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.slot_id = a.slot_id)
                GROUP BY a.slot_id
                """,
                "ALTER TABLE slots ADD COLUMN role TEXT",
                "ALTER TABLE slots ADD COLUMN accepted_at BIGINT",
                "UPDATE slots SET accepted_at = created_at",
                "UPDATE slots SET role = 'write' WHERE kind = 'share'",
                "ALTER TABLE audit_events ADD COLUMN detail TEXT",
            ],
            // 4: an audit row may stand for many alike failures or denials
            // (`occurrences`), and keeps a bounded prefix of the key refs an action named with
            // their full count (`key_ref_count`), so floods cannot push history out of reach.
            [
                "ALTER TABLE audit_events ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1",
                "ALTER TABLE audit_events ADD COLUMN key_ref_count BIGINT NOT NULL DEFAULT 0",
            ],
            // 5: a machine slot may be bound to a CI identity. `oidc_policy` is the
            // binding's canonical JSON text (SeclabOIDC.BindingPolicy.storageText), fixed at
            // creation; NULL for every slot made before, which stays unbound.
            [
                "ALTER TABLE slots ADD COLUMN oidc_policy TEXT",
            ],
        ]
    }
}

extension SeclabDatabase {
    /// Bring the schema to the newest version this build knows. Safe to run from several
    /// replicas at once on PostgreSQL (an advisory lock serializes them).
    public func migrate() async throws {
        let dialect = self.dialect
        let migrations = Migrations.all(dialect)
        // Statements wait up to a minute here: another replica may hold the migration lock, and
        // building an index on a large table takes time (the request deadline is for requests).
        try await write(timeout: max(timeout, .seconds(60))) { tx in
            if dialect.name == "postgres" {
                // Two replicas starting together must not both create the tables.
                try await tx.sql.raw("SELECT pg_advisory_xact_lock(736563)").run()
            }
            try await tx.sql.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)").run()
            let row = try await tx.sql.raw("SELECT MAX(version) AS v FROM schema_migrations").first()
            let current = try row?.decodeNil(column: "v") == false ? try row!.decode(column: "v", as: Int.self) : 0
            guard current <= migrations.count else { throw StoreError.schemaTooNew(found: current, known: migrations.count) }
            for (index, statements) in migrations.enumerated() where index + 1 > current {
                for statement in statements { try await tx.sql.raw(SQLQueryString(statement)).run() }
                try await tx.sql.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: index + 1), \(bind: Clock.nowMillis()))").run()
            }
        }
    }
}
