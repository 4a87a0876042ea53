import SeclabPrimitives
@_spi(SeclabTesting) import SeclabSRP
import Testing

/// SRP-6a known answers (spec §8): the `srp` cases of `seclab-v1.json` field by field in both
/// directions, and the RFC 5054 4096-bit group and srptools SHA-256 case from `srp6a_kat.json`.
@Suite struct SRPVectorTests {
    let group = SRPGroup.rfc5054_4096

    /// Every field of every seclab `srp` case, computed by the client from a and x: k, v, A, B,
    /// u, S, K, M1, and the client accepts the vector's M2.
    @Test func seclabVectorsClientSide() throws {
        let cases = try seclabCases()
        #expect(!cases.isEmpty)
        for c in cases {
            let x = try c.secret("x")
            #expect(group.pad(group.multiplier) == (try c.hex("k")), "k")
            #expect(SRP.verifier(x: x) == (try c.hex("v")), "v")
            let client = SRPClient(a: try c.secret("a"))
            #expect(client.publicValue == (try c.hex("A")), "A")
            let b = try c.hex("B")
            #expect(SRP.scrambler(clientPublicValue: client.publicValue, serverPublicValue: b) == (try c.hex("u")), "u")
            let s = try client.premasterSecret(x: x, serverPublicValue: b)
            #expect(s.unprotectedArray() == (try c.hex("S")), "S (client)")
            let proof = try client.respond(identity: try c.accountID(), salt: try c.hex("salt_srp"), x: x, serverPublicValue: b)
            #expect(proof.sessionKey.unprotectedArray() == (try c.hex("K")), "K (client)")
            #expect(proof.clientProof == (try c.hex("M1")), "M1")
            try proof.verifyServerProof(try c.hex("M2"))
        }
    }

    /// Every seclab `srp` case from the server's side, from v and b: B, u, S, K, it accepts the
    /// vector's M1 and produces the vector's M2; a one-bit change in M1 is refused.
    @Test func seclabVectorsServerSide() throws {
        for c in try seclabCases() {
            let server = try SRPServer(verifier: try c.hex("v"), secret: try c.secret("b"))
            #expect(server.publicValue == (try c.hex("B")), "B")
            let a = try c.hex("A")
            #expect(SRP.scrambler(clientPublicValue: a, serverPublicValue: server.publicValue) == (try c.hex("u")), "u")
            let s = try server.premasterSecret(clientPublicValue: a)
            #expect(s.unprotectedArray() == (try c.hex("S")), "S (server)")
            let identity = try c.accountID(), salt = try c.hex("salt_srp")
            var m1 = try c.hex("M1")
            let (m2, key) = try server.verify(identity: identity, salt: salt, clientPublicValue: a, clientProof: m1)
            #expect(m2 == (try c.hex("M2")), "M2")
            #expect(key.unprotectedArray() == (try c.hex("K")), "K (server)")
            m1[0] ^= 0x80
            #expect(throws: SRPError.proofMismatch) {
                try server.verify(identity: identity, salt: salt, clientPublicValue: a, clientProof: m1)
            }
        }
    }

    /// RFC 5054 Appendix A 4096-bit group: N, g and k = SHA-256(N ‖ PAD(g)).
    @Test func rfc5054GroupVector() throws {
        let constants = try kat().object("rfc5054_group_4096")
        #expect(group.modulus == (try constants.hex("N")))
        #expect(group.byteCount == (try constants.int("N_bytes")))
        #expect(group.generator == (try constants.hex("g")))
        #expect(group.multiplier == (try constants.hex("k_sha256_padded")))
    }

    /// The srptools SHA-256/4096 case. Its M1 and M2 hash minimal-length A, B, s and H(g), so
    /// only k, v, A, B, u and S are comparable (vectors/SOURCES.md); K = H(S) is comparable
    /// too here because this S happens to be a full 512 bytes, so H(S) = H(PAD(S)).
    @Test func srptoolsSHA256Vector() throws {
        let vector = try kat().object("srp6a_sha256_4096_srptools").object("vector")
        #expect(try vector.string("H") == "sha256")
        #expect(group.modulus == group.pad(try vector.hex("N")))
        #expect(group.generator == (try vector.hex("g")))
        #expect(group.multiplier == (try vector.hex("k")))
        // x is 31 bytes in minimal hex; it is read as an integer either way.
        let x = SecretBytes(copying: try vector.hex("x"))
        let v = SRP.verifier(x: x)
        #expect(v == group.pad(try vector.hex("v")), "v")
        let client = SRPClient(a: SecretBytes(copying: try vector.hex("a")))
        #expect(client.publicValue == group.pad(try vector.hex("A")), "A")
        let server = try SRPServer(verifier: v, secret: SecretBytes(copying: try vector.hex("b")))
        #expect(server.publicValue == group.pad(try vector.hex("B")), "B")
        let u = SRP.scrambler(clientPublicValue: client.publicValue, serverPublicValue: server.publicValue)
        #expect(u == [UInt8](repeating: 0, count: 32 - (try vector.hex("u")).count) + (try vector.hex("u")), "u")
        let expectedS = group.pad(try vector.hex("S"))
        #expect(try client.premasterSecret(x: x, serverPublicValue: server.publicValue).unprotectedArray() == expectedS, "S (client)")
        #expect(try server.premasterSecret(clientPublicValue: client.publicValue).unprotectedArray() == expectedS, "S (server)")
        // K does not depend on I or s, so any well-formed identity and salt will do.
        try #require(try vector.hex("S").count == 512)
        let proof = try client.respond(identity: Array(repeating: 0, count: 16), salt: Array(repeating: 0, count: 16), x: x, serverPublicValue: server.publicValue)
        #expect(proof.sessionKey.unprotectedArray() == (try vector.hex("K")), "K")
    }

    // MARK: loading

    private func seclabCases() throws -> [[String: Any]] {
        guard let root = try VectorFiles.json("seclab/seclab-v1.json") as? [String: Any] else {
            throw VectorError(description: "seclab-v1.json is not an object")
        }
        return try root.objects("srp")
    }

    private func kat() throws -> [String: Any] {
        guard let root = try VectorFiles.json("srp/srp6a_kat.json") as? [String: Any] else {
            throw VectorError(description: "srp6a_kat.json is not an object")
        }
        return root
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A hex field as secret bytes.
    fileprivate func secret(_ key: String) throws -> SecretBytes { SecretBytes(copying: try hex(key)) }

    /// `account_id_text` (hyphenated UUID) as its 16 raw bytes (spec §0).
    fileprivate func accountID() throws -> [UInt8] {
        let text = try string("account_id_text")
        let bytes = try hex("account_id_text", text: text.filter { $0 != "-" })
        guard bytes.count == 16 else { throw VectorError(description: "field 'account_id_text': not a UUID") }
        return bytes
    }

    fileprivate func hex(_ key: String, text: String) throws -> [UInt8] {
        do { return try Hex.decode(text) } catch { throw VectorError(description: "field '\(key)': \(error)") }
    }
}
