import Foundation
import Testing
@_spi(SeclabTesting) import SeclabPrimitives

/// Behaviour tests for the strict text encodings of spec §0 (one byte string, one accepted text).
@Suite struct PrimitivesEncodingTests {
    // MARK: base64url

    @Test(arguments: [
        "AA==", "AAA=", "AA=A", "====",          // padding
        "AA A", " AAA", "AAA\n", "AA\tA", "AAAA\r\n", // white space
        "+AAA", "/AAA", "AA+/",                // standard-base64 characters
        "AA.A", "AA*A", "AAé",                 // other non-alphabet characters (é is two UTF-8 bytes)
        "AB", "AAB", "AAAAAB", "AP", "AAD",    // non-canonical: unused low bits of the last character set
        "A", "AAAAA", "AAAAAAAAA",             // length % 4 == 1
    ])
    func base64URLRejects(_ text: String) {
        #expect(throws: DecodingError.self, "base64url must refuse \(text.debugDescription)") {
            _ = try Base64URL.decode(text)
        }
    }

    @Test func base64URLAccepts() throws {
        #expect(try Base64URL.decode("") == [])
        #expect(try Base64URL.decode("AA") == [0])
        #expect(try Base64URL.decode("_-8") == [0xFF, 0xEF])
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8", "url-safe alphabet, no padding")
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(throws: DecodingError.self, "an exact-length decode must refuse other lengths") {
            _ = try Base64URL.decode("AAAA", count: 2, what: "test field")
        }
        #expect(try Base64URL.decode("AAAA", count: 3, what: "test field") == [0, 0, 0])
    }

    /// Random byte strings of every length 0…100 round-trip, and of all texts that differ only in
    /// the last character exactly one decodes to the original (the others decode elsewhere or fail).
    @Test func base64URLRoundTripAndCanonical() throws {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for length in 0...100 {
            let bytes = randomBytes(count: length)
            let text = Base64URL.encode(bytes)
            #expect(text.count == (length * 4 + 2) / 3, "length \(length): encoded to \(text.count) characters")
            #expect(text.allSatisfy { alphabet.contains($0) }, "length \(length): non-alphabet character in \(text)")
            #expect(try Base64URL.decode(text) == bytes, "length \(length): round trip failed")
            guard let last = text.last else { continue }
            let unusedBits = text.count * 6 - length * 8
            var decodings = Set<[UInt8]>()
            for candidate in alphabet {
                let variant = String(text.dropLast()) + String(candidate)
                guard let decoded = try? Base64URL.decode(variant) else { continue }
                #expect(decoded != bytes || candidate == last, "length \(length): \(variant) also decodes to the original")
                decodings.insert(decoded)
            }
            #expect(decodings.count == 64 >> unusedBits, "length \(length): \(decodings.count) accepted last characters, expected \(64 >> unusedBits)")
        }
    }

    // MARK: base32

    @Test(arguments: [
        "AA======", "AAAA====", "AA=A",        // padding
        "AAA AAAA", "AAAA\nAA", " AAAAAAA",    // white space
        "aa", "AAAAAAAa",                      // lower case (callers fold case first)
        "A0", "A1", "A8", "A9", "A-", "AAé",   // non-alphabet
        "AB", "AAAB", "AAAAB", "AAAAAAB",      // non-canonical last character
        "A", "AAA", "AAAAAA", "AAAAAAAAA",     // length % 8 in {1, 3, 6}
    ])
    func base32Rejects(_ text: String) {
        #expect(throws: DecodingError.self, "base32 must refuse \(text.debugDescription)") {
            _ = try Base32.decode(text)
        }
    }

    @Test func base32Accepts() throws {
        #expect(try Base32.decode("") == [])
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI", "RFC 4648 §10, unpadded")
        #expect(try Base32.decode("MZXW6YTBOI") == Array("foobar".utf8))
        #expect(try Base32.decode("MZXW6") == Array("foo".utf8))
    }

    @Test func base32RoundTripAndCanonical() throws {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        for length in 0...100 {
            let bytes = randomBytes(count: length)
            let text = Base32.encode(bytes)
            #expect(text.count == (length * 8 + 4) / 5, "length \(length): encoded to \(text.count) characters")
            #expect(text.allSatisfy { alphabet.contains($0) }, "length \(length): non-alphabet character in \(text)")
            #expect(try Base32.decode(text) == bytes, "length \(length): round trip failed")
            guard let last = text.last else { continue }
            let unusedBits = text.count * 5 - length * 8
            var decodings = Set<[UInt8]>()
            for candidate in alphabet {
                let variant = String(text.dropLast()) + String(candidate)
                guard let decoded = try? Base32.decode(variant) else { continue }
                #expect(decoded != bytes || candidate == last, "length \(length): \(variant) also decodes to the original")
                decodings.insert(decoded)
            }
            #expect(decodings.count == 32 >> unusedBits, "length \(length): \(decodings.count) accepted last characters, expected \(32 >> unusedBits)")
        }
    }

    // MARK: hex, CRC-32

    @Test func hexEncodesLowerAndDecodesEitherCase() throws {
        let bytes: [UInt8] = [0x00, 0xFF, 0x10, 0xAB, 0x7F]
        #expect(Hex.encode(bytes) == "00ff10ab7f")
        #expect(try Hex.decode("00ff10ab7f") == bytes)
        #expect(try Hex.decode("00FF10AB7F") == bytes)
        #expect(try Hex.decode("") == [])
        for length in 0...64 {
            let random = randomBytes(count: length)
            #expect(try Hex.decode(Hex.encode(random)) == random, "length \(length): hex round trip failed")
        }
    }

    @Test(arguments: ["0", "abc", "zz", "0g", "g0", "0x00", " 00 ", "00 ", "-1", "é0"])
    func hexRejects(_ text: String) {
        #expect(throws: DecodingError.self, "hex must refuse \(text.debugDescription)") {
            _ = try Hex.decode(text)
        }
    }

    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926, "CRC-32/ISO-HDLC check value")
        #expect(CRC32.checksum([]) == 0)
        let viaPointer = Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }
        #expect(viaPointer == 0xCBF4_3926)
    }
}

