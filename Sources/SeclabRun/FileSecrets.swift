import CSeclabExec
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// Delivery of file secrets: sealed memfds inherited across exec, or 0400 files in a fresh
/// 0700 directory on a tmpfs/ramfs (never on a disk).
enum FileSecrets {
    /// TMPFS_MAGIC and RAMFS_MAGIC from linux/magic.h.
    static let memoryFileSystems: Set<Int> = [0x0102_1994, 0x8584_58F6]

    /// Put each file secret in a sealed, read-only memfd and set its variable to `/dev/fd/N`.
    static func memfds(for plan: inout ExecPlan) throws(RunFailure) {
        for injection in plan.injections {
            guard case let .file(variable) = injection.destination else { continue }
            let fd = seclab_memfd("seclab:\(injection.name)")
            guard fd >= 0 else { throw RunFailure(RunExitCode.failure, "memfd_create failed: \(String(cString: strerror(errno)))") }
            let ok = injection.value.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 { if errno == EINTR { continue }; return false }
                    offset += written
                }
                return true
            }
            // Why seal: the child (and anything it spawns) can read the value but not alter it.
            guard ok, seclab_seal_readonly(fd) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                throw RunFailure(RunExitCode.failure, "could not prepare the in-memory file for \(Display.name(injection.name))")
            }
            plan.set(variable, "/dev/fd/\(fd)")
        }
    }

    /// Write each file secret into a fresh 0700 directory under `parent`, which must be a
    /// tmpfs or ramfs (checked with statfs). Returns the directory to remove afterwards.
    static func directory(under parent: String, for plan: inout ExecPlan) throws(RunFailure) -> String {
        let magic = seclab_fs_magic(parent)
        guard magic >= 0 else { throw .usage("--files-dir \(parent): \(String(cString: strerror(errno)))") }
        guard memoryFileSystems.contains(magic) else {
            throw .usage("--files-dir \(parent) is not a tmpfs or ramfs: refusing to write secrets to a disk",
                         hint: "use a memory file system such as /dev/shm, or --file without --files-dir (sealed in-memory files)")
        }
        var template = Array((parent.hasSuffix("/") ? parent : parent + "/").utf8) + Array("seclab-XXXXXX".utf8) + [0]
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkdtemp($0.baseAddress!) }
        }
        guard made != nil else { throw .usage("--files-dir \(parent): cannot create a directory: \(String(cString: strerror(errno)))") }
        let directory = String(decoding: template.dropLast(), as: UTF8.self)
        for injection in plan.injections {
            guard case let .file(variable) = injection.destination else { continue }
            // "." and ".." would name the directory or its parent, not a new file.
            var safeName = String(injection.name.map { $0 == "/" ? "_" : $0 })
            if safeName == "." || safeName == ".." { safeName = "_" + safeName }
            let path = directory + "/" + safeName
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o400)
            guard fd >= 0 else {
                removeDirectory(directory)
                throw RunFailure(RunExitCode.failure, "cannot write \(Display.name(path)): \(String(cString: strerror(errno)))")
            }
            injection.value.withUnsafeBytes { raw in writeAll(fd, Array(raw)) }
            close(fd)
            plan.set(variable, path)
        }
        return directory
    }

    /// Remove the files-dir directory and everything in it.
    static func removeDirectory(_ directory: String) {
        guard let handle = opendir(directory) else { return }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            unlink(directory + "/" + name)
        }
        closedir(handle)
        rmdir(directory)
    }
}
