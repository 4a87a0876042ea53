public import SeclabPrimitives
import CBigNum

/// SRP-6a (spec §8) entry points that belong to neither side: the verifier made at sign-up
/// and the validation of a peer's public value.
public enum SRP {
    /// `I` is `account_id` as 16 raw bytes (spec §0, §8).
    static let identityByteCount = 16
    /// `s` is `salt_srp`, 16 bytes (spec §4).
    static let saltByteCount = 16
    /// The private exponents a and b are 32 random bytes (spec §8).
    static let secretExponentByteCount = 32
    /// M1 and M2 are SHA-256 digests.
    static let proofByteCount = SHA256.byteCount

    /// v = g^x mod N as PAD(v) (512 bytes). x is the big-endian SRP secret (SecretBytes, 32
    /// bytes from spec §4; any length is read as a big-endian integer).
    public static func verifier(x: SecretBytes, group: SRPGroup = .rfc5054_4096) -> [UInt8] {
        // Why constant time: x is password-equivalent; g^x runs in BN_mod_exp_mont_consttime.
        let v = BigNum.publicOutput(count: group.byteCount) { out, count in
            x.withBN { xb in
                group.generator.withBN { g in
                    group.modulus.withBN { n in seclab_bn_mod_exp(out, count, g, xb, n) }
                }
            }
        }
        // Why trap: libcrypto fails here only when out of memory, and a wrong verifier would
        // silently lock the account out.
        guard let v else { fatalError("seclab: SRP verifier: libcrypto big-number arithmetic failed") }
        return v
    }

    /// Parse a peer's public value (A or B) from its wire bytes: must be exactly 512 bytes,
    /// < N and ≠ 0 mod N. `what` names the value in the error ("server public value B").
    /// Returns the same bytes, now known to be a valid PAD(A) or PAD(B).
    public static func parsePublicValue(_ bytes: [UInt8], what: String, group: SRPGroup = .rfc5054_4096) throws(SRPError) -> [UInt8] {
        // Why exactly 512 bytes: PAD() is the only encoding (spec §8); accepting short forms
        // would give one value two encodings and two different u.
        guard bytes.count == group.byteCount else {
            throw .invalidPublicValue("\(what) must be \(group.byteCount) bytes, got \(bytes.count)")
        }
        let status = bytes.withBN { value in group.modulus.withBN { n in seclab_bn_check_public(value, n) } }
        switch status {
        case SECLAB_BN_OK:
            return bytes
        case SECLAB_BN_ZERO_MOD:
            // Why: spec §8, each side MUST abort if the other's value is 0 mod N; A = 0 would
            // make the server's S = 0 and let anyone log in without the passphrase.
            throw .invalidPublicValue("\(what) is 0 mod N (spec §8: abort)")
        case SECLAB_BN_NOT_REDUCED:
            // Why: a value ≥ N is a second encoding of a smaller residue (and a 0 mod N
            // check on the raw bytes alone would miss N itself).
            throw .invalidPublicValue("\(what) is not below the group modulus N")
        default:
            throw .arithmeticFailed("checking \(what)")
        }
    }

    /// The scrambler u = H(PAD(A) ‖ PAD(B)) (spec §8), 32 bytes. Exposed for vector tests.
    @_spi(SeclabTesting)
    public static func scrambler(clientPublicValue: [UInt8], serverPublicValue: [UInt8], group: SRPGroup = .rfc5054_4096) -> [UInt8] {
        SHA256.hash(parts: [group.pad(clientPublicValue), group.pad(serverPublicValue)])
    }

    // MARK: - shared steps of both sides

    /// Spec §8: both sides MUST abort if u = 0 (the password would then drop out of S).
    static func checkScrambler(_ u: [UInt8]) throws(SRPError) {
        if u.allSatisfy({ $0 == 0 }) { throw .zeroScrambler }
    }

