import Foundation
import Testing

/// The spec's own known-answer vectors (`vectors/seclab/seclab-v1.json`), plus every extra
/// file in the same format named in `SECLAB_VECTORS` (colon-separated paths).
@Suite struct SeclabV1VectorTests {
    @Test func seclabV1Vectors() throws {
        let root = try #require(try VectorFiles.json("seclab/seclab-v1.json") as? [String: Any])
        var checker = SeclabV1VectorChecker(file: "seclab-v1.json")
        checker.run(root)
        for failure in checker.failures { Issue.record(Comment(rawValue: failure)) }
        // Guards against a checker that silently stops checking: the committed file has
        // hundreds of byte comparisons.
        #expect(checker.checks > 100, "only \(checker.checks) checks ran")
    }

    @Test func extraVectorFilesFromEnvironment() throws {
        guard let list = ProcessInfo.processInfo.environment["SECLAB_VECTORS"], !list.isEmpty else { return }
        for path in list.split(separator: ":").map(String.init) where !path.isEmpty {
            let parsed = try VectorFiles.json(atPath: path)
            guard let root = parsed as? [String: Any] else {
                Issue.record("\(path): the top level is not a JSON object")
                continue
            }
            var checker = SeclabV1VectorChecker(file: path)
            checker.run(root)
            for failure in checker.failures { Issue.record(Comment(rawValue: failure)) }
            #expect(checker.checks > 0, "\(path): no vector was checked")
        }
    }
}
