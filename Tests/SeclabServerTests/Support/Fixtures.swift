import Foundation
import SeclabAPI
import SeclabPrimitives
import SeclabSRP

/// Client-side material for tests. The server cannot tell these from real client output:
/// it only checks structure. Plaintexts are real and really encrypted, so the plaintext scan
/// would find them if anything ever stored or logged them unencrypted.
enum Fake {
    static func id() -> String { UUID().uuidString.lowercased() }
    static func b64u(_ count: Int) -> String { Base64URL.encode(randomBytes(count: count)) }

    /// A real `xc1.` blob of `plaintext` under a throwaway key.
    static func aead(_ plaintext: String) -> String {
        let key = try! SymmetricKey(SecretBytes.random(count: 32))
        let sealed = Array(plaintext.utf8).withUnsafeBytes { XChaCha20Poly1305.seal($0, key: key, aad: []) }
        return "xc1." + Base64URL.encode(sealed.nonce) + "." + Base64URL.encode(sealed.ciphertext)
    }

    static func aead(bytes count: Int) -> String {
        "xc1." + b64u(24) + "." + b64u(count + 16)
    }

    /// An `hp1.` wrap of 32 random bytes (enc 32 bytes, ciphertext 32 + 16).
    static func hpke() -> String { "hp1." + b64u(32) + "." + b64u(48) }

    /// A unique plaintext marker that must never appear on disk or in logs.
    static func marker(_ label: String) -> String { "PLAINTEXT-\(label)-\(UUID().uuidString)" }
}

/// A registered test account with its SRP secret x.
struct TestAccount: Sendable {
    let accountID: String
    let email: String
    let saltSRP: [UInt8]
    let x: SecretBytes
    let publicKey: String
    var token: String?

    /// The b64u of x: a stand-in for the passphrase-derived secret in the plaintext scan.
    var xText: String { x.withUnsafeBytes { Base64URL.encode($0) } }
}

extension HTTPClient {
    /// Register a fresh account (x random, spec §4 says any 32 bytes do for tests).
    func registerAccount(email: String? = nil) async throws -> TestAccount {
        let accountID = Fake.id()
        let email = email ?? "user-\(UUID().uuidString.prefix(8).lowercased())@example.test"
        let saltSRP = randomBytes(count: 16)
        let x = SecretBytes.random(count: 32)
        let verifier = SRP.verifier(x: x)
        let publicKey = Fake.b64u(32)
        let body = RegisterAccountRequest(accountID: accountID, email: email, kdfProfile: "p1", saltAUK: Fake.b64u(16),
                                          saltSRP: Base64URL.encode(saltSRP), srpVerifier: Base64URL.encode(verifier),
                                          publicKey: publicKey, encPrivateKey: Fake.aead(bytes: 32))
        let result = try await send("POST", "/v1/accounts", json: body)
        guard result.status == 201 else { throw TestFailure("register: HTTP \(result.status) \(result.text)") }
        return TestAccount(accountID: accountID, email: email, saltSRP: saltSRP, x: x, publicKey: publicKey)
    }

    /// SRP-6a login as the client would do it (spec §8), checking M2.
    func login(_ account: TestAccount) async throws -> TestAccount {
        let (request, proof) = try await prove(account)
        let finish = try await send("POST", "/v1/auth/srp/finish", json: request)
        guard finish.status == 200 else { throw TestFailure("srp finish: HTTP \(finish.status) \(finish.text)") }
        let session = try finish.json(SRPFinishResponse.self)
        try proof.verifyServerProof(try Base64URL.decode(session.serverProof))
        var loggedIn = account
        loggedIn.token = session.sessionToken
        return loggedIn
    }

    /// `srp/start` and the client's M1 for `account` (a login's first half, or the fresh proof a
    /// passphrase change carries).
    func prove(_ account: TestAccount, x: SecretBytes? = nil) async throws -> (request: SRPFinishRequest, proof: SRPClientProof) {
        let client = SRPClient()
        let start = try await send("POST", "/v1/auth/srp/start",
                                   json: SRPStartRequest(email: account.email, clientPublic: Base64URL.encode(client.publicValue)))
        guard start.status == 200 else { throw TestFailure("srp start: HTTP \(start.status) \(start.text)") }
        let challenge = try start.json(SRPStartResponse.self)
        let proof = try client.respond(identity: uuidBytes(challenge.accountID), salt: try Base64URL.decode(challenge.saltSRP),
                                       x: x ?? account.x, serverPublicValue: try Base64URL.decode(challenge.serverPublic))
        return (SRPFinishRequest(loginID: challenge.loginID, clientProof: Base64URL.encode(proof.clientProof)), proof)
    }

