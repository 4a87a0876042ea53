public import SeclabPrimitives

/// The Secret Key (spec §3): 32 random bytes made on the device at sign-up, shown once in the
/// Emergency Kit, never sent. One half of two-secret key derivation.
public struct SecretKey: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes

    /// Wrap 32 secret bytes.
    public init(_ bytes: SecretBytes) throws(KeysError) {
        guard bytes.count == 32 else { throw .malformed("a Secret Key is 32 bytes, got \(bytes.count)") }
        secretBytes = bytes
    }

    /// A fresh Secret Key from libsodium's CSPRNG.
    public static func generate() -> SecretKey { try! SecretKey(.random(count: 32)) }

    /// `SK1-` ‖ base32(SK ‖ H("seclab-sk1" ‖ SK)[0..2]) in groups of 5 (55 characters).
    public var text: String {
        let payload = secretBytes.withUnsafeBytes { Array($0) + Self.checksum($0) }
        let encoded = Array(Base32.encode(payload))
        var groups = [String]()
        var index = 0
        while index < encoded.count {
            groups.append(String(encoded[index..<min(index + 5, encoded.count)]))
            index += 5
        }
        return Labels.secretKeyTextPrefix + groups.joined(separator: "-")
    }

    /// Parse a Secret Key as a person types it: case, spaces and `-` are ignored (spec §3), and
    /// a mistyped key is reported as such (checksum), distinct from a malformed one.
    public init(text: String) throws(KeysError) {
        var folded = [UInt8]()
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "-" || scalar == "\t" || scalar == "\n" || scalar == "\r" { continue }
            guard scalar.isASCII else { throw .malformed("Secret Key contains a non-ASCII character") }
            var byte = UInt8(scalar.value)
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 32 }
            folded.append(byte)
        }
        let prefix = Array("SK1".utf8)
        guard folded.starts(with: prefix) else { throw .malformed("a Secret Key starts with SK1-") }
        let body = folded.dropFirst(prefix.count)
        guard body.count == 55 else {
            throw .malformed("a Secret Key has 55 characters after SK1- (ignoring dashes), got \(body.count): it may be truncated")
        }
        var payload: [UInt8]
        do { payload = try Base32.decode(String(decoding: body, as: UTF8.self), what: "Secret Key") } catch {
            throw .malformed(error.message)
        }
        defer { for i in payload.indices { payload[i] = 0 } }
        guard payload.count == 34 else { throw .malformed("a Secret Key decodes to 34 bytes, got \(payload.count)") }
        let sk = Array(payload[0..<32])
        let expected = sk.withUnsafeBytes { Self.checksum($0) }
        // The checksum is a typo check, not a secret; a constant-time compare costs nothing.
        guard constantTimeEquals(expected, payload[32..<34]) else {
            throw .checksumMismatch("the Secret Key's checksum does not match: it was mistyped; check it against your Emergency Kit")
        }
        secretBytes = SecretBytes(copying: sk)
    }

    private static func checksum(_ sk: UnsafeRawBufferPointer) -> [UInt8] {
        Array(SHA256.hash(Labels.bytes(Labels.secretKeyChecksum) + Array(sk)).prefix(2))
    }
}

/// A passphrase after spec §3 normalization (NFKD, outer white space trimmed, non-empty).
///
/// The normalization itself lives in `SeclabPassphrase` (it needs full Foundation for NFKD,
/// which the lean `seclab-run` binary must not link).
public struct NormalizedPassphrase: SecretValue {
    /// The protected UTF-8 bytes.
    public let secretBytes: SecretBytes

    /// Wrap bytes that are already normalized. Empty is refused (spec §3).
    public init(normalizedUTF8 bytes: SecretBytes) throws(KeysError) {
        guard bytes.count > 0 else { throw .emptyPassphrase }
        secretBytes = bytes
    }
}
