import CSodium

/// SHA-256 (spec §0 `H(x)`), on libsodium's `crypto_hash_sha256`.
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// The SHA-256 digest of `message`.
    public static func hash(_ message: some Collection<UInt8>) -> [UInt8] {
        Sodium.ready()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        update(&state, Array(message))
        return finish(&state)
    }

    /// The SHA-256 digest of the concatenation of `parts`, without building the concatenation.
    public static func hash(parts: [[UInt8]]) -> [UInt8] {
        Sodium.ready()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts { update(&state, part) }
        return finish(&state)
    }

    /// The SHA-256 digest of secret bytes.
    public static func hash(_ secret: SecretBytes) -> [UInt8] {
        Sodium.ready()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        secret.withUnsafeBytes { buffer in
            _ = crypto_hash_sha256_update(&state, buffer.bytePointer, UInt64(buffer.count))
        }
        return finish(&state)
    }

    private static func update(_ state: inout crypto_hash_sha256_state, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
        }
    }

    private static func finish(_ state: inout crypto_hash_sha256_state) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }
}

/// HMAC-SHA256 (spec §0 `HMAC(key, msg)`), on `crypto_auth_hmacsha256_init/update/final`,
/// which accept keys of any length as RFC 2104 requires.
public enum HMACSHA256 {
    /// The tag length in bytes.
    public static let byteCount = 32

    /// Incremental HMAC state; the key schedule lives inside libsodium's state and is wiped
    /// when `finalize` runs.
    public struct Context: ~Copyable {
        // Why a heap pointer: a non-copyable struct's deinit cannot mutate stored properties,
        // and the key schedule inside the state must be wiped even when `finalize` is never called.
        private let state: UnsafeMutablePointer<crypto_auth_hmacsha256_state>

        /// Start an HMAC under `key` (any length).
        public init(key: UnsafeRawBufferPointer) {
            Sodium.ready()
            state = .allocate(capacity: 1)
            crypto_auth_hmacsha256_init(state, key.bytePointer, key.count)
        }

        deinit {
            sodium_memzero(state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
            state.deallocate()
        }

        /// Feed more message bytes.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0 else { return }
            crypto_auth_hmacsha256_update(state, bytes.bytePointer, UInt64(bytes.count))
        }

        /// Feed more message bytes.
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Finish into `out` (32 bytes). The state is wiped when the context is released.
        public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
            crypto_auth_hmacsha256_final(state, out.bytePointer)
        }
    }

    /// One key's HMAC schedule — libsodium's state after absorbing the padded key into the
    /// inner and outer hashes — computed once and reused for many messages under that key.
    ///
    /// Why: a pull re-checks every item's key ref (spec §7), one HMAC per item under the same
    /// index key; starting each one from the key costs two of its four SHA-256 compressions.
    /// The schedule is as secret as the key (it lets anyone compute the HMAC), so it lives in
    /// `SecretBytes` and each message's working copy is wiped before returning.
    public struct KeySchedule: Sendable {
        private let state: SecretBytes

        /// Absorb `key` (any length, RFC 2104) once.
        public init(key: SecretBytes) {
            Sodium.ready()
            state = SecretBytes(count: MemoryLayout<crypto_auth_hmacsha256_state>.size) { out in
                key.withUnsafeBytes { key in
                    _ = crypto_auth_hmacsha256_init(out.baseAddress!.assumingMemoryBound(to: crypto_auth_hmacsha256_state.self),
                                                    key.bytePointer, key.count)
                }
            }
        }

        /// `HMAC(key, message)` into `out` (32 bytes), from a wiped stack copy of the schedule.
        public func authenticate(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
            precondition(out.count >= byteCount, "HMAC-SHA256 output needs 32 bytes")
            var working = crypto_auth_hmacsha256_state()
            withUnsafeMutableBytes(of: &working) { working in
                state.withUnsafeBytes { working.copyMemory(from: $0) }
            }
            crypto_auth_hmacsha256_update(&working, message.bytePointer, UInt64(message.count))
            crypto_auth_hmacsha256_final(&working, out.bytePointer)
            sodium_memzero(&working, MemoryLayout<crypto_auth_hmacsha256_state>.size)
        }

        /// Whether `tag` (32 bytes) is `HMAC(key, message)`, compared in constant time
        /// (spec §1), with no array for the computed tag.
        public func verify(_ message: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
            guard tag.count == byteCount else { return false }
            var computed = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            return withUnsafeMutableBytes(of: &computed) { computed in
                authenticate(message, into: computed)
                return sodium_memcmp(computed.baseAddress!, tag.baseAddress!, byteCount) == 0
            }
        }

        /// `HMAC(key, message)`.
        public func authenticate(_ message: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: byteCount)
            message.withUnsafeBytes { message in out.withUnsafeMutableBytes { authenticate(message, into: $0) } }
            return out
        }
    }

    /// The HMAC of `message` under a public or already-exposed `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { authenticate(message, key: $0) }
    }

    /// The HMAC of `message` under a secret `key`.
    public static func authenticate(_ message: [UInt8], key: SecretBytes) -> [UInt8] {
        key.withUnsafeBytes { authenticate(message, key: $0) }
    }

    /// The HMAC of `message` under the key bytes at `key`.
    public static func authenticate(_ message: [UInt8], key: UnsafeRawBufferPointer) -> [UInt8] {
        var context = Context(key: key)
        context.update(message)
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBytes { context.finalize(into: $0) }
        return out
    }

    /// Verify `tag` (possibly truncated, at least 16 bytes) in constant time.
    public static func verify(_ tag: [UInt8], message: [UInt8], key: [UInt8]) -> Bool {
        guard tag.count >= 16, tag.count <= byteCount else { return false }
        let full = authenticate(message, key: key)
        return constantTimeEquals(full.prefix(tag.count), tag)
    }
}

