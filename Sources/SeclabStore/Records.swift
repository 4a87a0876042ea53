/// An account row. Every field is public or ciphertext (spec §10).
public struct AccountRecord: Codable, Sendable, Equatable {
    /// Id.
    public var accountID: String
    /// Canonical (lowercased) e-mail.
    public var email: String
    /// Profile name.
    public var kdfProfile: String
    /// b64u salt.
    public var saltAUK: String
    /// b64u salt.
    public var saltSRP: String
    /// b64u `PAD(v)`.
    public var srpVerifier: String
    /// b64u public key.
    public var publicKey: String
    /// `xc1.` private key.
    public var encPrivateKey: String
    /// Unix ms.
    public var createdAt: Int64
    /// Unix ms.
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id", email, kdfProfile = "kdf_profile", saltAUK = "salt_auk", saltSRP = "salt_srp"
        case srpVerifier = "srp_verifier", publicKey = "public_key", encPrivateKey = "enc_private_key"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    /// Memberwise.
    public init(accountID: String, email: String, kdfProfile: String, saltAUK: String, saltSRP: String, srpVerifier: String, publicKey: String, encPrivateKey: String, createdAt: Int64, updatedAt: Int64) {
        self.accountID = accountID; self.email = email; self.kdfProfile = kdfProfile; self.saltAUK = saltAUK; self.saltSRP = saltSRP
        self.srpVerifier = srpVerifier; self.publicKey = publicKey; self.encPrivateKey = encPrivateKey
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// One SRP login attempt between start and finish (spec §8: `b` lives for one attempt, short
/// expiry, single use).
public struct LoginRecord: Codable, Sendable, Equatable {
    /// Random id handed to the client.
    public var loginID: String
    /// The (possibly decoy) account id.
    public var accountID: String
    /// 1 when the e-mail is unknown and everything below is decoy material.
    public var isDecoy: Int64
    /// b64u salt the client was given.
    public var saltSRP: String
    /// b64u verifier B was computed against.
    public var srpVerifier: String
    /// b64u server secret `b` (32 bytes).
    public var secretB: String
    /// b64u `PAD(A)`.
    public var clientPublic: String
    /// The address that started the login.
    public var clientAddress: String?
    /// Unix ms.
    public var expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case loginID = "login_id", accountID = "account_id", isDecoy = "is_decoy", saltSRP = "salt_srp", srpVerifier = "srp_verifier"
        case secretB = "secret_b", clientPublic = "client_public", clientAddress = "client_address", expiresAt = "expires_at"
    }

    /// Memberwise.
    public init(loginID: String, accountID: String, isDecoy: Bool, saltSRP: String, srpVerifier: String, secretB: String, clientPublic: String, clientAddress: String?, expiresAt: Int64) {
        self.loginID = loginID; self.accountID = accountID; self.isDecoy = isDecoy ? 1 : 0; self.saltSRP = saltSRP
        self.srpVerifier = srpVerifier; self.secretB = secretB; self.clientPublic = clientPublic
        self.clientAddress = clientAddress; self.expiresAt = expiresAt
    }
}

/// A session row: only `H(token)` is kept (spec §9).
public struct SessionRecord: Codable, Sendable, Equatable {
    /// b64u SHA-256 of the token.
    public var tokenHash: String
    /// The account.
    public var accountID: String
    /// Unix ms.
    public var createdAt: Int64
    /// Unix ms; idle expiry counts from here.
    public var lastUsedAt: Int64
    /// Unix ms absolute expiry.
    public var expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case tokenHash = "token_hash", accountID = "account_id", createdAt = "created_at"
        case lastUsedAt = "last_used_at", expiresAt = "expires_at"
    }

    /// Memberwise.
    public init(tokenHash: String, accountID: String, createdAt: Int64, lastUsedAt: Int64, expiresAt: Int64) {
        self.tokenHash = tokenHash; self.accountID = accountID; self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt; self.expiresAt = expiresAt
    }
}