    static func checkLength(_ bytes: [UInt8], _ expected: Int, what: String) throws(SRPError) {
        guard bytes.count == expected else { throw .invalidLength(what: what, expected: expected, actual: bytes.count) }
    }

    /// K = H(PAD(S)) (spec §8). `premaster` is already 512 bytes.
    static func sessionKey(premaster: SecretBytes) -> SecretBytes {
        var digest = SHA256.hash(premaster)
        defer { wipe(&digest) }
        return SecretBytes(copying: digest)
    }

    /// M1 = H((H(N) XOR H(PAD(g))) ‖ H(I) ‖ s ‖ PAD(A) ‖ PAD(B) ‖ K) (spec §8).
    static func clientProof(group: SRPGroup, identity: [UInt8], salt: [UInt8], clientPublicValue: [UInt8], serverPublicValue: [UInt8], key: SecretBytes) -> [UInt8] {
        var keyBytes = key.unprotectedArray()
        defer { wipe(&keyBytes) }
        return SHA256.hash(parts: [
            group.groupHash, SHA256.hash(identity), salt,
            group.pad(clientPublicValue), group.pad(serverPublicValue), keyBytes,
        ])
    }

    /// M2 = H(PAD(A) ‖ M1 ‖ K) (spec §8).
    static func serverProof(group: SRPGroup, clientPublicValue: [UInt8], clientProof: [UInt8], key: SecretBytes) -> [UInt8] {
        var keyBytes = key.unprotectedArray()
        defer { wipe(&keyBytes) }
        return SHA256.hash(parts: [group.pad(clientPublicValue), clientProof, keyBytes])
    }

    /// Overwrite a temporary copy of secret bytes so the compiler cannot skip it.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { seclab_bn_cleanse($0.baseAddress, $0.count) }
    }
}

/// Bridges between Swift buffers and the CBigNum shim; internal so no C type leaks out.
enum BigNum {
    /// Run a C function that writes `count` public bytes; nil if libcrypto failed.
    static func publicOutput(count: Int, _ body: (UnsafeMutablePointer<UInt8>, Int) -> Int32) -> [UInt8]? {
        var status = SECLAB_BN_FAILED
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = body(buffer.baseAddress!, count)
            initialized = count
        }
        return status == SECLAB_BN_OK ? out : nil
    }

    /// Run a C function that writes `count` secret bytes straight into a wiped-on-release
    /// buffer, so the secret never sits in a plain array.
    static func secretOutput(count: Int, operation: String, _ body: (UnsafeMutablePointer<UInt8>, Int) -> Int32) throws(SRPError) -> SecretBytes {
        var status = SECLAB_BN_FAILED
        let out = SecretBytes(count: count) { buffer in
            status = body(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
        }
        guard status == SECLAB_BN_OK else { throw .arithmeticFailed(operation) }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Lend the bytes to the C shim for the duration of `body`.
    func withBN<R>(_ body: (seclab_bn_bytes) -> R) -> R {
        withUnsafeBufferPointer { body(seclab_bn_bytes(bytes: $0.baseAddress, count: $0.count)) }
    }
}

extension SecretBytes {
    /// Lend the secret bytes to the C shim for the duration of `body`.
    func withBN<R>(_ body: (seclab_bn_bytes) -> R) -> R {
        withUnsafeBytes { body(seclab_bn_bytes(bytes: $0.baseAddress?.assumingMemoryBound(to: UInt8.self), count: $0.count)) }
    }
}

extension BigNum {
    /// Lend several public byte arrays to the C shim at once, in order.
    static func withAll<R>(_ values: [[UInt8]], _ body: ([seclab_bn_bytes]) -> R) -> R {
        lend(values[...], [], body)
    }

    private static func lend<R>(_ rest: ArraySlice<[UInt8]>, _ lent: [seclab_bn_bytes], _ body: ([seclab_bn_bytes]) -> R) -> R {
        guard let first = rest.first else { return body(lent) }
        return first.withBN { lend(rest.dropFirst(), lent + [$0], body) }
    }
}
