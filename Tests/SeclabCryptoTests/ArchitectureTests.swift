import Foundation
import Testing

/// The package's layering rules, checked on the real manifest (`swift package dump-package`)
/// and the real sources, so a dependency that breaks the zero-knowledge boundary fails CI.
@Suite struct ArchitectureTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Target name → direct dependency names, from the real manifest.
    static func targetGraph() throws -> [String: [String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Its own scratch path: the default `.build` is locked by the `swift test` running us,
        // and dump-package would wait on that lock forever.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-dump-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        process.arguments = ["swift", "package", "--package-path", packageRoot.path, "--scratch-path", scratch.path, "dump-package"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var graph = [String: [String]]()
        for target in (json["targets"] as? [[String: Any]]) ?? [] {
            let name = target["name"] as? String ?? "?"
            var deps = [String]()
            for dep in (target["dependencies"] as? [[String: Any]]) ?? [] {
                for (_, value) in dep {
                    if let list = value as? [Any], let first = list.first as? String { deps.append(first) }
                }
            }
            graph[name] = deps
        }
        return graph
    }

    static func closure(of target: String, in graph: [String: [String]]) -> Set<String> {
        var seen = Set<String>(), stack = [target]
        while let next = stack.popLast() {
            for dep in graph[next] ?? [] where seen.insert(dep).inserted { stack.append(dep) }
        }
        return seen
    }

    /// The server must not even link the key hierarchy (style guide; spec §10).
    @Test func serverTargetsNeverLinkTheKeyHierarchy() throws {
        let graph = try Self.targetGraph()
        #expect(graph["SeclabKeys"] != nil, "the manifest could not be read")
        let serverSide = graph.keys.filter { $0.contains("Server") || $0.contains("Store") || $0 == "seclab-server" }
            .filter { !$0.hasSuffix("Tests") }
        let forbidden: Set<String> = ["SeclabKeys", "SeclabHPKE", "SeclabPassphrase"]
        for target in serverSide {
            let reached = Self.closure(of: target, in: graph).intersection(forbidden)
            #expect(reached.isEmpty, "\(target) depends on \(reached.sorted())")
        }
    }

    /// Arrows point down: the primitives and constructions never depend on anything above them.
    @Test func lowerLayersDependOnlyDownward() throws {
        let graph = try Self.targetGraph()
        let allowed: [String: Set<String>] = [
            "SeclabPrimitives": ["CSodium"],
            "SeclabFormat": ["SeclabPrimitives", "CSodium"],
            "SeclabSRP": ["SeclabPrimitives", "CSodium", "CBigNum"],
            "SeclabHPKE": ["SeclabPrimitives", "CSodium"],
        ]
        for (target, permitted) in allowed {
            let reached = Self.closure(of: target, in: graph)
            #expect(reached.isSubset(of: permitted), "\(target) reaches \(reached.subtracting(permitted).sorted())")
        }
    }

    /// Fixed nonces and ephemeral keys exist only behind `@_spi(SeclabTesting)`; no application
    /// code outside the crypto layer may import that SPI (production always draws fresh).
    @Test func testingSPIIsNotImportedByApplicationCode() throws {
        let sources = Self.packageRoot.appendingPathComponent("Sources")
        let cryptoLayer: Set<String> = ["SeclabPrimitives", "SeclabFormat", "SeclabHPKE", "SeclabSRP", "SeclabKeys"]
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var offenders = [String]()
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let target = url.path.replacingOccurrences(of: sources.path + "/", with: "").split(separator: "/").first.map(String.init) ?? ""
            if cryptoLayer.contains(target) { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            if text.contains("@_spi(SeclabTesting) import") || text.contains("@testable import") {
                offenders.append(url.lastPathComponent)
            }
        }
        #expect(offenders.isEmpty, "application code imports the testing SPI: \(offenders)")
    }
}
