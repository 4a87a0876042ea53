import SQLKit

extension Transaction {
    /// Insert an account; `StoreError.duplicate` when the id or e-mail is taken.
    public func insertAccount(_ account: AccountRecord) async throws {
        let clash = try await sql.raw("""
            SELECT account_id FROM accounts WHERE account_id = \(bind: account.accountID) OR email = \(bind: account.email)
            """).first()
        if clash != nil { throw StoreError.duplicate("account id or e-mail") }
        do {
            try await sql.raw("""
                INSERT INTO accounts (account_id, email, kdf_profile, salt_auk, salt_srp, srp_verifier, public_key,
                                      enc_private_key, created_at, updated_at)
                VALUES (\(bind: account.accountID), \(bind: account.email), \(bind: account.kdfProfile), \(bind: account.saltAUK),
                        \(bind: account.saltSRP), \(bind: account.srpVerifier), \(bind: account.publicKey),
                        \(bind: account.encPrivateKey), \(bind: account.createdAt), \(bind: account.updatedAt))
                """).run()
        } catch {
            // A concurrent insert won the race between the check and the insert.
            throw StoreError.duplicate("account id or e-mail")
        }
    }

    /// The account with this canonical e-mail.
    public func account(email: String) async throws -> AccountRecord? {
        try await sql.raw("SELECT * FROM accounts WHERE email = \(bind: email)").first(decoding: AccountRecord.self)
    }

    /// The account with this id.
    public func account(id: String) async throws -> AccountRecord? {
        try await sql.raw("SELECT * FROM accounts WHERE account_id = \(bind: id)").first(decoding: AccountRecord.self)
    }

    /// Replace salts, verifier and wrapped private key, and end every session of the account
    /// except `keepTokenHash` (a passphrase change ends every other session).
    public func replacePassphrase(accountID: String, kdfProfile: String, saltAUK: String, saltSRP: String, srpVerifier: String, encPrivateKey: String, keepTokenHash: String, now: Int64) async throws {
        try await sql.raw("""
            UPDATE accounts SET kdf_profile = \(bind: kdfProfile), salt_auk = \(bind: saltAUK), salt_srp = \(bind: saltSRP),
                   srp_verifier = \(bind: srpVerifier), enc_private_key = \(bind: encPrivateKey), updated_at = \(bind: now)
            WHERE account_id = \(bind: accountID)
            """).run()
        try await sql.raw("DELETE FROM sessions WHERE account_id = \(bind: accountID) AND token_hash <> \(bind: keepTokenHash)").run()
        // Logins started under the old verifier must not finish.
        try await sql.raw("DELETE FROM srp_logins WHERE account_id = \(bind: accountID)").run()
    }

    /// A named server secret, created with `make()` on first use. Kept in the database so
    /// every replica derives the same decoys (spec §8).
    public func serverSecret(name: String, make: @Sendable () -> String) async throws -> String {
        try await sql.raw("""
            INSERT INTO server_secrets (name, value) VALUES (\(bind: name), \(bind: make())) ON CONFLICT (name) DO NOTHING
            """).run()
        guard let value = try await sql.raw("SELECT value FROM server_secrets WHERE name = \(bind: name)")
            .first(decodingColumn: "value", as: String.self) else { throw StoreError.notFound("server secret") }
        return value
    }
}

extension Transaction {
    /// Store a login attempt.
    public func insertLogin(_ login: LoginRecord) async throws {
        try await sql.raw("""
            INSERT INTO srp_logins (login_id, account_id, is_decoy, salt_srp, srp_verifier, secret_b, client_public, client_address, expires_at)
            VALUES (\(bind: login.loginID), \(bind: login.accountID), \(bind: login.isDecoy), \(bind: login.saltSRP),
                    \(bind: login.srpVerifier), \(bind: login.secretB), \(bind: login.clientPublic),
                    \(bind: login.clientAddress), \(bind: login.expiresAt))
            """).run()
        // Expired attempts are garbage: drop them opportunistically.
        try await sql.raw("DELETE FROM srp_logins WHERE expires_at < \(bind: login.expiresAt - 600_000)").run()
    }

    /// Remove and return a login attempt: single use even when two finishes race (spec §8).
    public func takeLogin(id: String) async throws -> LoginRecord? {
        try await sql.raw("DELETE FROM srp_logins WHERE login_id = \(bind: id) RETURNING *").first(decoding: LoginRecord.self)
    }

    /// The login attempt, without consuming it (for throttling before any modexp).
    public func login(id: String) async throws -> LoginRecord? {
        try await sql.raw("SELECT * FROM srp_logins WHERE login_id = \(bind: id)").first(decoding: LoginRecord.self)
    }
}

extension Transaction {
    /// Store a new session.
    public func insertSession(_ session: SessionRecord) async throws {
        try await sql.raw("""
            INSERT INTO sessions (token_hash, account_id, created_at, last_used_at, expires_at)
            VALUES (\(bind: session.tokenHash), \(bind: session.accountID), \(bind: session.createdAt),
                    \(bind: session.lastUsedAt), \(bind: session.expiresAt))
            """).run()
        try await sql.raw("DELETE FROM sessions WHERE expires_at < \(bind: session.createdAt)").run()
    }

    /// The session with this token hash, if it is within both expiries.
    public func session(tokenHash: String, now: Int64, idleMillis: Int64) async throws -> SessionRecord? {
        try await sql.raw("""
            SELECT * FROM sessions
            WHERE token_hash = \(bind: tokenHash) AND expires_at > \(bind: now) AND last_used_at > \(bind: now - idleMillis)
            """).first(decoding: SessionRecord.self)
    }

    /// Restart a session's idle clock.
    public func touchSession(tokenHash: String, now: Int64) async throws {
        try await sql.raw("UPDATE sessions SET last_used_at = \(bind: now) WHERE token_hash = \(bind: tokenHash)").run()
    }

    /// End one session.
    public func deleteSession(tokenHash: String) async throws {
        try await sql.raw("DELETE FROM sessions WHERE token_hash = \(bind: tokenHash)").run()
    }
}
