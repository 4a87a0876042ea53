import CSodium

/// A buffer for secret material in locked memory where the system allows it (LockedArena),
/// wiped with `sodium_memzero` when the last reference goes away.
///
/// Why a class: the wipe must happen exactly once, when the bytes are no longer reachable;
/// value types would copy the bytes around the heap where nothing wipes them.
final class SecretStorage: @unchecked Sendable {
    // Why @unchecked Sendable: the buffer is written only during initialisation and read-only
    // afterwards; no API hands out a mutable pointer once the value is constructed.
    let pointer: UnsafeMutableRawBufferPointer
    let count: Int

    init(count: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        Sodium.ready()
        self.count = count
        // Why the arena: locked, core-dump-excluded pages that hold only secrets (LockedArena).
        pointer = LockedArena.allocate(count: count)
        do {
            try initialize(UnsafeMutableRawBufferPointer(rebasing: pointer[0..<count]))
        } catch {
            LockedArena.release(pointer)
            throw error
        }
    }

    deinit { LockedArena.release(pointer) }
}

/// Secret bytes: keys, passphrases, machine keys, auth secrets and decrypted values.
///
/// The bytes are reachable only through `withUnsafeBytes`, compare in constant time, are
/// wiped on release, and never print: `description` shows only the length.
public struct SecretBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    let storage: SecretStorage

    /// Copy `bytes` into a fresh secret buffer. The caller remains responsible for wiping
    /// its own copy if it was secret.
    public init(copying bytes: some Collection<UInt8>) {
        let count = bytes.count
        storage = SecretStorage(count: count) { buffer in
            var index = 0
            for byte in bytes { buffer[index] = byte; index += 1 }
        }
    }

    /// Build a secret buffer of `count` bytes filled in place by `initialize`; nothing
    /// secret is ever held outside the buffer. If `initialize` throws, the buffer is wiped.
    public init(count: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        storage = try SecretStorage(count: count, initialize: initialize)
    }

    /// `count` fresh random bytes from libsodium's CSPRNG (spec §1: randomness only from libsodium).
    public static func random(count: Int) -> SecretBytes {
        SecretBytes(count: count) { buffer in
            if count > 0 { randombytes_buf(buffer.baseAddress!, count) }
        }
    }

    /// The number of bytes. Lengths are public.
    public var count: Int { storage.count }

    /// Read the bytes. Do not let the pointer escape the closure.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage.pointer[0..<storage.count]))
    }

    /// A copy of the bytes as a plain array, for the few places that must hand bytes to an
    /// encoder or the wire (for example `auth_secret`, which is sent to the server by design).
    /// Every call site of this is a place where a secret leaves its protected buffer.
    public func unprotectedArray() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Constant-time comparison (lengths are public).
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in sodium_memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 }
        }
    }

    /// Redacted: never shows the bytes.
    public var description: String { "SecretBytes(\(count) bytes, redacted)" }
    /// Redacted: never shows the bytes.
    public var debugDescription: String { description }
}

/// A distinct, typed secret of a fixed role (for example `VaultKey`), so that a key of one
/// role cannot be passed where another is expected.
///
/// Conformers wrap `SecretBytes`; they inherit constant-time equality and a redacted
/// description from this protocol.
public protocol SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The protected bytes.
    var secretBytes: SecretBytes { get }
}

extension SecretValue {
    /// Constant-time comparison.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.secretBytes == rhs.secretBytes }
    /// Redacted: the type name and the length, never the bytes.
    public var description: String { "\(Self.self)(\(secretBytes.count) bytes, redacted)" }
    /// Redacted: the type name and the length, never the bytes.
    public var debugDescription: String { description }
    /// Read the bytes. Do not let the pointer escape the closure.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try secretBytes.withUnsafeBytes(body)
    }
    /// The number of bytes.
    public var count: Int { secretBytes.count }
}

/// A 32-byte symmetric key for XChaCha20-Poly1305 or ChaCha20-Poly1305.
public struct SymmetricKey: SecretValue {
    /// The key length in bytes.
    public static let byteCount = 32
    /// The protected bytes.
    public let secretBytes: SecretBytes

    /// Wrap existing secret bytes; they must be exactly 32 bytes long.
    public init(_ bytes: SecretBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "symmetric key", expected: Self.byteCount, actual: bytes.count)
        }
        secretBytes = bytes
    }

    /// A fresh random key.
    public static func random() -> SymmetricKey {
        // Length is correct by construction.
        try! SymmetricKey(.random(count: byteCount))
    }
}
