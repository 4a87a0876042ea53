import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// `seclab account …`.
struct Account: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an account, log in and out, change the passphrase.",
        subcommands: [Create.self, Login.self, Logout.self, ChangePassphrase.self, Show.self]
    )
}