    /// Send pulls with wrong secrets for `slotID` until the slot is blocked for at least
    /// `seconds` (a 429 whose Retry-After says so), waiting out shorter blocks: each failure
    /// after a block doubles the next one. Why not a fixed count: the first block lasts 1 s,
    /// which a loaded machine can outlast between two requests. Returns every status seen.
    func blockSlot(_ slotID: String, forAtLeast seconds: Int = 4) async throws -> [HTTPResult] {
        var seen: [HTTPResult] = []
        for _ in 0..<24 {
            let wrong = try await send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: "Machine \(slotID).\(Fake.b64u(32))")
            seen.append(wrong)
            guard wrong.status == 429 else { continue }
            let wait = Int(wrong.headers["retry-after"] ?? "") ?? 0
            if wait >= seconds { return seen }
            try await Task.sleep(for: .milliseconds(wait * 1000 + 100))
        }
        throw TestFailure("slot \(slotID) was never blocked for \(seconds) s: \(seen.map(\.status))")
    }

    func authorized(_ account: TestAccount) -> HTTPClient {
        var client = self
        client.bearer = account.token
        return client
    }
}

func uuidBytes(_ text: String) throws -> [UInt8] {
    try Hex.decode(String(text.filter { $0 != "-" }))
}

/// A vault made by `owner`'s client: ids and wraps.
struct TestVault: Sendable {
    let vaultID: String
    let ownerSlotID: String
    let nameMarker: String

    static func create(_ client: HTTPClient) async throws -> TestVault {
        let nameMarker = Fake.marker("vault-name")
        let vault = TestVault(vaultID: Fake.id(), ownerSlotID: Fake.id(), nameMarker: nameMarker)
        let body = CreateVaultRequest(vaultID: vault.vaultID, encName: Fake.aead(nameMarker), wrappedIndexKey: Fake.aead(bytes: 32),
                                      ownerSlot: OwnerSlot(slotID: vault.ownerSlotID, wrappedVK: Fake.hpke()))
        let result = try await client.send("POST", "/v1/vaults", json: body)
        guard result.status == 201 else { throw TestFailure("create vault: HTTP \(result.status) \(result.text)") }
        return vault
    }

    /// A well-formed create request with chosen ids (for id-reuse checks).
    static func request(vaultID: String, ownerSlotID: String) -> CreateVaultRequest {
        CreateVaultRequest(vaultID: vaultID, encName: Fake.aead(bytes: 8), wrappedIndexKey: Fake.aead(bytes: 32),
                           ownerSlot: OwnerSlot(slotID: ownerSlotID, wrappedVK: Fake.hpke()))
    }
}

/// A machine credential made by the owner's client (spec §6.2): the test keeps MK and the
/// auth secret to scan for them later.
struct TestMachine: Sendable {
    let slotID: String
    let mk: String
    let authSecret: String
    var header: String { "Machine \(slotID).\(authSecret)" }

    static func create(_ client: HTTPClient, vaultID: String) async throws -> TestMachine {
        let mk = randomBytes(count: 32)
        let slotID = Fake.id()
        let authSecret = try HKDFSHA256.derive(ikm: mk, salt: try uuidBytes(slotID), info: Array("auth".utf8), length: 32)
        let machine = TestMachine(slotID: slotID, mk: Base64URL.encode(mk), authSecret: authSecret.withUnsafeBytes { Base64URL.encode($0) })
        let body = CreateMachineSlotRequest(slotID: slotID, encLabel: Fake.aead("ci-label"), wrappedVK: Fake.aead(bytes: 32),
                                            unwrapKeyEscrow: Fake.hpke(), authSecret: machine.authSecret)
        let result = try await client.send("POST", "/v1/vaults/\(vaultID)/machines", json: body)
        guard result.status == 201 else { throw TestFailure("create machine: HTTP \(result.status) \(result.text)") }
        return machine
    }

    /// A well-formed machine-slot request with a chosen slot id (for id-reuse checks).
    static func request(slotID: String) -> CreateMachineSlotRequest {
        CreateMachineSlotRequest(slotID: slotID, encLabel: Fake.aead("ci-label"), wrappedVK: Fake.aead(bytes: 32),
                                 unwrapKeyEscrow: Fake.hpke(), authSecret: Fake.b64u(32))
    }
}
