import SeclabClient
import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// The device profile: which server and account this device uses, and the Secret
/// Key, which by design lives on the device (spec §3). Never the passphrase, AUK, private key
/// or vault keys.
struct Profile: Codable {
    var server: String
    var email: String
    var accountID: String
    var secretKey: String
    enum CodingKeys: String, CodingKey { case server, email, accountID = "account_id", secretKey = "secret_key" }
}

/// A cached session: the bearer token with its expiry, and the key set of the verified login
/// (public values and the AUK-wrapped private key, which the server holds anyway).
struct CachedSession: Codable {
    /// The server that issued the token: a bearer token is never sent anywhere else.
    var server: String
    var token: String
    var expiresAt: String
    var account: AccountKeySet
    enum CodingKeys: String, CodingKey { case server, token, expiresAt = "expires_at", account }

    init(server: String, session: OwnerSession, account: AccountKeySet? = nil) {
        self.server = server
        token = session.token
        expiresAt = session.expiresAt
        self.account = account ?? session.keySet
    }

    /// True until a minute before the absolute expiry.
    var isFresh: Bool {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = parser.date(from: expiresAt) ?? plain.date(from: expiresAt) else { return false }
        return date.timeIntervalSinceNow > 60
    }
}

/// The profile directory: 0700, every file 0600, written atomically.
struct ProfileStore {
    let directory: URL

    static let profileFile = "profile.json"
    static let sessionFile = "session.json"
    static let pinsFile = "pins.json"

    /// `--config-dir`, else `SECLAB_CONFIG_DIR`, else `~/.config/seclab`.
    init(configDir: String?) {
        let env = ProcessInfo.processInfo.environment
        if let configDir, !configDir.isEmpty {
            directory = URL(fileURLWithPath: configDir)
        } else if let fromEnv = env[EnvironmentNames.configDirectory], !fromEnv.isEmpty {
            directory = URL(fileURLWithPath: fromEnv)
        } else {
            let home = env["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
            directory = home.appendingPathComponent(".config/seclab")
        }
    }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url(name).path) }

    func read<T: Decodable>(_ type: T.Type, _ name: String) throws(CLIFailure) -> T? {
        // Why before reading: a planted pins.json or session.json would be trusted.
        if FileManager.default.fileExists(atPath: directory.path) { try checkDirectory() }
        guard let data = FileManager.default.contents(atPath: url(name).path) else { return nil }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw CLIFailure("\(url(name).path) is unreadable", hint: "remove it, then log in again", status: .profile)
        }
    }

    /// The profile, or a failure telling the user how to make one.
    func profile() throws(CLIFailure) -> Profile {
        guard let profile = try read(Profile.self, Self.profileFile) else {
            throw CLIFailure("no seclab profile in \(directory.path)",
                             hint: "run `seclab account create --email E` or `seclab account login --email E`", status: .profile)
        }
        return profile
    }

    func pins() throws(CLIFailure) -> KeyPins { try read(KeyPins.self, Self.pinsFile) ?? KeyPins() }

    /// Write JSON atomically with mode 0600 inside a 0700 directory.
    func write(_ value: some Encodable, _ name: String) throws(CLIFailure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw CLIFailure("could not encode \(name)", status: .profile) }
        try ensureDirectory()
        try writeFile(Array(data), to: url(name))
    }

    func remove(_ name: String) { try? FileManager.default.removeItem(at: url(name)) }

    func ensureDirectory() throws(CLIFailure) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIFailure("cannot create the profile directory \(directory.path): \(error.localizedDescription)", status: .profile)
        }
        try checkDirectory()
        // Why again: an existing directory keeps its mode; the Secret Key must not be readable
        // by others. A chmod that fails is an error, not a shrug.
        guard chmod(directory.path, 0o700) == 0 else {
            throw CLIFailure("cannot make the profile directory \(directory.path) private (chmod 700): \(String(cString: strerror(errno)))",
                             hint: "fix its permissions yourself, or choose another with --config-dir DIR", status: .profile)
        }
    }

    /// Whether someone other than this user may write: the mode allows others, or a group
    /// that is not the user's own primary group (with user private groups, a 0775 home is
    /// still only the user's).
    static func othersCanWrite(_ info: stat) -> Bool {
        info.st_mode & 0o002 != 0 || (info.st_mode & 0o020 != 0 && info.st_gid != getegid())
    }

    /// Refuse a profile directory that another user owns or can write to, or whose parent
    /// others can write to (they could swap the directory): its files would not be ours.
    ///
    /// Why: the profile holds the Secret Key and the pinned keys of other
    /// accounts; writing the Secret Key into someone else's directory hands it over, and
    /// reading pins from it trusts their keys.
    func checkDirectory() throws(CLIFailure) {
        let path = directory.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIFailure("cannot inspect the profile directory \(path): \(String(cString: strerror(errno)))", status: .profile)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw CLIFailure("the profile path \(path) is not a directory", hint: "choose another with --config-dir DIR or SECLAB_CONFIG_DIR", status: .profile)
        }
        guard info.st_uid == geteuid() else {
            throw CLIFailure("the profile directory \(path) belongs to another user (uid \(info.st_uid)), not to you (uid \(geteuid())): refusing to read or write your profile there",
                             hint: "use a directory of your own: --config-dir DIR or SECLAB_CONFIG_DIR", status: .profile)
        }
        guard !Self.othersCanWrite(info) else {
            throw CLIFailure("the profile directory \(path) is writable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))): another user could have replaced its files",
                             hint: "check the files in it, then run chmod 700 \(path)", status: .profile)
        }
        var parent = stat()
        let parentPath = directory.deletingLastPathComponent().path
        if stat(parentPath, &parent) == 0, Self.othersCanWrite(parent), parent.st_mode & 0o1000 == 0  /* S_ISVTX */ {
            throw CLIFailure("the profile directory's parent \(parentPath) is writable by group or others without the sticky bit (mode \(String(parent.st_mode & 0o7777, radix: 8))): another user could replace the profile directory",
                             hint: "use a directory whose parent only you can write: --config-dir DIR or SECLAB_CONFIG_DIR", status: .profile)
        }
    }

    /// Write bytes with mode 0600 from the first byte on (temp file, then rename).
    func writeFile(_ bytes: [UInt8], to target: URL, exclusive: Bool = false) throws(CLIFailure) {
        let temp = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIFailure("cannot write \(target.path): \(String(cString: strerror(errno)))", status: .profile) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var wrote = true
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
        } catch {
            wrote = false
        }
        guard wrote else {
            unlink(temp.path)
            throw CLIFailure("cannot write \(target.path)", status: .profile)
        }
        let moved = exclusive ? link(temp.path, target.path) == 0 : rename(temp.path, target.path) == 0
        let reason = String(cString: strerror(errno))
        if exclusive { unlink(temp.path) }
        guard moved else {
            unlink(temp.path)
            throw CLIFailure("cannot write \(target.path): \(reason)", status: .profile)
        }
    }
}
