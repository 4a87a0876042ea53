import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret set VAULT NAME [--from-file F]`.
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a secret; the value comes from stdin (exact bytes) or --from-file, never from arguments.",
            discussion: """
                On a terminal, the value is asked for without echo (one line).
                Example: printf '%s' "$TOKEN" | seclab secret set prod API_TOKEN
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Argument(help: "The secret's name (case-sensitive; no '=', control characters or surrounding spaces; best [A-Za-z_][A-Za-z0-9_]*).")
        var name: String

        @Option(name: .customLong("from-file"), help: ArgumentHelp("Read the value from this file.", valueName: "file"))
        var fromFile: String?

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            _ = try Validate.newItemName(name)
            if unlock.passphraseStdin && fromFile == nil {
                throw ValidationError("--passphrase-stdin uses stdin, so the value must come from --from-file")
            }
            if let fromFile, !FileManager.default.isReadableFile(atPath: fromFile) {
                throw ValidationError("cannot read \(fromFile)")
            }
        }

        func run() throws {
            let itemName = try Validate.newItemName(name)
            let value = try readValue()
            guard value.count <= Limits.maxValueBytes else {
                throw CLIFailure("the value is \(value.count) bytes; the limit is 1 MiB", status: .usage)
            }
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                _ = try owner { () throws(OwnerError) in try session.setItem(in: opened, name: itemName, value: value) }
                Terminal.note("set \(Terminal.shown(itemName.string)) in vault '\(Terminal.shown(opened.name))'")
            }
        }

        private func readValue() throws(CLIFailure) -> SecretBytes {
            if let fromFile {
                guard let data = FileManager.default.contents(atPath: fromFile) else {
                    throw CLIFailure("cannot read \(fromFile)", status: .usage)
                }
                return SecretBytes(copying: data)
            }
            if Terminal.stdinIsTTY {
                guard let typed = Terminal.readHidden(prompt: "Value for \(name): ") else {
                    throw CLIFailure("no value", hint: "pipe the value on stdin or use --from-file", status: .usage)
                }
                return SecretBytes(copying: Array(typed.utf8))
            }
            return SecretBytes(copying: StandardInput.readAll())
        }
    }
}
