import ArgumentParser
import SeclabServer

// Thin on purpose: the command lives in SeclabServer. Top-level code resolves
// `main()`/`run()` to ParsableCommand's synchronous versions, so `serve` is dispatched by name.
do {
    var command = try SeclabServerCommand.parseAsRoot()
    if let serve = command as? Serve {
        try await serve.serve()
    } else if let backup = command as? Backup {
        try await backup.run()
    } else {
        try command.run()
    }
} catch {
    SeclabServerCommand.exit(withError: error)
}
