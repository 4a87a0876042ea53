import Foundation
import Testing

/// The zero-knowledge claim visible in Package.swift: no server target reaches the key
/// hierarchy (SeclabKeys), HPKE or passphrase code, directly or through another target.
@Suite("Server architecture")
struct ArchitectureTests {
    @Test func serverTargetsNeverLinkTheKeyHierarchy() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A scratch path of its own: `swift test` holds the lock on the package's .build.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-dump-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        process.arguments = ["swift", "package", "--package-path", OpenAPICoverageTests.packageRoot.path, "--scratch-path", scratch, "dump-package"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let package = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let targets = package["targets"] as? [[String: Any]] else { throw TestFailure("swift package dump-package failed") }
        var graph: [String: [String]] = [:]
        for target in targets {
            let name = target["name"] as! String
            let dependencies = (target["dependencies"] as? [[String: Any]] ?? []).compactMap { dependency -> String? in
                (dependency["byName"] as? [Any])?.first as? String ?? (dependency["target"] as? [Any])?.first as? String
            }
            graph[name] = dependencies
        }
        let forbidden: Set<String> = ["SeclabKeys", "SeclabHPKE", "SeclabPassphrase"]
        for root in ["SeclabAPI", "SeclabStore", "SeclabServer", "seclab-server"] {
            #expect(graph[root] != nil, "\(root) is not a target")
            var seen = Set<String>(), stack = [root]
            while let next = stack.popLast() {
                guard seen.insert(next).inserted else { continue }
                stack += graph[next] ?? []
            }
            #expect(seen.isDisjoint(with: forbidden), "\(root) reaches \(seen.intersection(forbidden).sorted())")
        }
    }
}
