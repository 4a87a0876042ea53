import Foundation
import SeclabHTTP
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SQLite on a full disk (a small tmpfs filled to the last byte).
/// Writes fail with the documented 503, Retry-After and nothing about the engine, and the
/// server logs why; the server keeps serving reads; once space is back, writes work again
/// and `/readyz` is ready by itself; `PRAGMA integrity_check` stays "ok".
extension Resilience {
    @Suite struct DiskFull {
        /// A private tmpfs of `size` mounted under /tmp, unmounted by `unmount()`.
        final class SmallDisk {
            let path = "/tmp/seclab-res-tmpfs-\(UUID().uuidString.prefix(8))"
            init(size: String) throws {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                let result = try Spawn.capture("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path],
                                               environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
                guard result.status == 0 else {
                    try? FileManager.default.removeItem(atPath: path)
                    throw TestSupportError("mount tmpfs failed (\(result.status)): \(result.stderr)")
                }
            }

            /// Fill every free byte with one file; returns its path.
            func fill() -> String {
                let filler = path + "/filler"
                let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                defer { close(fd) }
                for chunk in [65536, 4096, 512, 1] {
                    let bytes = [UInt8](repeating: 0x5A, count: chunk)
                    while write(fd, bytes, chunk) == chunk {}
                }
                return filler
            }

            func unmount() {
                _ = try? Spawn.capture("/bin/umount", ["-l", path], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
                try? FileManager.default.removeItem(atPath: path)
            }
        }

        @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
        func fullDiskFailsWritesCleanlyKeepsReadsAndNeverCorrupts() throws {
            let disk = try SmallDisk(size: "8m")
            defer { disk.unmount() }
            let server = try ServerProcess(databaseURL: "sqlite:\(disk.path)/seclab.db", environment: ["SECLAB_DB_TIMEOUT_MS": "1000"])
            defer { server.kill9() }
            let owner = try Owner(server: server.baseURL)
            try owner.ok(["vault", "create", "tiny"])
            let items = sampleItems(5, tag: "disk")
            #expect(try owner.importDotenv("tiny", items).status == 0)
            let credential = try owner.mintCredential("tiny")

            let filler = disk.fill()
            var stats = statvfs()
            statvfs(disk.path, &stats)
            #expect(stats.f_bavail == 0, "the tmpfs should be full")

            // A write that needs new pages in the WAL: 512 KiB of value.
            let big = [UInt8](repeating: UInt8(ascii: "x"), count: 512 * 1024)
            let failed = try owner.run(["secret", "set", "tiny", "BIG"], stdin: big)
            print("faults, full disk: secret set exit \(failed.status): \(failed.stderr.split(separator: "\n").first ?? "")")
            #expect(failed.status == 1, "a full disk is the server's failure (exit 1), not a crash or a hang: \(failed.stderr)")
            for word in ["sqlite", "sql", "disk", "full", "i/o", "database"] {
                #expect(!failed.stderr.lowercased().contains(word), "the error leaks '\(word)': \(failed.stderr)")
            }
            #expect(failed.stderr.contains("(503 unavailable)") && failed.stderr.contains("(retry after 1 s)"),
                    "a full disk is 503 with Retry-After: \(failed.stderr)")
            #expect(server.isRunning)
            let statuses = server.log().components(separatedBy: "\n").filter { $0.contains("method=PUT") && $0.contains("status=") }
            #expect(statuses.contains { $0.contains("status=503") } && !statuses.contains { $0.contains("status=500") },
                    "the failed PUT should be a 503, never a 500")
            #expect(server.log().contains("database unavailable: the database is out of space"), "the server logs the reason")
            let readyWhileFull = try HTTP.request("GET", server.baseURL + "/readyz")
            print("faults, full disk: /readyz answered \(readyWhileFull.status) while full (503, or 200 when the probe fitted in the WAL)")
            #expect(readyWhileFull.status == 200 || (readyWhileFull.status == 503 && readyWhileFull.headers["retry-after"] != nil))
            let metrics = try server.metrics()
            #expect(metrics.value("seclab_db_unavailable_total", #"reason="out_of_space""#) > 0)

            // Reads still work: every item opens, BIG is not there.
            let export = try owner.export("tiny")
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.values == Dictionary(uniqueKeysWithValues: items))
            // A machine pull writes its audit row first: it may fail closed (124), never crash.
            let run = try Spawn.run(try Binaries.url(named: "seclab-run").path, ["--timeout", "4", "--", "/bin/true"],
                                    environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"])
            print("faults, full disk: seclab-run exit \(run.status) (0: the audit row fitted in the WAL, 124: fail closed)")
            #expect(run.status == 0 || run.status == 124)
            let database = disk.path + "/seclab.db"
            #expect(try sqlite3(database, "PRAGMA integrity_check") == "ok")

            // Space back: ready again by itself, writes work again, nothing was lost.
            try FileManager.default.removeItem(atPath: filler)
            #expect(try HTTP.request("GET", server.baseURL + "/readyz").status == 200)
            #expect(try owner.run(["secret", "set", "tiny", "BIG"], stdin: big).status == 0)
            let after = try owner.export("tiny")
            #expect(after.values.count == items.count + 1 && after.values["BIG"]?.utf8.count == big.count)
            #expect(server.isRunning)
            server.kill9()
            #expect(try sqlite3(database, "PRAGMA integrity_check") == "ok")
        }
    }
}
