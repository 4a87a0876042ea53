import SeclabAPI
import Testing

/// The structure checks shared with clients (spec §0, §2), without a server.
@Suite("Wire checks")
struct WireCheckTests {
    @Test func blobsAreCheckedForPrefixLengthsAndTag() throws {
        try WireCheck.aeadBlob(Fake.aead(bytes: 0), field: "f", maxPlaintext: 10)
        try WireCheck.hpkeWrap(Fake.hpke(), field: "f")
        #expect(throws: APIValidationError.self) { try WireCheck.aeadBlob(Fake.hpke(), field: "f", maxPlaintext: 64) }
        #expect(throws: APIValidationError.self) { try WireCheck.hpkeWrap(Fake.aead(bytes: 32), field: "f") }
        #expect(throws: APIValidationError.self) { try WireCheck.aeadBlob(Fake.aead(bytes: 11), field: "f", maxPlaintext: 10) }
        #expect(throws: APIValidationError.self) { try WireCheck.aeadBlob("xc1." + Fake.b64u(24) + "." + Fake.b64u(16) + ".x", field: "f", maxPlaintext: 10) }
    }

    @Test func idsMustBeLowercaseHyphenated() throws {
        try WireCheck.id("3f2504e0-4f89-41d3-9a0c-0305e82c3301", field: "id")
        #expect(throws: APIValidationError.self) { try WireCheck.id("3F2504E0-4F89-41D3-9A0C-0305E82C3301", field: "id") }
        #expect(throws: APIValidationError.self) { try WireCheck.id("3f2504e04f8941d39a0c0305e82c3301", field: "id") }
    }

    @Test func rekeyRejectsDuplicateRefs() {
        let ref = Fake.b64u(32)
        let item = RekeyItem(keyRef: ref, encName: Fake.aead(bytes: 3), encValue: Fake.aead(bytes: 3))
        let request = RekeyRequest(encName: Fake.aead(bytes: 3), wrappedIndexKey: Fake.aead(bytes: 32), slots: [], items: [item, item])
        #expect(throws: APIValidationError(field: "items[1]", reason: "duplicate entry")) { try request.validate() }
    }
}
