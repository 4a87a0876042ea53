import SeclabPrimitives

/// base64url, base32 and hex (SeclabPrimitives): each decoder against a small independent
/// reference of the strict rules of spec §0, both ways — nothing accepted that the rules
/// refuse (a second text for one byte string), nothing refused that they allow — and
/// decode-then-encode is the identity on every accepted text.
enum EncodingTargets {
    static let target = FuzzTarget(name: "encodings", summary: "Base64URL, Base32, Hex decoders vs. a reference", run: run)

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let units = Array(text.utf8)
        checkBase64URL(text, units)
        checkBase64URL(text.dropFirst(0), units)  // the Substring path
        checkBase32(text, units)
        checkHex(text, units)
    }

    static func checkBase64URL(_ text: some StringProtocol, _ units: [UInt8]) {
        let decoded = try? Base64URL.decode(text)
        let expected = reference(units, alphabet: base64URLAlphabet, bitsPerChar: 6, badLength: { $0 % 4 == 1 })
        check(decoded == expected, "Base64URL.decode disagrees with the reference on \(units.count) characters")
        if let decoded {
            check(Base64URL.encode(decoded) == String(text), "base64url: encode(decode(text)) != text")
            let exact = try? Base64URL.decode(text, count: decoded.count, what: "x")
            check(exact == decoded, "Base64URL.decode(count:) refused the right count")
            check((try? Base64URL.decode(text, count: decoded.count + 1, what: "x")) == nil, "Base64URL.decode(count:) took a wrong count")
        }
    }

    static func checkBase32(_ text: String, _ units: [UInt8]) {
        let decoded = try? Base32.decode(text)
        let expected = reference(units, alphabet: base32Alphabet, bitsPerChar: 5, badLength: { [1, 3, 6].contains($0 % 8) })
        check(decoded == expected, "Base32.decode disagrees with the reference on \(units.count) characters")
        if let decoded { check(Base32.encode(decoded) == text, "base32: encode(decode(text)) != text") }
    }

    static func checkHex(_ text: String, _ units: [UInt8]) {
        let decoded = try? Hex.decode(text)
        let expected = reference(units.map(lowerASCII), alphabet: Array("0123456789abcdef".utf8), bitsPerChar: 4, badLength: { $0 % 2 == 1 })
        check(decoded == expected, "Hex.decode disagrees with the reference on \(units.count) characters")
        if let decoded { check(Hex.encode(decoded) == String(decoding: units.map(lowerASCII), as: UTF8.self), "hex: encode(decode(text)) != lowercased text") }
    }

    static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let base32Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func lowerASCII(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

    /// The strict RFC 4648 rules, written the slow, obvious way: every character in the
    /// alphabet, a possible length, and the leftover bits of the last character all zero.
    static func reference(_ units: [UInt8], alphabet: [UInt8], bitsPerChar: Int, badLength: (Int) -> Bool) -> [UInt8]? {
        if badLength(units.count) { return nil }
        var bits = [Bool]()
        for unit in units {
            guard let value = alphabet.firstIndex(of: unit) else { return nil }
            for shift in stride(from: bitsPerChar - 1, through: 0, by: -1) { bits.append(value >> shift & 1 == 1) }
        }
        let whole = bits.count / 8 * 8
        if bits[whole...].contains(true) { return nil }
        return stride(from: 0, to: whole, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
    }
}
