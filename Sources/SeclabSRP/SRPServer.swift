public import SeclabPrimitives
import CBigNum

/// The server side of one SRP-6a login (spec §8): holds the stored verifier v and the
/// ephemeral secret b. The state is just (v, b), so a login can start on one replica and
/// finish on another: store `secret` with a short expiry between the two steps, and use it
/// once (spec §8).
public struct SRPServer: Sendable {
    let group: SRPGroup
    /// PAD(v), checked to be in range.
    let verifierBytes: [UInt8]
    /// b, 32 bytes.
    let b: SecretBytes
    /// PAD(B).
    let serverPublic: [UInt8]

    /// Start a login against the stored `verifier` (PAD(v), 512 bytes) with a fresh random
    /// 32-byte b (libsodium randomness only, spec §1).
    public init(verifier: [UInt8], group: SRPGroup = .rfc5054_4096) throws(SRPError) {
        try self.init(verifier: verifier, secret: .random(count: SRP.secretExponentByteCount), group: group)
    }

    /// Rebuild the server state from a stored b (login state lives in the database between
    /// the two steps so replicas are stateless). The caller must delete b once it is used.
    public init(verifier: [UInt8], secret b: SecretBytes, group: SRPGroup = .rfc5054_4096) throws(SRPError) {
        try SRP.checkLength(verifier, group.byteCount, what: "SRP verifier")
        guard b.count == SRP.secretExponentByteCount else {
            throw .invalidLength(what: "SRP server secret b", expected: SRP.secretExponentByteCount, actual: b.count)
        }
        // Why: a verifier of 0 or ≥ N cannot come from g^x mod N; it is a corrupt record, and
        // v = 0 would make the server's S = 0 for every client.
        let status = BigNum.withAll([verifier, group.modulus]) { p in seclab_bn_check_public(p[0], p[1]) }
        switch status {
        case SECLAB_BN_OK: break
        case SECLAB_BN_ZERO_MOD: throw .invalidVerifier("the verifier is 0 mod N")
        case SECLAB_BN_NOT_REDUCED: throw .invalidVerifier("the verifier is not below the group modulus N")
        default: throw .arithmeticFailed("checking the verifier")
        }
        // B = (k·v + g^b) mod N; why constant time: b is secret.
        let value = BigNum.publicOutput(count: group.byteCount) { out, count in
            b.withBN { bb in
                verifier.withBN { v in
                    BigNum.withAll([group.modulus, group.generator, group.multiplier]) { p in
                        seclab_srp_server_public(out, count, p[0], p[1], p[2], v, bb)
                    }
                }
            }
        }
        guard let value else { throw .arithmeticFailed("the server public value B") }
        self.group = group
        self.verifierBytes = verifier
        self.b = b
        self.serverPublic = value
    }

    /// b, to store between start and finish (spec §8: one attempt, short expiry, used once).
    public var secret: SecretBytes { b }

    /// PAD(B), 512 bytes: send this to the client with the salt.
    public var publicValue: [UInt8] { serverPublic }

    /// Verify the client's M1; on success returns M2 and K.
    ///
    /// - Parameters:
    ///   - identity: `account_id`, 16 raw bytes (spec §0).
    ///   - salt: the `salt_srp` that was sent to the client (16 bytes).
    ///   - clientPublicValue: PAD(A), the 512 wire bytes from the client.
    ///   - clientProof: M1, 32 bytes.
    public func verify(identity: [UInt8], salt: [UInt8], clientPublicValue: [UInt8], clientProof: [UInt8]) throws(SRPError) -> (serverProof: [UInt8], sessionKey: SecretBytes) {
        try verify(identity: identity, salt: salt, clientPublicValue: clientPublicValue, clientProof: clientProof, scramblerOverride: nil)
    }

    /// `verify` with a chosen scrambler u instead of H(PAD(A) ‖ PAD(B)). Test path only: it
    /// exists so the u = 0 abort can be tested.
    @_spi(SeclabTesting)
    public func verify(identity: [UInt8], salt: [UInt8], clientPublicValue: [UInt8], clientProof: [UInt8], scrambler: [UInt8]) throws(SRPError) -> (serverProof: [UInt8], sessionKey: SecretBytes) {
        try verify(identity: identity, salt: salt, clientPublicValue: clientPublicValue, clientProof: clientProof, scramblerOverride: scrambler)
    }

    /// The premaster secret S = (A·v^u)^b mod N as PAD(S). Exposed for vector tests.
    @_spi(SeclabTesting)
    public func premasterSecret(clientPublicValue: [UInt8]) throws(SRPError) -> SecretBytes {
        let a = try SRP.parsePublicValue(clientPublicValue, what: "client public value A", group: group)
        let u = SRP.scrambler(clientPublicValue: a, serverPublicValue: serverPublic, group: group)
        try SRP.checkScrambler(u)
        return try premaster(clientPublic: a, scrambler: u)
    }

    private func verify(identity: [UInt8], salt: [UInt8], clientPublicValue: [UInt8], clientProof: [UInt8], scramblerOverride: [UInt8]?) throws(SRPError) -> (serverProof: [UInt8], sessionKey: SecretBytes) {
        try SRP.checkLength(identity, SRP.identityByteCount, what: "SRP identity (account_id)")
        try SRP.checkLength(salt, SRP.saltByteCount, what: "SRP salt (salt_srp)")
        try SRP.checkLength(clientProof, SRP.proofByteCount, what: "SRP client proof M1")
        // spec §8: the server MUST abort if A = 0 mod N; otherwise A = 0 (or N, 2N…) makes
        // S = 0 and anyone could log in without the passphrase.
        let a = try SRP.parsePublicValue(clientPublicValue, what: "client public value A", group: group)
        let u = scramblerOverride ?? SRP.scrambler(clientPublicValue: a, serverPublicValue: serverPublic, group: group)
        try SRP.checkScrambler(u)
        let key = SRP.sessionKey(premaster: try premaster(clientPublic: a, scrambler: u))
        let expected = SRP.clientProof(group: group, identity: identity, salt: salt, clientPublicValue: a, serverPublicValue: serverPublic, key: key)
        // Why constant time: spec §1, proofs compare without leaking a matching prefix.
        guard constantTimeEquals(clientProof, expected) else { throw .proofMismatch }
        // Why M2 only after M1 verified: M2 proves the server holds v; sending it to a client
        // that failed would hand a guessing attacker a check value.
        let m2 = SRP.serverProof(group: group, clientPublicValue: a, clientProof: clientProof, key: key)
        return (m2, key)
    }

    private func premaster(clientPublic a: [UInt8], scrambler u: [UInt8]) throws(SRPError) -> SecretBytes {
        // Why in C, in one call: v^u and A·v^u are derived from the verifier and S is the
        // session secret; all live only in BIGNUMs the shim clears. (A·v^u)^b is constant time.
        try BigNum.secretOutput(count: group.byteCount, operation: "the server premaster secret") { out, count in
            b.withBN { bb in
                BigNum.withAll([group.modulus, a, verifierBytes, u]) { p in
                    seclab_srp_server_premaster(out, count, p[0], p[1], p[2], p[3], bb)
                }
            }
        }
    }
}
