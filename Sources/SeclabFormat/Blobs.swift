import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// The text prefixes of spec §2. A decoder refuses any other prefix (no downgrade).
public enum BlobPrefix {
    /// XChaCha20-Poly1305 blob, version 1.
    public static let aead = "xc1."
    /// HPKE mode_auth wrap, version 1.
    public static let hpke = "hp1."
}

/// The positions of the two base64url parts of `prefix ‖ b64u(a) ‖ "." ‖ b64u(b)`, or nil when
/// the prefix or the single '.' is wrong (the parts themselves are not checked here).
private func splitBlobIfValid(_ chars: UnsafeBufferPointer<UInt8>, prefix: String) -> (first: Range<Int>, second: Range<Int>)? {
    let prefixCount = prefix.utf8.count
    guard chars.count > prefixCount, prefix.utf8.elementsEqual(UnsafeBufferPointer(rebasing: chars[..<prefixCount])) else { return nil }
    // Exactly one '.' after the prefix.
    guard let base = chars.baseAddress,
          let found = memchr(base + prefixCount, Int32(UInt8(ascii: ".")), chars.count - prefixCount) else { return nil }
    let dot = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
    if dot + 1 < chars.count, memchr(base + dot + 1, Int32(UInt8(ascii: ".")), chars.count - dot - 1) != nil { return nil }
    return (prefixCount..<dot, (dot + 1)..<chars.count)
}

/// The two decoded parts of `prefix ‖ b64u(a) ‖ "." ‖ b64u(b)`, or nil for any defect (the
/// caller then re-parses the text the slow way to name the defect). Why a byte-level twin of
/// `splitBlob`: it runs twice per item of a pull, and generic `StringProtocol` code called
/// across modules is not specialized.
private func decodeBlobIfValid(_ chars: UnsafeBufferPointer<UInt8>, prefix: String) -> (first: [UInt8], second: [UInt8])? {
    guard let parts = splitBlobIfValid(chars, prefix: prefix),
          let first = Base64URL.decodeIfValid(utf8: UnsafeBufferPointer(rebasing: chars[parts.first])),
          let second = Base64URL.decodeIfValid(utf8: UnsafeBufferPointer(rebasing: chars[parts.second])) else { return nil }
    return (first, second)
}

/// `prefix ‖ b64u(a) ‖ "." ‖ b64u(b)` decoded strictly, or the defect named; shared by both
/// blob kinds (spec §2: parsed before any decryption).
private func decodeBlob(_ text: some StringProtocol, prefix: String, what: String, firstPart: String) throws(FormatError) -> (first: [UInt8], second: [UInt8]) {
    if let parts = text.utf8.withContiguousStorageIfAvailable({ decodeBlobIfValid($0, prefix: prefix) }), let parts { return parts }
    // Not valid (or not contiguous): split and decode again, slowly, to say what is wrong.
    let (firstText, secondText) = try splitBlob(text, prefix: prefix, what: what)
    do {
        return (try Base64URL.decode(firstText, what: "\(what) \(firstPart)"), try Base64URL.decode(secondText, what: "\(what) ciphertext"))
    } catch { throw FormatError(error) }
}

/// Split `prefix ‖ b64u(a) ‖ "." ‖ b64u(b)` strictly, naming the defect.
private func splitBlob(_ text: some StringProtocol, prefix: String, what: String) throws(FormatError) -> (Substring, Substring) {
    // Byte-wise on the UTF-8 view: the prefix and '.' are ASCII, so these indices are valid
    // String indices too (and this runs twice per item of a pull).
    let string = Substring(text)
    let utf8 = string.utf8
    guard utf8.starts(with: prefix.utf8) else {
        let shown = string.prefix(4).unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 } ? String(string.prefix(4)) : "?"
        throw FormatError("\(what): unknown format '\(shown)', expected '\(prefix)…'")
    }
    let body = utf8.index(utf8.startIndex, offsetBy: prefix.utf8.count)
    let dot = UInt8(ascii: ".")
    guard let separator = utf8[body...].firstIndex(of: dot), !utf8[utf8.index(after: separator)...].contains(dot) else {
        throw FormatError("\(what): expected '\(prefix)<nonce>.<ciphertext>' with exactly one '.' after the prefix")
    }
    return (string[body..<separator], string[utf8.index(after: separator)...])
}

