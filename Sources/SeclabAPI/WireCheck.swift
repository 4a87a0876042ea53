public import SeclabPrimitives

/// Structure checks of wire fields (spec §0, §2). They look at prefixes, encodings and
/// lengths only: a server never parses plaintext and cannot, since it holds no key (spec §10).
public enum WireCheck {
    /// The AEAD tag length, spec §1.
    public static let tagCount = 16
    /// The XChaCha20-Poly1305 nonce length, spec §1.
    public static let nonceCount = 24
    /// The HPKE `enc` length for DHKEM(X25519), spec §1.
    public static let encCount = 32

    /// A lowercase hyphenated UUIDv4 (spec §0: ids are client-made random UUIDv4s, one text
    /// per id). Returns the text unchanged, so stored ids compare as strings.
    @discardableResult
    public static func id(_ text: String, field: String) throws(APIValidationError) -> String {
        let chars = Array(text.utf8)
        guard chars.count == 36 else {
            throw APIValidationError(field: field, reason: "expected a lowercase hyphenated UUID (36 characters), got \(chars.count) characters")
        }
        for (index, char) in chars.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard char == UInt8(ascii: "-") else {
                    throw APIValidationError(field: field, reason: "expected '-' at position \(index + 1)")
                }
                continue
            }
            let isHex = (char >= UInt8(ascii: "0") && char <= UInt8(ascii: "9")) || (char >= UInt8(ascii: "a") && char <= UInt8(ascii: "f"))
            guard isHex else {
                throw APIValidationError(field: field, reason: "character \(index + 1) is not a lowercase hex digit")
            }
        }
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

    /// A key ref: b64u of 32 HMAC bytes (spec §7).
    @discardableResult
    public static func keyRef(_ text: String, field: String) throws(APIValidationError) -> String {
        try bytes(text, count: 32, field: field)
        return text
    }

    /// An `xc1.` AEAD blob (spec §2) whose plaintext is at most `maxPlaintext` bytes.
    public static func aeadBlob(_ text: String, field: String, maxPlaintext: Int) throws(APIValidationError) {
        try blob(text, prefix: "xc1.", headCount: nonceCount, headName: "nonce", field: field, maxPlaintext: maxPlaintext)
    }

    /// An `hp1.` HPKE wrap (spec §2) whose plaintext is at most `maxPlaintext` bytes.
    public static func hpkeWrap(_ text: String, field: String, maxPlaintext: Int = 64) throws(APIValidationError) {
        try blob(text, prefix: "hp1.", headCount: encCount, headName: "enc", field: field, maxPlaintext: maxPlaintext)
    }

    static func blob(_ text: String, prefix: String, headCount: Int, headName: String, field: String, maxPlaintext: Int) throws(APIValidationError) {
        // Length bound before decoding, so an oversized field costs no work.
        let maxText = prefix.utf8.count + (headCount * 4 + 2) / 3 + 1 + ((maxPlaintext + tagCount) * 4 + 2) / 3
        guard text.utf8.count <= maxText else {
            throw APIValidationError(field: field, reason: "too long: the plaintext inside may be at most \(maxPlaintext) bytes")
        }
        guard text.hasPrefix(prefix) else {
            throw APIValidationError(field: field, reason: "expected '\(prefix)<\(headName)>.<ciphertext>' (unknown or missing prefix)")
        }
        let parts = text.utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw APIValidationError(field: field, reason: "expected exactly one '.' after the '\(prefix)' prefix")
        }
        let head = String(decoding: parts[0], as: UTF8.self)
        let body = String(decoding: parts[1], as: UTF8.self)
        let headBytes: [UInt8], bodyBytes: [UInt8]
        do {
            headBytes = try Base64URL.decode(head)
            bodyBytes = try Base64URL.decode(body)
        } catch {
            throw APIValidationError(field: field, reason: "parts are not strict unpadded base64url")
        }
        guard headBytes.count == headCount else {
            throw APIValidationError(field: field, reason: "\(headName) must be \(headCount) bytes, got \(headBytes.count)")
        }
        guard bodyBytes.count >= tagCount else {
            throw APIValidationError(field: field, reason: "ciphertext of \(bodyBytes.count) bytes is shorter than the 16-byte tag")
        }
        guard bodyBytes.count - tagCount <= maxPlaintext else {
            throw APIValidationError(field: field, reason: "too long: the plaintext inside may be at most \(maxPlaintext) bytes")
        }
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
