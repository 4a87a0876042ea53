import Foundation
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Seclab-run as PID 1 of a new PID namespace (a container's ENTRYPOINT) in
/// `--mask` mode, i.e. while it holds decrypted values for the whole life of the command.
extension Resilience {
    @Suite struct ProcessHygiene {
        static let token = "tok_live_hygiene_5b8e0c2d7a914f36"
        static func fixture() throws -> TokenVault { try TokenVault(vault: "pid1", token: token) }

        /// A started process tree whose stdout goes to a file the test polls.
        struct Started {
            let pid: pid_t
            let output: String
            func text() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
            /// Wait until the output contains `marker`.
            func wait(for marker: String, timeout: TimeInterval = 30) -> Bool {
                let deadline = Date().addingTimeInterval(timeout)
                while Date() < deadline {
                    if text().contains(marker) { return true }
                    usleep(20_000)
                }
                return false
            }
        }

        static func start(_ arguments: [String], environment: [String: String]) throws -> Started {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-pid1-\(UUID().uuidString).out").path
            let pid = try Spawn.start(arguments[0], Array(arguments.dropFirst()), environment: environment, stdout: output, stderr: output)
            return Started(pid: pid, output: output)
        }

        /// `seclab-run --mask` supervising a command (started through `wrapper`), killed with
        /// `signal` once the command is ready, then its orphans: the wait status (negative if it
        /// was still running after `timeout`) and everything it printed.
        static func killSupervisor(with signal: Int32, wrapper: String, seclabRun: String, environment: [String: String],
                                   timeout: TimeInterval) throws -> (raw: Int32, output: String) {
            let started = try start(["/bin/sh", "-c", wrapper, "sh", seclabRun, "--mask", "--", "/bin/sh", "-c", "echo ready; exec sleep 30"],
                                    environment: environment)
            defer { try? FileManager.default.removeItem(atPath: started.output) }
            #expect(started.wait(for: "ready"))
            let orphans = childPIDs(of: started.pid)
            kill(started.pid, signal)
            let raw = Spawn.waitRaw(started.pid, timeout: timeout)
            for orphan in orphans { kill(orphan, SIGKILL) }
            return (raw, started.text())
        }

        /// seclab-run's host PID: the child of `unshare --fork`.
        static func pidOne(under unshare: pid_t) -> pid_t? {
            for _ in 0..<500 {
                if let child = childPIDs(of: unshare).first { return child }
                usleep(10_000)
            }
            return nil
        }

        @Test func pidOneForwardsSIGTERMReapsAndReturns128PlusN() throws {
            let fixture = try Self.fixture()
            let script = """
                echo "pid=$$ ppid=$PPID comm1=$(cat /proc/1/comm)"
                ( sleep 0.2 & )
                sleep 1
                zombies=0
                for stat in /proc/[0-9]*/stat; do
                    [ "$(cut -d' ' -f3 "$stat" 2>/dev/null)" = Z ] && zombies=$((zombies + 1))
                done
                echo "zombies=$zombies"
                echo ready
                sleep 30 & wait
                """
            let started = try Self.start(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
                                          try Binaries.url(named: "seclab-run").path, "--mask", "--", "/bin/sh", "-c", script],
                                         environment: fixture.environment)
            defer { try? FileManager.default.removeItem(atPath: started.output) }
            let pidOne = try #require(Self.pidOne(under: started.pid))
            #expect(started.wait(for: "ready"), "\(started.text())")
            kill(pidOne, SIGTERM)
            let status = Spawn.wait(started.pid, timeout: 20)
            let text = started.text()
            print("hygiene, PID 1: \(text.split(separator: "\n").joined(separator: " | ")); exit \(status)")
            // Its PID is not always 2: seclab-run's own threads take PIDs of the namespace too.
            let line = text.split(separator: "\n").first { $0.hasPrefix("pid=") }.map(String.init) ?? ""
            #expect(line.hasSuffix(" ppid=1 comm1=seclab-run") && !line.hasPrefix("pid=1 "),
                    "the command runs as a child of seclab-run, which is PID 1: \(line)")
            #expect(status == 128 + SIGTERM, "SIGTERM forwarded, the child reaped, 143 returned")
            // PID 1 inherits every orphan of the namespace and must reap it (as tini does).
            #expect(text.contains("zombies=0"), "an orphan that exited is left a zombie")
        }

        @Test func notDumpableWhileItHoldsValues() throws {
            let fixture = try Self.fixture()
            // The command runs as the same unprivileged user as seclab-run and looks at both:
            // itself (dumpable after execve) is the control.
            let script = """
                echo "owner1=$(stat -c %u /proc/1/status) ownerself=$(stat -c %u /proc/$$/status)"
                if cat /proc/1/environ >/dev/null 2>&1; then echo environ1=readable; else echo environ1=denied; fi
                if cat /proc/$$/environ >/dev/null 2>&1; then echo environself=readable; else echo environself=denied; fi
                echo ready
                sleep 30 & wait
                """
            let started = try Self.start(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
                                          "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                          try Binaries.url(named: "seclab-run").path, "--mask", "--", "/bin/sh", "-c", script],
                                         environment: fixture.environment)
            defer { try? FileManager.default.removeItem(atPath: started.output) }
            let pidOne = try #require(Self.pidOne(under: started.pid))
            #expect(started.wait(for: "ready"), "\(started.text())")
            // From the host: seclab-run runs as 65534, yet its /proc files belong to root.
            var info = stat()
            stat("/proc/\(pidOne)/status", &info)
            let uidLine = ((try? String(contentsOfFile: "/proc/\(pidOne)/status", encoding: .utf8)) ?? "")
                .split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
            kill(pidOne, SIGKILL)
            _ = Spawn.wait(started.pid, timeout: 20)
            let text = started.text()
            print("hygiene, dumpable: \(text.split(separator: "\n").dropLast().joined(separator: " | ")); host view: \(uidLine), /proc/PID/status owner \(info.st_uid)")
            #expect(uidLine.contains("65534"))
            #expect(info.st_uid == 0, "PR_SET_DUMPABLE 0 makes the kernel give /proc/PID to root")
            #expect(text.contains("owner1=0 ownerself=65534"))
            #expect(text.contains("environ1=denied"), "a same-user process must not read seclab-run's memory views")
            #expect(text.contains("environself=readable"), "control: the same check succeeds on a dumpable process")
        }

        @Test func crashesLeaveNoCoreWithASecret() throws {
            let fixture = try Self.fixture()
            let pattern = (try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-core-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func cores() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("core") }
            }
            let seclabRun = try Binaries.url(named: "seclab-run").path
            let wrapper = "ulimit -c unlimited; cd '\(directory.path)' && exec \"$@\""

            // Control: the command under seclab-run is dumpable and holds the value in its
            // environment; SIGSEGV it and its core appears, with the value inside.
            let control = try Self.start(["/bin/sh", "-c", wrapper, "sh", seclabRun, "--mask", "--", "/bin/sh", "-c", "echo ready; exec sleep 30"],
                                         environment: fixture.environment)
            defer { try? FileManager.default.removeItem(atPath: control.output) }
            #expect(control.wait(for: "ready"))
            let child = try #require(childPIDs(of: control.pid).first)
            kill(child, SIGSEGV)
            let controlStatus = Spawn.wait(control.pid, timeout: 20)
            #expect(controlStatus == 128 + SIGSEGV, "seclab-run returns 128+N for the command's signal")
            let controlCores = cores()
            let tokenBytes = Array(Self.token.utf8)
            let controlHasToken = controlCores.contains { name in
                FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map { Array($0).contains(tokenBytes) } ?? false
            }
            print("hygiene, cores: core_pattern '\(pattern)'; control (the command, SIGSEGV): \(controlCores), holds the value: \(controlHasToken)")
            guard !controlCores.isEmpty else {
                Issue.record("no core appeared for a dumpable process (core_pattern '\(pattern)'): this machine cannot show the difference")
                return
            }
            #expect(controlHasToken, "control: a core of a process holding the value contains it")
            for name in controlCores { try FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }

            // seclab-run itself, killed by SIGSEGV and SIGABRT while it supervises: the kernel
            // refuses to dump a non-dumpable process (fs.suid_dumpable = 0) and says so in the
            // wait status (no WCOREDUMP bit); no file appears. The Swift runtime's backtracer is
            // off here so that the kernel's default action is what runs (see the next block).
            var quiet = fixture.environment
            quiet["SWIFT_BACKTRACE"] = "enable=no"
            for signal in [SIGSEGV, SIGABRT] {
                let raw = try Self.killSupervisor(with: signal, wrapper: wrapper, seclabRun: seclabRun, environment: quiet, timeout: 20).raw
                let dumped = raw & 0x80 != 0
                print("hygiene, cores: seclab-run killed by signal \(signal): wait status 0x\(String(raw, radix: 16)), core dumped: \(dumped), files: \(cores())")
                #expect(raw >= 0 && raw & 0x7F == signal)
                #expect(!dumped)
                #expect(cores().isEmpty)
                for name in cores() {
                    let bytes = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map(Array.init) ?? []
                    #expect(!bytes.contains(tokenBytes), "a core of seclab-run holds the value")
                }
            }

            // With the runtime's default settings, Swift's backtracer catches SIGSEGV before
            // the kernel: it prints a crash report to seclab-run's stderr (unmasked, i.e. the CI
            // log), with 16 bytes of memory at each register, whatever PR_SET_DUMPABLE says.
            let (raw, report) = try Self.killSupervisor(with: SIGSEGV, wrapper: wrapper, seclabRun: seclabRun,
                                                        environment: fixture.environment, timeout: 3)
            print("hygiene, backtracer: seclab-run after SIGSEGV: \(raw < 0 ? "still running after 3 s (killed)" : "wait status 0x\(String(raw, radix: 16))"), crash report with register memory: \(report.contains("Registers:"))")
            #expect(!report.contains(Self.token), "the crash report holds the value")
            #expect(cores().isEmpty)
            #expect(!report.contains("Registers:"), "the Swift backtracer printed a crash report")
        }
    }
}
