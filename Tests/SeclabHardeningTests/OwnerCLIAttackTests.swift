import Foundation
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabSRP
import SeclabTestSupport
import Testing

/// The owner commands the attacks target.
enum Cmd {
    static let get = ["secret", "get", "prod", "API_TOKEN"]
    static let export = ["secret", "export", "prod", "--format", "dotenv"]
    static let list = ["secret", "list", "prod"]
    static let vaults = ["vault", "list"]
}

/// One way a malicious server answers the owner's `seclab` CLI.
struct CLIAttack: Sendable, CustomTestStringConvertible {
    let name: String
    let command: [String]
    /// The documented exit code (docs/cli.md): 6 for everything that fails to verify.
    var expected: Int32 = 6
    /// Text the error line must contain.
    var message = "integrity check failed"
    let rewrite: @Sendable (HostileWorld) -> Rewrite

    var testDescription: String { name }


    /// Edit the owner's vault list; `edit` gets the summaries of prod and staging by name.
    static func vaults(_ name: String, _ command: [String] = Cmd.get, message: String = "integrity check failed",
                       _ edit: @escaping @Sendable (HostileWorld, inout JSONObject, inout JSONObject, inout [JSONObject]) throws -> Void) -> CLIAttack {
        CLIAttack(name: name, command: command, message: message) { world in
            Attack.json("GET", "/v1/vaults") { object in
                var all = object.list("vaults")
                guard let p = all.firstIndex(where: { $0.string("vault_id") == world.prodID }),
                      let s = all.firstIndex(where: { $0.string("vault_id") == world.stagingID }) else { return }
                var prod = all[p], staging = all[s], extra = [JSONObject]()
                try? edit(world, &prod, &staging, &extra)
                all[p] = prod; all[s] = staging
                object["vaults"] = all + extra
            }
        }
    }

    /// Edit prod's slot in the owner's vault list.
    static func slot(_ name: String, _ edit: @escaping @Sendable (HostileWorld, inout JSONObject, JSONObject) -> Void) -> CLIAttack {
        vaults(name) { w, prod, staging, _ in
            var slot = prod["slot"] as! JSONObject
            edit(w, &slot, staging["slot"] as! JSONObject)
            prod["slot"] = slot
        }
    }

    /// Edit the items answer (`batch-get` for `secret get`, the list for export and list).
    static func items(_ name: String, _ command: [String] = Cmd.get, message: String = "integrity check failed",
                      _ edit: @escaping @Sendable (HostileWorld, inout [JSONObject]) -> Void) -> CLIAttack {
        let (method, path) = command == Cmd.get ? ("POST", "/items/batch-get") : ("GET", "/items")
        return CLIAttack(name: name, command: command, message: message) { world in
            Attack.json(method, path) { object in
                var items = object.list("items")
                edit(world, &items)
                object["items"] = items
            }
        }
    }

    /// Edit the one item of `secret get`'s answer.
    static func item(_ name: String, message: String = "integrity check failed", _ edit: @escaping @Sendable (HostileWorld, inout JSONObject) -> Void) -> CLIAttack {
        items(name, message: message) { w, items in edit(w, &items[0]) }
    }

    static func value(_ w: HostileWorld, _ name: String) -> Any? { w.item(w.prodItems, vault: "prod", name)["enc_value"] }

