import Foundation
import SeclabAPI
import Testing

/// The machine pull's hand-written JSON must be what the general encoder writes for the same
/// response, byte for byte, except that `items` comes last (`PullWire.responseHead`), so no
/// client can tell the fast path from the slow one.
@Suite("Pull body encoding")
struct PullBodyTests {
    /// `JSONEncoder` with `.sortedKeys`, with the `items` member moved to the end: the response
    /// without items, then `,"items":` and the items array as the encoder writes it.
    static func encoded(_ value: MachinePullResponse) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var empty = value
        empty.items = []
        var head = String(decoding: try encoder.encode(empty), as: UTF8.self)
        let emptyItems = "\"items\":[],"
        #expect(head.contains(emptyItems))
        head = head.replacingOccurrences(of: emptyItems, with: "")
        head.removeLast()  // "}"
        return Array(head.utf8) + Array(",\"items\":".utf8) + Array(try encoder.encode(value.items)) + Array("}".utf8)
    }

    static func fast(_ value: MachinePullResponse) -> [UInt8] {
        PullWire.body(value)
    }

    /// The keys come before the items, and the general decoder and ours read the body back.
    @Test func keysComeFirstAndReadBack() throws {
        let items = (0..<3).map { ItemView(keyRef: "r\($0)", encName: "xc1.n", encValue: "xc1.v", updatedAt: "t", deleted: false) }
        let value = MachinePullResponse(accountID: "a", vaultID: "v", slotID: "s", wrappedVK: "xc1.vk", wrappedIndexKey: "xc1.ik",
                                        items: items, revision: 4)
        let text = String(decoding: Self.fast(value), as: UTF8.self)
        let itemsAt = try #require(text.range(of: "\"items\":"))
        for key in ["account_id", "revision", "slot_id", "vault_id", "wrapped_index_key", "wrapped_vk"] {
            let at = try #require(text.range(of: "\"\(key)\":"), "\(key) missing")
            #expect(at.lowerBound < itemsAt.lowerBound, "\(key) after items")
        }
        #expect(try JSONDecoder().decode(MachinePullResponse.self, from: Data(Self.fast(value))) == value)
        #expect(try PullWire.response(Self.fast(value)) == value)
    }

    /// A conditional pull's full answer carries `revision` where the general encoder
    /// puts it; without it the bytes are those of a response type that has no such field.
    @Test(arguments: [nil, 0, 1, 9_007_199_254_740_991] as [Int64?])
    func revisionMatchesTheGeneralEncoder(revision: Int64?) throws {
        let items = [ItemView(keyRef: "ref_-AZaz09", encName: "xc1.n", encValue: "xc1.v", updatedAt: "2026-11-23T19:24:00.100Z", deleted: false)]
        let value = MachinePullResponse(accountID: "a", vaultID: "v", slotID: "s", wrappedVK: "xc1.vk", wrappedIndexKey: "xc1.ik",
                                        items: items, revision: revision)
        let fast = Self.fast(value)
        #expect(fast == (try Self.encoded(value)), "\(String(decoding: fast, as: UTF8.self))")
        #expect(String(decoding: fast, as: UTF8.self).contains("\"revision\"") == (revision != nil))
        let unchanged = PullWire.unchanged(revision: revision ?? 5)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(unchanged == Array(try encoder.encode(MachinePullUnchanged(revision: revision ?? 5))))
    }

    @Test(arguments: [0, 1, 3, 100])
    func matchesTheGeneralEncoder(count: Int) throws {
        let items = (0..<count).map { index in
            ItemView(keyRef: "ref\(index)_-AZaz09", encName: "xc1.name\(index)", encValue: "xc1.value\(index)",
                     updatedAt: "2026-11-23T19:24:00.\(100 + index % 900)Z", deleted: index % 7 == 3)
        }
        let value = MachinePullResponse(accountID: UUID().uuidString.lowercased(), vaultID: UUID().uuidString.lowercased(),
                                        slotID: UUID().uuidString.lowercased(), wrappedVK: "xc1.vk", wrappedIndexKey: "xc1.ik", items: items)
        #expect(Self.fast(value) == (try Self.encoded(value)))
    }

    /// Characters no valid field holds still come out as the general encoder writes them.
    @Test func escapesLikeTheGeneralEncoder() throws {
        let awkward = "quote\" backslash\\ slash/ tab\t newline\n nul\u{0} bell\u{7} unit\u{1F} é 🔑 del\u{7F}"
        let value = MachinePullResponse(accountID: awkward, vaultID: "v", slotID: "s", wrappedVK: awkward, wrappedIndexKey: "",
                                        items: [ItemView(keyRef: awkward, encName: "", encValue: awkward, updatedAt: "t", deleted: false)])
        let fast = Self.fast(value)
        #expect(fast == (try Self.encoded(value)), "\(String(decoding: fast, as: UTF8.self))")
        #expect(try JSONDecoder().decode(MachinePullResponse.self, from: Data(fast)) == value)
    }
}
