import Foundation
import SeclabTestSupport
import Synchronization
import Testing

/// The package's layering rules, checked on the real manifest (`swift package dump-package`)
/// and the real sources, so a dependency that breaks the zero-knowledge boundary fails CI.
@Suite struct ArchitectureTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// One target of the manifest: its kind, its sources' folder and its direct dependencies.
    struct Target {
        let name: String
        let type: String
        let path: String
        let dependencies: [String]
    }

    /// Target name → direct dependency names, from the real manifest.
    static func targetGraph() throws -> [String: [String]] {
        try targets().mapValues(\.dependencies)
    }

    /// Every target of the real manifest, read once per test run.
    static func targets() throws -> [String: Target] {
        if let cached = manifestCache.withLock({ $0 }) { return cached }
        let parsed = try readManifest()
        manifestCache.withLock { $0 = parsed }
        return parsed
    }

    private static let manifestCache = Mutex<[String: Target]?>(nil)

    private static func readManifest() throws -> [String: Target] {
        // Its own scratch path: the default `.build` is locked by the `swift test` running us,
        // and dump-package would wait on that lock forever.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-dump-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dump = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  arguments: ["swift", "package", "--package-path", packageRoot.path, "--scratch-path", scratch.path, "dump-package"],
                                  environment: ProcessInfo.processInfo.environment)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])
        var targets = [String: Target]()
        for target in (json["targets"] as? [[String: Any]]) ?? [] {
            let name = target["name"] as? String ?? "?"
            let type = target["type"] as? String ?? "?"
            var deps = [String]()
            for dep in (target["dependencies"] as? [[String: Any]]) ?? [] {
                for (_, value) in dep {
                    if let list = value as? [Any], let first = list.first as? String { deps.append(first) }
                }
            }
            let folder = type == "test" || name == "SeclabTestSupport" ? "Tests" : "Sources"
            let path = target["path"] as? String ?? "\(folder)/\(name)"
            targets[name] = Target(name: name, type: type, path: path, dependencies: deps)
        }
        return targets
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

    /// The module names a Swift file imports (any attribute or access modifier before `import`).
    static func imports(in text: String) -> Set<String> {
        var modules = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var words = line.split(separator: " ").map(String.init)
            while let first = words.first, first != "import", first.hasPrefix("@") || ["public", "internal", "package", "private", "fileprivate"].contains(first) {
                words.removeFirst()
            }
            guard words.count >= 2, words[0] == "import" else { continue }
            var module = words[1]
            if ["struct", "class", "enum", "func", "protocol", "typealias", "var", "let"].contains(module), words.count >= 3 { module = words[2] }
            modules.insert(String(module.split(separator: ".").first ?? ""))
        }
        return modules
    }

    /// Each target's Swift files and what they import, from the real sources.
    static func importsByTarget() throws -> [String: (files: [String: Set<String>], all: Set<String>)] {
        var result = [String: (files: [String: Set<String>], all: Set<String>)]()
        for target in try targets().values {
            let folder = packageRoot.appendingPathComponent(target.path)
            guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
            var files = [String: Set<String>](), all = Set<String>()
            while let url = enumerator.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                let found = imports(in: try String(contentsOf: url, encoding: .utf8))
                files[url.path.replacingOccurrences(of: packageRoot.path + "/", with: "")] = found
                all.formUnion(found)
            }
            result[target.name] = (files, all)
        }
        return result
    }

    /// Every `import` of a module of this package names a direct dependency declared in the
    /// manifest. Why: SwiftPM lets a file import any module that happens to be built first, so
    /// an undeclared arrow (say, seclab-run's code importing the owner side) would build
    /// today and bypass every rule above.
    @Test func everyImportOfAPackageModuleIsDeclared() throws {
        let targets = try Self.targets()
        let ownModules = Set(targets.keys)
        var offenders = [String]()
        for (name, found) in try Self.importsByTarget() {
            let declared = Set(targets[name]?.dependencies ?? [])
            for (file, modules) in found.files.sorted(by: { $0.key < $1.key }) {
                for module in modules.sorted() where ownModules.contains(module) && module != name && !declared.contains(module) {
                    offenders.append("\(file) imports \(module), which \(name) does not declare")
                }
            }
        }
        #expect(offenders.isEmpty, "undeclared imports:\n\(offenders.joined(separator: "\n"))")
    }

    /// Every dependency a library or executable declares is imported by one of its files: the
    /// manifest states the layers as they are, not as they once were.
    @Test func everyDeclaredDependencyIsUsed() throws {
        let targets = try Self.targets()
        let imports = try Self.importsByTarget()
        var unused = [String]()
        for target in targets.values.sorted(by: { $0.name < $1.name }) where target.type != "system-target" {
            guard let found = imports[target.name], !found.files.isEmpty else { continue }
            for dependency in target.dependencies where !found.all.contains(dependency) {
                unused.append("\(target.name) declares \(dependency) but no file imports it")
            }
        }
        #expect(unused.isEmpty, "unused dependencies:\n\(unused.joined(separator: "\n"))")
    }

    /// seclab-run sees every secret of a pipeline: it links the machine side only, never the
    /// owner's account code, SRP or libcrypto's big numbers (docs/architecture.md).
    @Test func seclabRunLinksTheMachineSideOnly() throws {
        let graph = try Self.targetGraph()
        let forbidden: Set<String> = ["SeclabOwner", "SeclabSRP", "CBigNum", "SeclabPassphrase", "SeclabCLI", "SeclabServer", "SeclabStore"]
        for target in ["seclab-run", "SeclabRun", "SeclabMachine", "SeclabClient", "SeclabKeys"] {
            #expect(graph[target] != nil, "no target \(target) in the manifest")
            let reached = Self.closure(of: target, in: graph).intersection(forbidden)
            #expect(reached.isEmpty, "\(target) depends on \(reached.sorted())")
        }
    }

    /// No module `seclab-run` links imports Foundation or FoundationEssentials. Why: one import
    /// anywhere links all of FoundationEssentials (~6 MB, ~75 more page faults and ~0.15 ms
    /// on every start, bench/results); the machine side reads its JSON with `PullWire` and
    /// `StrictJSON` instead.
    @Test func seclabRunLinksNoFoundation() throws {
        let graph = try Self.targetGraph()
        let linked = Self.closure(of: "seclab-run", in: graph).union(["seclab-run"])
        var offenders = [String]()
        for (name, found) in try Self.importsByTarget() where linked.contains(name) {
            for (file, modules) in found.files.sorted(by: { $0.key < $1.key })
            where !modules.isDisjoint(with: ["Foundation", "FoundationEssentials", "FoundationInternationalization"]) {
                offenders.append("\(file) (\(name)) imports Foundation")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "; "))")
    }
}
