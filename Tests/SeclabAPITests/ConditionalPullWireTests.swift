import Foundation
import SeclabAPI
import Testing

/// The conditional pull of `--watch`: its request body, and the reader's strict
/// handling of `revision` and of the "unchanged" answer.
@Suite("Conditional pull wire")
struct ConditionalPullWireTests {
    @Test func requestBodies() {
        #expect(String(decoding: PullWire.requestBody(keyRefs: nil, ifRevision: 42), as: UTF8.self) == #"{"if_revision":42}"#)
        #expect(String(decoding: PullWire.requestBody(keyRefs: nil, ifRevision: -1), as: UTF8.self) == #"{"if_revision":-1}"#)
        #expect(String(decoding: PullWire.requestBody(keyRefs: nil), as: UTF8.self) == "{}")
        // The server's own decoder reads what the client sends.
        let decoded = try? JSONDecoder().decode(MachinePullRequest.self, from: Data(PullWire.requestBody(keyRefs: nil, ifRevision: 7)))
        #expect(decoded == MachinePullRequest(ifRevision: 7))
    }

    @Test func readsUnchangedAndFullAnswers() throws {
        #expect(PullWire.unchangedRevision(Array(#"{"revision":12,"unchanged":true}"#.utf8)) == 12)
        var full = PullWireTests.sample(items: 3)
        full.revision = 9_007_199_254_740_991
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Keys first (the server) or last (the general encoder, an older server): a full answer.
        for body in [PullWire.body(full), Array(try encoder.encode(full))] {
            #expect(PullWire.unchangedRevision(body) == nil)
            #expect(try PullWire.response(body) == full)
        }
        // An unconditional pull must never be answered "unchanged".
        #expect(throws: PullWire.ReadError.self) { try PullWire.response(Array(#"{"revision":12,"unchanged":true}"#.utf8)) }
    }

    @Test(arguments: [
        #"{"revision":12,"unchanged":false}"#, #"{"unchanged":true}"#, #"{"revision":1.5,"unchanged":true}"#,
        #"{"revision":1e3,"unchanged":true}"#, #"{"revision":"12","unchanged":true}"#, #"{"revision":-2,"unchanged":true}"#,
        #"{"revision":12,"revision":12,"unchanged":true}"#, #"{"revision":12,"unchanged":true,"items":[]}"#,
        #"{"revision":12,"unchanged":true,"wrapped_vk":"xc1.a"}"#, #"{"revision":012,"unchanged":true}"#, #"{"revision":-,"unchanged":true}"#, #"{"revision":123456789012345678901,"unchanged":true}"#,
    ])
    func refusesMalformedAnswers(body: String) {
        // Neither "unchanged" nor a full answer.
        #expect(PullWire.unchangedRevision(Array(body.utf8)) == nil, "\(body)")
        #expect(throws: PullWire.ReadError.self, "\(body)") { try PullWire.response(Array(body.utf8)) }
    }
}
