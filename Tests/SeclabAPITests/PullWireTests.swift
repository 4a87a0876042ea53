import Foundation
import SeclabAPI
import Testing

/// seclab-run reads the pull response with its own JSON reader (PullWire); it must agree with
/// the general decoder on every valid body and refuse what is not the documented shape.
@Suite("Pull response reader")
struct PullWireTests {
    static func sample(items: Int) -> MachinePullResponse {
        MachinePullResponse(accountID: UUID().uuidString.lowercased(), vaultID: UUID().uuidString.lowercased(),
                            slotID: UUID().uuidString.lowercased(), wrappedVK: "xc1.AAAA.BBBB", wrappedIndexKey: "xc1.CCCC.DDDD",
                            items: (0..<items).map { index in
                                ItemView(keyRef: "ref\(index)", encName: "xc1.n\(index).x", encValue: "xc1.v\(index).y",
                                         updatedAt: "2026-11-23T19:24:00.000Z", deleted: index % 5 == 4)
                            })
    }

    @Test(arguments: [0, 1, 50])
    func agreesWithTheGeneralDecoder(items: Int) throws {
        let value = Self.sample(items: items)
        for formatting in [JSONEncoder.OutputFormatting.sortedKeys, [.prettyPrinted], [.withoutEscapingSlashes]] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            let bytes = Array(try encoder.encode(value))
            #expect(try PullWire.response(bytes) == value)
        }
    }

    @Test func decodesEscapesAndUnicode() throws {
        let body = #"{"account_id":"a\"b\\c\/d\u00e9\ud83d\udd11\n","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[],"extra":{"x":[1,-2.5e3,null,true]}}"#
        let value = try PullWire.response(Array(body.utf8))
        #expect(value.accountID == "a\"b\\c/dé🔑\n")
        #expect(value.items.isEmpty)
    }

    @Test(arguments: [
        "", "{", "[]", "null", #"{"account_id":1}"#,
        #"{"account_id":"a","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i"}"#,
        #"{"account_id":"a","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":{}}"#,
        #"{"account_id":"a","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[{"key_ref":"r"}]}"#,
        #"{"account_id":"a","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[]} x"#,
        #"{"account_id":"a","account_id":"b","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[]}"#,
        #"{"account_id":"a\u12","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[]}"#,
        #"{"account_id":"\ud800","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[]}"#,
        "{\"account_id\":\"tab\there\",\"items\":[]}", #"{"n":01}"#, #"{"n":1.}"#, #"{"n":-}"#,
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func refusesWhatIsNotTheDocumentedShape(body: String) {
        #expect(throws: PullWire.ReadError.self) { try PullWire.response(Array(body.utf8)) }
    }

    /// The reader goes straight to typed fields (no value tree): duplicates, wrong types and
    /// missing fields inside items must still be refused, unknown fields still skipped.
    @Test(arguments: [
        #"{"key_ref":"r","key_ref":"s","enc_name":"n","enc_value":"v","updated_at":"u","deleted":false}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","updated_at":"u","deleted":false,"deleted":true}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","updated_at":"u","deleted":false,"x":1,"x":2}"#,
        #"{"key_ref":1,"enc_name":"n","enc_value":"v","updated_at":"u","deleted":false}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","updated_at":"u","deleted":"false"}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","updated_at":"u"}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","deleted":false}"#,
        #"{"key_ref":"r","enc_name":"n","enc_value":"v","updated_at":"u","deleted":false,}"#,
        #"["r"]"#, #""r""#,
    ])
    func refusesMalformedItems(item: String) {
        let body = #"{"account_id":"a","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":["# + item + "]}"
        #expect(throws: PullWire.ReadError.self) { try PullWire.response(Array(body.utf8)) }
    }

    @Test func skipsUnknownFieldsAndReadsItemsInAnyKeyOrder() throws {
        let body = """
            { "items" : [ {"deleted":true, "future":{"a":[1,{"b":null}]}, "updated_at":"u","enc_value":"xc1.v","enc_name":"xc1.n","key_ref":"r"} ,
              {"key_ref":"r2","enc_name":"n2","enc_value":"v2","updated_at":"u2","deleted":false} ],
              "wrapped_index_key":"i", "extra":[], "slot_id":"s","wrapped_vk":"k","vault_id":"v","account_id":"a" }
            """
        let value = try PullWire.response(Array(body.utf8))
        #expect(value.items == [ItemView(keyRef: "r", encName: "xc1.n", encValue: "xc1.v", updatedAt: "u", deleted: true),
                                ItemView(keyRef: "r2", encName: "n2", encValue: "v2", updatedAt: "u2", deleted: false)])
        #expect(value.accountID == "a" && value.vaultID == "v" && value.slotID == "s" && value.wrappedVK == "k" && value.wrappedIndexKey == "i")
    }

    @Test func refusesInvalidUTF8() {
        var bytes = Array(#"{"account_id":"x","vault_id":"v","slot_id":"s","wrapped_vk":"k","wrapped_index_key":"i","items":[]}"#.utf8)
        bytes[16] = 0xFF
        #expect(throws: PullWire.ReadError.self) { try PullWire.response(bytes) }
    }

    @Test func writesTheRequestBody() throws {
        #expect(PullWire.requestBody(keyRefs: nil) == Array("{}".utf8))
        let body = PullWire.requestBody(keyRefs: ["a_-1", "B2"])
        #expect(try JSONDecoder().decode(MachinePullRequest.self, from: Data(body)).keyRefs == ["a_-1", "B2"])
    }

    /// The CI identity token rides in the body; without one the body is unchanged.
    @Test func writesTheTokenInTheBody() throws {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
        #expect(PullWire.requestBody(keyRefs: nil, oidcToken: nil) == Array("{}".utf8))
        #expect(PullWire.requestBody(keyRefs: ["B2"], oidcToken: nil) == Array(#"{"key_refs":["B2"]}"#.utf8))
        #expect(PullWire.requestBody(keyRefs: nil, oidcToken: token) == Array(#"{"oidc_token":"\#(token)"}"#.utf8))
        for refs in [nil, [], ["a_-1", "B2"]] as [[String]?] {
            let body = PullWire.requestBody(keyRefs: refs, oidcToken: token)
            let decoded = try JSONDecoder().decode(MachinePullRequest.self, from: Data(body))
            #expect(decoded == MachinePullRequest(keyRefs: refs, oidcToken: token))
        }
        #expect(throws: Never.self) { try MachinePullRequest(keyRefs: nil, oidcToken: token).validate() }
        // Quotes and control characters are escaped (a hostile variable cannot add a field).
        let hostile = "a\",\"key_refs\":[\"x\"]}\n"
        let decoded = try JSONDecoder().decode(MachinePullRequest.self, from: Data(PullWire.requestBody(keyRefs: nil, oidcToken: hostile)))
        #expect(decoded.oidcToken == hostile && decoded.keyRefs == nil)
        #expect(throws: APIValidationError.self) { try MachinePullRequest(oidcToken: "").validate() }
        #expect(throws: APIValidationError.self) {
            try MachinePullRequest(oidcToken: String(repeating: "a", count: MachinePullRequest.maxTokenBytes + 1)).validate()
        }
    }
}
