import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Looks for secrets in bytes a server left behind (database files, dumps, logs, response
/// bodies), in raw form and in every text encoding the project uses.
///
/// Why alignments: a secret embedded in a longer base64 or base32 text (say, a key inside a
/// JSON blob that was encoded whole) is encoded differently depending on its byte offset. For
/// each offset class the scan takes only the characters that depend on the secret alone, so a
/// secret is found wherever it sits inside an encoded string, not only when encoded on its own.
public enum SecretScan {
    /// One thing that must not appear, with a label for the failure message.
    public struct Needle: Sendable {
        /// What it is, e.g. "value of API_TOKEN (base64url, offset 1)". Never the secret itself.
        public let label: String
        /// The bytes to look for.
        public let bytes: [UInt8]
    }

    /// The shortest needle searched: shorter encodings of a secret could match by chance.
    public static let minimumNeedleCount = 10

    /// `secret` as raw bytes, lower and upper hex, base64url and standard base64 at the three
    /// byte offsets, and base32 (upper and lower case) at the five byte offsets.
    public static func needles(for secret: [UInt8], label: String) -> [Needle] {
        var out = [Needle(label: "\(label) (raw)", bytes: secret)]
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        out.append(Needle(label: "\(label) (hex)", bytes: Array(hex.utf8)))
        out.append(Needle(label: "\(label) (HEX)", bytes: Array(hex.uppercased().utf8)))
        for offset in 0..<3 {
            let b64u = embedded(secret, offset: offset, bitsPerCharacter: 6, encode: base64URL)
            out.append(Needle(label: "\(label) (base64url, offset \(offset))", bytes: Array(b64u.utf8)))
            let b64 = b64u.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            if b64 != b64u { out.append(Needle(label: "\(label) (base64, offset \(offset))", bytes: Array(b64.utf8))) }
        }
        for offset in 0..<5 {
            let b32 = embedded(secret, offset: offset, bitsPerCharacter: 5, encode: base32)
            out.append(Needle(label: "\(label) (base32, offset \(offset))", bytes: Array(b32.utf8)))
            out.append(Needle(label: "\(label) (base32 lower, offset \(offset))", bytes: Array(b32.lowercased().utf8)))
        }
        return out.filter { $0.bytes.count >= minimumNeedleCount }
    }

    /// Text secrets (values, names, passphrases): the UTF-8 with `needles(for:)`, plus the
    /// JSON-escaped form when it differs (multi-line values), plus each line of at least
    /// `minimumNeedleCount` bytes on its own.
    public static func needles(forText text: String, label: String) -> [Needle] {
        var out = needles(for: Array(text.utf8), label: label)
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\"", with: "\\\"")
        if escaped != text { out.append(Needle(label: "\(label) (JSON-escaped)", bytes: Array(escaped.utf8))) }
        let lines = text.split(separator: "\n").map(String.init)
        if lines.count > 1 {
            for (index, line) in lines.enumerated() where line.utf8.count >= minimumNeedleCount {
                out.append(Needle(label: "\(label) (line \(index + 1), raw)", bytes: Array(line.utf8)))
            }
        }
        return out
    }

    /// The labels of the needles found in `haystack` (empty: none found).
    public static func find(_ needles: [Needle], in haystack: [UInt8]) -> [String] {
        haystack.withUnsafeBytes { hay in
            needles.filter { contains(hay, $0.bytes) }.map(\.label)
        }
    }

    /// True if `needle` occurs in `haystack` (glibc `memmem`).
    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }

    private static func contains(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count, let base = hay.baseAddress else { return false }
        // memmem is a GNU extension the Glibc module does not export: memchr + memcmp instead.
        return needle.withUnsafeBytes { needleBytes -> Bool in
            var offset = 0
            let last = hay.count - needle.count
            while offset <= last {
                guard let hit = memchr(base + offset, Int32(needle[0]), last - offset + 1) else { return false }
                let position = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + position, needleBytes.baseAddress!, needle.count) == 0 { return true }
                offset = position + 1
            }
            return false
        }
    }

    /// The characters of the encoding of `offset` zero bytes ‖ `secret` that depend only on
    /// `secret`'s bits.
    private static func embedded(_ secret: [UInt8], offset: Int, bitsPerCharacter bits: Int,
                                 encode: ([UInt8]) -> String) -> String {
        let text = Array(encode([UInt8](repeating: 0, count: offset) + secret))
        let first = (8 * offset + bits - 1) / bits
        let end = (8 * (offset + secret.count)) / bits
        guard first < end, end <= text.count else { return "" }
        return String(text[first..<end])
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = "", buffer = 0, count = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            count += 8
            while count >= 5 {
                out.append(alphabet[(buffer >> (count - 5)) & 31])
                count -= 5
            }
            buffer &= (1 << count) - 1
        }
        if count > 0 { out.append(alphabet[(buffer << (5 - count)) & 31]) }
        return out
    }
}
