import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
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
    /// A secret name as spec §7 allows it (checked before any network or crypto work).
    static func itemName(_ name: String) throws -> ItemName {
        do { return try ItemName(name) } catch { throw ValidationError(error.description) }
    }
}
