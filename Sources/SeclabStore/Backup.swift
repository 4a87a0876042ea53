import SQLKit
#if canImport(Glibc)
import Glibc
#endif

/// Why `seclab-server backup` refused or failed: one line naming what to do next. Never
/// carries row content.
public enum BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database is PostgreSQL: pg_dump is the tool (docs/install.md).
    case notSQLite
    /// No database file at this path.
    case sourceMissing(String)
    /// The database's schema differs from this build's.
    case schemaMismatch(found: Int, known: Int)
    /// The backup file exists already.
    case targetExists(String)
    /// SQLite or the file system failed.
    case failed(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .notSQLite:
            return "backup copies SQLite databases; for PostgreSQL use pg_dump (docs/install.md, \"Backups and restores\")"
        case let .sourceMissing(path):
            return "no database file at \(path); pass --database sqlite:PATH of the live database"
        case let .schemaMismatch(found, known) where found > known:
            return "the database is at schema version \(found), newer than this seclab-server (\(known)); back it up with the seclab-server version that serves it"
        case let .schemaMismatch(found, known):
            return "the database is at schema version \(found), older than this seclab-server (\(known)); back it up with the seclab-server version that serves it, before upgrading"
        case let .targetExists(path):
            return "\(path) exists already; choose a new backup file (a backup never overwrites)"
        case let .failed(why):
            return "backup failed: \(why); the live database is unchanged"
        }
    }
}

extension SeclabDatabase {
    /// The schema version this build creates and serves (the number of migrations).
    public var knownSchemaVersion: Int { Migrations.all(dialect).count }

    /// The database's schema version: the highest applied migration, 0 for an empty database.
    public func schemaVersion() async throws -> Int {
        try await read { tx in
            let table = try await tx.sql.raw("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").first()
            guard try table?.decode(column: "n", as: Int.self) == 1 else { return 0 }
            let row = try await tx.sql.raw("SELECT MAX(version) AS v FROM schema_migrations").first()
            return try row?.decodeNil(column: "v") == false ? try row!.decode(column: "v", as: Int.self) : 0
        }
    }

    /// Copy the live SQLite database at `source` to the new file `target` with `VACUUM INTO`,
    /// and return the copy's schema version.
    ///
    /// Why VACUUM INTO: it runs as one read transaction, so the copy is a consistent snapshot
    /// of committed data while the server keeps serving (WAL readers never block its writer),
    /// and the copy is compact and self-contained (no -wal file). Why the schema check: a
    /// backup is only restorable by the server version that made it, so a binary older or newer
    /// in schema than the database refuses instead of producing a copy nobody can use safely.
    /// The copy is written beside the target and renamed into place: a failed backup leaves
    /// no half-written file under the target's name.
    public func backupSQLite(source: String, to target: String) async throws -> Int {
        guard dialect.name == "sqlite" else { throw BackupError.notSQLite }
        guard access(source, F_OK) == 0 else { throw BackupError.sourceMissing(source) }
        guard access(target, F_OK) != 0 else { throw BackupError.targetExists(target) }
        let found = try await schemaVersion()
        guard found == knownSchemaVersion else { throw BackupError.schemaMismatch(found: found, known: knownSchemaVersion) }
        let partial = target + ".partial-\(getpid())"
        unlink(partial)
        do {
            try await withConnection { sql in try await sql.raw("VACUUM INTO \(bind: partial)").run() }
        } catch {
            unlink(partial)
            throw BackupError.failed("SQLite could not write \(partial): \(String(describing: error).prefix(200))")
        }
        let fd = open(partial, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
        guard access(target, F_OK) != 0 else { unlink(partial); throw BackupError.targetExists(target) }
        guard rename(partial, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw BackupError.failed("cannot rename the copy to \(target): \(reason)")
        }
        return found
    }
}