/// An XChaCha20-Poly1305 blob: `xc1.` ‖ b64u(nonce) ‖ `.` ‖ b64u(ciphertext‖tag) (spec §2).
public struct AEADBlob: Sendable, Hashable, CustomStringConvertible {
    /// The 24-byte nonce.
    public let nonce: [UInt8]
    /// Ciphertext followed by the 16-byte tag.
    public let ciphertext: [UInt8]

    /// Build from parts, checking their lengths.
    public init(nonce: [UInt8], ciphertext: [UInt8], what: String = "encrypted blob") throws(FormatError) {
        guard nonce.count == XChaCha20Poly1305.nonceCount else {
            throw FormatError("\(what): nonce must be \(XChaCha20Poly1305.nonceCount) bytes, got \(nonce.count)")
        }
        guard ciphertext.count >= XChaCha20Poly1305.tagCount else {
            throw FormatError("\(what): ciphertext of \(ciphertext.count) bytes is shorter than the 16-byte tag")
        }
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// Parse the text form strictly, before any decryption (spec §2 MUST).
    public init(text: some StringProtocol, what: String = "encrypted blob") throws(FormatError) {
        let parts = try decodeBlob(text, prefix: BlobPrefix.aead, what: what, firstPart: "nonce")
        try self.init(nonce: parts.first, ciphertext: parts.second, what: what)
    }

    /// The same for `String`, specialized here: a generic call from another module is not, and
    /// a pull parses two blobs per item.
    public init(text: String, what: String = "encrypted blob") throws(FormatError) {
        let parts = try decodeBlob(text, prefix: BlobPrefix.aead, what: what, firstPart: "nonce")
        try self.init(nonce: parts.first, ciphertext: parts.second, what: what)
    }

    /// The text form.
    public var text: String { BlobPrefix.aead + Base64URL.encode(nonce) + "." + Base64URL.encode(ciphertext) }

    /// The most ciphertext bytes (tag included) an `xc1.` text of `count` characters can hold:
    /// the room `decodeIfValid(utf8:nonce:ciphertext:)` needs.
    public static func ciphertextCapacity(utf8Count count: Int) -> Int { count * 6 / 8 }

    /// Decode an `xc1.` text into memory the caller owns, with every check of `init(text:)`:
    /// the nonce into `nonce` (24 bytes), the ciphertext with its tag into `ciphertext` (room
    /// for `ciphertextCapacity(utf8Count: chars.count)`); returns the ciphertext's length, or
    /// nil for any defect (then `init(text:)` names it).
    ///
    /// Why without arrays: a pull decodes two blobs per item; the arrays, not the decoding,
    /// were most of the cost (bench/results, crypto micro-benchmarks).
    public static func decodeIfValid(utf8 chars: UnsafeBufferPointer<UInt8>, nonce: UnsafeMutablePointer<UInt8>,
                                     ciphertext: UnsafeMutablePointer<UInt8>) -> Int? {
        guard let parts = splitBlobIfValid(chars, prefix: BlobPrefix.aead),
              Base64URL.decodedCount(utf8Count: parts.first.count) == XChaCha20Poly1305.nonceCount,
              Base64URL.decodeIfValid(utf8: UnsafeBufferPointer(rebasing: chars[parts.first]), into: nonce) == XChaCha20Poly1305.nonceCount,
              let count = Base64URL.decodeIfValid(utf8: UnsafeBufferPointer(rebasing: chars[parts.second]), into: ciphertext),
              count >= XChaCha20Poly1305.tagCount else { return nil }
        return count
    }


    /// The length of the plaintext inside (ciphertext minus tag).
    public var plaintextCount: Int { ciphertext.count - XChaCha20Poly1305.tagCount }

    /// The text form (ciphertext is not secret).
    public var description: String { text }
}

/// An HPKE wrap: `hp1.` ‖ b64u(enc) ‖ `.` ‖ b64u(ciphertext‖tag) (spec §2).
public struct HPKEWrap: Sendable, Hashable, CustomStringConvertible {
    /// The 32-byte encapsulated key.
    public let enc: [UInt8]
    /// Ciphertext followed by the 16-byte tag.
    public let ciphertext: [UInt8]

