#if canImport(Glibc)
import Glibc
#endif

/// Name resolution through the system resolver (getaddrinfo), for start-up checks only.
enum HostResolver {
    /// Every address `host` resolves to; empty when it does not resolve.
    static func addresses(of host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr {
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                let family = Int32(address.pointee.sa_family)
                let ok: Bool
                if family == AF_INET {
                    ok = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        var raw = v4.pointee.sin_addr
                        return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil
                    }
                } else if family == AF_INET6 {
                    ok = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        var raw = v6.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil
                    }
                } else { ok = false }
                if ok, let parsed = IPAddress(String(cString: buffer)) { out.append(parsed) }
            }
            node = current.pointee.ai_next
        }
        return out
    }
}
