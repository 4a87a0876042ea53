import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabHTTP
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Machine {
    /// `seclab machine create VAULT --name LABEL`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a machine credential for one vault; prints only the slmk2_… credential on stdout.",
            discussion: """
                The machine key is made here; the server gets only a hash-able auth secret. Store the \
                credential in your CI's secret store: it is shown once.
                Example: SECLAB_MACHINE_KEY=$(seclab machine create prod --name ci-prod)   (the variable seclab-run reads)
                Bound to a CI identity (the server must trust the issuer, --oidc-issuer on seclab-server):
                  seclab machine create prod --name gh-prod --oidc-issuer https://token.actions.githubusercontent.com \
                    --oidc-claim repository=acme/app --oidc-claim ref=refs/heads/main
                Every claim must match (exact, or a glob: * one path segment, ** several); the audience \
                defaults to the server's origin, as seclab-run asks for it. The binding is fixed at creation.
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(help: ArgumentHelp("A label for the machine (encrypted).", valueName: "label"))
        var name: String

        @Option(name: .customLong("oidc-issuer"), help: ArgumentHelp(
            "Bind the credential to CI identity tokens of this OpenID Connect issuer.", valueName: "url"))
        var oidcIssuer: String?

        @Option(name: .customLong("oidc-audience"), help: ArgumentHelp(
            "The token audience to require (default: the server's origin, what seclab-run asks for).", valueName: "aud"))
        var oidcAudience: String?

        @Option(name: .customLong("oidc-claim"), help: ArgumentHelp(
            "A claim the token must match, KEY=PATTERN (repeatable; e.g. repository=acme/*, ref=refs/heads/main).",
            valueName: "key=pattern"))
        var oidcClaims: [String] = []

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.nonEmpty(name, "a machine label")
            guard name.utf8.count <= 1000 else { throw ValidationError("a machine label is at most 1000 bytes") }
            if oidcIssuer == nil {
                guard oidcClaims.isEmpty, oidcAudience == nil else {
                    throw ValidationError("--oidc-claim and --oidc-audience need --oidc-issuer URL")
                }
            } else {
                // Why: an issuer alone admits every repository it serves.
                guard !oidcClaims.isEmpty else {
                    throw ValidationError("--oidc-issuer needs at least one --oidc-claim KEY=PATTERN, e.g. --oidc-claim repository=acme/app")
                }
                _ = try claims()
            }
        }

        /// `--oidc-claim` texts split at their first `=`.
        func claims() throws -> [OIDCBinding.Claim] {
            try oidcClaims.map { text in
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
                    throw ValidationError("--oidc-claim '\(text)' must be KEY=PATTERN, e.g. repository=acme/app")
                }
                return OIDCBinding.Claim(key: String(text[..<equals]), pattern: String(text[text.index(after: equals)...]))
            }
        }

        /// The binding to send, nil without `--oidc-issuer`; the audience defaults to the origin of
        /// the server this session talks to (seclab-run computes the same from SECLAB_SERVER).
        func binding(serverURL: String) throws(CLIFailure) -> OIDCBinding? {
            guard let oidcIssuer else { return nil }
            guard let audience = oidcAudience ?? ServerURL.origin(serverURL) else {
                throw CLIFailure("cannot derive the OIDC audience from the server URL \(serverURL); pass --oidc-audience", status: .usage)
            }
            do { return OIDCBinding(issuer: oidcIssuer, audience: audience, claims: try claims()) } catch {
                throw CLIFailure("\(error)", status: .usage)
            }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let binding = try binding(serverURL: session.client.baseURL)
                let credential = try owner { () throws(OwnerError) in try session.createMachine(in: opened, label: name, binding: binding) }
                Terminal.output(line: credential.text)
                Terminal.note("created machine '\(name)' for vault '\(opened.name)'; the credential above is shown only once")
                if let binding { Terminal.note("bound to CI identity: \(MachineBinding.text(binding))") }
            }
        }
    }
}
