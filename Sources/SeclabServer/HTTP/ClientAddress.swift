#if canImport(Glibc)
import Glibc
#endif

/// An IP address as bytes (4 for IPv4, 16 for IPv6; an IPv4-mapped IPv6 address is IPv4).
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// Parse dotted IPv4 or IPv6 text (brackets and a zone are accepted and dropped).
    init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { text = String(text[text.index(after: text.startIndex)..<close]) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        // ::ffff:a.b.c.d is the IPv4 client a.b.c.d (a dual-stack listener reports it so).
        if raw.prefix(10).allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF { bytes = Array(raw[12...]) } else { bytes = raw }
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// True for 127.0.0.0/8 and ::1.
    var isLoopback: Bool { isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1] }

    /// The text form.
    var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    /// What a throttle or rate limit counts: the address itself for IPv4, its /64 for IPv6.
    /// Why the /64: one IPv6 host is normally given a whole /64, so counting single addresses
    /// would let one client rotate through 2^64 identities.
    var throttleSubject: String {
        if isIPv4 { return description }
        var prefix = Array(bytes.prefix(8))
        prefix += [UInt8](repeating: 0, count: 8)
        return IPAddress(unchecked: prefix).description + "/64"
    }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}

/// An address range in CIDR notation, e.g. `10.0.0.0/8` or `fd00::/8` (a bare address is /32 or /128).
struct CIDRRange: Sendable, Equatable, CustomStringConvertible {
    let network: IPAddress
    let prefixLength: Int

    /// Parse `ADDRESS[/BITS]`; nil when either part is malformed.
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits) else { return nil }
            // An IPv4-mapped range written in IPv6 form counts its bits from the IPv4 part.
            prefixLength = bits
        } else {
            prefixLength = maximum
        }
        network = address
    }

    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for index in network.bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address.bytes[index] & mask != network.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    var description: String { "\(network)/\(prefixLength)" }
}

/// The client's address when a trusted reverse proxy stands in front.
///
/// Why only from trusted peers, and why the rightmost untrusted hop: anyone can send an
/// `X-Forwarded-For` header, so it means something only when the TCP peer is a proxy the
/// operator named; each trusted proxy appends the address it saw, so walking the list from
/// the right and skipping trusted proxies finds the first address no trusted party vouches
/// beyond. Entries to its left were written by the client and are ignored.
enum ForwardedFor {
    /// The client address for a request from `peer` with `headers`; `peer` itself when it is
    /// not trusted or the headers name nothing usable.
    static func client(peer: IPAddress?, forwardedFor: [String], forwarded: [String], trusted: [CIDRRange]) -> IPAddress? {
        guard let peer, !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        // RFC 7239 `Forwarded` wins when present: it is the standard form.
        let hops = forwarded.isEmpty ? forwardedFor.flatMap { $0.split(separator: ",") }.map { String($0) } : forwardedHops(forwarded)
        var current = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop.trimmingSpaces) else { return current }  // garbage: stop at the last good hop
            current = address
            if !trusted.contains(where: { $0.contains(address) }) { return address }
        }
        return current
    }

    /// The `for=` values of RFC 7239 `Forwarded` headers, in order (quotes and ports dropped).
    static func forwardedHops(_ headers: [String]) -> [String] {
        var hops: [String] = []
        for header in headers {
            for element in header.split(separator: ",") {
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, parts[0].trimmingSpaces.lowercased() == "for" else { continue }
                    var value = parts[1].trimmingSpaces
                    if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                    if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
                        value = String(value[value.index(after: value.startIndex)..<close])
                    } else if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") {
                        value = String(value[..<colon])  // IPv4 with a port
                    }
                    hops.append(value)
                }
            }
        }
        return hops
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
