import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPrimitives

extension Account {
    /// `seclab account show`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show this device's account and its key fingerprint (tell it to people who share with you).",
            discussion: "Example: seclab account show --json"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        struct Row: Encodable {
            let email: String, accountID: String, server: String, fingerprint: String
            enum CodingKeys: String, CodingKey { case email, accountID = "account_id", server, fingerprint }
        }

        func run() throws {
            let profile = try global.store.profile()
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                // The fingerprint of the key this device just opened, not of what a file claims.
                let row = Row(email: session.keySet.email, accountID: session.accountID.text,
                              server: global.explicitServer ?? profile.server, fingerprint: Fingerprint.of(session.keys.publicKey))
                if output.json { try JSONOutput.print(row); return }
                Terminal.output(line: "E-mail:      \(row.email)")
                Terminal.output(line: "Account ID:  \(row.accountID)")
                Terminal.output(line: "Server:      \(row.server)")
                Terminal.output(line: "Fingerprint: \(row.fingerprint)")
            }
        }
    }
}