/// A vault row.
public struct VaultRecord: Codable, Sendable, Equatable {
    /// Id.
    public var vaultID: String
    /// Owner.
    public var ownerAccountID: String
    /// `xc1.` name.
    public var encName: String
    /// `xc1.` index key.
    public var wrappedIndexKey: String
    /// Unix ms.
    public var createdAt: Int64
    /// Unix ms.
    public var updatedAt: Int64
    /// Unix ms tombstone time.
    public var deletedAt: Int64?

    enum CodingKeys: String, CodingKey {
        case vaultID = "vault_id", ownerAccountID = "owner_account_id", encName = "enc_name"
        case wrappedIndexKey = "wrapped_index_key", createdAt = "created_at", updatedAt = "updated_at", deletedAt = "deleted_at"
    }

    /// Memberwise.
    public init(vaultID: String, ownerAccountID: String, encName: String, wrappedIndexKey: String, createdAt: Int64, updatedAt: Int64, deletedAt: Int64? = nil) {
        self.vaultID = vaultID; self.ownerAccountID = ownerAccountID; self.encName = encName
        self.wrappedIndexKey = wrappedIndexKey; self.createdAt = createdAt; self.updatedAt = updatedAt; self.deletedAt = deletedAt
    }
}

/// The kinds of key slot.
public enum SlotKind: String, Codable, Sendable {
    /// The owner's own HPKE wrap.
    case owner
    /// An HPKE wrap to another account.
    case share
    /// A machine credential's AEAD wrap.
    case machine
}

/// A slot row, any kind.
public struct SlotRecord: Codable, Sendable, Equatable {
    /// Id.
    public var slotID: String
    /// Vault.
    public var vaultID: String
    /// `owner`, `share` or `machine`.
    public var kind: String
    /// Recipient account (human slots).
    public var accountID: String?
    /// The account that made the wrap.
    public var grantedBy: String
    /// `hp1.` or `xc1.` wrap of the VK.
    public var wrappedVK: String
    /// Machine: `xc1.` label.
    public var encLabel: String?
    /// Machine: `hp1.` escrow.
    public var unwrapKeyEscrow: String?
    /// Machine: `crypto_pwhash_str(auth_secret, m1)`.
    public var authHash: String?
    /// Unix ms.
    public var createdAt: Int64
    /// Unix ms of the last pull.
    public var lastUsedAt: Int64?
    /// Share slots: `read` or `write` (`ShareRole`); nil for owner and machine slots.
    public var role: String?
    /// Unix ms the recipient accepted a share (owner and machine slots: their creation);
    /// nil while a share is a pending invitation.
    public var acceptedAt: Int64?
    /// Machine slots bound to a CI identity: the policy's storage text; nil when unbound.
    public var oidcPolicy: String?

    enum CodingKeys: String, CodingKey {
        case slotID = "slot_id", vaultID = "vault_id", kind, accountID = "account_id", grantedBy = "granted_by"
        case wrappedVK = "wrapped_vk", encLabel = "enc_label", unwrapKeyEscrow = "unwrap_key_escrow"
        case authHash = "auth_hash", createdAt = "created_at", lastUsedAt = "last_used_at", role, acceptedAt = "accepted_at"
        case oidcPolicy = "oidc_policy"
    }

    /// Memberwise. Owner and machine slots are accepted at creation; a share is pending
    /// (`acceptedAt` nil) until its recipient accepts it.
    public init(slotID: String, vaultID: String, kind: SlotKind, accountID: String?, grantedBy: String, wrappedVK: String, encLabel: String? = nil, unwrapKeyEscrow: String? = nil, authHash: String? = nil, createdAt: Int64, lastUsedAt: Int64? = nil, role: ShareRole? = nil, oidcPolicy: String? = nil) {
        self.slotID = slotID; self.vaultID = vaultID; self.kind = kind.rawValue; self.accountID = accountID
        self.grantedBy = grantedBy; self.wrappedVK = wrappedVK; self.encLabel = encLabel
        self.unwrapKeyEscrow = unwrapKeyEscrow; self.authHash = authHash; self.createdAt = createdAt; self.lastUsedAt = lastUsedAt
        self.role = role?.rawValue
        self.acceptedAt = kind == .share ? nil : createdAt
        self.oidcPolicy = oidcPolicy
    }
}

