public import SeclabFormat
@_spi(SeclabTesting) import SeclabHPKE
@_spi(SeclabTesting) public import SeclabPrimitives

/// A machine's `auth_secret` (spec §6.2): sent to the server, which stores only its Argon2id hash.
public struct MachineAuthSecret: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    init(_ bytes: SecretBytes) { secretBytes = bytes }
    /// The `b64u` wire text. Sending it is the point of this key; it never opens anything.
    public var text: String { secretBytes.withUnsafeBytes { Base64URL.encode($0) } }
}

/// A machine slot's `unwrap_key` (spec §6.2): never leaves the machine (and the owner's escrow).
public struct MachineUnwrapKey: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    /// Wrap 32 secret bytes (for the owner's escrow copy).
    public init(_ bytes: SecretBytes) throws(KeysError) {
        guard bytes.count == 32 else { throw .malformed("an unwrap key is 32 bytes, got \(bytes.count)") }
        secretBytes = bytes
    }
    var symmetricKey: SymmetricKey { try! SymmetricKey(secretBytes) }
}

/// A machine credential (spec §6.2, §11 A1): a slot id, the 32-byte machine key MK and, from
/// version 2 on, the vault and owner account the slot was issued for.
///
/// Texts: `slmk1_` ‖ b64u(slot_id ‖ MK ‖ CRC32) (v1, 52 bytes) and
/// `slmk2_` ‖ b64u(slot_id ‖ vault_id ‖ account_id ‖ MK ‖ CRC32) (v2, 84 bytes), CRC-32 big-endian
/// over everything before it.
///
/// Why a prefix and a checksum: secret scanners recognise a leaked credential offline, and a
/// truncated or mistyped one is reported as such instead of as a failed login.
/// Why v2 carries the ids: a stateless machine cannot otherwise tell which vault its
/// credential was issued for, so the holder of a leaked, since-revoked MK could answer for the
/// same slot id from a vault of their own and feed the victim's runners secrets of their
/// choosing (spec §11 A1). With the ids in the credential, a pull answering for any other
/// vault or owner is refused before anything is opened.
public struct MachineCredential: Sendable, CustomStringConvertible {
    /// The machine slot this credential opens.
    public let slotID: SeclabID
    /// The machine key MK.
    public let machineKey: SecretBytes
    /// The vault (and its owner) the slot was issued for; nil for a v1 credential, which
    /// binds neither and is accepted with a warning.
    public let binding: VaultContext?

    /// The text version: 2 when the credential binds its vault, else 1.
    public var version: Int { binding == nil ? 1 : 2 }

    /// A fresh v2 credential for a new slot of the vault `context`: random slot id and MK,
    /// made on the owner's device.
    public static func generate(for context: VaultContext) -> MachineCredential {
        MachineCredential(slotID: .random(), machineKey: .random(count: 32), binding: context)
    }

    /// A fresh v1 credential (no binding). Kept for tests of the old format only.
    public static func generate() -> MachineCredential {
        MachineCredential(slotID: .random(), machineKey: .random(count: 32))
    }

    /// Assemble from parts (MK must be 32 bytes); `binding` nil makes a v1 credential.
    public init(slotID: SeclabID, machineKey: SecretBytes, binding: VaultContext? = nil) {
        precondition(machineKey.count == 32, "MK is 32 bytes")
        self.slotID = slotID
        self.machineKey = machineKey
        self.binding = binding
    }

    /// Parse the credential text strictly; a bad checksum is reported as a mistyped credential.
    public init(text: some StringProtocol) throws(KeysError) {
        let string = String(text)
        let version: Int
        if string.hasPrefix(Labels.machineCredentialPrefix) {
            version = 1
        } else if string.hasPrefix(Labels.machineCredentialV2Prefix) {
            version = 2
        } else {
            throw .malformed("a machine credential starts with 'slmk2_' (or 'slmk1_' for an older one)")
        }
        var raw: [UInt8]
        do {
            raw = try Base64URL.decode(string.dropFirst(Labels.machineCredentialV2Prefix.count), what: "machine credential")
        } catch {
            throw .malformed(error.message)
        }
        defer { for i in raw.indices { raw[i] = 0 } }
        let size = version == 1 ? 52 : 84
        guard raw.count == size else {
            throw .malformed("a slmk\(version)_ machine credential holds \(size) bytes, this one \(raw.count): it is truncated or corrupted")
        }
        let crc = raw[(size - 4)..<size].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32.checksum(Array(raw[0..<(size - 4)])) == crc else {
            throw .checksumMismatch("the machine credential's checksum does not match: it was mistyped or corrupted")
        }
        slotID = try! SeclabID(bytes: Array(raw[0..<16]))
        if version == 2 {
            binding = VaultContext(ownerAccountID: try! SeclabID(bytes: Array(raw[32..<48])), vaultID: try! SeclabID(bytes: Array(raw[16..<32])))
            machineKey = SecretBytes(copying: raw[48..<80])
        } else {
            binding = nil
            machineKey = SecretBytes(copying: raw[16..<48])
        }
    }

    /// The credential text (a secret: print it only where the user asked for it).
    public var text: String {
        machineKey.withUnsafeBytes { mk in
            var raw = slotID.bytes
            if let binding { raw += binding.vaultID.bytes + binding.ownerAccountID.bytes }
            raw += Array(mk)
            let crc = CRC32.checksum(raw)
            raw += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
            defer { for i in raw.indices { raw[i] = 0 } }
            return (binding == nil ? Labels.machineCredentialPrefix : Labels.machineCredentialV2Prefix) + Base64URL.encode(raw)
        }
    }

