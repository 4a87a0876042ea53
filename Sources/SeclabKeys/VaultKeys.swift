public import SeclabFormat
@_spi(SeclabTesting) public import SeclabPrimitives

/// A vault key (VK, spec §6): 32 random bytes per vault; encrypts the vault's items and name.
public struct VaultKey: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    /// Wrap 32 secret bytes.
    public init(_ bytes: SecretBytes) throws(KeysError) {
        guard bytes.count == 32 else { throw .malformed("a vault key is 32 bytes, got \(bytes.count)") }
        secretBytes = bytes
    }
    /// A fresh vault key.
    public static func generate() -> VaultKey { try! VaultKey(.random(count: 32)) }
    var symmetricKey: SymmetricKey { try! SymmetricKey(secretBytes) }
}

/// A vault's index key (spec §6, §7): keys the blind index of item names.
public struct IndexKey: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    /// Wrap 32 secret bytes.
    public init(_ bytes: SecretBytes) throws(KeysError) {
        guard bytes.count == 32 else { throw .malformed("an index key is 32 bytes, got \(bytes.count)") }
        secretBytes = bytes
    }
    /// A fresh index key.
    public static func generate() -> IndexKey { try! IndexKey(.random(count: 32)) }
}

/// The ids that bind a vault's ciphertexts to their place (spec §6: `account_id` is the
/// vault's **owner**, whoever is reading).
public struct VaultContext: Sendable, Hashable {
    /// The vault owner's account id.
    public let ownerAccountID: SeclabID
    /// The vault id.
    public let vaultID: SeclabID

    /// Make a context.
    public init(ownerAccountID: SeclabID, vaultID: SeclabID) {
        self.ownerAccountID = ownerAccountID
        self.vaultID = vaultID
    }

    /// `label ‖ account_id ‖ vault_id ‖ extra`, the AAD shape of spec §6–§7.
    func aad(_ label: String, _ extra: [UInt8] = []) -> [UInt8] {
        concat(Labels.bytes(label), ownerAccountID.bytes, vaultID.bytes, extra)
    }
}

/// Seal and open the symmetric blobs of a vault: index key and name (spec §6).
extension VaultKey {
    /// `wrapped_index_key = AEAD(VK, index_key, aad = "seclab/v1/index-key" ‖ account_id ‖ vault_id)`.
    public func wrap(_ indexKey: IndexKey, in context: VaultContext) -> AEADBlob {
        seal(indexKey.secretBytes, aad: context.aad(Labels.indexKey))
    }

    /// Open a wrapped index key.
    public func unwrapIndexKey(_ blob: AEADBlob, in context: VaultContext) throws(KeysError) -> IndexKey {
        try IndexKey(open(blob, aad: context.aad(Labels.indexKey), what: "the vault's index key"))
    }

    /// `enc_vault_name = AEAD(VK, name, aad = "seclab/v1/vault-name" ‖ account_id ‖ vault_id)`.
    public func sealName(_ name: String, in context: VaultContext) -> AEADBlob {
        seal(SecretBytes(copying: Array(name.utf8)), aad: context.aad(Labels.vaultName))
    }

    /// Open a vault name; it must be UTF-8.
    public func openName(_ blob: AEADBlob, in context: VaultContext) throws(KeysError) -> String {
        let bytes = try open(blob, aad: context.aad(Labels.vaultName), what: "the vault name")
        guard let name = String(validating: bytes.unprotectedArray(), as: UTF8.self) else {
            throw .malformed("the vault name is not valid UTF-8")
        }
        return name
    }

    /// Seal a machine slot's label (see `Labels.machineLabel`).
    public func sealMachineLabel(_ label: String, in context: VaultContext, slotID: SeclabID) -> AEADBlob {
        seal(SecretBytes(copying: Array(label.utf8)), aad: context.aad(Labels.machineLabel, slotID.bytes))
    }

    /// Open a machine slot's label.
    public func openMachineLabel(_ blob: AEADBlob, in context: VaultContext, slotID: SeclabID) throws(KeysError) -> String {
        let bytes = try open(blob, aad: context.aad(Labels.machineLabel, slotID.bytes), what: "a machine label")
        return bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    func seal(_ plaintext: SecretBytes, aad: [UInt8]) -> AEADBlob {
        let sealed = plaintext.withUnsafeBytes { XChaCha20Poly1305.seal($0, key: symmetricKey, aad: aad) }
        return try! AEADBlob(nonce: sealed.nonce, ciphertext: sealed.ciphertext)
    }

    func seal(_ plaintext: SecretBytes, aad: [UInt8], nonce: [UInt8]) throws -> AEADBlob {
        let ciphertext = try plaintext.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: symmetricKey, nonce: nonce, aad: aad) }
        return try AEADBlob(nonce: nonce, ciphertext: ciphertext)
    }

    /// `open` for a plaintext that is no secret from the vault's reader and becomes a plain
    /// value at once (an item's name): no locked buffer to fill, copy out of and wipe.
    func openPublic(_ blob: AEADBlob, aad: [UInt8], what: @autoclosure () -> String) throws(KeysError) -> [UInt8] {
        do {
            return try XChaCha20Poly1305.openPublic(blob.ciphertext, key: symmetricKey, nonce: blob.nonce, aad: aad)
        } catch {
            throw KeysError.from(error, what: what())
        }
    }

    func open(_ blob: AEADBlob, aad: [UInt8], what: @autoclosure () -> String) throws(KeysError) -> SecretBytes {
        // `what` is built only for an error message: a pull opens thousands of blobs.
        do {
            return try XChaCha20Poly1305.open(blob.ciphertext, key: symmetricKey, nonce: blob.nonce, aad: aad)
        } catch {
            throw KeysError.from(error, what: what())
        }
    }
}

/// Test paths with fixed nonces, to reproduce the spec vectors.
extension VaultKey {
    /// `wrap(_:in:)` with a caller-chosen nonce.
    @_spi(SeclabTesting)
    public func wrap(_ indexKey: IndexKey, in context: VaultContext, nonce: [UInt8]) throws -> AEADBlob {
        try seal(indexKey.secretBytes, aad: context.aad(Labels.indexKey), nonce: nonce)
    }

    /// `sealName(_:in:)` with a caller-chosen nonce.
    @_spi(SeclabTesting)
    public func sealName(_ name: String, in context: VaultContext, nonce: [UInt8]) throws -> AEADBlob {
        try seal(SecretBytes(copying: Array(name.utf8)), aad: context.aad(Labels.vaultName), nonce: nonce)
    }
}
