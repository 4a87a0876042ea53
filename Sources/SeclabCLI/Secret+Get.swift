import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret get VAULT NAME`.
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a secret's value: the exact bytes, no newline added.",
            discussion: "Example: seclab secret get prod API_TOKEN > token.txt"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Argument(help: "The secret's name.")
        var name: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            _ = try Validate.itemName(name)
        }

        struct Row: Encodable {
            let name: String
            let value: String?
            let valueBase64: String?
            enum CodingKeys: String, CodingKey { case name, value, valueBase64 = "value_base64" }
        }

        func run() throws {
            let itemName = try Validate.itemName(name)
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let item = try owner { () throws(OwnerError) in try session.getItem(in: opened, name: itemName) }
                // The value is decrypted and verified completely before a single byte is printed.
                let bytes = item.value.unprotectedArray()
                if output.json {
                    let text = String(validating: bytes, as: UTF8.self)
                    try JSONOutput.print(Row(name: item.name.string, value: text,
                                             valueBase64: text == nil ? Data(bytes).base64EncodedString() : nil))
                } else {
                    Terminal.output(bytes)
                }
            }
        }
    }
}
