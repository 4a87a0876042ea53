import Foundation
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The files in `ci-examples/` run for real: their shell steps are extracted and executed in
/// order against the fixture's server, with the freshly built seclab-run served over HTTP for
/// the download steps. An example that rots fails here.
@Suite(.serialized) struct CIExamplesTests {
    let fixture: RunFixture
    init() throws { fixture = try RunFixture.get() }

    static var examples: URL { Binaries.packageRoot.appendingPathComponent("ci-examples") }

    /// A directory with a copy of seclab-run, served by python3's http.server on loopback.
    final class BinaryServer {
        let process = Process()
        let directory: URL
        let url: String
        let sha256: String

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-dl-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: try Binaries.url(named: "seclab-run"), to: directory.appendingPathComponent("seclab-run"))
            let hash = try runProcess(URL(fileURLWithPath: "/usr/bin/sha256sum"), arguments: [directory.appendingPathComponent("seclab-run").path], environment: [:])
            sha256 = String(String(decoding: hash.stdout, as: UTF8.self).prefix(64))
            // Port 0: the kernel picks a free port, which http.server prints (unbuffered with -u).
            let portFile = directory.appendingPathComponent("server.out")
            FileManager.default.createFile(atPath: portFile.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path, "0"]
            process.standardOutput = try FileHandle(forWritingTo: portFile)
            process.standardError = FileHandle.nullDevice
            try process.run()
            var found: String? = nil
            for _ in 0..<100 {
                let text = (try? String(contentsOf: portFile, encoding: .utf8)) ?? ""
                if let range = text.range(of: "port "), let port = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                    found = "http://127.0.0.1:\(port)/seclab-run"
                    break
                }
                usleep(100_000)
            }
            guard let found else {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("python3 http.server did not start")
            }
            url = found
            let probe = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["curl", "-fsI", url], environment: ["PATH": "/usr/bin:/bin"])
            guard probe.status == 0 else {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("python3 http.server does not answer at \(found)")
            }
        }

        deinit {
            // SIGKILL: the test runner blocks SIGTERM and its children inherit that mask.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// `run: |` blocks of a GitHub workflow, each with its step's `env:` (expressions resolved).
    static func githubSteps(_ text: String, values: [String: String]) -> [(name: String, env: [String: String], script: String)] {
        var steps: [(String, [String: String], String)] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        var name = "", env = [String: String](), inEnv = false, envIndent = 0
        func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        while i < lines.count {
            let line = lines[i], trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- ") { name = ""; env = [:]; inEnv = false }
            if trimmed.hasPrefix("- name:") || trimmed.hasPrefix("name:") { name = trimmed.components(separatedBy: "name:")[1].trimmingCharacters(in: .whitespaces) }
            if trimmed == "env:" { inEnv = true; envIndent = indent(line); i += 1; continue }
            if inEnv {
                if indent(line) > envIndent, let colon = trimmed.firstIndex(of: ":") {
                    let key = String(trimmed[..<colon])
                    var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if value.hasPrefix("${{") {
                        let expression = value.dropFirst(3).dropLast(2).trimmingCharacters(in: .whitespaces)
                        value = values[String(expression.split(separator: ".").last ?? "")] ?? ""
                    }
                    env[key] = value
                    i += 1
                    continue
                }
                inEnv = false
            }
            if trimmed == "run: |" {
                let base = indent(line)
                var script = [String]()
                i += 1
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).isEmpty || indent(lines[i]) > base {
                    script.append(String(lines[i].dropFirst(min(base + 2, indent(lines[i])))))
                    i += 1
                }
                steps.append((name, env, script.joined(separator: "\n")))
                continue
            }
            i += 1
        }
        return steps
    }

    /// `- command` lines under `key:` of a GitLab job.
    static func gitlabLines(_ text: String, key: String) -> [String] {
        var out = [String](), inside = false
        for line in text.split(separator: "\n").map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "\(key):" { inside = true; continue }
            if inside {
                if trimmed.hasPrefix("- ") { out.append(String(trimmed.dropFirst(2))) } else if !trimmed.isEmpty { inside = false }
            }
        }
        return out
    }

    func bash(_ script: String, environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        // Two pipes, as a CI runner gives a step (GitHub: ScriptHandler.cs).
        let result = try runWithPipes(URL(fileURLWithPath: "/bin/bash"), arguments: ["-e", "-c", "cd \"$REPO\"; " + script], environment: environment)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), String(decoding: result.stderr, as: UTF8.self))
    }

    @Test func githubActionsWorkflowRuns() throws {
        let downloads = try BinaryServer()
        let home = fixture.server.directory.appendingPathComponent("gha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let githubPath = home.appendingPathComponent("github_path")
        FileManager.default.createFile(atPath: githubPath.path, contents: nil)
        let text = try String(contentsOf: Self.examples.appendingPathComponent("github-actions.yml"), encoding: .utf8)
        let steps = Self.githubSteps(text, values: ["SECLAB_MACHINE_KEY": fixture.credential, "SECLAB_SERVER": fixture.server.baseURL,
                                                    "SECLAB_RUN_URL": downloads.url, "SECLAB_RUN_SHA256": downloads.sha256])
        #expect(steps.map(\.name) == ["Install seclab-run", "Deploy"])
        var output = "", diagnostics = ""
        for step in steps {
            // As the runner does: $GITHUB_PATH entries are prepended to PATH for later steps.
            let added = (try String(contentsOf: githubPath, encoding: .utf8)).split(separator: "\n").map(String.init)
            var environment = ["HOME": home.path, "GITHUB_PATH": githubPath.path, "GITHUB_ACTIONS": "true",
                               "REPO": Binaries.packageRoot.path, "PATH": (added.reversed() + ["/usr/local/bin", "/usr/bin", "/bin"]).joined(separator: ":")]
            environment.merge(step.env) { $1 }
            let result = try bash(step.script, environment: environment)
            #expect(result.status == 0, "step '\(step.name)' failed: \(result.stderr)")
            output += result.stdout
            diagnostics += result.stderr
        }
        // The runner reads ::add-mask:: lines from stderr (issue 12, item 9); stdout, the
        // command's own output, holds neither them nor any value.
        #expect(diagnostics.contains("::add-mask::" + RunFixture.secrets["API_TOKEN"]!))
        #expect(output.contains("deploy: ok"))
        #expect(output.contains("deploy: TLS_KEY       file /dev/fd/"))
        #expect(!output.contains("::add-mask::"))
        for value in RunFixture.secrets.values where value.count >= 6 { #expect(!output.contains(value)) }
        let otherDiagnostics = diagnostics.split(separator: "\n").filter { !$0.hasPrefix("::add-mask::") }.joined(separator: "\n")
        for value in RunFixture.secrets.values where value.count >= 6 { #expect(!otherDiagnostics.contains(value)) }
        // The step pins its names with a file committed beside the workflow.
        #expect(steps.last?.script.contains("--only-file ci-examples/deploy.names") == true)
    }

    @Test func gitlabJobRuns() throws {
        let downloads = try BinaryServer()
        let bin = fixture.server.directory.appendingPathComponent("gitlab-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let text = try String(contentsOf: Self.examples.appendingPathComponent("gitlab-ci.yml"), encoding: .utf8)
        // The job's image provides packages with apt-get; this machine already has them. Its
        // /usr/local/bin is redirected to a scratch directory so the test leaves no trace.
        let lines = (Self.gitlabLines(text, key: "before_script") + Self.gitlabLines(text, key: "script"))
            .filter { !$0.hasPrefix("apt-get") }
            .map { $0.replacingOccurrences(of: "/usr/local/bin", with: bin.path) }
        #expect(lines.count == 4)
        let result = try bash(lines.joined(separator: "\n"), environment: [
            "SECLAB_MACHINE_KEY": fixture.credential, "SECLAB_SERVER": fixture.server.baseURL, "SECLAB_RUN_URL": downloads.url,
            "SECLAB_RUN_SHA256": downloads.sha256, "REPO": Binaries.packageRoot.path, "PATH": "\(bin.path):/usr/bin:/bin",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("deploy: ok"))
        #expect(!result.stdout.contains(RunFixture.secrets["API_TOKEN"]!))
        #expect(lines.last?.contains("--only DATABASE_URL,API_TOKEN") == true)  // pinned
    }

    @Test func dockerEntrypointRunsAsPIDOne() throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(text.contains(#"ENTRYPOINT ["seclab-run", "--only-file", "/app/seclab.names", "--"]"#))
        #expect(text.contains("COPY ci-examples/deploy.names /app/seclab.names"))
        #expect(text.contains(#"CMD ["/app/deploy.sh"]"#))
        // No Docker engine here: the entrypoint runs as PID 1 of a new PID namespace instead,
        // with the image's /app files being the repository's files they are copied from.
        let deploy = Binaries.packageRoot.appendingPathComponent("examples/deploy.sh").path
        let names = Binaries.packageRoot.appendingPathComponent("ci-examples/deploy.names").path
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/unshare"), arguments: ["--pid", "--fork", "--kill-child", try Binaries.url(named: "seclab-run").path,
                                                                                        "--only-file", names, "--", deploy],
                                    environment: ["SECLAB_MACHINE_KEY": fixture.credential, "SECLAB_SERVER": fixture.server.baseURL, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self).contains("deploy: ok"))
    }

    @Test func pidOneForwardsSignalsReapsAndReturns128PlusN() throws {
        let seclabRun = try Binaries.url(named: "seclab-run").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--pid", "--fork", "--kill-child", seclabRun, "--mask", "--", "/bin/sh", "-c", "echo \"pid=$$ ppid=$PPID\"; sleep 30 & wait"]
        process.environment = ["SECLAB_MACHINE_KEY": fixture.credential, "SECLAB_SERVER": fixture.server.baseURL, "PATH": "/usr/bin:/bin"]
        let outFile = fixture.server.directory.appendingPathComponent("pid1-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Find seclab-run (PID 1 inside) as the child of unshare; wait until the command has
        // printed (so it runs under seclab-run), then SIGTERM seclab-run from outside.
        var pidOne: Int32 = 0
        for _ in 0..<600 where pidOne == 0 {
            let printed = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
            if printed.contains("ppid="),
               let children = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children", encoding: .utf8),
               let first = children.split(separator: " ").first, let pid = Int32(first) {
                pidOne = pid
            } else {
                usleep(50_000)
            }
        }
        #expect(pidOne > 0)
        // Never kill(0, …): that would signal this test runner's whole process group.
        kill(pidOne > 0 ? pidOne : process.processIdentifier, pidOne > 0 ? SIGTERM : SIGKILL)
        process.waitUntilExit()
        let text = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        #expect(text.contains("ppid=1"), "\(text)")        // the command's parent is seclab-run as PID 1
        #expect(process.terminationStatus == 128 + SIGTERM)  // the child died of SIGTERM: 143 comes back
    }
}
