public import Foundation

/// A failure of the test support itself (binary missing, server did not start, timeout).
public struct TestSupportError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    /// Make one.
    public init(_ description: String) { self.description = description }
}

/// Finds the executables that `swift build` made, for tests that drive the real binaries.
public enum Binaries {
    /// The package root (the directory holding Package.swift above this file).
    public static var packageRoot: URL {
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/" {
            root.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { break }
        }
        return root
    }

    /// The product `name`: env `SECLAB_<NAME>_BIN` (upper case, `-` → `_`, e.g.
    /// `SECLAB_SERVER_BIN` for `seclab-server`, `SECLAB_BIN` for `seclab`), else the newest
    /// executable of that name in the package's `.build*/debug` folders.
    public static func url(named name: String) throws -> URL {
        let variable = name.uppercased().replacingOccurrences(of: "-", with: "_") + "_BIN"
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return URL(fileURLWithPath: path) }
        // First the build folder this test bundle runs from, so a concurrent build in another
        // scratch path can never hand us a half-written binary ("Text file busy").
        for path in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            if folder.lastPathComponent.hasSuffix(".xctest") || folder.lastPathComponent == "MacOS" { folder.deleteLastPathComponent() }
            while folder.path != "/" && !folder.lastPathComponent.hasPrefix("debug") && !folder.lastPathComponent.hasPrefix("release") {
                folder.deleteLastPathComponent()
            }
            let url = folder.appendingPathComponent(name)
            if folder.path != "/", FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        let root = packageRoot
        let builds = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }
        var candidates: [(URL, Date)] = []
        for build in builds {
            for triple in ["debug", "x86_64-unknown-linux-gnu/debug", "aarch64-unknown-linux-gnu/debug"] {
                let url = root.appendingPathComponent(build).appendingPathComponent(triple).appendingPathComponent(name)
                guard FileManager.default.isExecutableFile(atPath: url.path) else { continue }
                let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
                candidates.append((url, modified ?? .distantPast))
            }
        }
        candidates.sort { $0.1 > $1.1 }
        guard let found = candidates.first?.0 else {
            throw TestSupportError("\(name) binary not found: run `swift build` first or set \(variable)")
        }
        return found
    }
}

/// Run `url` with `arguments` and exactly `environment` (nothing inherited), feeding `stdin`
/// (or /dev/null), and wait up to `timeout` seconds (then SIGKILL, status -1).
///
/// Output goes through temporary files, so a chatty child can never block on a full pipe.
/// Spawned and reaped with `posix_spawn`/`waitpid` (`Spawn.capture`), not Foundation's
/// `Process`: under parallel tests its SIGCHLD handling once missed a `psql` that had exited,
/// and `waitUntilExit()` waited for the zombie forever (the whole test run with it).
public func runProcess(_ url: URL, arguments: [String], environment: [String: String], stdin: [UInt8]? = nil,
                       timeout: TimeInterval = 120) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
    try Spawn.capture(url.path, arguments, environment: environment, stdin: stdin, timeout: timeout)
}
