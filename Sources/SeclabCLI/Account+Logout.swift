import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Account {
    /// `seclab account logout`.
    struct Logout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the cached session on the server and forget its token on this device.",
            discussion: "The device profile (server, e-mail, Secret Key) stays. Example: seclab account logout"
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let store = global.store
            _ = try store.profile()
            guard let cached = try store.read(CachedSession.self, ProfileStore.sessionFile) else {
                Terminal.note("not logged in")
                return
            }
            // Forget the token locally whatever the server says: logout must not fail open.
            store.remove(ProfileStore.sessionFile)
            // The token goes only to the server that issued it.
            let client = try Unlocker.client(cached.server)
            do throws(OwnerError) {
                try OwnerSession.logout(client: client, token: cached.token)
            } catch {
                let failure = CLIFailure(error)
                throw CLIFailure("the token was removed from this device, but the server did not confirm the logout: \(failure.message)",
                                 hint: failure.hint, status: failure.status)
            }
            Terminal.note("logged out")
        }
    }
}