    static let all: [CLIAttack] = [
        // Vault keys and names replaced or swapped between vaults.
        slot("owner slot's wrapped VK of another vault") { _, slot, other in slot["wrapped_vk"] = other["wrapped_vk"] },
        vaults("wrapped index key of another vault") { _, p, s, _ in p["wrapped_index_key"] = s["wrapped_index_key"] },
        vaults("vault name blob of another vault", Cmd.vaults) { _, p, s, _ in p["enc_name"] = s["enc_name"] },
        vaults("vault ids of two vaults swapped", Cmd.vaults) { _, p, s, _ in
            let id = p["vault_id"]; p["vault_id"] = s["vault_id"]; s["vault_id"] = id
        },
        slot("own slot claims another granter") { w, slot, _ in slot["granted_by"] = w.friendID },
        slot("another account's slot") { w, slot, _ in slot["account_id"] = w.friendID },
        vaults("own vault re-sealed by an impostor, impostor as granter") { w, p, _, _ in
            p = try w.attacker.resealed(p, name: "prod", recipientKey: w.ownerKey, grantedBy: w.attacker.accountID.text)
        },
        vaults("own vault re-sealed by an impostor, owner as granter") { w, p, _, _ in
            p = try w.attacker.resealed(p, name: "prod", recipientKey: w.ownerKey)
        },
        vaults("planted vault claiming to be the owner's own", Cmd.vaults) { w, _, _, extra in
            extra.append(try w.attacker.plantedVault(name: "planted", recipientID: w.ownerID, recipientKey: w.ownerKey, claimedOwner: w.ownerID))
        },
        slot("wrapped VK prefix hp1. swapped to xc1.") { _, slot, _ in slot["wrapped_vk"] = BlobText.prefixed(slot.string("wrapped_vk"), "xc1.") },
        slot("wrapped VK prefix hp1. downgraded to hp0.") { _, slot, _ in slot["wrapped_vk"] = BlobText.prefixed(slot.string("wrapped_vk"), "hp0.") },
        slot("wrapped VK parts reordered") { _, slot, _ in slot["wrapped_vk"] = BlobText.reordered(slot.string("wrapped_vk")) },
        // Item blobs swapped between key_refs, vaults and accounts.
        item("value blob of another key_ref") { w, item in item["enc_value"] = value(w, "DATABASE_URL") },
        items("item of another vault, same name") { w, items in items = [w.item(w.stagingItems, vault: "staging", "API_TOKEN")] },
        item("blobs of another vault under the asked key_ref") { w, item in
            let other = w.item(w.stagingItems, vault: "staging", "API_TOKEN")
            item["enc_name"] = other["enc_name"]; item["enc_value"] = other["enc_value"]
        },
        items("item of another account's vault") { w, items in items = [w.item(w.friendItems, vault: "friends", "DATABASE_URL")] },
        items("a genuine item not asked for, added") { w, items in items.append(w.item(w.prodItems, vault: "prod", "DATABASE_URL")) },
        // Truncated, downgraded, reordered.
        item("value ciphertext truncated") { _, item in item["enc_value"] = BlobText.truncated(item.string("enc_value")) },
        item("value ciphertext shorter than the tag") { _, item in item["enc_value"] = BlobText.belowTag(item.string("enc_value")) },
        item("value prefix xc1. changed to xc2.") { _, item in item["enc_value"] = BlobText.prefixed(item.string("enc_value"), "xc2.") },
        item("value blob parts reordered") { _, item in item["enc_value"] = BlobText.reordered(item.string("enc_value")) },
        item("name and value blobs swapped") { _, item in let n = item["enc_name"]; item["enc_name"] = item["enc_value"]; item["enc_value"] = n },
        CLIAttack(name: "answer is not JSON", command: Cmd.get, message: "malformed") { _ in Attack.body("POST", "/items/batch-get") { _ in Array("<html>".utf8) } },
        CLIAttack(name: "answer truncated to half", command: Cmd.get, message: "malformed") { _ in
            Attack.body("POST", "/items/batch-get") { Array($0.prefix($0.count / 2)) }
        },
        // Export and list: one bad item among good ones prints nothing at all.
        items("export: one value swapped with another's", Cmd.export) { w, items in
            for index in items.indices where items[index].string("key_ref") == w.refs["prod"]!["TLS_KEY"] { items[index]["enc_value"] = value(w, "SHORT") }
        },
        items("export: one key_ref twice", Cmd.export) { _, items in items.append(items[0]) },
        items("export: live item with empty blobs", Cmd.export) { _, items in items[items.count - 1]["enc_value"] = "" },
        items("list: name blobs swapped between key_refs", Cmd.list) { _, items in
            let name = items[0]["enc_name"]; items[0]["enc_name"] = items[1]["enc_name"]; items[1]["enc_name"] = name
        },
        items("list: key_ref replaced", Cmd.list) { _, items in items[0]["key_ref"] = Base64URL.encode(randomBytes(count: 32)) },
        items("list: item of another vault added", Cmd.list) { w, items in items.append(w.item(w.stagingItems, vault: "staging", "API_TOKEN")) },
    ]
}

/// One way a malicious server answers a login (`account login` on a new device).
struct LoginAttack: Sendable, CustomTestStringConvertible {
    let name: String
    var expected: Int32 = 6
    let message: String
    let rewrite: @Sendable (HostileWorld) -> Rewrite
    var testDescription: String { name }

    static func start(_ name: String, _ message: String, _ edit: @escaping @Sendable (inout JSONObject) -> Void) -> LoginAttack {
        LoginAttack(name: name, message: message) { _ in Attack.json("POST", "/v1/auth/srp/start", edit) }
    }

    static func finish(_ name: String, _ message: String, _ edit: @escaping @Sendable (HostileWorld, inout JSONObject) -> Void) -> LoginAttack {
        LoginAttack(name: name, message: message) { world in
            Attack.json("POST", "/v1/auth/srp/finish") { object in
                var account = object["account"] as! JSONObject
                edit(world, &account)
                object["account"] = account
            }
        }
    }

