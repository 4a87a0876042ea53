#if canImport(Glibc)
import Glibc
#endif

/// The options of `--watch` and `--fallback`, parsed with the rest of
/// `RunOptions` and checked before any network or cryptographic work.
public struct WatchOptions: Sendable, Equatable {
    /// Supervise COMMAND and poll the vault for changes (`--watch`).
    public var watch = false
    /// Seconds between polls, before the ±10% jitter (`--watch-interval`, default 60).
    public var interval: Double = 60
    /// Seconds COMMAND gets to exit after SIGTERM before SIGKILL (`--stop-timeout`, default 10).
    public var stopTimeout: Double = 10
    /// Send this signal instead of restarting (`--watch-signal SIG`).
    public var signal: Int32?
    /// The sealed offline copy of the last verified pull (`--fallback`, `SECLAB_FALLBACK`).
    public var fallback: String?
    /// The oldest fallback file used, in seconds (`--fallback-max-age`, default 24 h).
    public var fallbackMaxAge: Double = 86_400

    /// Defaults.
    public init() {}

    /// The options this type parses; each takes a value except `--watch`.
    static let flags: Set<String> = ["--watch", "--watch-interval", "--stop-timeout", "--watch-signal", "--fallback", "--fallback-max-age"]

    /// Signals `--watch-signal` accepts, by name (without SIG).
    static let signals: [String: Int32] = ["HUP": SIGHUP, "USR1": SIGUSR1, "USR2": SIGUSR2, "INT": SIGINT, "TERM": SIGTERM,
                                           "QUIT": SIGQUIT, "WINCH": SIGWINCH]

    /// Read `SECLAB_FALLBACK`.
    mutating func readEnvironment(_ environment: [String: String]) {
        fallback = environment["SECLAB_FALLBACK"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Apply one of `flags`; `value` reads its argument.
    mutating func parse(_ flag: String, value: () throws(RunFailure) -> String) throws(RunFailure) {
        switch flag {
        case "--watch": watch = true
        case "--watch-signal":
            let text = try value()
            let name = text.uppercased().hasPrefix("SIG") ? String(text.uppercased().dropFirst(3)) : text.uppercased()
            guard let number = Self.signals[name] else {
                throw .usage("--watch-signal takes one of \(Self.signals.keys.sorted().joined(separator: ", ")), got '\(text)'")
            }
            signal = number
        case "--fallback":
            let path = try value()
            guard !path.isEmpty else { throw .usage("--fallback needs a file path") }
            fallback = path
        default:
            let text = try value()
            let (low, high): (Double, Double) = flag == "--fallback-max-age" ? (1, 366 * 86_400) : flag == "--watch-interval" ? (1, 86_400) : (0, 3600)
            guard let seconds = Self.seconds(text), seconds >= low, seconds <= high else {
                throw .usage("\(flag) takes a duration from \(Int(low)) s to \(Int(high)) s (e.g. 90, 90s, 15m, 24h), got '\(text)'")
            }
            switch flag {
            case "--watch-interval": interval = seconds
            case "--stop-timeout": stopTimeout = seconds
            default: fallbackMaxAge = seconds
            }
        }
    }

    /// Cross-option rules, after everything is parsed.
    func validate(_ options: RunOptions) throws(RunFailure) {
        if !watch, signal != nil || interval != 60 || stopTimeout != 10 {
            throw .usage("--watch-interval, --stop-timeout and --watch-signal need --watch")
        }
        // Why: a running process's environment cannot change, so a signal can deliver new
        // values only through files rewritten in place; sealed memfds cannot be rewritten.
        if signal != nil, options.filesDirectory == nil {
            throw .usage("--watch-signal needs --files-dir: new values reach a running COMMAND only as rewritten files",
                         hint: "add --files-dir /dev/shm and --file NAME[=VAR], or drop --watch-signal to restart COMMAND on a change")
        }
    }

    /// `90`, `90s`, `15m`, `24h` or `2d` in seconds.
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }
}
