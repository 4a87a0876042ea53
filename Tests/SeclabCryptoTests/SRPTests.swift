import SeclabPrimitives
@_spi(SeclabTesting) import SeclabSRP
import Testing

/// Behaviour of SRP-6a (spec §8): a login succeeds only with the right x, and every abort
/// rule of the spec is enforced with a typed error.
@Suite struct SRPTests {
    let group = SRPGroup.rfc5054_4096
    let identity: [UInt8] = Array(0..<16)
    let salt: [UInt8] = Array(repeating: 0xA5, count: 16)
    let x = SecretBytes.random(count: 32)

    /// N, N + 1, and 2^4096 − 1, all 512 bytes.
    var modulusPlusOne: [UInt8] {
        var value = group.modulus
        var index = value.count - 1
        while true {
            let (sum, carry) = value[index].addingReportingOverflow(1)
            value[index] = sum
            if !carry { break }
            index -= 1
        }
        return value
    }

    func isInvalidPublicValue(_ error: SRPError?) -> Bool {
        if case .invalidPublicValue = error { return true }
        return false
    }

    // MARK: round trip

    @Test func roundTripAgreesOnKeyAndProofs() throws {
        let verifier = SRP.verifier(x: x)
        let client = SRPClient()
        let server = try SRPServer(verifier: verifier)
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        let (m2, serverKey) = try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        try proof.verifyServerProof(m2)
        #expect(proof.sessionKey == serverKey)
        #expect(proof.sessionKey.count == 32)
        #expect(proof.clientProof.count == 32)
        #expect(m2.count == 32)
    }

