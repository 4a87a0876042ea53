import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// `seclab vault …`.
struct Vault: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, delete, share and rekey vaults.",
        subcommands: [Create.self, List.self, Show.self, Delete.self, Share.self, Unshare.self, Invites.self, Accept.self, Decline.self,
                      Rekey.self]
    )
}

/// Rendering shared by vault listings.
extension OwnerVault {
    /// `owner`, `shared read`, `shared write`, or with `UNVERIFIED granter key …`.
    var roleText: String {
        switch trust {
        case .own: return isOwner ? "owner" : "shared \(role)"
        case .verified: return "shared \(role)"
        case let .unverified(fingerprint): return "shared \(role) (granter key NOT verified: fingerprint \(fingerprint))"
        }
    }

    var trustText: String {
        switch trust {
        case .own: return "own"
        case .verified: return "verified"
        case .unverified: return "unverified"
        }
    }
}

/// JSON output helper: sorted keys, one document.
enum JSONOutput {
    static func print(_ value: some Encodable) throws(CLIFailure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { Terminal.output(Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]) } catch {
            throw CLIFailure("could not encode the output as JSON")
        }
    }
}

extension OwnerSession {
    /// `vault(named:)`, warning on stderr when the vault was shared by a key this device has
    /// not verified. Why every command warns, not only `vault list`: a server can invent an
    /// account and share a vault of its own making (HPKE auth proves only which key sealed
    /// it), and reading or writing into such a vault must not pass silently (spec §6.1).
    func checkedVault(named nameOrID: String) throws(OwnerError) -> OwnerVault {
        let vault = try vault(named: nameOrID)
        if case let .unverified(fingerprint) = vault.trust {
            Terminal.warning("vault '\(vault.name)' was shared by a key you have not verified (fingerprint \(fingerprint)); compare it with the vault's owner out of band")
        }
        return vault
    }
}
