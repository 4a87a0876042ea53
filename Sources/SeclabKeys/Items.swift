public import SeclabFormat
@_spi(SeclabTesting) public import SeclabPrimitives

/// A secret's name after spec §7 normalization: NFC, case kept, 1–256 bytes, no NUL, no `=`.
///
/// Why NFC without Foundation: the standard library's NFC keeps `seclab-run` free of ICU
/// (stack notes); names are environment variable names, so case is significant.
public struct ItemName: Sendable, Hashable, CustomStringConvertible {
    /// The normalized UTF-8 bytes.
    public let utf8: [UInt8]

    /// Normalize and validate a name as a user typed it.
    public init(_ name: String) throws(KeysError) {
        try self.init(normalizedUTF8: Array(name._nfcCodeUnits))
    }

    /// Validate bytes that are claimed to be a normalized name (for example, a decrypted one).
    public init(normalizedUTF8 bytes: [UInt8]) throws(KeysError) {
        guard !bytes.isEmpty else { throw .invalidName("a secret name cannot be empty") }
        guard bytes.count <= Limits.maxNameBytes else {
            throw .invalidName("a secret name is at most \(Limits.maxNameBytes) bytes, this one is \(bytes.count)")
        }
        // One pass for the common case (every name of a pull goes through here).
        var ascii = true
        for byte in bytes {
            if byte == 0 { throw .invalidName("a secret name cannot contain a NUL byte") }
            if byte == UInt8(ascii: "=") { throw .invalidName("a secret name cannot contain '='") }
            if byte >= 0x80 { ascii = false }
        }
        // ASCII is valid UTF-8 and always in NFC; only other names pay for both checks.
        if !ascii {
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw .invalidName("a secret name must be valid UTF-8")
            }
            guard Array(string._nfcCodeUnits) == bytes else {
                throw .invalidName("a secret name must be in Unicode NFC form")
            }
        }
        utf8 = bytes
    }

    /// The name as a string.
    public var string: String { String(decoding: utf8, as: UTF8.self) }
    /// The name (names are not secret from their owner; they never go to the server in clear).
    public var description: String { string }
}

/// A decrypted item.
public struct OpenedItem: Sendable {
    /// The blind-index key ref it was stored under (already re-checked against `name`).
    public let keyRef: KeyRef
    /// The decrypted, verified name.
    public let name: ItemName
    /// The decrypted value.
    public let value: SecretBytes
}

/// A sealed item, ready for the wire.
public struct SealedItem: Sendable, Hashable {
    /// `HMAC(index_key, normalize(name))`.
    public let keyRef: KeyRef
    /// The name blob.
    public let encName: AEADBlob
    /// The value blob.
    public let encValue: AEADBlob

    /// Assemble from wire parts (structure already checked by the format types).
    public init(keyRef: KeyRef, encName: AEADBlob, encValue: AEADBlob) {
        self.keyRef = keyRef
        self.encName = encName
        self.encValue = encValue
    }
}

/// Items and the blind index (spec §7).
public struct ItemCipher: Sendable {
    /// The vault key.
    public let vaultKey: VaultKey
    /// The vault's index key.
    public let indexKey: IndexKey
    /// The owner and vault ids bound into every AAD.
    public let context: VaultContext

    /// `label ‖ account_id ‖ vault_id` of names and values, built once: only the key ref
    /// differs per item (a pull opens two blobs per item).
    private let namePrefix: [UInt8], valuePrefix: [UInt8]
    /// The index key's HMAC schedule, built once: every item of a pull re-checks its key ref.
    private let indexSchedule: HMACSHA256.KeySchedule
    /// The vault key as the AEAD takes it, wrapped once (`openIfValid` runs per item).
    private let valueKey: SymmetricKey

    /// Make a cipher for one vault.
    public init(vaultKey: VaultKey, indexKey: IndexKey, context: VaultContext) {
        self.vaultKey = vaultKey
        self.indexKey = indexKey
        self.context = context
        namePrefix = context.aad(Labels.itemName)
        valuePrefix = context.aad(Labels.itemValue)
        indexSchedule = HMACSHA256.KeySchedule(key: indexKey.secretBytes)
        valueKey = vaultKey.symmetricKey
    }

    /// `key_ref = HMAC(index_key, normalize(name))`. Computed locally, so names never leave the machine.
    public func keyRef(for name: ItemName) -> KeyRef {
        try! KeyRef(bytes: indexSchedule.authenticate(name.utf8))
    }

    /// Seal a name and value under fresh nonces.
    public func seal(name: ItemName, value: SecretBytes) throws(KeysError) -> SealedItem {
        guard value.count <= Limits.maxValueBytes else { throw .valueTooLarge(value.count) }
        let ref = keyRef(for: name)
        return SealedItem(keyRef: ref,
                          encName: vaultKey.seal(SecretBytes(copying: name.utf8), aad: nameAAD(ref)),
                          encValue: vaultKey.seal(value, aad: valueAAD(ref)))
    }

    /// Test path with fixed nonces, to reproduce the spec vectors.
    @_spi(SeclabTesting)
    public func seal(name: ItemName, value: SecretBytes, nameNonce: [UInt8], valueNonce: [UInt8]) throws -> SealedItem {
        let ref = keyRef(for: name)
        return SealedItem(keyRef: ref,
                          encName: try vaultKey.seal(SecretBytes(copying: name.utf8), aad: nameAAD(ref), nonce: nameNonce),
                          encValue: try vaultKey.seal(value, aad: valueAAD(ref), nonce: valueNonce))
    }

