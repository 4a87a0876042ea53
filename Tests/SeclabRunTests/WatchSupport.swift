import Foundation
import SeclabTestSupport
import Testing

/// A `seclab-run` left running in the background (for `--watch`), its output in files, and a
/// COMMAND that appends one line per start (and per reload) to `log`.
final class BackgroundRun: @unchecked Sendable {
    /// Reaped with `waitpid` (`ChildProcess`): Foundation's `Process` can miss a child's exit.
    let process: ChildProcess
    let directory: URL
    let log: URL
    let home: URL
    let tmp: URL

    /// Start `seclab-run arguments -- /bin/sh -c script` against `fixture`; `script` may use $LOG.
    /// `environment` adds variables (e.g. the credentials of `--credential-env`).
    init(_ fixture: RunFixture, _ arguments: [String], script: String, credential: String? = nil,
         environment extra: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-watch-\(UUID().uuidString)")
        home = directory.appendingPathComponent("home")
        tmp = directory.appendingPathComponent("tmp")
        for url in [home, tmp] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        log = directory.appendingPathComponent("command.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        for name in ["stdout", "stderr"] { _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: nil) }
        let environment = ["SECLAB_SERVER": fixture.server.baseURL, "SECLAB_MACHINE_KEY": credential ?? fixture.credential,
                           "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home.path, "TMPDIR": tmp.path, "LOG": log.path]
            .merging(extra) { $1 }
        process = ChildProcess(pid: try Spawn.start(try Binaries.url(named: "seclab-run").path, arguments + ["--", "/bin/sh", "-c", script],
                                                    environment: environment,
                                                    stdout: directory.appendingPathComponent("stdout").path,
                                                    stderr: directory.appendingPathComponent("stderr").path))
    }

    /// COMMAND's log lines so far.
    var lines: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// seclab-run's stderr so far.
    var stderr: String { (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? "" }

    /// Wait (generously: the machine is loaded) until `condition` holds; false on timeout.
    @discardableResult
    func wait(upTo seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// SIGTERM seclab-run (forwarded to COMMAND) and wait for its status.
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        _ = wait(upTo: 30) { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Nothing was left in HOME or TMPDIR.
    var homeAndTmpEmpty: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? ["?"]).isEmpty
            && ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? ["?"]).isEmpty
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A COMMAND that logs "start PID VALUE" and runs until SIGTERM (exit 0).
func loggingCommand(_ variable: String) -> String {
    "echo \"start $$ $\(variable)\" >> \"$LOG\"; trap 'exit 0' TERM; while :; do sleep 0.2; done"
}
