public import SeclabPrimitives
import CBigNum

/// The client side of one SRP-6a login (spec §8): holds the ephemeral secret a and its
/// public value A. Make a fresh client for every login attempt.
public struct SRPClient: Sendable {
    let group: SRPGroup
    /// a, 32 random bytes (spec §8).
    let a: SecretBytes
    /// PAD(A).
    let clientPublic: [UInt8]

    /// A client with a fresh random 32-byte a (libsodium randomness only, spec §1).
    public init(group: SRPGroup = .rfc5054_4096) {
        self.init(a: .random(count: SRP.secretExponentByteCount), group: group)
    }

    /// A client with a chosen a. Test path only: a reused or predictable a breaks the login's
    /// secrecy (spec §8 requires a fresh random a).
    @_spi(SeclabTesting)
    public init(a: SecretBytes, group: SRPGroup = .rfc5054_4096) {
        self.group = group
        self.a = a
        // Why constant time: a is secret; A = g^a runs in BN_mod_exp_mont_consttime.
        let value = BigNum.publicOutput(count: group.byteCount) { out, count in
            a.withBN { exponent in
                BigNum.withAll([group.generator, group.modulus]) { p in seclab_bn_mod_exp(out, count, p[0], exponent, p[1]) }
            }
        }
        // Why trap: libcrypto fails here only when out of memory; there is no A to send.
        guard let value else { fatalError("seclab: SRP client: libcrypto big-number arithmetic failed") }
        clientPublic = value
    }

    /// PAD(A), 512 bytes: send this to the server.
    public var publicValue: [UInt8] { clientPublic }

    /// Answer the server's challenge: check B, derive K and the proof M1, and remember the
    /// M2 the server must send back.
    ///
    /// - Parameters:
    ///   - identity: `account_id`, 16 raw bytes (spec §0).
    ///   - salt: `salt_srp`, 16 bytes, as sent by the server.
    ///   - x: the SRP secret of spec §4.
    ///   - serverPublicValue: PAD(B), the 512 wire bytes from the server.
    public func respond(identity: [UInt8], salt: [UInt8], x: SecretBytes, serverPublicValue: [UInt8]) throws(SRPError) -> SRPClientProof {
        try respond(identity: identity, salt: salt, x: x, serverPublicValue: serverPublicValue, scramblerOverride: nil)
    }

    /// `respond` with a chosen scrambler u instead of H(PAD(A) ‖ PAD(B)). Test path only: it
    /// exists so the u = 0 abort can be tested, since no one can find A, B that hash to zero.
    @_spi(SeclabTesting)
    public func respond(identity: [UInt8], salt: [UInt8], x: SecretBytes, serverPublicValue: [UInt8], scrambler: [UInt8]) throws(SRPError) -> SRPClientProof {
        try respond(identity: identity, salt: salt, x: x, serverPublicValue: serverPublicValue, scramblerOverride: scrambler)
    }

    /// The premaster secret S = (B − k·g^x)^(a + u·x) mod N as PAD(S). Exposed for vector tests.
    @_spi(SeclabTesting)
    public func premasterSecret(x: SecretBytes, serverPublicValue: [UInt8]) throws(SRPError) -> SecretBytes {
        let b = try SRP.parsePublicValue(serverPublicValue, what: "server public value B", group: group)
        let u = SRP.scrambler(clientPublicValue: clientPublic, serverPublicValue: b, group: group)
        try SRP.checkScrambler(u)
        return try premaster(x: x, serverPublic: b, scrambler: u)
    }

    private func respond(identity: [UInt8], salt: [UInt8], x: SecretBytes, serverPublicValue: [UInt8], scramblerOverride: [UInt8]?) throws(SRPError) -> SRPClientProof {
        try SRP.checkLength(identity, SRP.identityByteCount, what: "SRP identity (account_id)")
        try SRP.checkLength(salt, SRP.saltByteCount, what: "SRP salt (salt_srp)")
        // spec §8: the client MUST abort if B = 0 mod N (B = 0 would make S independent of the
        // password); length and range are checked in the same step.
        let b = try SRP.parsePublicValue(serverPublicValue, what: "server public value B", group: group)
        let u = scramblerOverride ?? SRP.scrambler(clientPublicValue: clientPublic, serverPublicValue: b, group: group)
        try SRP.checkScrambler(u)
        let key = SRP.sessionKey(premaster: try premaster(x: x, serverPublic: b, scrambler: u))
        let m1 = SRP.clientProof(group: group, identity: identity, salt: salt, clientPublicValue: clientPublic, serverPublicValue: b, key: key)
        let m2 = SRP.serverProof(group: group, clientPublicValue: clientPublic, clientProof: m1, key: key)
        return SRPClientProof(clientProof: m1, sessionKey: key, expectedServerProof: m2)
    }

    private func premaster(x: SecretBytes, serverPublic b: [UInt8], scrambler u: [UInt8]) throws(SRPError) -> SecretBytes {
        // Why in C, in one call: the exponent a + u·x and every intermediate are secret; they
        // live only in BIGNUMs that the shim clears, and both powers are constant time.
        try BigNum.secretOutput(count: group.byteCount, operation: "the client premaster secret") { out, count in
            x.withBN { xb in
                a.withBN { ab in
                    BigNum.withAll([group.modulus, group.generator, group.multiplier, b, u]) { p in
                        seclab_srp_client_premaster(out, count, p[0], p[1], p[2], p[3], xb, ab, p[4])
                    }
                }
            }
        }
    }
}

/// The client's answer in one login: the proof M1 to send, the session key K, and the server
/// proof M2 the client expects back.
public struct SRPClientProof: Sendable {
    /// M1, 32 bytes: send this to the server.
    public let clientProof: [UInt8]
    /// K = H(PAD(S)). Use it only after `verifyServerProof` succeeds: until then the server
    /// has not shown that it holds the verifier.
    public let sessionKey: SecretBytes
    /// M2 = H(PAD(A) ‖ M1 ‖ K), as the server must send it.
    let expectedServerProof: [UInt8]

    /// Check the server's M2 (32 bytes). Throws `proofMismatch` if the server does not hold
    /// the verifier (an impostor server).
    public func verifyServerProof(_ m2: [UInt8]) throws(SRPError) {
        try SRP.checkLength(m2, SRP.proofByteCount, what: "SRP server proof M2")
        // Why constant time: spec §1, proofs compare without leaking a matching prefix.
        guard constantTimeEquals(m2, expectedServerProof) else { throw .proofMismatch }
    }
}
