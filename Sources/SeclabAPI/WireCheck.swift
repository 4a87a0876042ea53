import SeclabPrimitives
import SeclabFormat

/// Structure checks of wire fields (spec §0, §2). They look at prefixes, encodings and
/// lengths only: a server never parses plaintext and cannot, since it holds no key (spec §10).
public enum WireCheck {
    /// The AEAD tag length, spec §1.
    public static let tagCount = 16
    /// The XChaCha20-Poly1305 nonce length, spec §1.
    public static let nonceCount = 24
    /// The HPKE `enc` length for DHKEM(X25519), spec §1.
    public static let encCount = 32

    /// A lowercase hyphenated UUID (spec §0: ids are client-made random UUIDv4s, one text per
    /// id), checked by the shared `SeclabID` parser. Returns the text unchanged, so stored ids
    /// compare as strings.
    @discardableResult
    public static func id(_ text: String, field: String) throws(APIValidationError) -> String {
        do { _ = try SeclabID(text: text, what: field) } catch { throw wrap(error, field) }
        return text
    }

    /// Strict unpadded base64url of exactly `count` bytes (spec §0).
    @discardableResult
    public static func bytes(_ text: String, count: Int, field: String) throws(APIValidationError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try Base64URL.decode(text, what: field) } catch {
            throw APIValidationError(field: field, reason: "not strict unpadded base64url (\(Self.stripField(error.message, field)))")
        }
        guard bytes.count == count else {
            throw APIValidationError(field: field, reason: "must be \(count) bytes, got \(bytes.count)")
        }
        return bytes
    }

    /// A key ref: b64u of 32 HMAC bytes (spec §7), checked by the shared `KeyRef` parser.
    @discardableResult
    public static func keyRef(_ text: String, field: String) throws(APIValidationError) -> String {
        do { _ = try KeyRef(text: text) } catch { throw wrap(error, field) }
        return text
    }

    /// An `xc1.` AEAD blob (spec §2) whose plaintext is at most `maxPlaintext` bytes, checked
    /// by the shared `AEADBlob` parser (prefix, 24-byte nonce, at least the 16-byte tag).
    public static func aeadBlob(_ text: String, field: String, maxPlaintext: Int) throws(APIValidationError) {
        try checkLength(text, prefix: BlobPrefix.aead, headCount: nonceCount, field: field, maxPlaintext: maxPlaintext)
        let blob: AEADBlob
        do { blob = try AEADBlob(text: text, what: field) } catch { throw wrap(error, field) }
        guard blob.plaintextCount <= maxPlaintext else { throw tooLong(field, maxPlaintext) }
    }

    /// An `hp1.` HPKE wrap (spec §2) whose plaintext is at most `maxPlaintext` bytes, checked
    /// by the shared `HPKEWrap` parser (prefix, 32-byte enc, at least the 16-byte tag).
    public static func hpkeWrap(_ text: String, field: String, maxPlaintext: Int = 64) throws(APIValidationError) {
        try checkLength(text, prefix: BlobPrefix.hpke, headCount: encCount, field: field, maxPlaintext: maxPlaintext)
        let wrap: HPKEWrap
        do { wrap = try HPKEWrap(text: text, what: field) } catch { throw Self.wrap(error, field) }
        guard wrap.ciphertext.count - tagCount <= maxPlaintext else { throw tooLong(field, maxPlaintext) }
    }

    /// A length bound before decoding, so an oversized field costs no work.
    static func checkLength(_ text: String, prefix: String, headCount: Int, field: String, maxPlaintext: Int) throws(APIValidationError) {
        let maxText = prefix.utf8.count + (headCount * 4 + 2) / 3 + 1 + ((maxPlaintext + tagCount) * 4 + 2) / 3
        guard text.utf8.count <= maxText else { throw tooLong(field, maxPlaintext) }
    }

    static func tooLong(_ field: String, _ maxPlaintext: Int) -> APIValidationError {
        APIValidationError(field: field, reason: "too long: the plaintext inside may be at most \(maxPlaintext) bytes")
    }

    /// A shared-format error as a field error, without repeating the field name.
    static func wrap(_ error: FormatError, _ field: String) -> APIValidationError {
        APIValidationError(field: field, reason: stripField(error.message, field))
    }

    /// An e-mail address as an account handle: 3 to 254 bytes, one '@' with text on both sides,
    /// no white space or control characters. Returns the canonical (lowercased) form.
    public static func email(_ text: String, field: String) throws(APIValidationError) -> String {
        let count = text.utf8.count
        guard count >= 3, count <= 254 else {
            throw APIValidationError(field: field, reason: "must be 3 to 254 bytes, got \(count)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIValidationError(field: field, reason: "must not contain white space or control characters")
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw APIValidationError(field: field, reason: "must be an address of the form name@domain")
        }
        return text.lowercased()
    }

    /// A KDF profile name this server knows (spec §0: the server names profiles, never numbers).
    public static func kdfProfile(_ text: String, field: String, allowed: [String] = ["p1"]) throws(APIValidationError) {
        guard allowed.contains(text) else {
            throw APIValidationError(field: field, reason: "unknown profile; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    /// No duplicates in a list of ids or refs.
    public static func unique(_ values: [String], field: String) throws(APIValidationError) {
        var seen = Set<String>()
        for (index, value) in values.enumerated() where !seen.insert(value).inserted {
            throw APIValidationError(field: "\(field)[\(index)]", reason: "duplicate entry")
        }
    }

    static func stripField(_ message: String, _ field: String) -> String {
        message.hasPrefix(field + ": ") ? String(message.dropFirst(field.count + 2)) : message
    }
}

/// Size limits of the wire contract (spec §7 and docs/openapi.yaml).
public enum WireLimits {
    /// Item names: 1 to 256 bytes of plaintext (spec §7).
    public static let maxNameBytes = 256
    /// Item values: 0 to 1 MiB of plaintext (spec §7).
    public static let maxValueBytes = 1 << 20
    /// Vault names and machine labels: at most 1 KiB of plaintext.
    public static let maxLabelBytes = 1024
    /// Wrapped keys (VK, index key, unwrap key, private key): 32-byte keys, with slack.
    public static let maxKeyBytes = 64
    /// At most this many key refs in one batch-get or machine pull.
    public static let maxKeyRefsPerRequest = 10_000
    /// At most this many items in one rekey.
    public static let maxItemsPerRekey = 100_000
    /// SRP values are 512 bytes (`PAD` of the 4096-bit group, spec §8).
    public static let srpValueBytes = 512
}
