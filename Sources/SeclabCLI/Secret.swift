import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// `seclab secret …`.
struct Secret: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set, get, list, delete, import and export secrets.",
        subcommands: [Set.self, Get.self, List.self, Delete.self, Import.self, Export.self]
    )
}

extension Validate {
    /// A secret name as spec §7 allows it (checked before any network or crypto work). Used
    /// to read and delete: a name a hostile writer made must stay reachable for removal.
    static func itemName(_ name: String) throws -> ItemName {
        do { return try ItemName(name) } catch { throw ValidationError(Terminal.safe(error.description)) }
    }

    /// A name about to be written (`secret set`, `secret import`): spec §7's rules plus the
    /// name grammar of docs/cli.md ("Secret names").
    ///
    /// Why at write (items 4 and 12): names reach shells (dotenv export), terminals
    /// (`secret list`) and CI logs (seclab-run's errors), so no name this client writes may
    /// carry a control character, a line or paragraph separator, a bidirectional control or
    /// surrounding white space. Readers still escape on display: other clients may not check.
    static func newItemName(_ name: String) throws -> ItemName {
        let itemName = try itemName(name)
        if let bad = name.unicodeScalars.first(where: Terminal.needsEscape) {
            throw ValidationError("the secret name \(Terminal.shown(name)) contains \(Terminal.escape(bad)), a control or formatting character; "
                                  + "names may not contain control characters (U+0000-U+001F, U+007F-U+009F), line separators or bidirectional controls")
        }
        if let first = name.first, let last = name.last, first.isWhitespace || last.isWhitespace {
            throw ValidationError("the secret name '\(Terminal.shown(name))' starts or ends with white space")
        }
        return itemName
    }
}