    @Test func serverRebuiltFromStoredSecretFinishesTheLogin() throws {
        let verifier = SRP.verifier(x: x)
        let start = try SRPServer(verifier: verifier)
        let client = SRPClient()
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: start.publicValue)
        // The finishing replica has only the verifier and the stored b.
        let finish = try SRPServer(verifier: verifier, secret: SecretBytes(copying: start.secret.unprotectedArray()))
        #expect(finish.publicValue == start.publicValue)
        let (m2, key) = try finish.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        try proof.verifyServerProof(m2)
        #expect(key == proof.sessionKey)
    }

    @Test func freshEphemeralsDiffer() throws {
        let verifier = SRP.verifier(x: x)
        #expect(SRPClient().publicValue != SRPClient().publicValue)
        let one = try SRPServer(verifier: verifier), two = try SRPServer(verifier: verifier)
        #expect(one.publicValue != two.publicValue)
        #expect(one.secret != two.secret)
        #expect(one.secret.count == 32)
    }

    @Test func publicValuesAndVerifierArePadded() throws {
        let verifier = SRP.verifier(x: x)
        #expect(verifier.count == 512)
        #expect(SRPClient().publicValue.count == 512)
        #expect(try SRPServer(verifier: verifier).publicValue.count == 512)
        // x = 1 gives v = g = 5, padded.
        let one = SRP.verifier(x: SecretBytes(copying: [UInt8](repeating: 0, count: 31) + [1]))
        #expect(one == group.pad([5]))
    }

    // MARK: wrong secrets and proofs

    @Test func wrongXIsRejectedByTheServer() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        let proof = try client.respond(identity: identity, salt: salt, x: .random(count: 32), serverPublicValue: server.publicValue)
        #expect(throws: SRPError.proofMismatch) {
            try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        }
    }

    @Test func wrongIdentityOrSaltIsRejectedByTheServer() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        #expect(throws: SRPError.proofMismatch) {
            try server.verify(identity: Array(repeating: 7, count: 16), salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        }
        #expect(throws: SRPError.proofMismatch) {
            try server.verify(identity: identity, salt: Array(repeating: 0, count: 16), clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        }
    }

    @Test func proofForAnotherClientValueIsRejected() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let proof = try SRPClient().respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        #expect(throws: SRPError.proofMismatch) {
            try server.verify(identity: identity, salt: salt, clientPublicValue: SRPClient().publicValue, clientProof: proof.clientProof)
        }
    }

    @Test func wrongServerProofIsRejectedByTheClient() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        var (m2, _) = try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        m2[31] ^= 1
        #expect(throws: SRPError.proofMismatch) { try proof.verifyServerProof(m2) }
        #expect(throws: SRPError.proofMismatch) { try proof.verifyServerProof(proof.clientProof) }
        #expect(throws: SRPError.invalidLength(what: "SRP server proof M2", expected: 32, actual: 31)) {
            try proof.verifyServerProof(Array(m2.prefix(31)))
        }
    }

    @Test func impostorServerWithoutVerifierFailsM2() throws {
        // A server holding the verifier of another x can answer only with a wrong M2 (it cannot
        // even check M1); here the real client's M1 is forwarded to an impostor's state.
        let impostor = try SRPServer(verifier: SRP.verifier(x: .random(count: 32)))
        let client = SRPClient()
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: impostor.publicValue)
        #expect(throws: SRPError.proofMismatch) {
            try impostor.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
        }
    }

    // MARK: abort rules (spec §8)

    @Test func serverAbortsOnClientValueZeroModN() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let proof = [UInt8](repeating: 0, count: 32)
        for bad in [[UInt8](repeating: 0, count: 512), group.modulus] {
            let error = #expect(throws: SRPError.self) {
                try server.verify(identity: identity, salt: salt, clientPublicValue: bad, clientProof: proof)
            }
            #expect(error == .invalidPublicValue("client public value A is 0 mod N (spec §8: abort)"))
        }
    }

    @Test func clientAbortsOnServerValueZeroModN() throws {
        let client = SRPClient()
        for bad in [[UInt8](repeating: 0, count: 512), group.modulus] {
            let error = #expect(throws: SRPError.self) {
                try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: bad)
            }
            #expect(error == .invalidPublicValue("server public value B is 0 mod N (spec §8: abort)"))
        }
    }

    @Test func valuesNotBelowNAreRejected() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        for bad in [modulusPlusOne, [UInt8](repeating: 0xFF, count: 512)] {
            let atServer = #expect(throws: SRPError.self) {
                try server.verify(identity: identity, salt: salt, clientPublicValue: bad, clientProof: Array(repeating: 0, count: 32))
            }
            #expect(atServer == .invalidPublicValue("client public value A is not below the group modulus N"))
            let atClient = #expect(throws: SRPError.self) {
                try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: bad)
            }
            #expect(atClient == .invalidPublicValue("server public value B is not below the group modulus N"))
        }
    }

    @Test func zeroScramblerAbortsBothSides() throws {
        let verifier = SRP.verifier(x: x)
        let server = try SRPServer(verifier: verifier)
        let client = SRPClient()
        let zero = [UInt8](repeating: 0, count: 32)
        #expect(throws: SRPError.zeroScrambler) {
            try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue, scrambler: zero)
        }
        #expect(throws: SRPError.zeroScrambler) {
            try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: zero, scrambler: zero)
        }
        // The override path itself is sound: the real u passed explicitly still logs in.
        let u = SRP.scrambler(clientPublicValue: client.publicValue, serverPublicValue: server.publicValue)
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue, scrambler: u)
        let (m2, _) = try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: proof.clientProof, scrambler: u)
        try proof.verifyServerProof(m2)
    }

    // MARK: decoding of malformed values

    @Test func parsePublicValueChecksLengthAndRange() throws {
        let valid = SRPClient().publicValue
        #expect(try SRP.parsePublicValue(valid, what: "A") == valid)
        #expect(try SRP.parsePublicValue(group.pad([1]), what: "A") == group.pad([1]))
        for (bad, reason) in [
            ([UInt8](), "A must be 512 bytes, got 0"),
            (Array(valid.dropFirst()), "A must be 512 bytes, got 511"),
            ([0] + valid, "A must be 512 bytes, got 513"),
            ([UInt8](repeating: 0, count: 512), "A is 0 mod N (spec §8: abort)"),
            (group.modulus, "A is 0 mod N (spec §8: abort)"),
            (modulusPlusOne, "A is not below the group modulus N"),
        ] {
            #expect(throws: SRPError.invalidPublicValue(reason)) { try SRP.parsePublicValue(bad, what: "A") }
        }
    }

    @Test func wrongLengthPublicValuesAreRejectedByBothSides() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        let short = Array(server.publicValue.drop { $0 == 0 }.dropFirst())
        let error = #expect(throws: SRPError.self) {
            try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: short)
        }
        #expect(isInvalidPublicValue(error))
        let longer = #expect(throws: SRPError.self) {
            try server.verify(identity: identity, salt: salt, clientPublicValue: [0] + client.publicValue, clientProof: Array(repeating: 0, count: 32))
        }
        #expect(longer == .invalidPublicValue("client public value A must be 512 bytes, got 513"))
    }

    @Test func inputLengthsAreChecked() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let client = SRPClient()
        let a = client.publicValue, b = server.publicValue, m1 = [UInt8](repeating: 0, count: 32)
        #expect(throws: SRPError.invalidLength(what: "SRP identity (account_id)", expected: 16, actual: 5)) {
            try client.respond(identity: Array("alice".utf8), salt: salt, x: x, serverPublicValue: b)
        }
        #expect(throws: SRPError.invalidLength(what: "SRP salt (salt_srp)", expected: 16, actual: 32)) {
            try client.respond(identity: identity, salt: salt + salt, x: x, serverPublicValue: b)
        }
        #expect(throws: SRPError.invalidLength(what: "SRP identity (account_id)", expected: 16, actual: 36)) {
            try server.verify(identity: Array("a6056a24-bf4d-4dd3-911d-e5471df67a25".utf8), salt: salt, clientPublicValue: a, clientProof: m1)
        }
        #expect(throws: SRPError.invalidLength(what: "SRP client proof M1", expected: 32, actual: 31)) {
            try server.verify(identity: identity, salt: salt, clientPublicValue: a, clientProof: Array(m1.dropLast()))
        }
    }

    @Test func corruptVerifiersAndSecretsAreRejected() throws {
        let verifier = SRP.verifier(x: x)
        #expect(throws: SRPError.invalidLength(what: "SRP verifier", expected: 512, actual: 511)) {
            try SRPServer(verifier: Array(verifier.dropFirst()))
        }
        #expect(throws: SRPError.invalidVerifier("the verifier is 0 mod N")) {
            try SRPServer(verifier: [UInt8](repeating: 0, count: 512))
        }
        #expect(throws: SRPError.invalidVerifier("the verifier is 0 mod N")) { try SRPServer(verifier: group.modulus) }
        #expect(throws: SRPError.invalidVerifier("the verifier is not below the group modulus N")) {
            try SRPServer(verifier: modulusPlusOne)
        }
        #expect(throws: SRPError.invalidLength(what: "SRP server secret b", expected: 32, actual: 16)) {
            try SRPServer(verifier: verifier, secret: .random(count: 16))
        }
    }

    // MARK: group and messages

    @Test func groupConstants() {
        #expect(group.byteCount == 512)
        #expect(group.modulus.count == 512)
        #expect(group.modulus.first == 0xFF && group.modulus.last == 0xFF)
        #expect(group.generator == [5])
        #expect(group.multiplier.count == 32)
        #expect(group.multiplier == SHA256.hash(parts: [group.modulus, group.pad([5])]))
        #expect(group.pad([1, 2]).count == 512)
        #expect(Array(group.pad([1, 2]).suffix(3)) == [0, 1, 2])
        #expect(group.pad([0, 0] + group.modulus) == group.modulus)
    }

    @Test func errorMessagesAreOneLineAndNameTheProblem() {
        let errors: [SRPError] = [
            .invalidPublicValue("server public value B is 0 mod N (spec §8: abort)"),
            .invalidVerifier("the verifier is 0 mod N"),
            .zeroScrambler, .proofMismatch,
            .invalidLength(what: "SRP salt (salt_srp)", expected: 16, actual: 3),
            .arithmeticFailed("the client premaster secret"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            #expect(!error.description.contains("\n"))
        }
        #expect(SRPError.invalidPublicValue("server public value B is 0 mod N (spec §8: abort)").description.contains("server public value B"))
        #expect(SRPError.invalidLength(what: "SRP salt (salt_srp)", expected: 16, actual: 3).description == "SRP salt (salt_srp) must be 16 bytes, got 3")
    }

    @Test func sessionKeyNeverPrints() throws {
        let server = try SRPServer(verifier: SRP.verifier(x: x))
        let proof = try SRPClient().respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        #expect(!"\(proof.sessionKey)".contains(Hex.encode(proof.sessionKey.unprotectedArray())))
        #expect(!"\(server.secret)".contains(Hex.encode(server.secret.unprotectedArray())))
    }
}
