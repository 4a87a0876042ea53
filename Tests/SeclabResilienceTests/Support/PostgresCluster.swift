import Foundation
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A private throwaway PostgreSQL cluster (own directory, own port) made with
/// `scripts/pg-test-cluster.sh`, so a test may stop and start it without disturbing the
/// shared cluster other suites use at the same time.
final class PostgresCluster: @unchecked Sendable {
    let directory: String
    let port: Int
    let url: String
    let bin: String

    /// PostgreSQL's binaries, when installed (`scripts/install-deps --with-postgres`).
    static var binDirectory: String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        return versions.map { "/usr/lib/postgresql/\($0)/bin" }.last { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// Tests on PostgreSQL run where the project's test script provides one, or PostgreSQL is installed.
    static var available: Bool {
        ProcessInfo.processInfo.environment["SECLAB_TEST_POSTGRES_URL"] != nil || binDirectory != nil
    }

    init() throws {
        guard let bin = Self.binDirectory else { throw TestSupportError("PostgreSQL is not installed") }
        self.bin = bin
        directory = "/tmp/seclab-res-pg-\(UUID().uuidString.prefix(8))"
        port = freeLoopbackPort()
        let result = try Spawn.capture("/bin/bash", [Binaries.packageRoot.appendingPathComponent("scripts/pg-test-cluster.sh").path, "start"],
                                       environment: ["SECLAB_PG_DIR": directory, "SECLAB_PG_PORT": String(port), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                    timeout: 120)
        let printed = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, printed.hasPrefix("postgres://") else {
            throw TestSupportError("pg-test-cluster.sh start failed (\(result.status)): \(result.stderr)")
        }
        url = printed
    }

    /// `pg_ctl` as the `postgres` user, the way the script runs it.
    private func pgctl(_ arguments: String) throws {
        let result = try Spawn.capture("/bin/su", ["postgres", "-s", "/bin/sh", "-c", "'\(bin)/pg_ctl' -D '\(directory)/data' \(arguments)"],
                                       environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("pg_ctl \(arguments) failed (\(result.status)): \(result.stderr)") }
    }

    /// Stop at once: `immediate` drops every connection without a checkpoint (like a crash).
    func stop(mode: String = "immediate") throws { try pgctl("-m \(mode) -w stop") }

    func start() throws { try pgctl("-l '\(directory)/postgres.log' -w -t 30 start") }

    /// The postmaster's PID (first line of postmaster.pid).
    func postmasterPID() throws -> pid_t {
        let text = try String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8)
        guard let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }) else { throw TestSupportError("no PID in postmaster.pid") }
        return pid
    }

    /// SIGSTOP (`true`) or SIGCONT every process of the cluster: the postmaster first (no new
    /// backends start), then its children. A paused PostgreSQL still accepts TCP connections
    /// (the kernel's listen queue) but answers nothing: the "hung database" case.
    func pause(_ stop: Bool) throws {
        let postmaster = try postmasterPID()
        let signal = stop ? SIGSTOP : SIGCONT
        kill(postmaster, signal)
        guard stop else {
            for child in childPIDs(of: postmaster) { kill(child, signal) }
            return
        }
        // kill() returns before the postmaster stops: a backend it was forking may appear just
        // after; stop children until the list stays the same once the postmaster is stopped.
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline, Self.state(of: postmaster) != "T" { usleep(1_000) }
        var stopped = Set<pid_t>()
        for _ in 0..<5 {
            let children = Set(childPIDs(of: postmaster))
            for child in children.subtracting(stopped) { kill(child, SIGSTOP) }
            if children.isSubset(of: stopped) { break }
            stopped.formUnion(children)
            usleep(20_000)
        }
    }

    /// The state letter of a process (`T` when stopped) from /proc/PID/stat.
    static func state(of pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }

    /// `SELECT` on the `postgres` database as the superuser (loopback trust), one value per line.
    func psql(_ sql: String) throws -> String {
        let result = try Spawn.capture(bin + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-Atc", sql],
                                       environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        guard result.status == 0 else { throw TestSupportError("psql failed (\(result.status)): \(result.stderr)") }
        return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `pg_terminate_backend` on every connection to the test database: how many were killed.
    func terminateBackends() throws -> Int {
        Int(try psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'seclab_test' AND pid <> pg_backend_pid()")) ?? 0
    }

    deinit {
        _ = try? Spawn.capture("/bin/bash", [Binaries.packageRoot.appendingPathComponent("scripts/pg-test-cluster.sh").path, "stop"],
                               environment: ["SECLAB_PG_DIR": directory, "SECLAB_PG_PORT": String(port), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                            timeout: 60)
    }
}
