import Foundation
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The CLI never writes its profile (the Secret Key) into, or reads pins
/// from, a directory another user owns or can write to.
@Suite(.serialized)
struct ProfileDirectoryTests {
    func expectRefused(_ device: Device, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try device.run(["account", "create", "--email", "dir@example.com"])
        #expect(result.status == 2, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(why), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)  // no Secret Key printed
        #expect(!FileManager.default.fileExists(atPath: device.configDir.appendingPathComponent("profile.json").path), sourceLocation: sourceLocation)
    }

    @Test("a profile directory owned by another user is refused")
    func otherOwner() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "dir pass")
        try FileManager.default.createDirectory(at: device.configDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let other: uid_t = geteuid() == 65534 ? 65533 : 65534
        guard chown(device.configDir.path, other, other) == 0 else {
            withKnownIssue("chown needs root: cannot make a directory owned by another user here") { Issue.record("not root") }
            return
        }
        try expectRefused(device, "belongs to another user")
    }

    @Test("a profile directory others can write to, or whose parent they can, is refused")
    func writableByOthers() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "dir pass")
        try FileManager.default.createDirectory(at: device.configDir, withIntermediateDirectories: true)
        chmod(device.configDir.path, 0o777)
        try expectRefused(device, "writable by group or others")
        #expect(try FileManager.default.attributesOfItem(atPath: device.configDir.path)[.posixPermissions] as? Int == 0o777)  // left alone

        chmod(device.configDir.path, 0o700)
        chmod(device.root.path, 0o777)  // the parent: anyone could swap the directory
        try expectRefused(device, "parent")
        chmod(device.root.path, 0o755)

        // A directory of one's own with a loose but safe mode is tightened to 0700 and used.
        chmod(device.configDir.path, 0o755)
        try device.ok(["account", "create", "--email", "dir@example.com"])
        #expect(try FileManager.default.attributesOfItem(atPath: device.configDir.path)[.posixPermissions] as? Int == 0o700)

        // Reading is refused too once others can write there (a planted pins.json would be trusted).
        chmod(device.configDir.path, 0o777)
        let listed = try device.run(["vault", "list"])
        #expect(listed.status == 2 && listed.stderr.contains("writable by group or others"), "\(listed.stderr)")
        chmod(device.configDir.path, 0o700)
        try device.ok(["vault", "list"])
    }
}
