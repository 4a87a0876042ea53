import Foundation
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// Sharing between two accounts, each on its own device, through the real binaries.
@Suite(.serialized)
struct SharingTests {
    @Test("share by fingerprint, grantee reads with its own secrets, rekey keeps it, unshare cuts it, key change refused")
    func shareFlow() throws {
        let server = try ServerProcess()
        let owner = try Device(server: server.baseURL, passphrase: "owner pass")
        let friend = try Device(server: server.baseURL, passphrase: "friend pass")
        try owner.ok(["account", "create", "--email", "owner@example.com"])
        try friend.ok(["account", "create", "--email", "friend@example.com"])
        try owner.ok(["vault", "create", "team"])
        try owner.ok(["secret", "set", "team", "SHARED"], stdin: Array("shared-value".utf8))

        let shown = try friend.ok(["account", "show", "--json"])
        let info = try JSONSerialization.jsonObject(with: Data(shown.stdout)) as? [String: String]
        let fingerprint = try #require(info?["fingerprint"])

        // A wrong fingerprint refuses to share; no terminal and no fingerprint is a usage error.
        let wrong = try owner.run(["vault", "share", "team", "--with", "friend@example.com", "--fingerprint", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"])
        #expect(wrong.status == 6 && wrong.stderr.contains("fingerprint mismatch"), "\(wrong.stderr)")
        #expect(try owner.run(["vault", "share", "team", "--with", "friend@example.com"]).status == 64)

        try owner.ok(["vault", "share", "team", "--with", "friend@example.com", "--fingerprint", fingerprint])
        // An invitation until accepted: not listed, not usable by name.
        #expect(!(try friend.ok(["vault", "list"]).text.contains("team")))
        #expect(try friend.run(["secret", "get", "team", "SHARED"]).status == 4)
        let invites = try friend.ok(["vault", "invites"])
        #expect(invites.text.contains("team") && invites.text.contains("owner@example.com") && invites.text.contains("read"), "\(invites.text)")
        let accepted = try friend.ok(["vault", "accept", "team"])
        #expect(accepted.stderr.contains("without checking"), "\(accepted.stderr)")
        let listed = try friend.ok(["vault", "list"])
        #expect(listed.text.contains("team") && listed.text.contains("shared read") && listed.text.contains("NOT verified"), "\(listed.text)")
        #expect(try friend.ok(["secret", "get", "team", "SHARED"]).text == "shared-value")
        // Read-only: the server refuses the write, nothing changes.
        let write = try friend.run(["secret", "set", "team", "SHARED"], stdin: Array("planted".utf8))
        #expect(write.status == 8 && write.stderr.contains("read-only"), "\(write.status) \(write.stderr)")
        #expect(try owner.ok(["secret", "get", "team", "SHARED"]).text == "shared-value")

        // A grantee reads but does not administer.
        let notOwner = try friend.run(["machine", "create", "team", "--name", "sneaky"])
        #expect(notOwner.status == 8 && notOwner.stdout.isEmpty, "\(notOwner.stderr)")

        // Rekey re-wraps the share slot to the pinned key: the grantee keeps reading.
        try owner.ok(["vault", "rekey", "team"])
        #expect(try friend.ok(["secret", "get", "team", "SHARED"]).text == "shared-value")

        // The friend keeps a copy of the vault key (as a malicious grantee would), in process.
        let friendSession = try friend.session(email: "friend@example.com")
        let keptCipher = try friendSession.vault(named: "team").cipher

        let unshared = try owner.ok(["vault", "unshare", "team", "--with", "friend@example.com"])
        #expect(unshared.stderr.contains("vault rekey"))
        #expect(!(try friend.ok(["vault", "list"]).text.contains("team")))
        #expect(try friend.run(["secret", "get", "team", "SHARED"]).status == 4)

        // After a rekey, nothing written (or re-encrypted) opens with the kept key.
        try owner.ok(["vault", "rekey", "team"])
        try owner.ok(["secret", "set", "team", "AFTER"], stdin: Array("after-rekey".utf8))
        let rows = try python(dumpItemsScript, [server.databasePath]).stdout.split(separator: "\n")
        #expect(rows.count >= 2)
        for row in rows {
            let parts = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, !parts[2].isEmpty else { continue }
            let sealed = SealedItem(keyRef: try KeyRef(text: parts[0]), encName: try AEADBlob(text: parts[1]), encValue: try AEADBlob(text: parts[2]))
            #expect(throws: KeysError.self) { try keptCipher.open(sealed) }
        }
        #expect(try owner.ok(["secret", "get", "team", "AFTER"]).text == "after-rekey")

        for marker in ["shared-value", "SHARED", "team", "owner pass", "friend pass"] {
            #expect(!server.persistedBytes().containsBytes(marker), "the server persisted '\(marker)'")
        }

        // The server swaps the friend's public key: the owner's pin refuses it loudly.
        let swap = try python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], timeout=30)
            db.execute("update accounts set public_key = ? where email = ?", ("A" * 42 + "A", "friend@example.com"))
            db.commit()
            """, [server.databasePath])
        #expect(swap.status == 0, "\(swap.stderr)")
        let changed = try owner.run(["vault", "share", "team", "--with", "friend@example.com", "--fingerprint", fingerprint])
        #expect(changed.status == 6 && changed.stderr.contains("HAS CHANGED"), "\(changed.stderr)")
    }
}
