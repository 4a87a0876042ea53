import Foundation
import SeclabTestSupport
import Testing

/// `ci-examples/compose.yaml`: its entrypoint runs for real (no Docker engine here),
/// with the image's paths mapped to the repository's files and a scratch volume directory.
@Suite struct ComposeExampleTests {
    @Test func composeEntrypointRunsWatchingWithAFallbackOnItsVolume() throws {
        let fixture = try RunFixture.get()
        let text = try String(contentsOf: Binaries.packageRoot.appendingPathComponent("ci-examples/compose.yaml"), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("entrypoint:") })
        let json = String(line[line.index(after: line.firstIndex(of: ":")!)...]).trimmingCharacters(in: .whitespaces)
        var entrypoint = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String])
        #expect(entrypoint.contains("--watch") && entrypoint.contains("--fallback") && entrypoint.last == "--")
        #expect(text.contains("seclab-fallback:/var/lib/seclab") && text.contains("volumes:\n  seclab-fallback:"))
        let volume = fixture.server.directory.appendingPathComponent("volume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: volume, withIntermediateDirectories: true)
        let names = Binaries.packageRoot.appendingPathComponent("ci-examples/deploy.names").path
        entrypoint = entrypoint.map { $0 == "/var/lib/seclab/app.slfb" ? volume.appendingPathComponent("app.slfb").path : $0 == "/app/seclab.names" ? names : $0 }
        #expect(entrypoint.first == "seclab-run")
        // The app exits on its own: seclab-run ends with its code, the fallback is on the volume.
        let result = try fixture.run(Array(entrypoint.dropFirst()) + ["/bin/sh", "-c", "test -n \"$API_TOKEN\" && exit 3"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: volume.path) == ["app.slfb"])
    }
}
