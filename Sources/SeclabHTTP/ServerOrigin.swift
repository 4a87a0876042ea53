extension ServerURL {
    /// The origin `scheme://host[:port]` of a server URL (RFC 6454 §4): lower-cased scheme and
    /// host, IPv6 in brackets, the port only when it is not the scheme's default; path, query and
    /// user info dropped. It is the default OIDC audience on both sides (the owner's CLI
    /// binds it, seclab-run asks for it), so both must compute it from `SECLAB_SERVER` alike.
    public static func origin(_ url: String) -> String? {
        guard let (scheme, host) = schemeAndHost(url), scheme == "https" || scheme == "http" else { return nil }
        // The authority: after "://", before the first "/", "?" or "#", after any "user@".
        var rest = Substring(url).dropFirst(scheme.count + 3)  // schemeAndHost found "scheme://"
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        var port: Substring = ""
        if rest.hasPrefix("[") {
            if let close = rest.firstIndex(of: "]") {
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { port = after.dropFirst() }
            }
        } else if let colon = rest.lastIndex(of: ":") {
            port = rest[rest.index(after: colon)...]
        }
        guard port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let hostText = host.contains(":") ? "[\(host.lowercased())]" : host.lowercased()
        let defaultPort = scheme == "https" ? "443" : "80"
        if port.isEmpty || port == defaultPort { return "\(scheme)://\(hostText)" }
        return "\(scheme)://\(hostText):\(port)"
    }
}