    /// Open an item: both blobs under the AAD of the key_ref they were stored under, then the
    /// name's HMAC re-checked against that key_ref (spec §7 MUST: a server cannot re-label).
    public func open(_ item: SealedItem) throws(KeysError) -> OpenedItem {
        let name = try openName(item.encName, keyRef: item.keyRef)
        let value = try vaultKey.open(item.encValue, aad: valueAAD(item.keyRef), what: "the value of secret '\(name.string)'")
        return OpenedItem(keyRef: item.keyRef, name: name, value: value)
    }

    /// Open and verify only the name of an item.
    public func openName(_ blob: AEADBlob, keyRef ref: KeyRef) throws(KeysError) -> ItemName {
        // Names are not secret from the vault's reader; they become environment names anyway.
        let name = try ItemName(normalizedUTF8: try vaultKey.openPublic(blob, aad: nameAAD(ref), what: "a secret's name"))
        // Why re-check: the AAD already binds the blob to key_ref, but only the HMAC proves
        // that key_ref is this name's ref under our index key (spec §7).
        guard matches(name, ref) else { throw .keyRefMismatch }
        return name
    }

    /// Whether `ref` is `name`'s key ref, compared in constant time without building a KeyRef.
    private func matches(_ name: ItemName, _ ref: KeyRef) -> Bool {
        ref.bytes.withUnsafeBytes { matches(name, $0) }
    }

    private func matches(_ name: ItemName, _ ref: UnsafeRawBufferPointer) -> Bool {
        name.utf8.withUnsafeBytes { indexSchedule.verify($0, tag: ref) }
    }

    /// `open` for an item whose fields are still the text of a pull answer (the base64url key
    /// ref and two `xc1.` blobs), decoded into `scratch` rather than an array per field: the
    /// same checks (spec §2 parsing, both AEADs under their §7 AAD, the name rules, the key ref
    /// re-check), but nil for any defect, and the caller then opens the item with `open(_:)`,
    /// which names it. `scratch` grows as needed; pass the same one for a run of items.
    ///
    /// Why: the cryptography is ~1.4 µs of an item; the arrays (three decoded fields, two AADs,
    /// a name) were most of the rest, on every item of a 1,000-secret pull (docs/seclab-run.md).
    public func openIfValid(keyRef refText: UnsafeBufferPointer<UInt8>, encName nameText: UnsafeBufferPointer<UInt8>,
                            encValue valueText: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) -> OpenedItem? {
        let refCount = HMACSHA256.byteCount, nonceCount = XChaCha20Poly1305.nonceCount, tagCount = XChaCha20Poly1305.tagCount
        let aadCount = max(namePrefix.count, valuePrefix.count) + refCount
        let nameCapacity = AEADBlob.ciphertextCapacity(utf8Count: nameText.count)
        let needed = refCount + 2 * nonceCount + aadCount + nameCapacity + AEADBlob.ciphertextCapacity(utf8Count: valueText.count)
        if scratch.count < needed { scratch = [UInt8](repeating: 0, count: max(needed, 2 * scratch.count)) }
        let key = valueKey
        return scratch.withUnsafeMutableBufferPointer { scratch -> OpenedItem? in
            let ref = scratch.baseAddress!, nameNonce = ref + refCount, valueNonce = nameNonce + nonceCount
            let aad = valueNonce + nonceCount, nameBlob = aad + aadCount, valueBlob = nameBlob + nameCapacity
            // Every field parsed before anything is decrypted (spec §2), as `SealedItem` is.
            guard KeyRef.decodeIfValid(utf8: refText, into: ref),
                  let nameCount = AEADBlob.decodeIfValid(utf8: nameText, nonce: nameNonce, ciphertext: nameBlob),
                  let valueCount = AEADBlob.decodeIfValid(utf8: valueText, nonce: valueNonce, ciphertext: valueBlob),
                  (1...Limits.maxNameBytes).contains(nameCount - tagCount) else { return nil }
            let refBytes = UnsafeRawBufferPointer(start: ref, count: refCount)
            func aadFor(_ prefix: [UInt8]) -> UnsafeBufferPointer<UInt8> {
                prefix.withUnsafeBufferPointer { aad.update(from: $0.baseAddress!, count: prefix.count) }
                (aad + prefix.count).update(from: ref, count: refCount)
                return UnsafeBufferPointer(start: aad, count: prefix.count + refCount)
            }
            // The name: a plain array at once (names become environment names, see `openName`).
            var opened = false
            let bytes = [UInt8](unsafeUninitializedCapacity: nameCount - tagCount) { out, initialized in
                opened = XChaCha20Poly1305.open(UnsafeBufferPointer(start: nameBlob, count: nameCount), nonce: nameNonce,
                                                aad: aadFor(namePrefix), key: key, into: out.baseAddress!)
                initialized = out.count
            }
            // Why the re-check: see `openName` (spec §7 MUST).
            guard opened, let name = try? ItemName(normalizedUTF8: bytes), matches(name, refBytes) else { return nil }
            // The value: decrypted straight into its locked buffer (an empty value writes nothing).
            let value = SecretBytes(count: valueCount - tagCount) { out in
                opened = XChaCha20Poly1305.open(UnsafeBufferPointer(start: valueBlob, count: valueCount), nonce: valueNonce,
                                                aad: aadFor(valuePrefix), key: key,
                                                into: out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? valueBlob)
            }
            guard opened, let keyRef = try? KeyRef(bytes: Array(refBytes)) else { return nil }
            return OpenedItem(keyRef: keyRef, name: name, value: value)
        }
    }

    func nameAAD(_ ref: KeyRef) -> [UInt8] { Self.append(ref.bytes, to: namePrefix) }
    func valueAAD(_ ref: KeyRef) -> [UInt8] { Self.append(ref.bytes, to: valuePrefix) }

    private static func append(_ extra: [UInt8], to prefix: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(prefix.count + extra.count)
        out += prefix
        out += extra
        return out
    }
}
