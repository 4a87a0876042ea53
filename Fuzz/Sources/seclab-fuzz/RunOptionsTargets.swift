import SeclabRun

/// seclab-run's argv and environment parsing (SeclabRun.RunOptions) and the environment-name
/// policy applied to what it parsed. The first byte picks which SECLAB_* variables are set;
/// the rest is argv, split on NUL. A parse that succeeds must describe a runnable request.
enum RunOptionsTargets {
    static let target = FuzzTarget(name: "run-options", summary: "RunOptions.parse + EnvironmentPolicy", run: run)

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let flags = input.byte()
        var environment = [String: String]()
        if flags & 1 != 0 { environment["SECLAB_SERVER"] = "http://127.0.0.1:1" }
        if flags & 2 != 0 { environment["SECLAB_MACHINE_KEY_FILE"] = "/dev/null" }
        if flags & 4 != 0 { environment["SECLAB_CA_FILE"] = "" }
        if flags & 8 != 0 { environment["SECLAB_SERVER"] = "" }
        let rest = input.rest()
        let arguments = rest.isEmpty ? [] : rest.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }

        guard let options = try? RunOptions.parse(arguments, environment: environment) else { return }
        if options.help || options.version { return }
        // Not "non-empty": `--server=` is taken as given and refused later as a URL.
        check(options.server != nil, "RunOptions: parsed without a server")
        check(!options.command.isEmpty || options.dryRun, "RunOptions: parsed without a command")
        check((1...4096).contains(options.maskMinimumLength), "RunOptions: mask length out of range")
        check(options.timeout > 0 && options.timeout <= 3600 && options.connectTimeout > 0 && options.connectTimeout <= 3600,
              "RunOptions: a timeout out of range")
        let names = (options.only ?? []) + options.require + options.files.flatMap { [$0.name, $0.variable] }
        check(!names.contains(where: \.isEmpty), "RunOptions: an empty name was accepted")
        // The command is argv's tail, byte for byte.
        check(arguments.ends(with: options.command), "RunOptions: the command is not the tail of argv")

        for name in names + Array(options.allowedNames) {
            let accepted = (try? EnvironmentPolicy.check(name, allowed: options.allowedNames, role: "name")) != nil
            let portable = isPortable(name)
            if accepted && !options.allowedNames.contains(name) {
                check(portable && !EnvironmentPolicy.isDangerous(name), "EnvironmentPolicy accepted '\(name)'")
            }
            check(EnvironmentPolicy.isPortable(name) == portable, "EnvironmentPolicy.isPortable disagrees with [A-Za-z_][A-Za-z0-9_]*")
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, the obvious way.
    static func isPortable(_ name: String) -> Bool {
        let letters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_".unicodeScalars)
        let digits = Set("0123456789".unicodeScalars)
        guard let first = name.unicodeScalars.first, letters.contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { letters.contains($0) || digits.contains($0) }
    }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
