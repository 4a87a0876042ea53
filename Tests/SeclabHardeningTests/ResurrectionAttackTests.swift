import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// The holder of a leaked, since-revoked machine credential re-creates its slot
/// (same slot id, auth secret and wrapped VK from the leaked MK) in a vault of their own, with
/// items of their choosing, hoping the victim's pipeline pulls and runs them.
///
/// Two independent defences, each tested on its own: the server never issues a removed slot
/// id again (tombstones, spec §11 A1), and a v2 credential names its vault, so seclab-run
/// refuses an answer for any other vault even from a server that lost its tombstones.
@Suite(.serialized)
struct ResurrectionAttackTests {
    final class Scene {
        let server: ServerProcess
        let victim: Device
        let attacker: Device
        let credential: String
        let session: OwnerSession

        init() throws {
            server = try ServerProcess()
            victim = try Device(server: server.baseURL, passphrase: "victim pass")
            attacker = try Device(server: server.baseURL, passphrase: "attacker pass")
            try victim.ok(["account", "create", "--email", "victim@example.com"])
            try attacker.ok(["account", "create", "--email", "attacker@example.com"])
            try victim.ok(["vault", "create", "prod"])
            try victim.ok(["secret", "set", "prod", "DEPLOY_TARGET"], stdin: Array("victim-target".utf8))
            credential = try victim.ok(["machine", "create", "prod", "--name", "ci"]).trimmingCharacters(in: .whitespacesAndNewlines)
            session = try ResurrectionAttackTests.login(attacker, server: server.baseURL)
        }

        /// seclab-run with `credential`; the command writes DEPLOY_TARGET to a marker file.
        func run(credential: String) throws -> (status: Int32, stderr: String, ran: String?) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-resurrect-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let marker = directory.appendingPathComponent("ran")
            let result = try runProcess(try Binaries.url(named: "seclab-run"),
                                        arguments: ["--", "/bin/sh", "-c", "printf %s \"$DEPLOY_TARGET\" > '\(marker.path)'"],
                                        environment: ["SECLAB_SERVER": server.baseURL, "SECLAB_MACHINE_KEY": credential,
                                                      "PATH": "/usr/bin:/bin", "HOME": directory.path], timeout: 60)
            let ran = FileManager.default.contents(atPath: marker.path).map { String(decoding: $0, as: UTF8.self) }
            return (result.status, result.stderr, ran)
        }

        /// The attacker's re-creation of the leaked slot in a vault of its own: the HTTP status.
        func resurrect() throws -> Int { try ResurrectionAttackTests.resurrect(credential, as: session) }

