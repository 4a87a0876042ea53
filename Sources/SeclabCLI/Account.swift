import ArgumentParser

/// `seclab account …`.
struct Account: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an account, log in and out, change the passphrase.",
        subcommands: [Create.self, Login.self, Logout.self, ChangePassphrase.self]
    )
}
