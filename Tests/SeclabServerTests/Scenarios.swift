import Foundation
import SeclabAPI
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// The API scenarios, each run against both engines by `SQLiteAPITests` and `PostgresAPITests`.
enum Scenarios {
    /// Run `body` against a fresh server; stop it with SIGTERM (must exit 0) and hand back the server.
    static func withServer(_ engine: Engine, _ body: (ServerProcess, HTTPClient) async throws -> Void) async throws {
        let server = try await ServerProcess.start(engine)
        do {
            try await body(server, HTTPClient(baseURL: server.baseURL))
        } catch {
            await server.stop()
            throw error
        }
        let status = await server.stop()
        #expect(status == 0, "graceful shutdown on SIGTERM must exit 0\n\(server.log().suffix(2000))")
    }

    /// Assert none of `markers` occurs in the server's database files (or dump) and log.
    static func expectNoPlaintext(_ server: ServerProcess, _ markers: [String], present: [String]) throws {
        let bytes = Data(try server.storedBytes())
        // The scan must see the stored rows at all: public values the server keeps are there.
        for value in present {
            #expect(bytes.range(of: Data(value.utf8)) != nil, "the scan does not see stored data (\(value.prefix(12))…)")
        }
        for marker in markers where !marker.isEmpty {
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "found a plaintext/secret marker on disk or in the log: \(marker.prefix(24))…")
        }
    }

    static func item(_ name: String, _ value: String) -> PutItemRequest {
        PutItemRequest(encName: Fake.aead(name), encValue: Fake.aead(value))
    }

    /// Owner and grantee log in; vault, items, share, machine pull, tombstones, rekey, audit,
    /// revocation, passphrase change and logout; then the plaintext scan.
    static func lifecycle(_ engine: Engine) async throws {
        try await withServer(engine) { server, anonymous in
            var markers: [String] = []
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let friend = try await anonymous.login(try await anonymous.registerAccount())
            markers += [owner.xText, friend.xText, owner.token!, friend.token!]
            let ownerAPI = anonymous.authorized(owner), friendAPI = anonymous.authorized(friend)

            let vault = try await TestVault.create(ownerAPI)
            markers.append(vault.nameMarker)
            let refs = (0..<3).map { _ in Fake.b64u(32) }
            for ref in refs {
                let name = Fake.marker("name"), value = Fake.marker("value")
                markers += [name, value]
                let put = try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(ref)", json: item(name, value))
                #expect(put.status == 200, "\(put.text)")
            }
            var list = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self)
            #expect(list.items.map(\.keyRef).sorted() == refs.sorted())

            let batch = try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/items/batch-get",
                                                json: BatchGetRequest(keyRefs: [refs[0], Fake.b64u(32)]))
            #expect(try batch.json(ItemList.self).items.map(\.keyRef) == [refs[0]])

            // Share: the friend finds the owner's public key as granted_by_public_key.
            let lookup = try await ownerAPI.get("/v1/accounts/lookup?email=\(friend.email)").json(AccountLookupResponse.self)
            #expect(lookup.accountID == friend.accountID)
            let shareSlot = Fake.id()
            let share = try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/shares",
                                                json: CreateShareRequest(slotID: shareSlot, accountID: friend.accountID, wrappedVK: Fake.hpke()))
            #expect(share.status == 201, "\(share.text)")
            // A share is an invitation: not the friend's vault, nothing readable, until accepted.
            #expect(try await friendAPI.get("/v1/vaults").json(VaultList.self).vaults.isEmpty)
            #expect(try await friendAPI.get("/v1/vaults/\(vault.vaultID)/items").status == 404)
            let invites = try await friendAPI.get("/v1/invitations").json(InvitationList.self)
            #expect(invites.invitations.map(\.vaultID) == [vault.vaultID])
            #expect(invites.invitations.first?.slot.grantedByEmail == owner.email)
            #expect(invites.invitations.first?.slot.role == "read" && invites.invitations.first?.slot.accepted == false)
            #expect(try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/accept").status == 404, "only the recipient accepts")
            let accepted = try await friendAPI.send("POST", "/v1/vaults/\(vault.vaultID)/accept")
            #expect(accepted.status == 200, "\(accepted.text)")
            #expect(try await friendAPI.get("/v1/invitations").json(InvitationList.self).invitations.isEmpty)
            let friendVaults = try await friendAPI.get("/v1/vaults").json(VaultList.self)
            #expect(friendVaults.vaults.count == 1)
            #expect(friendVaults.vaults.first?.slot.role == "read")
            // Read-only: every write path refuses (the server enforces the role).
            #expect(try await friendAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])", json: item("x", "y")).status == 403)
            #expect(try await friendAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])").status == 403)
            #expect(try await friendAPI.send("POST", "/v1/vaults/\(vault.vaultID)/shares",
                                             json: CreateShareRequest(slotID: Fake.id(), accountID: owner.accountID, wrappedVK: Fake.hpke())).status == 403)
            #expect(try await friendAPI.send("POST", "/v1/vaults/\(vault.vaultID)/machines", json: TestMachine.request(slotID: Fake.id())).status == 403)
            #expect(try await friendAPI.send("POST", "/v1/vaults/\(vault.vaultID)/rekey",
                                             json: RekeyRequest(encName: Fake.aead(bytes: 10), wrappedIndexKey: Fake.aead(bytes: 32), slots: [], items: [])).status == 403)
            #expect(friendVaults.vaults.first?.slot.kind == "share")
            #expect(friendVaults.vaults.first?.slot.grantedBy == owner.accountID)
            #expect(friendVaults.vaults.first?.slot.grantedByPublicKey == owner.publicKey)
            #expect(friendVaults.vaults.first?.ownerAccountID == owner.accountID)
            #expect(try await friendAPI.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self).items.count == 3)
            // Owner-only actions are 403 for a share holder (who already knows the vault).
            #expect(try await friendAPI.get("/v1/vaults/\(vault.vaultID)/audit").status == 403)
            #expect(try await friendAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)").status == 403)

            // Machine slot: pull all, a subset, keys only.
            let machine = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            markers += [machine.mk, machine.authSecret]
            let pullAll = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            #expect(pullAll.status == 200, "\(pullAll.text)")
            let pulled = try pullAll.json(MachinePullResponse.self)
            #expect(pulled.vaultID == vault.vaultID && pulled.accountID == owner.accountID && pulled.items.count == 3)
            let pullSome = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(keyRefs: [refs[1]]), authorization: machine.header)
            #expect(try pullSome.json(MachinePullResponse.self).items.map(\.keyRef) == [refs[1]])
            let pullKeys = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(keyRefs: []), authorization: machine.header)
            #expect(try pullKeys.json(MachinePullResponse.self).items.isEmpty)
            // A machine credential is not a session.
            #expect(try await anonymous.send("GET", "/v1/vaults", authorization: machine.header).status == 401)

            // Tombstone, listing with and without tombstones, revival.
            #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/items/\(refs[2])").status == 204)
            #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/items/\(refs[2])").status == 404)
            list = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self)
            #expect(list.items.count == 2)
            list = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/items?include_deleted=true").json(ItemList.self)
            #expect(list.items.count == 3 && list.items.filter(\.deleted).count == 1)
            let revived = Fake.marker("revived")
            markers.append(revived)
            #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[2])", json: item(revived, revived)).status == 200)
            #expect(try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self).items.count == 3)

            // Rekey: a wrong slot set is refused, the right one swaps everything at once.
            let newRef = Fake.b64u(32)
            let wrong = RekeyRequest(encName: Fake.aead(bytes: 10), wrappedIndexKey: Fake.aead(bytes: 32),
                                     slots: [RekeySlot(slotID: vault.ownerSlotID, wrappedVK: Fake.hpke())], items: [])
            #expect(try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/rekey", json: wrong).status == 409)
            let slotsBefore = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/slots").json(SlotList.self)
            #expect(slotsBefore.slots.count == 2 && slotsBefore.machines.count == 1)
            let rekey = RekeyRequest(
                encName: Fake.aead(bytes: 10), wrappedIndexKey: Fake.aead(bytes: 32),
                slots: [RekeySlot(slotID: vault.ownerSlotID, wrappedVK: Fake.hpke()), RekeySlot(slotID: shareSlot, wrappedVK: Fake.hpke()),
                        RekeySlot(slotID: machine.slotID, wrappedVK: Fake.aead(bytes: 32))],
                items: [RekeyItem(keyRef: newRef, encName: Fake.aead(bytes: 5), encValue: Fake.aead(bytes: 9))])
            let rekeyed = try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/rekey", json: rekey)
            #expect(rekeyed.status == 204, "\(rekeyed.text)")
            let afterRekey = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            let afterPull = try afterRekey.json(MachinePullResponse.self)
            #expect(afterPull.items.map(\.keyRef) == [newRef])
            #expect(afterPull.wrappedVK == rekey.slots[2].wrappedVK)

            // Audit: actions are there, never tokens or secrets.
            let audit = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit")
            let actions = Set(try audit.json(AuditList.self).events.map(\.action))
            for action in ["vault.create", "item.put", "item.delete", "share.create", "machine.create", "machine.pull", "vault.rekey"] {
                #expect(actions.contains(action), "audit lacks \(action)")
            }

            // Revocation is immediate; the slot's credential is refused.
            #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/machines/\(machine.slotID)").status == 204)
            #expect(try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header).status == 401)
            #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/shares/\(shareSlot)").status == 204)
            #expect(try await friendAPI.get("/v1/vaults").json(VaultList.self).vaults.isEmpty)
            // Tombstones (spec §11 A1): a removed slot's id is never issued again, in any vault
            // of any account, so a revoked credential cannot be resurrected elsewhere.
            let friendVault = try await TestVault.create(friendAPI)
            for slotID in [machine.slotID, shareSlot] {
                #expect(try await friendAPI.send("POST", "/v1/vaults/\(friendVault.vaultID)/machines", json: TestMachine.request(slotID: slotID)).status == 409)
                #expect(try await ownerAPI.send("POST", "/v1/vaults/\(vault.vaultID)/machines", json: TestMachine.request(slotID: slotID)).status == 409)
            }
            #expect(try await friendAPI.send("POST", "/v1/vaults", json: TestVault.request(vaultID: Fake.id(), ownerSlotID: machine.slotID)).status == 409)

            // Passphrase change ends every other session, keeps this one.
            let second = try await anonymous.login(owner)
            markers.append(second.token!)
            var change = ChangePassphraseRequest(kdfProfile: "p1", saltAUK: Fake.b64u(16), saltSRP: Fake.b64u(16),
                                                 srpVerifier: Fake.b64u(512), encPrivateKey: Fake.aead(bytes: 32))
            // A session token alone (a stolen one) changes nothing: no proof, a wrong proof, a
            // proof made for another account, a replayed proof are all refused.
            #expect(try await ownerAPI.send("PUT", "/v1/account/passphrase", json: change).status == 400)
            change.proof = try await anonymous.prove(owner, x: SecretBytes.random(count: 32)).request
            #expect(try await ownerAPI.send("PUT", "/v1/account/passphrase", json: change).status == 403)
            change.proof = try await anonymous.prove(friend).request
            #expect(try await ownerAPI.send("PUT", "/v1/account/passphrase", json: change).status == 403)
            change.proof = try await anonymous.prove(owner).request
            #expect(try await ownerAPI.send("PUT", "/v1/account/passphrase", json: change).status == 204)
            #expect(try await ownerAPI.send("PUT", "/v1/account/passphrase", json: change).status == 403, "a proof is used once")
            #expect(try await anonymous.authorized(second).get("/v1/vaults").status == 401)
            #expect(try await ownerAPI.get("/v1/vaults").status == 200)
            #expect(try await ownerAPI.send("POST", "/v1/auth/logout").status == 204)
            #expect(try await ownerAPI.get("/v1/vaults").status == 401)

            // Vault delete: tombstone, gone from listings.
            #expect(try await friendAPI.send("POST", "/v1/auth/logout").status == 204)
            try expectNoPlaintext(server, markers, present: [owner.publicKey, friend.publicKey, vault.vaultID, machine.slotID])
        }
    }

    /// "Not there" and "not yours" are the same 404; unknown e-mails get a stable decoy.
    static func denialsAndDecoys(_ engine: Engine) async throws {
        try await withServer(engine) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let other = try await anonymous.login(try await anonymous.registerAccount())
            let vault = try await TestVault.create(anonymous.authorized(owner))
            let otherAPI = anonymous.authorized(other)
            let foreign = try await otherAPI.get("/v1/vaults/\(vault.vaultID)/items")
            let missing = try await otherAPI.get("/v1/vaults/\(Fake.id())/items")
            #expect(foreign.status == 404 && missing.status == 404)
            #expect(foreign.text == missing.text)
            #expect(try await otherAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(Fake.b64u(32))", json: item("a", "b")).status == 404)
            #expect(try await otherAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)").status == 404)
            #expect(try await anonymous.get("/v1/vaults").status == 401)
            #expect(try await anonymous.send("GET", "/v1/vaults", authorization: "Bearer \(Fake.b64u(32))").status == 401)

            // Decoy: same id and salts every time, finish fails like a wrong passphrase.
            let email = "nobody-\(UUID().uuidString.prefix(6).lowercased())@example.test"
            let a = Base64URL.encode([0x02] + [UInt8](repeating: 0, count: 511))
            let first = try await anonymous.send("POST", "/v1/auth/srp/start", json: SRPStartRequest(email: email, clientPublic: a)).json(SRPStartResponse.self)
            let again = try await anonymous.send("POST", "/v1/auth/srp/start", json: SRPStartRequest(email: email, clientPublic: a)).json(SRPStartResponse.self)
            #expect(first.accountID == again.accountID && first.saltSRP == again.saltSRP && first.saltAUK == again.saltAUK)
            #expect(first.serverPublic != again.serverPublic)
            let finish = try await anonymous.send("POST", "/v1/auth/srp/finish", json: SRPFinishRequest(loginID: first.loginID, clientProof: Fake.b64u(32)))
            #expect(finish.status == 401 && finish.errorCode == "auth_failed")
            // Single use: the same login cannot be finished twice.
            let reuse = try await anonymous.send("POST", "/v1/auth/srp/finish", json: SRPFinishRequest(loginID: first.loginID, clientProof: Fake.b64u(32)))
            #expect(reuse.status == 401)
            // A = 0 mod N is refused.
            let zero = try await anonymous.send("POST", "/v1/auth/srp/start", json: SRPStartRequest(email: email, clientPublic: Base64URL.encode([UInt8](repeating: 0, count: 512))))
            #expect(zero.status == 400 && zero.errorField == "client_public")
            _ = server
        }
    }

    /// Failed machine auths are throttled per slot before Argon2id runs: even the right secret
    /// then gets 429 with Retry-After.
    static func throttling(_ engine: Engine) async throws {
        try await withServer(engine) { _, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let ownerAPI = anonymous.authorized(owner)
            let vault = try await TestVault.create(ownerAPI)
            let machine = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            let statuses = try await anonymous.blockSlot(machine.slotID).map(\.status)
            #expect(statuses.prefix(5).allSatisfy { $0 == 401 }, "five failures are free: \(statuses)")
            #expect(statuses.last == 429, "\(statuses)")
            let right = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            #expect(right.status == 429)
            #expect(Int(right.headers["retry-after"] ?? "") ?? 0 >= 1)
            let metrics = try await anonymous.get("/metrics").text
            #expect(metrics.contains("seclab_throttled_total{kind=\"machine\"}"))
            #expect(metrics.contains("seclab_auth_failures_total{kind=\"machine\"}"))
            let audit = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit").json(AuditList.self)
            #expect(audit.events.contains { $0.action == "auth.machine" && $0.outcome == "failed" })
        }
    }

    /// Item size limits (spec §7: value ≤ 1 MiB, name ≤ 256 bytes) and session idle expiry.
    static func limitsAndExpiry(_ engine: Engine) async throws {
        // Limits on a server with the default session lifetimes: a short idle window would make
        // these checks depend on how fast a loaded machine uploads 1 MiB.
        let server = try ServerProcess(engine: engine)
        try await server.waitUntilListening()
        let anonymous = HTTPClient(baseURL: server.baseURL)
        let owner = try await anonymous.login(try await anonymous.registerAccount())
        let api = anonymous.authorized(owner)
        let vault = try await TestVault.create(api)
        let path = "/v1/vaults/\(vault.vaultID)/items/\(Fake.b64u(32))"
        let largest = PutItemRequest(encName: Fake.aead(bytes: 256), encValue: Fake.aead(bytes: 1 << 20))
        #expect(try await api.send("PUT", path, json: largest).status == 200)
        let valueTooBig = try await api.send("PUT", path, json: PutItemRequest(encName: Fake.aead(bytes: 1), encValue: Fake.aead(bytes: (1 << 20) + 1)))
        #expect(valueTooBig.status == 400 && valueTooBig.errorField == "enc_value")
        let nameTooBig = try await api.send("PUT", path, json: PutItemRequest(encName: Fake.aead(bytes: 257), encValue: Fake.aead(bytes: 1)))
        #expect(nameTooBig.status == 400 && nameTooBig.errorField == "enc_name")
        let badRef = try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/short", json: largest)
        #expect(badRef.status == 400 && badRef.errorField == "key_ref")
        #expect(await server.stop() == 0)

        // Idle expiry on its own server: two seconds without a request ends the session.
        let short = try ServerProcess(engine: engine, environment: ["SECLAB_SESSION_IDLE_SECONDS": "2"])
        try await short.waitUntilListening()
        let shortAnonymous = HTTPClient(baseURL: short.baseURL)
        let shortAPI = shortAnonymous.authorized(try await shortAnonymous.login(try await shortAnonymous.registerAccount()))
        try await Task.sleep(for: .seconds(3))
        #expect(try await shortAPI.get("/v1/vaults").status == 401)
        #expect(await short.stop() == 0)
    }

    /// Bad input: 400s naming the field, 409 on duplicates, 413 on oversize bodies; never a 500.
    static func badInput(_ engine: Engine) async throws {
        try await withServer(engine) { server, anonymous in
            func register(_ mutate: (inout [String: Any]) -> Void) async throws -> HTTPResult {
                var body: [String: Any] = [
                    "account_id": Fake.id(), "email": "u\(UUID().uuidString.prefix(8))@example.test", "kdf_profile": "p1",
                    "salt_auk": Fake.b64u(16), "salt_srp": Fake.b64u(16), "srp_verifier": Fake.b64u(512),
                    "public_key": Fake.b64u(32), "enc_private_key": Fake.aead(bytes: 32),
                ]
                mutate(&body)
                return try await anonymous.send("POST", "/v1/accounts", body: try JSONSerialization.data(withJSONObject: body))
            }
            let cases: [(String, (inout [String: Any]) -> Void)] = [
                ("email", { $0["email"] = nil }),
                ("account_id", { $0["account_id"] = "ABCDEF00-0000-4000-8000-000000000000" }),
                ("account_id", { $0["account_id"] = 42 }),
                ("kdf_profile", { $0["kdf_profile"] = "p0" }),
                ("salt_auk", { $0["salt_auk"] = Fake.b64u(16) + "=" }),
                ("salt_srp", { $0["salt_srp"] = Fake.b64u(15) }),
                ("srp_verifier", { $0["srp_verifier"] = NSNull() }),
                ("enc_private_key", { $0["enc_private_key"] = "xc2." + Fake.b64u(24) + "." + Fake.b64u(48) }),
                ("enc_private_key", { $0["enc_private_key"] = "xc1." + Fake.b64u(12) + "." + Fake.b64u(48) }),
                ("enc_private_key", { $0["enc_private_key"] = "xc1." + Fake.b64u(24) + "." + Fake.b64u(15) }),
                ("enc_private_key", { $0["enc_private_key"] = "xc1." + Fake.b64u(24) }),
                ("public_key", { $0["public_key"] = "not base64!" }),
            ]
            for (field, mutate) in cases {
                let result = try await register(mutate)
                #expect(result.status == 400 && result.errorField == field, "\(field): HTTP \(result.status) \(result.text)")
            }
            let notJSON = try await anonymous.send("POST", "/v1/accounts", body: Data("{not json".utf8))
            #expect(notJSON.status == 400 && notJSON.errorField == "body")
            let tooBig = try await anonymous.send("POST", "/v1/accounts", body: Data(repeating: 0x20, count: 3 * 1024 * 1024))
            #expect(tooBig.status == 413)

            // Duplicates: the same id, the same e-mail.
            let id = Fake.id(), email = "dup\(UUID().uuidString.prefix(8))@example.test"
            #expect(try await register { $0["account_id"] = id }.status == 201)
            #expect(try await register { $0["account_id"] = id }.status == 409)
            #expect(try await register { $0["email"] = email }.status == 201)
            #expect(try await register { $0["email"] = email.uppercased() }.status == 409)

            // Unknown routes and malformed path ids.
            #expect(try await anonymous.get("/v1/nope").status == 404)
            #expect(try await anonymous.send("POST", "/v1/machine/pull", body: Data("{}".utf8)).status == 401)
            #expect(try await anonymous.send("POST", "/v1/machine/pull", body: Data("{}".utf8), authorization: "Machine garbage").status == 401)
            #expect(!server.log().contains("internal error"))
            let metrics = try await anonymous.get("/metrics").text
            #expect(!metrics.contains("status=\"500\""))
        }
    }
}

@Suite("API on SQLite")
struct SQLiteAPITests {
    @Test func lifecycle() async throws { try await Scenarios.lifecycle(.sqlite) }
    @Test func denialsAndDecoys() async throws { try await Scenarios.denialsAndDecoys(.sqlite) }
    @Test func throttling() async throws { try await Scenarios.throttling(.sqlite) }
    @Test func limitsAndExpiry() async throws { try await Scenarios.limitsAndExpiry(.sqlite) }
    @Test func badInput() async throws { try await Scenarios.badInput(.sqlite) }
}

@Suite("API on PostgreSQL", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct PostgresAPITests {
    @Test func lifecycle() async throws { try await Scenarios.lifecycle(.postgres) }
    @Test func denialsAndDecoys() async throws { try await Scenarios.denialsAndDecoys(.postgres) }
    @Test func throttling() async throws { try await Scenarios.throttling(.postgres) }
    @Test func limitsAndExpiry() async throws { try await Scenarios.limitsAndExpiry(.postgres) }
    @Test func badInput() async throws { try await Scenarios.badInput(.postgres) }
}
