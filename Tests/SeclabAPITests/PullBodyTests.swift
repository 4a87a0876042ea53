import Foundation
import SeclabAPI
import Testing

/// The machine pull's hand-written JSON must be byte for byte what the general encoder writes
/// for the same response, so no client can tell the fast path from the slow one.
@Suite("Pull body encoding")
struct PullBodyTests {
    static func encoded(_ value: MachinePullResponse) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    static func fast(_ value: MachinePullResponse) -> [UInt8] {
        PullWire.responseHead(accountID: value.accountID) + PullWire.items(value.items)
            + PullWire.responseTail(revision: value.revision, slotID: value.slotID, vaultID: value.vaultID,
                                    wrappedIndexKey: value.wrappedIndexKey, wrappedVK: value.wrappedVK)
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
