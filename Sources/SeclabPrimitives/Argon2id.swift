import CSodium

/// Argon2id v1.3 through libsodium's `crypto_pwhash` (one lane, 16-byte salt, 32-byte output),
/// with parameters chosen only by profile name (spec §0).
public enum Argon2id {
    /// The salt length in bytes, fixed by libsodium.
    public static let saltCount = 16
    /// The output length in bytes, fixed by spec §0.
    public static let outputCount = 32

    /// A named parameter set. The server names a profile and never supplies numbers, so a
    /// hostile server cannot downgrade the work factor (spec §0).
    public enum Profile: String, Sendable, CaseIterable {
        /// The human passphrase on the client: t = 3, m = 64 MiB.
        case p1
        /// A machine `auth_secret` at rest on the server: t = 2, m = 19 MiB.
        case m1

        /// Map a stored profile name to a profile, refusing any name this build does not know.
        public init(name: String) throws(CryptoError) {
            guard let profile = Profile(rawValue: name) else { throw .unknownKDFProfile(name) }
            self = profile
        }

        /// Argon2id passes (t).
        public var opsLimit: Int {
            switch self {
            case .p1: return 3
            case .m1: return 2
            }
        }

        /// Argon2id memory in bytes (libsodium uses memlimit / 1024 KiB).
        public var memLimit: Int {
            switch self {
            case .p1: return 67_108_864
            case .m1: return 19_922_944
            }
        }
    }

    /// `Argon2id(pw, salt, profile)` of spec §0: 32 bytes.
    public static func derive(password: UnsafeRawBufferPointer, salt: [UInt8], profile: Profile) throws(CryptoError) -> SecretBytes {
        try derive(password: password, salt: salt, opsLimit: profile.opsLimit, memLimit: profile.memLimit, length: outputCount)
    }

    /// Raw parameters, for the libsodium known-answer tests only; application code names a profile.
    @_spi(SeclabTesting)
    public static func derive(password: UnsafeRawBufferPointer, salt: [UInt8], opsLimit: Int, memLimit: Int, length: Int) throws(CryptoError) -> SecretBytes {
        guard salt.count == saltCount else {
            throw .invalidLength(what: "Argon2id salt", expected: saltCount, actual: salt.count)
        }
        guard length >= Int(crypto_pwhash_bytes_min()) else {
            throw .invalidInput("Argon2id output must be at least \(crypto_pwhash_bytes_min()) bytes, \(length) requested")
        }
        Sodium.ready()
        var rc: Int32 = 0
        let out = SecretBytes(count: length) { buffer in
            rc = crypto_pwhash(buffer.bytePointer, UInt64(length),
                               password.charPointer, UInt64(password.count),
                               salt, UInt64(opsLimit), memLimit, crypto_pwhash_ALG_ARGON2ID13)
        }
        guard rc == 0 else {
            throw .passwordHashingFailed("crypto_pwhash refused t=\(opsLimit) m=\(memLimit) bytes (out of memory or limits)")
        }
        return out
    }

    /// A PHC string `$argon2id$v=19$m=…,t=…,p=1$salt$hash` of `password` under `profile`,
    /// with a fresh random salt (`crypto_pwhash_str`).
    public static func hashString(password: UnsafeRawBufferPointer, profile: Profile) throws(CryptoError) -> String {
        Sodium.ready()
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        let rc = crypto_pwhash_str_alg(&out, password.charPointer, UInt64(password.count),
                                       UInt64(profile.opsLimit), profile.memLimit, crypto_pwhash_ALG_ARGON2ID13)
        guard rc == 0 else { throw .passwordHashingFailed("crypto_pwhash_str refused profile \(profile.rawValue)") }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Verify `password` against a PHC string in constant time (`crypto_pwhash_str_verify`).
    /// A malformed string verifies nothing.
    public static func verify(hashString: String, password: UnsafeRawBufferPointer) -> Bool {
        Sodium.ready()
        // Why refuse NUL: C would stop reading at it and verify only a prefix of the record.
        guard hashString.utf8.count < Int(crypto_pwhash_strbytes()), hashString.hasPrefix("$argon2id$"),
              !hashString.utf8.contains(0) else { return false }
        return hashString.withCString { str in
            crypto_pwhash_str_verify(str, password.charPointer, UInt64(password.count)) == 0
        }
    }

    /// The profile a PHC string was made with, or nil when its parameters match no profile.
    public static func profile(ofHashString string: String) -> Profile? {
        Profile.allCases.first { profile in
            string.hasPrefix("$argon2id$v=19$m=\(profile.memLimit / 1024),t=\(profile.opsLimit),p=1$")
        }
    }
}
