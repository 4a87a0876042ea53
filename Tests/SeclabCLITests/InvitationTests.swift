import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// A stranger who knows only the victim's e-mail cannot lock the victim out of
/// its own vaults, nor receive the victim's writes through a vault named like one of theirs.
@Suite(.serialized)
struct InvitationTests {
    /// A server, the victim (with `vault` holding `name`) and another account, `other@example.com`.
    static func twoAccounts(other: String, vault: String, name: String, value: String) throws -> (ServerProcess, Device, Device) {
        let server = try ServerProcess()
        let victim = try Device(server: server.baseURL, passphrase: "victim pass")
        let second = try Device(server: server.baseURL, passphrase: "\(other) pass")
        try victim.ok(["account", "create", "--email", "victim@example.com"])
        try second.ok(["account", "create", "--email", "\(other)@example.com"])
        try victim.ok(["vault", "create", vault])
        try victim.ok(["secret", "set", vault, name], stdin: Array(value.utf8))
        return (server, victim, second)
    }

    @Test("a garbage share and a look-alike vault from a stranger: the victim keeps working, writes nothing into it, declines it")
    func strangerCannotLockOutOrCaptureWrites() throws {
        let (server, victim, stranger) = try Self.twoAccounts(other: "stranger", vault: "prod", name: "API_TOKEN", value: "victim-token")

        // The stranger's attacks, through the API with the stranger's own session.
        let attacker = try stranger.session(email: "stranger@example.com")
        let target = try attacker.lookupAccount(email: "victim@example.com")
        let junk = try attacker.createVault(named: "junk")
        let garbage = "hp1." + Base64URL.encode(randomBytes(count: 32)) + "." + Base64URL.encode(randomBytes(count: 48))
        let _: SlotView = try attacker.client.send("POST", "/v1/vaults/\(junk.id.text)/shares",
                                                   body: CreateShareRequest(slotID: SeclabID.random().text, accountID: target.accountID.text, wrappedVK: garbage),
                                                   authorization: attacker.authorization, idempotent: false)
        let lookalike = try attacker.createVault(named: "staging")
        try attacker.share(lookalike, with: target, role: "write")

        // The victim's commands on its own vault work; nothing of the stranger's is listed.
        let listed = try victim.ok(["vault", "list"])
        #expect(listed.text.contains("prod") && !listed.text.contains("staging") && !listed.text.contains(junk.id.text), "\(listed.text)")
        #expect(listed.stderr.contains("2 vault invitation(s)"), "\(listed.stderr)")
        #expect(try victim.ok(["secret", "get", "prod", "API_TOKEN"]).text == "victim-token")
        #expect(try victim.ok(["secret", "list", "prod"]).text.contains("API_TOKEN"))

        // A write to "staging" does not reach the stranger's vault of that name.
        let write = try victim.run(["secret", "set", "staging", "DB_PASSWORD"], stdin: Array("victim-db-secret".utf8))
        #expect(write.status == 4, "\(write.status) \(write.stderr)")
        #expect(try attacker.listItems(in: lookalike).isEmpty)

        // The invitations name who sent them; the garbage one cannot be accepted, only declined.
        let invites = try victim.ok(["vault", "invites"])
        #expect(invites.text.contains("stranger@example.com") && invites.text.contains("does not open") && invites.text.contains("staging"),
                "\(invites.text)")
        let refused = try victim.run(["vault", "accept", junk.id.text])
        #expect(refused.status == 6 && refused.stderr.contains("stranger@example.com") && refused.stderr.contains("decline"), "\(refused.stderr)")
        try victim.ok(["vault", "decline", junk.id.text])
        try victim.ok(["vault", "decline", "\(lookalike.id.text)"])
        #expect(try victim.ok(["vault", "invites"]).stderr.contains("no invitations"))

        // Audit on the stranger's side shows the decline; the server holds no victim secret.
        #expect(!server.persistedBytes().containsBytes("victim-db-secret"))
    }

    @Test("an accepted share that stops opening is listed as broken, naming the sharer; own vaults keep working")
    func brokenAcceptedShareDoesNotBreakOtherVaults() throws {
        let (server, victim, sharer) = try Self.twoAccounts(other: "sharer", vault: "mine", name: "OWN", value: "own-value")
        try sharer.ok(["vault", "create", "team"])
        let shown = try victim.ok(["account", "show", "--json"])
        let fingerprint = try #require((try JSONSerialization.jsonObject(with: Data(shown.stdout)) as? [String: String])?["fingerprint"])
        try sharer.ok(["vault", "share", "team", "--with", "victim@example.com", "--fingerprint", fingerprint])
        try victim.ok(["vault", "accept", "team"])

        // The share's wrap is replaced in the database (a sharer's bug, or a server fault).
        let garbage = "hp1." + Base64URL.encode(randomBytes(count: 32)) + "." + Base64URL.encode(randomBytes(count: 48))
        let edit = try python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], timeout=30)
            db.execute("update slots set wrapped_vk = ? where kind = 'share'", (sys.argv[2],))
            db.commit()
            """, [server.databasePath, garbage])
        #expect(edit.status == 0, "\(edit.stderr)")

        let listed = try victim.ok(["vault", "list"])
        #expect(listed.text.contains("mine") && listed.text.contains("broken, shared by sharer@example.com"), "\(listed.text)")
        #expect(listed.stderr.contains("does not open") && listed.stderr.contains("vault decline"), "\(listed.stderr)")
        #expect(try victim.ok(["secret", "get", "mine", "OWN"]).text == "own-value")
        let named = try victim.run(["secret", "get", "team", "X"])
        #expect(named.status == 4 && named.stderr.contains("do not open"), "\(named.stderr)")
        let id = try #require(listed.text.split(separator: "\n").first { $0.contains("broken") }?.split(separator: "\t").dropFirst().first)
        try victim.ok(["vault", "decline", String(id)])
        #expect(!(try victim.ok(["vault", "list"]).text.contains("broken")))
    }
}
