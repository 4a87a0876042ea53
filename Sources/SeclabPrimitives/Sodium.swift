import CSodium

/// One-time libsodium initialisation.
///
/// Every entry point of this module calls `Sodium.ready()` before touching libsodium;
/// `sodium_init` is idempotent and thread-safe, and a failure means the process cannot do
/// any cryptography at all, so it stops the process rather than continuing insecurely.
public enum Sodium {
    private static let initialised: Bool = {
        // Why trap: sodium_init fails only when the system cannot provide randomness;
        // carrying on would mean deriving keys from nothing (spec §1: randomness only from libsodium).
        guard sodium_init() >= 0 else { fatalError("seclab: libsodium could not be initialised") }
        return true
    }()

    /// Initialise libsodium if it is not yet initialised. Cheap after the first call.
    @inline(__always)
    public static func ready() {
        _ = initialised
    }

    /// The libsodium version string, for diagnostics and benchmark reports.
    public static var version: String {
        ready()
        return String(cString: sodium_version_string())
    }
}

/// Constant-time equality of two byte sequences of the same length.
///
/// Lengths are not secret (every MAC, key and token here has a fixed public length), so a
/// length mismatch returns `false` at once. Why constant time: spec §1, comparisons of MACs,
/// verifiers and tokens must not leak how many leading bytes matched.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    Sodium.ready()
    // Contiguous inputs (arrays, buffers) are compared where they are: no copies.
    let direct: Bool?? = a.withContiguousStorageIfAvailable { x in
        b.withContiguousStorageIfAvailable { y in
            guard x.count == y.count else { return false }
            if x.isEmpty { return true }
            return sodium_memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
        }
    }
    if let direct, let direct { return direct }
    let x = Array(a), y = Array(b)
    guard x.count == y.count else { return false }
    if x.isEmpty { return true }
    return x.withUnsafeBytes { xp in
        y.withUnsafeBytes { yp in
            sodium_memcmp(xp.baseAddress!, yp.baseAddress!, x.count) == 0
        }
    }
}

/// A byte that gives empty buffers a non-null address: libsodium's prototypes are `nonnull`
/// even where the length may be zero (an empty secret value is legal, spec §7).
nonisolated(unsafe) private var emptyByte: UInt8 = 0

extension UnsafeRawBufferPointer {
    /// The base address as bytes, never nil (points at a dummy byte when empty).
    var bytePointer: UnsafePointer<UInt8> {
        if let base = baseAddress { return base.assumingMemoryBound(to: UInt8.self) }
        return withUnsafePointer(to: &emptyByte) { $0 }
    }
    /// The base address as C characters, never nil.
    var charPointer: UnsafePointer<CChar> {
        UnsafeRawPointer(bytePointer).assumingMemoryBound(to: CChar.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The base address as bytes, never nil (points at a dummy byte when empty).
    var bytePointer: UnsafeMutablePointer<UInt8> {
        if let base = baseAddress { return base.assumingMemoryBound(to: UInt8.self) }
        return withUnsafeMutablePointer(to: &emptyByte) { $0 }
    }
}