    /// `auth_secret = HKDF(MK, slot_id, "auth", 32)`.
    public var authSecret: MachineAuthSecret {
        MachineAuthSecret(try! HKDFSHA256.derive(ikm: machineKey, salt: slotID.bytes, info: Labels.bytes(Labels.machineAuth), length: 32))
    }

    /// `unwrap_key = HKDF(MK, slot_id, "unwrap", 32)`.
    public var unwrapKey: MachineUnwrapKey {
        try! MachineUnwrapKey(HKDFSHA256.derive(ikm: machineKey, salt: slotID.bytes, info: Labels.bytes(Labels.machineUnwrap), length: 32))
    }

    /// Redacted: shows the slot id only.
    public var description: String { "MachineCredential(slot \(slotID.text), key redacted)" }
}

/// Machine slots (spec §6.2): the VK under the slot's unwrap key, and the owner's escrow copy
/// of that unwrap key (so a rekey keeps existing credentials working).
public enum MachineSlot {
    /// `wrapped_vk = AEAD(unwrap_key, VK, aad = "seclab/v1/machine-slot" ‖ account_id ‖ vault_id ‖ slot_id)`.
    public static func wrap(_ vaultKey: VaultKey, with unwrapKey: MachineUnwrapKey, in context: VaultContext, slotID: SeclabID) -> AEADBlob {
        let sealed = vaultKey.withUnsafeBytes {
            XChaCha20Poly1305.seal($0, key: unwrapKey.symmetricKey, aad: context.aad(Labels.machineSlot, slotID.bytes))
        }
        return try! AEADBlob(nonce: sealed.nonce, ciphertext: sealed.ciphertext)
    }

    /// Test path with a fixed nonce.
    @_spi(SeclabTesting)
    public static func wrap(_ vaultKey: VaultKey, with unwrapKey: MachineUnwrapKey, in context: VaultContext, slotID: SeclabID, nonce: [UInt8]) throws -> AEADBlob {
        let ciphertext = try vaultKey.withUnsafeBytes {
            try XChaCha20Poly1305.seal($0, key: unwrapKey.symmetricKey, nonce: nonce, aad: context.aad(Labels.machineSlot, slotID.bytes))
        }
        return try AEADBlob(nonce: nonce, ciphertext: ciphertext)
    }

    /// Open a machine slot's wrapped VK.
    public static func unwrap(_ blob: AEADBlob, with unwrapKey: MachineUnwrapKey, in context: VaultContext, slotID: SeclabID) throws(KeysError) -> VaultKey {
        do {
            let vk = try XChaCha20Poly1305.open(blob.ciphertext, key: unwrapKey.symmetricKey, nonce: blob.nonce,
                                                aad: context.aad(Labels.machineSlot, slotID.bytes), what: "machine slot")
            return try VaultKey(vk)
        } catch let error as CryptoError {
            throw KeysError.from(error, what: "the machine slot's vault key")
        } catch let error as KeysError {
            throw error
        } catch {
            throw KeysError.crypto("\(error)")
        }
    }

    /// `unwrap_key_escrow = HPKE.AuthSeal(owner pk, owner sk, info = "seclab/v1/machine-unwrap-key", aad = account_id ‖ vault_id ‖ slot_id, unwrap_key)`.
    public static func escrow(_ unwrapKey: MachineUnwrapKey, owner: AccountKeyPair, in context: VaultContext, slotID: SeclabID) throws(KeysError) -> HPKEWrap {
        do {
            let sealed = try HPKE.sealAuth(unwrapKey.secretBytes, recipient: owner.publicKey, sender: owner.privateKey,
                                           info: Labels.bytes(Labels.machineUnwrapKey), aad: PublicKeySlot.aad(context, slotID))
            return try HPKEWrap(enc: sealed.enc, ciphertext: sealed.ciphertext)
        } catch {
            throw KeysError.crypto("escrowing the unwrap key failed: \(error)")
        }
    }

    /// Test path with a caller-chosen ephemeral key.
    @_spi(SeclabTesting)
    public static func escrow(_ unwrapKey: MachineUnwrapKey, owner: AccountKeyPair, in context: VaultContext, slotID: SeclabID, ephemeral: X25519PrivateKey) throws -> HPKEWrap {
        let sealed = try HPKE.sealAuth(unwrapKey.secretBytes, recipient: owner.publicKey, sender: owner.privateKey,
                                       info: Labels.bytes(Labels.machineUnwrapKey), aad: PublicKeySlot.aad(context, slotID), ephemeral: ephemeral)
        return try HPKEWrap(enc: sealed.enc, ciphertext: sealed.ciphertext)
    }

    /// Open the owner's escrow copy of a slot's unwrap key.
    public static func openEscrow(_ wrap: HPKEWrap, owner: AccountKeyPair, in context: VaultContext, slotID: SeclabID) throws(KeysError) -> MachineUnwrapKey {
        do {
            let key = try HPKE.openAuth(enc: wrap.enc, ciphertext: wrap.ciphertext, recipient: owner.privateKey, sender: owner.publicKey,
                                        info: Labels.bytes(Labels.machineUnwrapKey), aad: PublicKeySlot.aad(context, slotID))
            return try MachineUnwrapKey(key)
        } catch let error as CryptoError {
            throw KeysError.from(error, what: "the machine slot's escrowed unwrap key")
        } catch let error as KeysError {
            throw error
        } catch {
            throw KeysError.crypto("\(error)")
        }
    }
}