/// What a share lets its recipient do (docs/security.md, "read-only shares").
public enum ShareRole: String, Codable, Sendable, CaseIterable {
    /// Read items only.
    case read
    /// Read and write items (never slots, machines, rekey or delete: those are the owner's).
    case write
}

/// An item row: ciphertext only, tombstones have empty texts.
public struct ItemRecord: Codable, Sendable, Equatable {
    /// b64u key ref.
    public var keyRef: String
    /// `xc1.` name.
    public var encName: String
    /// `xc1.` value.
    public var encValue: String
    /// Unix ms.
    public var updatedAt: Int64
    /// 1 for a tombstone.
    public var deleted: Int64

    enum CodingKeys: String, CodingKey {
        case keyRef = "key_ref", encName = "enc_name", encValue = "enc_value", updatedAt = "updated_at", deleted
    }

    /// Memberwise.
    public init(keyRef: String, encName: String, encValue: String, updatedAt: Int64, deleted: Bool) {
        self.keyRef = keyRef; self.encName = encName; self.encValue = encValue; self.updatedAt = updatedAt; self.deleted = deleted ? 1 : 0
    }
}

/// An audit row (actions, never content).
public struct AuditRecord: Codable, Sendable, Equatable {
    /// Unix ms.
    public var time: Int64
    /// Account or slot id.
    public var actorID: String?
    /// `account`, `machine` or `anonymous`.
    public var actorKind: String
    /// Dotted action name.
    public var action: String
    /// Vault concerned.
    public var vaultID: String?
    /// Slot concerned.
    public var slotID: String?
    /// Other account concerned.
    public var targetAccountID: String?
    /// Comma-separated key refs (b64u has no commas).
    public var keyRefs: String
    /// Client address.
    public var clientAddress: String?
    /// `ok`, `denied`, `failed`, `throttled`, `limited`.
    public var outcome: String
    /// How many events this row stands for: 1, or the count of alike failures and denials
    /// aggregated over a window.
    public var occurrences: Int64
    /// How many key refs the action named; `keyRefs` keeps at most `maxKeyRefs` of them.
    public var keyRefCount: Int64
    /// A short fact about the action, e.g. `role=read` for a share (never content).
    public var detail: String?

    /// Key refs kept per row: a row's size stays bounded whatever a request named.
    public static let maxKeyRefs = 32

    enum CodingKeys: String, CodingKey {
        case time, actorID = "actor_id", actorKind = "actor_kind", action, vaultID = "vault_id", slotID = "slot_id"
        case targetAccountID = "target_account_id", keyRefs = "key_refs", clientAddress = "client_address", outcome
        case occurrences, keyRefCount = "key_ref_count", detail
    }

    /// Memberwise; `keyRefs` is cut to its first `maxKeyRefs` and joined with commas.
    public init(time: Int64, actorID: String?, actorKind: String, action: String, vaultID: String? = nil, slotID: String? = nil, targetAccountID: String? = nil, keyRefs: [String] = [], clientAddress: String?, outcome: String, occurrences: Int64 = 1, detail: String? = nil) {
        self.time = time; self.actorID = actorID; self.actorKind = actorKind; self.action = action; self.vaultID = vaultID
        self.slotID = slotID; self.targetAccountID = targetAccountID
        self.keyRefs = keyRefs.prefix(Self.maxKeyRefs).joined(separator: ",")
        self.keyRefCount = Int64(keyRefs.count)
        self.clientAddress = clientAddress; self.outcome = outcome; self.occurrences = occurrences; self.detail = detail
    }
}