    /// `b64u(PAD(v))` for the SRP group (spec §8).
    static func padded(_ value: [UInt8]) -> String { Base64URL.encode([UInt8](repeating: 0, count: 512 - value.count) + value) }

    static let all: [LoginAttack] = [
        LoginAttack(name: "control: untouched login", expected: 0, message: "") { _ in Attack.none },
        start("unknown KDF profile offered", "KDF profile 'p0'") { $0["kdf_profile"] = "p0" },
        start("machine KDF profile m1 offered for a passphrase", "KDF profile 'm1'") { $0["kdf_profile"] = "m1" },
        start("B = 0", "SRP value was refused") { $0["server_public"] = padded([0]) },
        start("B = N", "SRP value was refused") { $0["server_public"] = padded(SRPGroup.rfc5054_4096.modulus) },
        LoginAttack(name: "server proof M2 altered", message: "SRP M2") { _ in
            Attack.json("POST", "/v1/auth/srp/finish") { $0["server_proof"] = Base64URL.encode(randomBytes(count: 32)) }
        },
        finish("key set names an unknown KDF profile", "KDF profile 'p9'") { _, account in account["kdf_profile"] = "p9" },
        finish("key set with an impostor's public key", "public key does not match") { w, account in account["public_key"] = w.attacker.publicKey.text },
        finish("key set of another account", "another account's key set") { w, account in account = (try? w.friend.keySet) ?? [:] },
        finish("key set with another account's wrapped private key", "private key did not open") { w, account in
            account["enc_private_key"] = (try? w.friend.keySet)?["enc_private_key"]
        },
    ]
}

@Suite("seclab against a malicious server")
struct OwnerCLIAttackTests {
    /// Each attack on an unlocked device: exit 6, one error line, nothing on stdout, and the
    /// profile directory byte for byte unchanged.
    @Test(arguments: CLIAttack.all)
    func failsClosed(_ attack: CLIAttack) throws {
        let world = try HostileWorld.get()
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: attack.rewrite(world))
        defer { proxy.close() }
        let device = try world.owner.clone(server: proxy.baseURL)
        let before = device.snapshot()
        let run = try device.run(attack.command)
        #expect(run.status == attack.expected, "\(attack.name): exit \(run.status): \(run.stderr)")
        #expect(proxy.exchanges.contains { $0.tampered }, "the attack never changed an answer")
        #expect(run.stdout.isEmpty, "\(attack.name): partial output \(run.text)")
        let errors = run.errorLines("seclab")
        #expect(errors.count == 1 && errors[0].contains(attack.message), "\(attack.name): \(run.stderr)")
        #expect(device.snapshot() == before, "\(attack.name): the profile directory changed")
        Report.line("seclab \(attack.command.joined(separator: " ")) | \(attack.name) | \(run.status) | \(errors.first ?? "")")
    }

    /// The same commands through an untouched proxy work: the failures above are the attacks'.
    @Test func controlThroughTheProxy() throws {
        let world = try HostileWorld.get()
        let proxy = try TamperingProxy(upstream: world.server.baseURL)
        defer { proxy.close() }
        let device = try world.owner.clone(server: proxy.baseURL)
        #expect(try device.ok(Cmd.get) == HostileWorld.prodSecrets["API_TOKEN"])
        #expect(try device.ok(Cmd.export).contains("TLS_KEY=\"-----BEGIN PRIVATE KEY-----\\n"))
        #expect(try device.ok(Cmd.list).contains("DATABASE_URL"))
        #expect(try device.ok(Cmd.vaults).contains("staging"))
    }

    /// Login on a new device: exit 6 and no profile or session saved.
    @Test(arguments: LoginAttack.all)
    func loginFailsClosed(_ attack: LoginAttack) throws {
        let world = try HostileWorld.get()
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: attack.rewrite(world))
        defer { proxy.close() }
        let device = try Device(server: proxy.baseURL, passphrase: world.owner.passphrase)
        let run = try device.run(["account", "login", "--email", HostileWorld.ownerEmail, "--secret-key-stdin"],
                                 stdin: Array((try world.owner.secretKeyText + "\n").utf8))
        #expect(run.status == attack.expected, "\(attack.name): exit \(run.status): \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(attack.name): stdout \(run.text)")
        if attack.expected == 0 {
            #expect(device.snapshot().keys.contains("session.json"))
            return
        }
        #expect(proxy.exchanges.contains { $0.tampered }, "the attack never changed an answer")
        let errors = run.errorLines("seclab")
        #expect(errors.count == 1 && errors[0].contains(attack.message), "\(attack.name): \(run.stderr)")
        #expect(device.snapshot().isEmpty, "\(attack.name): a failed login saved \(device.snapshot().keys.sorted())")
        Report.line("seclab account login | \(attack.name) | \(run.status) | \(errors.first ?? "")")
    }
}