    /// Build from parts, checking their lengths.
    public init(enc: [UInt8], ciphertext: [UInt8], what: String = "key wrap") throws(FormatError) {
        guard enc.count == 32 else { throw FormatError("\(what): enc must be 32 bytes, got \(enc.count)") }
        guard ciphertext.count >= 16 else {
            throw FormatError("\(what): ciphertext of \(ciphertext.count) bytes is shorter than the 16-byte tag")
        }
        self.enc = enc
        self.ciphertext = ciphertext
    }

    /// Parse the text form strictly, before any decryption (spec §2 MUST).
    public init(text: some StringProtocol, what: String = "key wrap") throws(FormatError) {
        let parts = try decodeBlob(text, prefix: BlobPrefix.hpke, what: what, firstPart: "enc")
        try self.init(enc: parts.first, ciphertext: parts.second, what: what)
    }

    /// The text form.
    public var text: String { BlobPrefix.hpke + Base64URL.encode(enc) + "." + Base64URL.encode(ciphertext) }

    /// The text form (ciphertext is not secret).
    public var description: String { text }
}

/// A blind-index key ref: 32 bytes, `b64u` on the wire (spec §7).
public struct KeyRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 32 HMAC bytes.
    public let bytes: [UInt8]

    /// Wrap 32 bytes.
    public init(bytes: [UInt8]) throws(FormatError) {
        guard bytes.count == 32 else { throw FormatError("key_ref must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// Parse the b64u text form strictly; for `String`, specialized here (one per item of a pull).
    public init(text: String) throws(FormatError) {
        var utf8 = text
        if let bytes = utf8.withUTF8({ Base64URL.decodeIfValid(utf8: $0) }), bytes.count == 32 {
            try self.init(bytes: bytes)
            return
        }
        try self.init(text: Substring(text))
    }

    /// Parse the b64u text form strictly.
    public init(text: some StringProtocol) throws(FormatError) {
        do { bytes = try Base64URL.decode(text, count: 32, what: "key_ref") } catch { throw FormatError(error) }
    }

    /// Decode a key ref's text into memory the caller owns (room for 32 bytes), with every
    /// check of `init(text:)`; false for any defect (then `init(text:)` names it).
    public static func decodeIfValid(utf8 chars: UnsafeBufferPointer<UInt8>, into bytes: UnsafeMutablePointer<UInt8>) -> Bool {
        Base64URL.decodedCount(utf8Count: chars.count) == 32 && Base64URL.decodeIfValid(utf8: chars, into: bytes) == 32
    }

    /// The b64u text form.
    public var text: String { Base64URL.encode(bytes) }
    /// The b64u text form.
    public var description: String { text }
    /// Byte-wise order.
    public static func < (lhs: KeyRef, rhs: KeyRef) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
    /// Hashes the 32 bytes in one call (the synthesized hash combines them one by one; a
    /// pull puts every key ref in a set).
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// Size limits shared by clients and the server (spec §7).
public enum Limits {
    /// A secret name is 1 to 256 bytes after normalization.
    public static let maxNameBytes = 256
    /// A secret value is 0 to 1 MiB.
    public static let maxValueBytes = 1 << 20
    /// The longest `xc1.` text a value blob can have: prefix, nonce, dot, value + tag, in b64u.
    public static let maxValueBlobTextCount = 4 + 32 + 1 + ((maxValueBytes + 16) * 4 + 2) / 3
}