/// Secret buffers never print their bytes, compare by value, and refuse wrong key lengths.
@Suite struct PrimitivesSecretHygieneTests {
    /// Every rendering a log line or debugger might produce, for `value`.
    private func renderings(of value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", String(describing: [value]), dumped]
    }

    /// Texts that would reveal `bytes`: hex in both cases, base64url, standard base64, and the hex
    /// or base64url of an 8-byte prefix.
    private func revealing(_ bytes: [UInt8]) -> [String] {
        [Hex.encode(bytes), Hex.encode(bytes).uppercased(), Base64URL.encode(bytes), Data(bytes).base64EncodedString(),
         Hex.encode(bytes.prefix(8)), Base64URL.encode(bytes.prefix(8))]
    }

    @Test func secretsNeverPrintTheirBytes() throws {
        let raw = randomBytes(count: 32)
        let secret = SecretBytes(copying: raw)
        let key = try SymmetricKey(SecretBytes(copying: raw))
        let privateKey = try X25519PrivateKey(SecretBytes(copying: raw))
        let texts = renderings(of: secret) + renderings(of: key) + renderings(of: privateKey)
        for text in texts {
            for secretText in revealing(raw) {
                #expect(!text.contains(secretText), "a rendering reveals the secret: \(text)")
            }
        }
        #expect(secret.description.contains("redacted") && secret.description.contains("32"))
        #expect(String(reflecting: key).contains("SymmetricKey") && String(reflecting: key).contains("redacted"))
    }

    @Test func secretEquality() throws {
        let raw = randomBytes(count: 32)
        var other = raw
        other[31] ^= 1
        #expect(SecretBytes(copying: raw) == SecretBytes(copying: raw))
        #expect(SecretBytes(copying: raw) != SecretBytes(copying: other))
        #expect(SecretBytes(copying: raw) != SecretBytes(copying: raw.prefix(31)), "different lengths are unequal")
        #expect(SecretBytes(copying: []) == SecretBytes(copying: []))
        #expect(try SymmetricKey(SecretBytes(copying: raw)) == SymmetricKey(SecretBytes(copying: raw)))
        #expect(try SymmetricKey(SecretBytes(copying: raw)) != SymmetricKey(SecretBytes(copying: other)))
        #expect(SymmetricKey.random() != SymmetricKey.random())
        #expect(SecretBytes(copying: raw).unprotectedArray() == raw)
    }

