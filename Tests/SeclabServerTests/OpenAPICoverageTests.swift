import Foundation
import Testing

/// docs/openapi.yaml is the contract clients are built against: every documented operation
/// must be served, and every route the server registers must be documented.
@Suite("OpenAPI contract")
struct OpenAPICoverageTests {
    static var packageRoot: URL {
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/" {
            root.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { return root }
        }
        return root
    }

    /// `(METHOD, /path/{param})` pairs from the yaml's `paths:` block, by a line scan: paths are
    /// indented two spaces, operations four.
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var inPaths = false, current: String?
        var out = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") { current = String(line.dropFirst(2).dropLast()); continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     "), let path = current,
               ["get:", "put:", "post:", "delete:", "patch:"].contains(trimmed) {
                out.insert("\(trimmed.dropLast().uppercased()) \(path)")
            }
        }
        return out
    }

    /// `(METHOD, /path/{param})` pairs registered anywhere in the server (`router.get("/…")`),
    /// whichever folder the controller lives in (`Controllers/`, `Pull/`).
    static func served() throws -> Set<String> {
        let directory = packageRoot.appendingPathComponent("Sources/SeclabServer")
        var out = Set<String>()
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for url in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for method in ["get", "put", "post", "delete", "patch"] {
                var rest = text[...]
                while let range = rest.range(of: "router.\(method)(\"") {
                    let after = rest[range.upperBound...]
                    guard let end = after.firstIndex(of: "\"") else { break }
                    let path = after[..<end].split(separator: "/", omittingEmptySubsequences: false)
                        .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                    out.insert("\(method.uppercased()) \(path)")
                    rest = after[end...]
                }
            }
        }
        return out
    }

    @Test func everyServedRouteIsDocumentedAndViceVersa() throws {
        let documented = try Self.documented(), served = try Self.served()
        #expect(documented.count >= 20)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// Against the running binary: every documented operation is routed (an unrouted request
    /// gets Hummingbird's bare 404 with an empty body; a routed one answers with its own status
    /// or a JSON error).
    @Test func everyDocumentedRouteAnswersOnTheRealServer() async throws {
        let server = try await ServerProcess.start(.sqlite)
        defer { Task { await server.stop() } }
        let client = HTTPClient(baseURL: server.baseURL)
        for operation in try Self.documented().sorted() {
            let parts = operation.split(separator: " ", maxSplits: 1)
            let path = String(parts[1])
                .replacingOccurrences(of: "{vault_id}", with: UUID().uuidString.lowercased())
                .replacingOccurrences(of: "{slot_id}", with: UUID().uuidString.lowercased())
                .replacingOccurrences(of: "{key_ref}", with: String(repeating: "A", count: 43))
            let result = try await client.send(String(parts[0]), path, body: parts[0] == "GET" || parts[0] == "DELETE" ? nil : Data("{}".utf8))
            let unrouted = result.status == 404 && result.body.isEmpty
            #expect(!unrouted, "\(operation) is documented but not routed")
            #expect(result.status != 500, "\(operation) answered 500")
        }
        let bogus = try await client.get("/v1/not-a-route")
        #expect(bogus.status == 404 && bogus.body.isEmpty)
    }
}
