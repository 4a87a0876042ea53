import SeclabAPI

/// How the CLI prints a machine slot's CI identity binding.
enum MachineBinding {
    /// `issuer=… audience=… KEY=PATTERN …`, one line.
    static func text(_ binding: OIDCBinding) -> String {
        (["issuer=\(binding.issuer)", "audience=\(binding.audience)"] + binding.claims.map { "\($0.key)=\($0.pattern)" })
            .joined(separator: " ")
    }
}
