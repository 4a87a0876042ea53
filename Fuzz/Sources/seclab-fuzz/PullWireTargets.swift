import SeclabAPI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// seclab-run's own JSON reader for the machine pull response (SeclabAPI's PullWire, shared with the server's writer): the
/// bytes a possibly hostile server sends, parsed before any integrity check. It must never
/// trap, and it must agree with Foundation's JSONDecoder, the reference: whatever it accepts,
/// JSONDecoder accepts with the same value; and every value JSONDecoder reads, written back
/// by JSONEncoder (as a server would), it reads the same.
///
/// Not "whatever JSONDecoder accepts": JSONDecoder never looks inside fields it does not
/// decode (invalid UTF-8 or lone surrogates there pass), where PullWire refuses them.
enum PullWireTargets {
    static let target = FuzzTarget(name: "pull-response", summary: "PullWire.response vs. JSONDecoder on MachinePullResponse", run: run)

    static func run(_ data: [UInt8]) {
        let ours: Result<MachinePullResponse, PullWire.ReadError> = Result { () throws(PullWire.ReadError) in try PullWire.response(data) }
        let reference = try? JSONDecoder().decode(MachinePullResponse.self, from: Data(data))
        if case let .success(value) = ours {
            check(reference != nil, "PullWire accepted a body JSONDecoder refuses")
            check(reference == value, "PullWire and JSONDecoder read different values")
        }
        if let reference {
            for formatting in [JSONEncoder.OutputFormatting.sortedKeys, [.prettyPrinted, .withoutEscapingSlashes]] {
                let encoder = JSONEncoder()
                encoder.outputFormatting = formatting
                guard let written = try? encoder.encode(reference) else { continue }
                let again = Result { () throws(PullWire.ReadError) in try PullWire.response(Array(written)) }
                check((try? again.get()) == reference, "PullWire misreads JSONEncoder's output: \(again)")
                if formatting == .sortedKeys {
                    // The writer side (keys first, items last): what the server sends, both
                    // readers read back as the value it was written from.
                    let ours = PullWire.body(reference)
                    check((try? PullWire.response(ours)) == reference, "PullWire misreads its own writer's output")
                    check((try? JSONDecoder().decode(MachinePullResponse.self, from: Data(ours))) == reference,
                          "JSONDecoder misreads PullWire's writer output")
                }
            }
        }
        checkRequestBody(data)
    }

    /// The request side: the hand-written body must be the JSON of the refs it was given.
    static func checkRequestBody(_ data: [UInt8]) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let refs = data.split(separator: 0, omittingEmptySubsequences: false).prefix(8).map { part in
            String(decoding: part.map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
        }
        for keyRefs in [nil, refs] {
            let body = PullWire.requestBody(keyRefs: keyRefs)
            let decoded = try? JSONDecoder().decode(MachinePullRequest.self, from: Data(body))
            check(decoded == MachinePullRequest(keyRefs: keyRefs), "PullWire.requestBody is not the JSON of its refs")
        }
    }
}