    @Test(arguments: [0, 1, 16, 31, 33, 64])
    func symmetricKeyRefusesWrongLength(_ length: Int) {
        #expect(throws: CryptoError.invalidLength(what: "symmetric key", expected: 32, actual: length)) {
            _ = try SymmetricKey(SecretBytes(copying: randomBytes(count: length)))
        }
    }
}

/// SHA-256, AEAD nonces and the HKDF output limit.
@Suite struct PrimitivesAEADAndKDFTests {
    /// FIPS 180-2 examples, including the empty message (an empty buffer must still hash).
    @Test func sha256KnownDigests() throws {
        #expect(SHA256.hash([UInt8]()) == (try Hex.decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")))
        let abc = try Hex.decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abc".utf8)) == abc)
        #expect(SHA256.hash(parts: [Array("a".utf8), [], Array("bc".utf8)]) == abc, "hash(parts:) must equal the hash of the concatenation")
        #expect(SHA256.hash(SecretBytes(copying: Array("abc".utf8))) == abc)
    }

    @Test func xchachaSealDrawsAFreshNonceEachCall() throws {
        let key = SymmetricKey.random()
        let message = Array("the same message every time".utf8)
        var nonces = Set<[UInt8]>(), ciphertexts = Set<[UInt8]>()
        for _ in 0..<32 {
            let (nonce, ciphertext) = message.withUnsafeBytes { XChaCha20Poly1305.seal($0, key: key, aad: [1, 2, 3]) }
            #expect(nonce.count == XChaCha20Poly1305.nonceCount)
            #expect(ciphertext.count == message.count + XChaCha20Poly1305.tagCount)
            nonces.insert(nonce)
            ciphertexts.insert(ciphertext)
            let opened = try XChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, aad: [1, 2, 3])
            #expect(opened.unprotectedArray() == message)
        }
        #expect(nonces.count == 32, "a nonce repeated")
        #expect(ciphertexts.count == 32, "a ciphertext repeated")
    }

    @Test func aeadOpenRefusesShortCiphertextBeforeLibsodium() {
        let key = SymmetricKey.random()
        let nonce = randomBytes(count: XChaCha20Poly1305.nonceCount)
        #expect(throws: CryptoError.self) {
            _ = try XChaCha20Poly1305.open(randomBytes(count: 15), key: key, nonce: nonce, aad: [])
        }
        #expect(throws: CryptoError.invalidLength(what: "XChaCha20-Poly1305 nonce", expected: 24, actual: 12)) {
            _ = try XChaCha20Poly1305.open(randomBytes(count: 32), key: key, nonce: randomBytes(count: 12), aad: [])
        }
    }

    @Test func hkdfExpandOutputLimit() throws {
        #expect(HKDFSHA256.maximumOutputLength == 255 * 32)
        let prk = randomBytes(count: 32).withUnsafeBytes { HKDFSHA256.extract(salt: [], ikm: $0) }
        let longest = try HKDFSHA256.expand(prk: prk, info: [7], length: 255 * 32)
        #expect(longest.count == 255 * 32)
        let short = try HKDFSHA256.expand(prk: prk, info: [7], length: 32)
        #expect(longest.unprotectedArray().prefix(32).elementsEqual(short.unprotectedArray()), "expand output must be prefix-consistent")
        #expect(throws: CryptoError.outputTooLong(what: "HKDF-SHA256", maximum: 8160, requested: 8161)) {
            _ = try HKDFSHA256.expand(prk: prk, info: [7], length: 255 * 32 + 1)
        }
        let empty = try HKDFSHA256.expand(prk: prk, info: [], length: 0)
        #expect(empty.count == 0)
    }
}
