import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// `::add-mask::` lines under GitHub Actions, written where the runner reads them and the
/// command's output never contains them.
///
/// Why stderr: the runner scans *both* streams of a step for workflow
/// commands: actions/runner src/Runner.Worker/Handlers/ScriptHandler.cs attaches one
/// OutputManager to `OutputDataReceived` and another to `ErrorDataReceived`, and
/// OutputManager.OnDataReceived hands every line to ActionCommandManager.TryProcessCommand
/// (read at commit 258d6c85). So stderr masks the values exactly as well as stdout did, while
/// stdout — what a step redirects into an artifact or pipes into `jq` — stays the command's
/// own. They are still not written when stderr is a regular file (`2>log`: the runner never
/// sees that file, which would only receive the values), a terminal (the runner gives a step
/// pipes, never a terminal) or the same stream as stdout (`2>&1 | tee out`): then a warning
/// says the values are not redacted.
enum GitHubMasks {
    /// Emit one `::add-mask::` line per line of every value (at least `minimumLength` bytes),
    /// before the command prints anything, or a warning saying why not.
    static func emit(_ injections: [Injection], minimumLength: Int) {
        if let reason = unsafeStderr() {
            let text = "seclab-run: warning: no add-mask commands written for the GitHub runner: \(reason), so they would carry the values into a file or the command's output; the runner will not redact the values (use --mask, or --no-github-mask to silence this)\n"
            writeAll(2, Array(text.utf8))
            return
        }
        var out = [UInt8]()
        for injection in injections {
            for line in Masker.lines(of: injection.value.unprotectedArray()) where line.count >= minimumLength {
                out += Array("::add-mask::".utf8)
                for byte in line {
                    // The runner unescapes %25, %0D and %0A in command data (ActionCommand.cs).
                    switch byte {
                    case UInt8(ascii: "%"): out += Array("%25".utf8)
                    case UInt8(ascii: "\r"): out += Array("%0D".utf8)
                    default: out.append(byte)
                    }
                }
                out.append(UInt8(ascii: "\n"))
            }
        }
        writeAll(2, out)
        for i in out.indices { out[i] = 0 }
    }

    /// Why stderr must not receive the lines, or nil when it may.
    static func unsafeStderr() -> String? {
        var err = stat()
        guard fstat(2, &err) == 0 else { return "stderr is closed" }
        let kind = err.st_mode & S_IFMT
        if kind == S_IFREG { return "stderr is a file, not the runner's log" }
        if isatty(2) == 1 { return "stderr is a terminal, not the runner's log" }
        if kind == S_IFCHR { return nil }  // /dev/null: nothing is kept
        var out = stat()
        if fstat(1, &out) == 0 && out.st_dev == err.st_dev && out.st_ino == err.st_ino {
            return "stderr is the same stream as stdout (2>&1)"
        }
        return nil
    }
}
