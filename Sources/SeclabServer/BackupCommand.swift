public import ArgumentParser
import Logging
import SeclabStore
#if canImport(Glibc)
import Glibc
#endif

/// `seclab-server backup --to FILE`: a consistent copy of a live SQLite database while the
/// server keeps serving. PostgreSQL is backed up with pg_dump (docs/install.md).
public struct Backup: AsyncParsableCommand {
    /// Help.
    public static let configuration = CommandConfiguration(
        abstract: "Copy a live SQLite database to a new file (the server keeps serving).",
        discussion: """
            The copy is a consistent snapshot (SQLite VACUUM INTO, one read transaction) of the \
            database at --database (default $SECLAB_DATABASE, then sqlite:./seclab.db). Run it with \
            the seclab-server version that serves the database: a different schema is refused. \
            Restore: stop the server, put the copy in place of the database file, start it.
            """
    )

    /// The live database.
    @Option(name: .long, help: "sqlite:PATH of the live database (default $SECLAB_DATABASE, then sqlite:./seclab.db).")
    public var database: String?

    /// The new file.
    @Option(name: .long, help: "The backup file to create; it must not exist.")
    public var to: String

    /// Required by ArgumentParser.
    public init() {}

    /// Copy, print one line, exit 0; or print `seclab-server: error: …` and exit 1.
    public func run() async throws {
        let url = database ?? Serve.environment("SECLAB_DATABASE") ?? "sqlite:./seclab.db"
        let location: DatabaseLocation
        do { location = try DatabaseLocation(url: url) } catch { throw ValidationError(error.description) }
        guard case let .sqlite(path) = location else { throw ValidationError(BackupError.notSQLite.description) }
        var logger = Logger(label: "seclab.backup")
        logger.logLevel = .warning
        let store = try SeclabDatabase(location: location, logger: logger)
        do {
            let version = try await store.backupSQLite(source: path, to: to)
            await store.shutdown()
            print("seclab-server: backed up \(path) (schema version \(version)) to \(to)")
        } catch {
            await store.shutdown()
            let message = (error as? BackupError)?.description ?? "backup failed: \(String(describing: error).prefix(200))"
            let line = Array("seclab-server: error: \(message)\n".utf8)
            _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
            throw ExitCode(1)
        }
    }
}
