import Foundation
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// After a full scenario through the real binaries, nothing the clients hold is on
/// the server's disk, in its dump or log, or in anything it answered; and nothing it holds or
/// sent opens a blob.
@Suite("Zero knowledge")
struct ZeroKnowledgeTests {
    @Test func onSQLite() throws {
        let scenario = try ZeroKnowledgeScenario(database: nil)
        try scenario.play()
        // The SQLite file, its WAL and shared memory (read while the server runs, so the WAL
        // still holds the recent pages), and the server log.
        try scenario.check(persisted: scenario.server.persistedBytes(), dump: scenario.server.sqliteDump() + Array(scenario.server.log().utf8),
                           what: "the SQLite files and the log")
    }

    @Test(.enabled(if: PostgresTestDatabase.clusterURL != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
    func onPostgreSQL() throws {
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let scenario = try ZeroKnowledgeScenario(database: database)
        try scenario.play()
        // A full pg_dump (what a stolen backup or a curious DBA gets) and the server log.
        let dump = try database.dump() + Array(scenario.server.log().utf8)
        try scenario.check(persisted: dump, dump: dump, what: "the pg_dump and the log")
    }

    /// The scanner itself: a key buried inside a longer base64url, base64, hex or base32 text
    /// at any byte offset is found, and a different key is not.
    @Test func scannerFindsEncodedSecretsAtAnyOffset() {
        let secret = randomBytes(count: 32), other = randomBytes(count: 32)
        let needles = SecretScan.needles(for: secret, label: "k")
        for offset in 0..<5 {
            let embedded = randomBytes(count: offset) + secret + randomBytes(count: 7)
            let texts = [Base64URL.encode(embedded), Data(embedded).base64EncodedString(), Hex.encode(embedded), Base32.encode(embedded)]
            for text in texts { #expect(!SecretScan.find(needles, in: Array("{\"x\":\"\(text)\"}".utf8)).isEmpty, "missed at offset \(offset): \(text)") }
        }
        #expect(SecretScan.find(needles, in: Array(Base64URL.encode(other).utf8) + other).isEmpty)
    }
}

/// Two accounts, a vault with several secrets (two multi-line), a share, a machine credential
/// used by seclab-run, a passphrase change, a rekey and a delete, all through the real `seclab`
/// and `seclab-run` binaries, through a recording (untouched) proxy.
final class ZeroKnowledgeScenario {
    let server: ServerProcess
    let proxy: TamperingProxy
    let owner: Device, friend: Device
    let tag = Hex.encode(randomBytes(count: 6))
    let passphrases: [String]
    let friendPassphrase: String
    var secrets: [String: String] = [:]
    var credential = ""
    let vaultName: String, label: String

    init(database: PostgresTestDatabase?) throws {
        // The most verbose log level: whatever an operator could switch on must not leak either.
        let logging = ["SECLAB_LOG_LEVEL": "trace"]
        if let database { server = try ServerProcess(databaseURL: database.url, environment: logging) } else { server = try ServerProcess(environment: logging) }
        proxy = try TamperingProxy(upstream: server.baseURL)
        passphrases = ["zk owner passphrase \(tag) one", "zk owner passphrase \(tag) two"]
        friendPassphrase = "zk friend passphrase \(tag)"
        owner = try Device(server: proxy.baseURL, passphrase: passphrases[0])
        friend = try Device(server: proxy.baseURL, passphrase: friendPassphrase)
        vaultName = "zk-vault-\(tag)"
        label = "zk-machine-label-\(tag)"
    }

    deinit { proxy.close() }

    var ownerEmail: String { "zk-owner-\(tag)@example.test" }
    var friendEmail: String { "zk-friend-\(tag)@example.test" }
    func name(_ suffix: String) -> String { "ZK_\(tag.uppercased())_\(suffix)" }

    func play() throws {
        try owner.ok(["account", "create", "--email", ownerEmail])
        try friend.ok(["account", "create", "--email", friendEmail])
        try owner.ok(["vault", "create", vaultName])
        let direct = [name("DATABASE_URL"): "postgres://zk:\(tag)-db-password@db.zk.internal:5432/app",
                      name("API_TOKEN"): "zk-token-\(tag)-live",
                      name("TLS_KEY"): "-----BEGIN ZK KEY \(tag)-----\nfirst-line-\(tag)-AAAA\nsecond-line-\(tag)-BBBB\n-----END ZK KEY \(tag)-----\n"]
        for (name, value) in direct { try owner.ok(["secret", "set", vaultName, name], stdin: Array(value.utf8)) }
        let dotenv = owner.root.appendingPathComponent("zk.env")
        try "# zk\n\(name("IMPORTED"))=zk-imported-\(tag)-alpha\nexport \(name("IMPORTED_LINES"))=\"one-\(tag)-line\\ntwo-\(tag)-line\"\n"
            .write(to: dotenv, atomically: true, encoding: .utf8)
        try owner.ok(["secret", "import", vaultName, "--dotenv", dotenv.path])
        secrets = direct.merging([name("IMPORTED"): "zk-imported-\(tag)-alpha", name("IMPORTED_LINES"): "one-\(tag)-line\ntwo-\(tag)-line"]) { $1 }

        // Share with the friend after checking the fingerprint; the friend reads a secret.
        try friend.ok(["account", "show"])
        let friendKey = try X25519PublicKey(text: friend.keySet.string("public_key"))
        try owner.ok(["vault", "share", vaultName, "--with", friendEmail, "--fingerprint", Fingerprint.of(friendKey)])
        let ownerKey = try X25519PublicKey(text: owner.keySet.string("public_key"))
        try friend.ok(["vault", "accept", vaultName, "--fingerprint", Fingerprint.of(ownerKey)])
        try expectValue(friend, name("DATABASE_URL"))

        // A machine credential, used by seclab-run.
        credential = try owner.ok(["machine", "create", vaultName, "--name", label]).trimmingCharacters(in: .whitespacesAndNewlines)
        try expectPull(name("TLS_KEY"))

        // Passphrase change, then a rekey under the new passphrase; everyone still reads.
        try owner.ok(["account", "change-passphrase"], extra: ["SECLAB_NEW_PASSPHRASE": passphrases[1]])
        owner.passphrase = passphrases[1]
        try owner.ok(["vault", "rekey", vaultName])
        try expectValue(owner, name("IMPORTED_LINES"))
        try expectValue(friend, name("API_TOKEN"))
        try expectPull(name("DATABASE_URL"))
        try owner.ok(["secret", "export", vaultName, "--format", "json"])
        try owner.ok(["secret", "delete", vaultName, name("API_TOKEN")])
        try owner.ok(["machine", "list", vaultName])
        try owner.ok(["audit", vaultName])
    }

    private func expectValue(_ device: Device, _ name: String) throws {
        let value = try device.ok(["secret", "get", vaultName, name])
        #expect(value == secrets[name], "\(name) did not round-trip")
    }

    /// seclab-run through the proxy; the command writes one secret to a file.
    private func expectPull(_ name: String) throws {
        let out = owner.root.appendingPathComponent("pulled-\(UUID().uuidString)")
        let result = try runProcess(try Binaries.url(named: "seclab-run"), arguments: ["--", "/bin/sh", "-c", "printf %s \"$\(name)\" > '\(out.path)'"],
                                    environment: ["SECLAB_SERVER": proxy.baseURL, "SECLAB_MACHINE_KEY": credential,
                                                  "PATH": "/usr/bin:/bin", "HOME": owner.root.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: out.path).map { String(decoding: $0, as: UTF8.self) } == secrets[name])
    }

    /// Every assertion of the zero-knowledge check over `persisted` (the server's data at rest
    /// and its log, raw) and over every request and response the proxy carried. `dump` is the
    /// same data as SQL text with field boundaries, from which the server-side keys are read.
    func check(persisted: [UInt8], dump: [UInt8], what: String) throws {
        let exchanges = proxy.exchanges
        var plaintexts = [String: String]()
        for (name, value) in secrets { plaintexts["name \(name)"] = name; plaintexts["value of \(name)"] = value }
        plaintexts["vault name"] = vaultName
        plaintexts["machine label"] = label
        let knowledge = try ClientKnowledge(
            accounts: [.init(device: owner, passphrases: passphrases), .init(device: friend, passphrases: [friendPassphrase])],
            plaintexts: plaintexts, credential: credential, exchanges: exchanges)
        let responses: [UInt8] = exchanges.flatMap { $0.response.body + [10] }
        let requests: [UInt8] = exchanges.flatMap { Array($0.request.target.utf8) + [10] + $0.request.body + [10] }

        // The scans must see the data: what the server stores in public shows up.
        let ownerKeySet = try owner.keySet
        let deleted = exchanges.filter { $0.request.method == "DELETE" && $0.request.path.contains("/items/") }.map { String($0.request.path.split(separator: "/").last!) }
        let liveItems = exchanges.compactMap { exchange in
            Attack.decode(exchange.response.body)?.list("items").first { !deleted.contains($0.string("key_ref")) }
        }
        let storedItem = try #require(liveItems.last)
        for present in [ownerKeySet.string("public_key"), ownerKeySet.string("enc_private_key"), storedItem.string("enc_value"),
                        storedItem.string("key_ref"), "$argon2id$v=19$m=19456,t=2,p=1$", ownerEmail] {
            #expect(SecretScan.contains(persisted, Array(present.utf8)), "\(what) lack a stored public value (\(present.prefix(16))…): the scan sees nothing")
        }
        #expect(knowledge.aeadKeys.filter { $0.label.hasPrefix("VK") }.count == 2, "expected the VK before and after the rekey")

        // Nothing secret at rest or in the log; in transit, only what the protocol sends.
        let atRest = SecretScan.find(knowledge.needles + knowledge.tokenNeedles + knowledge.authSecretNeedles, in: persisted)
        #expect(atRest.isEmpty, "found in \(what): \(atRest)")
        let answered = SecretScan.find(knowledge.needles + knowledge.authSecretNeedles, in: responses)
        #expect(answered.isEmpty, "found in a response body: \(answered)")
        let sent = SecretScan.find(knowledge.needles, in: requests)
        #expect(sent.isEmpty, "a client sent: \(sent)")
        #expect(!SecretScan.find(knowledge.tokenNeedles, in: responses).isEmpty, "the token scan does not see the tokens the responses carry")

        try checkBlobs(knowledge, persisted: persisted, dump: dump, responses: responses, what: what)
    }

    /// Every blob the server sent opens with a client key (positive control); no blob stored or
    /// sent opens with a key from the server's own data (see `BlobProbe`).
    private func checkBlobs(_ knowledge: ClientKnowledge, persisted: [UInt8], dump: [UInt8], responses: [UInt8], what: String) throws {
        var probe = BlobProbe()
        for exchange in proxy.exchanges {
            for body in [exchange.request.body, exchange.response.body] {
                if let object = try? JSONSerialization.jsonObject(with: Data(body)) { probe.learn(from: object) }
            }
        }
        let sent = BlobProbe.blobs(in: responses)
        let stored = BlobProbe.blobs(in: persisted)
        #expect(!stored.aead.isEmpty && !stored.hpke.isEmpty, "no blobs found in \(what)")
        let aads = probe.aeadAADs
        var identified = [AEADBlob: [UInt8]]()
        for blob in sent.aead.union(stored.aead) {
            if let found = probe.open(blob, with: knowledge.aeadKeys, aads: aads) { identified[blob] = found.aad }
        }
        let unopened = sent.aead.filter { identified[$0] == nil }
        #expect(unopened.isEmpty, "\(unopened.count) blobs the server sent open with no client key")
        for wrap in sent.hpke { #expect(probe.open(wrap, with: knowledge.accountKeys.map(\.keys)) != nil, "a wrap the server sent opens for no account") }

        let candidates = probe.serverKeys(from: dump)
        let publicKeys = Set(knowledge.accountKeys.map(\.keys.publicKey))
        let seesStoredKeys = publicKeys.allSatisfy { candidates.contains($0.bytes) }
        #expect(seesStoredKeys, "the server-side keys miss the stored public keys: the extraction sees nothing")
        let symmetric = candidates.compactMap { try? SymmetricKey(SecretBytes(copying: $0)) }
        var opened = [String]()
        for (blob, aad) in identified {
            for key in symmetric where (try? XChaCha20Poly1305.open(blob.ciphertext, key: key, nonce: blob.nonce, aad: aad)) != nil {
                opened.append(String(blob.text.prefix(24)) + "…")
            }
        }
        #expect(opened.isEmpty, "a key from \(what) opens: \(opened)")
        // Canary: had the server kept a vault key anywhere in its dump (here, base64url in a log
        // line), the same check would have opened the blobs.
        let vk = try #require(knowledge.aeadKeys.first { $0.label.hasPrefix("VK") }).key.secretBytes.unprotectedArray()
        let leaked = probe.serverKeys(from: dump + Array("\nleaked \(Base64URL.encode(vk))\n".utf8)).compactMap { try? SymmetricKey(SecretBytes(copying: $0)) }
        let canaryOpens = identified.contains { blob, aad in leaked.contains { (try? XChaCha20Poly1305.open(blob.ciphertext, key: $0, nonce: blob.nonce, aad: aad)) != nil } }
        #expect(canaryOpens, "the check would not notice a vault key stored by the server")
        #expect(BlobProbe.privateKeys(among: candidates, for: publicKeys).isEmpty, "\(what) hold an account's private key")
        Report.line("zero knowledge | \(what) | \(knowledge.needles.count + knowledge.tokenNeedles.count) needles, \(persisted.count) bytes at rest, "
                    + "\(identified.count) blobs (\(stored.aead.count - stored.aead.filter { identified[$0] != nil }.count) stored fragments), "
                    + "\(sent.hpke.union(stored.hpke).count) wraps, \(candidates.count) server-side keys tried")
    }
}