/// HKDF-SHA256 (RFC 5869), built on the HMAC API because libsodium 1.0.18 has no HKDF.
public enum HKDFSHA256 {
    /// RFC 5869 §2.3: L ≤ 255·HashLen. Enforced by hand (libsodium 1.0.18 has no HKDF to do it).
    public static let maximumOutputLength = 255 * 32

    /// HKDF-Extract: PRK = HMAC(salt, IKM). An empty salt means 32 zero bytes (RFC 5869 §2.2).
    public static func extract(salt: [UInt8], ikm: UnsafeRawBufferPointer) -> SecretBytes {
        let saltBytes = salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt
        return SecretBytes(count: 32) { out in
            saltBytes.withUnsafeBytes { key in
                var context = HMACSHA256.Context(key: key)
                context.update(ikm)
                context.finalize(into: out)
            }
        }
    }

    /// HKDF-Expand: OKM of `length` bytes from `prk` and `info`.
    public static func expand(prk: SecretBytes, info: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
        guard length >= 0, length <= maximumOutputLength else {
            throw .outputTooLong(what: "HKDF-SHA256", maximum: maximumOutputLength, requested: length)
        }
        return prk.withUnsafeBytes { key in
            SecretBytes(count: length) { out in
                // T(i) blocks are secret: they live in one fixed buffer, wiped at the end, and
                // are never reassigned (an array copy would leave an unwiped heap block behind).
                let block = SecretBytes(count: 32) { _ in }
                var produced = 0
                var counter: UInt8 = 1
                let blockBuffer = UnsafeMutableRawBufferPointer(rebasing: block.storage.pointer[0..<32])
                withExtendedLifetime(block) {
                while produced < length {
                    var context = HMACSHA256.Context(key: key)
                    if counter > 1 { context.update(UnsafeRawBufferPointer(blockBuffer)) }
                    context.update(info)
                    context.update([counter])
                    context.finalize(into: blockBuffer)
                    let take = min(32, length - produced)
                    for i in 0..<take { out[produced + i] = blockBuffer[i] }
                    produced += take
                    counter &+= 1
                }
                }
            }
        }
    }

    /// Extract then expand (spec §0 `HKDF(ikm, salt, info, L)`).
    public static func derive(ikm: SecretBytes, salt: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
        let prk = ikm.withUnsafeBytes { extract(salt: salt, ikm: $0) }
        return try expand(prk: prk, info: info, length: length)
    }

    /// Extract then expand over public input keying material (tests, HPKE labelled inputs).
    public static func derive(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
        let prk = ikm.withUnsafeBytes { extract(salt: salt, ikm: $0) }
        return try expand(prk: prk, info: info, length: length)
    }
}