        /// What an old server (or a restore from a backup without tombstones) would hold.
        func forgetTombstones() throws {
            let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1], timeout=30)
                n = db.execute("delete from retired_ids").rowcount
                db.commit()
                print(n)
                """, server.databasePath], environment: ["PATH": "/usr/bin:/bin"])
            guard result.status == 0, Int(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0 else {
                throw TestSupportError("no tombstone to remove: \(result.stderr)")
            }
        }
    }

    @Test("the server refuses to re-create a revoked slot id in another account; the revoked credential stays refused")
    func tombstonesRefuseTheSlotID() throws {
        let scene = try Scene()
        #expect(scene.credential.hasPrefix("slmk2_"))
        #expect(try scene.run(credential: scene.credential).ran == "victim-target", "control: the credential works before revocation")
        try scene.victim.ok(["machine", "revoke", "prod", "ci"])
        #expect(try scene.resurrect() == 409)
        let run = try scene.run(credential: scene.credential)
        #expect(run.status == 123 && run.ran == nil, "\(run.status) \(run.stderr)")
        // Tombstones survive a restart of the server on the same file.
        #expect(scene.server.stop() == 0)
        let restarted = try ServerProcess(sharing: scene.server.databasePath)
        defer { _ = restarted.stop() }
        let retired = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("select count(*) from retired_ids").fetchone()[0])
            """, scene.server.databasePath], environment: ["PATH": "/usr/bin:/bin"])
        #expect(String(decoding: retired.stdout, as: UTF8.self).hasPrefix("1"))
    }

    @Test("a database from before tombstones gets them from its audit rows when it migrates")
    func migrationRecoversTombstonesFromTheAudit() throws {
        let scene = try Scene()
        try scene.victim.ok(["machine", "revoke", "prod", "ci"])
        #expect(scene.server.stop() == 0)
        // Undo schema versions 3 and later by hand (5: slots.oidc_policy): what a
        // database written by the release before tombstones holds.
        let downgrade = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], timeout=30)
            for statement in ["DROP TABLE retired_ids", "ALTER TABLE slots DROP COLUMN role", "ALTER TABLE slots DROP COLUMN accepted_at",
                              "ALTER TABLE audit_events DROP COLUMN detail", "ALTER TABLE audit_events DROP COLUMN occurrences",
                              "ALTER TABLE audit_events DROP COLUMN key_ref_count", "ALTER TABLE slots DROP COLUMN oidc_policy",
                              "DELETE FROM schema_migrations WHERE version >= 3"]:
                db.execute(statement)
            db.commit()
            """, scene.server.databasePath], environment: ["PATH": "/usr/bin:/bin"])
        #expect(downgrade.status == 0, "\(downgrade.stderr)")
        let upgraded = try ServerProcess(sharing: scene.server.databasePath)
        defer { _ = upgraded.stop() }
        let session = try Self.login(scene.attacker, server: upgraded.baseURL)
        #expect(try Self.resurrect(scene.credential, as: session) == 409)
    }

    /// The attacker's session, in this process (to send what the CLI never would).
    static func login(_ device: Device, server: String) throws -> OwnerSession {
        try OwnerAccount.login(client: APIClient(baseURL: server), email: "attacker@example.com",
                               passphrase: NormalizedPassphrase(normalizedUTF8: SecretBytes(copying: Array(device.passphrase.utf8))),
                               secretKey: SecretKey(text: device.file("profile.json")["secret_key"] as? String ?? ""))
    }

    /// Re-create the leaked credential's slot (same id, auth secret and wrap from its MK) in a
    /// new vault of `session`'s holding a planted DEPLOY_TARGET; the HTTP status of the create.
    static func resurrect(_ credential: String, as session: OwnerSession) throws -> Int {
        let leaked = try MachineCredential(text: credential)
        let vault = try session.createVault(named: "bait-\(UUID().uuidString.prefix(6))")
        _ = try session.setItem(in: vault, name: ItemName("DEPLOY_TARGET"), value: SecretBytes(copying: Array("attacker-target".utf8)))
        let request = CreateMachineSlotRequest(
            slotID: leaked.slotID.text, encLabel: vault.vaultKey.sealMachineLabel("ci", in: vault.context, slotID: leaked.slotID).text,
            wrappedVK: MachineSlot.wrap(vault.vaultKey, with: leaked.unwrapKey, in: vault.context, slotID: leaked.slotID).text,
            unwrapKeyEscrow: try MachineSlot.escrow(leaked.unwrapKey, owner: session.keys, in: vault.context, slotID: leaked.slotID).text,
            authSecret: leaked.authSecret.text)
        do {
            let _: MachineSlotView = try session.client.send("POST", "/v1/vaults/\(vault.id.text)/machines", body: request,
                                                             authorization: session.authorization, idempotent: false)
            return 201
        } catch let ClientError.server(status, _, _, _) {
            return status
        }
    }

    @Test("a v2 credential refuses an answer for another vault even when the server lost its tombstones; nothing runs")
    func boundCredentialRefusesAnotherVault() throws {
        let scene = try Scene()
        try scene.victim.ok(["machine", "revoke", "prod", "ci"])
        try scene.forgetTombstones()
        #expect(try scene.resurrect() == 201, "the attack needs a server that lets the id be reused")
        let run = try scene.run(credential: scene.credential)
        #expect(run.status == 122, "\(run.status) \(run.stderr)")
        #expect(run.ran == nil, "the command ran with the attacker's secrets")
        #expect(run.stderr.contains("this credential was issued for vault"), "\(run.stderr)")

        // The same slot and MK as a v1 text (no binding) is what the attack used to need; it
        // still opens the attacker's vault here, which is why v1 credentials warn.
        let leaked = try MachineCredential(text: scene.credential)
        let v1 = MachineCredential(slotID: leaked.slotID, machineKey: leaked.machineKey).text
        let old = try scene.run(credential: v1)
        #expect(old.stderr.contains("warning: this slmk1_ credential does not name its vault"), "\(old.stderr)")
        Report.line("resurrection | v2 \(run.status) (nothing ran) | v1 without tombstones \(old.status), ran \(old.ran ?? "nothing")")
    }
}
