import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// `seclab machine …`.
struct Machine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Machine credentials: one per pipeline or service, scoped to one vault, revocable.",
        subcommands: [Create.self, List.self, Revoke.self]
    )
}
