import Foundation
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import Testing

/// Vectors of the numbered additions to spec v1 (`docs/crypto-v1.md` §11), made by the
/// independent Python generator beside the file (`vectors/seclab/generate-additions.py`).
@Suite struct SeclabAdditionsVectorTests {
    static func root() throws -> [String: Any] {
        try #require(try VectorFiles.json("seclab/seclab-v1-additions.json") as? [String: Any])
    }

    /// A1: the v2 credential text binds slot, vault and owner; it round-trips both ways and
    /// derives the same auth_secret/unwrap_key as the v1 text of the same slot and MK.
    @Test func machineCredentialV2() throws {
        let cases = try #require(try Self.root()["machine_credential_v2"] as? [[String: Any]])
        #expect(cases.count >= 2)
        for c in cases {
            let slot = try SeclabID(text: c.string("slot_id_text"), what: "slot")
            let context = VaultContext(ownerAccountID: try SeclabID(text: c.string("account_id_text"), what: "account"),
                                       vaultID: try SeclabID(text: c.string("vault_id_text"), what: "vault"))
            let mk = SecretBytes(copying: try c.hex("mk"))
            let made = MachineCredential(slotID: slot, machineKey: mk, binding: context)
            #expect(made.text == (try c.string("credential_text")))
            #expect(made.version == 2)
            let parsed = try MachineCredential(text: c.string("credential_text"))
            #expect(parsed.slotID == slot)
            #expect(parsed.binding == context)
            #expect(parsed.machineKey.withUnsafeBytes { Array($0) } == (try c.hex("mk")))
            let v1 = try MachineCredential(text: c.string("credential_v1_text"))
            #expect(v1.binding == nil && v1.version == 1)
            // The binding changes the text only: the keys are the spec §6.2 derivations.
            #expect(v1.authSecret.text == parsed.authSecret.text)
            #expect(v1.unwrapKey.secretBytes.withUnsafeBytes { Array($0) } == parsed.unwrapKey.secretBytes.withUnsafeBytes { Array($0) })
        }
    }

    @Test func machineCredentialV2MustReject() throws {
        let cases = try #require(try Self.root()["machine_credential_v2_must_reject"] as? [[String: Any]])
        #expect(cases.count >= 5)
        for c in cases {
            let why = try c.string("why")
            let text = try c.string("credential_text")
            do throws(KeysError) {
                _ = try MachineCredential(text: text)
                Issue.record("accepted: \(why)")
            } catch {
                switch error {
                case .checksumMismatch: #expect(why.contains("checksum"), "\(why): reported as a checksum mismatch")
                case .malformed: #expect(!why.contains("checksum"), "\(why): reported as malformed")
                default: Issue.record("\(why): unexpected error \(error)")
                }
            }
        }
    }
}
