import Foundation
import SeclabFormat
import SeclabKeys
@_spi(SeclabTesting) import SeclabPrimitives
import Testing

/// A2 (spec §11): the offline fallback record, checked against the independent Python
/// generator's vectors in `seclab-v1-additions.json`.
@Suite struct SeclabFallbackVectorTests {
    static func credential(_ c: [String: Any]) throws -> MachineCredential {
        MachineCredential(slotID: try SeclabID(text: c.string("slot_id_text"), what: "slot"), machineKey: SecretBytes(copying: try c.hex("mk")),
                          binding: nil)
    }

    /// Key, AAD and the sealed record byte for byte (with the vector's fixed nonce), and the
    /// record opens to the sealed time and body.
    @Test func fallbackRecord() throws {
        let cases = try #require(try SeclabAdditionsVectorTests.root()["fallback_record"] as? [[String: Any]])
        #expect(cases.count >= 2)
        for c in cases {
            let credential = try Self.credential(c)
            let key = FallbackSeal.key(for: credential)
            #expect(key.secretBytes.withUnsafeBytes { Array($0) } == (try c.hex("key")))
            #expect(FallbackSeal.aad(slotID: credential.slotID.bytes) == (try c.hex("aad")))
            let body = Array(try c.string("body").utf8)
            let pulledAt = Int64(try c.int("pulled_at_ms"))
            let nonce = try c.hex("nonce")
            let plain = FallbackSeal.plaintext(pulledAt: pulledAt, body: body)
            let sealed = try plain.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: key, nonce: nonce, aad: FallbackSeal.aad(slotID: credential.slotID.bytes)) }
            let record = FallbackSeal.Record(slotID: credential.slotID.bytes, sealed: nonce + sealed)
            #expect(record.bytes == (try c.hex("record")))
            let parsed = try FallbackSeal.records(in: FallbackSeal.magic + (try c.hex("record")))
            #expect(parsed.count == 1)
            let opened = try FallbackSeal.open(parsed[0], credential: credential)
            #expect(opened.pulledAt == pulledAt && opened.body == body)
            // The production path (random nonce) round-trips too.
            let fresh = FallbackSeal.seal(body: body, pulledAt: pulledAt, credential: credential)
            #expect(try FallbackSeal.open(fresh, credential: credential).body == body)
        }
    }

    /// One file, one record per credential; each credential finds and opens its own.
    @Test func fileWithTwoCredentials() throws {
        let root = try SeclabAdditionsVectorTests.root()
        let cases = try #require(root["fallback_record"] as? [[String: Any]])
        let file = try root.hex("fallback_file_two_credentials")
        let records = try FallbackSeal.records(in: file)
        #expect(records.count == 2)
        for c in cases {
            let credential = try Self.credential(c)
            let record = try #require(records.first { $0.slotID == credential.slotID.bytes })
            #expect(try FallbackSeal.open(record, credential: credential).body == Array(try c.string("body").utf8))
        }
    }

    /// Every must-reject file fails for the named credential: framing as `malformed`, anything
    /// sealed wrongly (flipped, moved, another credential's) as `decryptionFailed`.
    @Test func fallbackMustReject() throws {
        let root = try SeclabAdditionsVectorTests.root()
        let credentials = try #require(root["fallback_record"] as? [[String: Any]]).map(Self.credential)
        let cases = try #require(root["fallback_must_reject"] as? [[String: Any]])
        #expect(cases.count >= 6)
        for c in cases {
            let why = try c.string("why")
            let credential = credentials[try c.int("credential_index")]
            let file = try c.hex("file")
            do throws(KeysError) {
                let records = try FallbackSeal.records(in: file)
                guard let record = records.first(where: { $0.slotID == credential.slotID.bytes }) else {
                    #expect(why.contains("no record"), "\(why): no record found")
                    continue
                }
                _ = try FallbackSeal.open(record, credential: credential)
                Issue.record("accepted: \(why)")
            } catch {
                switch error {
                case .malformed: #expect(why.contains("truncated") || why.contains("not a fallback"), "\(why): reported as malformed")
                case .decryptionFailed: #expect(!why.contains("truncated"), "\(why): reported as a decryption failure")
                default: Issue.record("\(why): unexpected error \(error)")
                }
            }
        }
    }
}
