import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabSRP
import Testing

/// Property-style robustness: every decoder gets at least 100,000 random and mutated inputs
/// and must either decode or throw its typed error, never trap. A seeded generator makes any
/// failure reproducible (the seed is in the test name's comment and the failure message).
@Suite struct DecoderRobustnessTests {
    static let iterations = 100_000

    /// SplitMix64: small, fast, deterministic.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Inputs that start from valid seeds and are mutated (flip, insert, delete, truncate,
    /// duplicate), mixed with purely random strings over the format's alphabet and beyond.
    static func inputs(seeds: [String], alphabet: String, seed: UInt64) -> [[UInt8]] {
        var rng = Generator(state: seed)
        let alphabetBytes = Array(alphabet.utf8)
        var out = [[UInt8]]()
        out.reserveCapacity(iterations)
        for i in 0..<iterations {
            var bytes: [UInt8]
            if i % 4 == 3 || seeds.isEmpty {
                let length = Int.random(in: 0...160, using: &rng)
                bytes = (0..<length).map { _ in
                    Bool.random(using: &rng) ? alphabetBytes.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                bytes = Array(seeds.randomElement(using: &rng)!.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<6, using: &rng) {
                    case 0 where !bytes.isEmpty: bytes[position] = alphabetBytes.randomElement(using: &rng)!
                    case 1 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                    case 2: bytes.insert(alphabetBytes.randomElement(using: &rng)!, at: position)
                    case 3 where !bytes.isEmpty: bytes.remove(at: position)
                    case 4: bytes = Array(bytes.prefix(position))
                    default: bytes += bytes.prefix(Int.random(in: 0...8, using: &rng))
                    }
                }
            }
            out.append(bytes)
        }
        return out
    }

    static let b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n"
    static let b32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz-= 0189"

    /// Feed every input to `decode`; count how many decoded so the test shows it exercised both paths.
    static func run(_ inputs: [[UInt8]], _ decode: (String) throws -> Void) -> (accepted: Int, rejected: Int) {
        var accepted = 0, rejected = 0
        for input in inputs {
            do { try decode(String(decoding: input, as: UTF8.self)); accepted += 1 } catch { rejected += 1 }
        }
        return (accepted, rejected)
    }

    @Test func base64URLDecoder() {
        let seeds = (0..<40).map { Base64URL.encode(randomBytes(count: $0)) }
        let result = Self.run(Self.inputs(seeds: seeds, alphabet: Self.b64Alphabet, seed: 1)) { text in
            let bytes = try Base64URL.decode(text)
            // Canonical: whatever decodes re-encodes to exactly the same text.
            #expect(Base64URL.encode(bytes) == text)
        }
        #expect(result.accepted + result.rejected == Self.iterations && result.rejected > 0 && result.accepted > 0)
    }

    @Test func base32Decoder() {
        let seeds = (0..<40).map { Base32.encode(randomBytes(count: $0)) }
        let result = Self.run(Self.inputs(seeds: seeds, alphabet: Self.b32Alphabet, seed: 2)) { text in
            let bytes = try Base32.decode(text)
            #expect(Base32.encode(bytes) == text)
        }
        #expect(result.rejected > 0 && result.accepted > 0)
    }

    @Test func blobAndWrapDecoders() {
        let blob = try! AEADBlob(nonce: randomBytes(count: 24), ciphertext: randomBytes(count: 40)).text
        let wrap = try! HPKEWrap(enc: randomBytes(count: 32), ciphertext: randomBytes(count: 48)).text
        let inputs = Self.inputs(seeds: [blob, wrap, "xc1..", "hp1..", "xc1." + blob], alphabet: Self.b64Alphabet + "xchp1", seed: 3)
        let blobs = Self.run(inputs) { text in
            let parsed = try AEADBlob(text: text)
            #expect(parsed.text == text && parsed.nonce.count == 24 && parsed.ciphertext.count >= 16)
        }
        let wraps = Self.run(inputs) { text in
            let parsed = try HPKEWrap(text: text)
            #expect(parsed.text == text && parsed.enc.count == 32 && parsed.ciphertext.count >= 16)
        }
        #expect(blobs.rejected > 0 && blobs.accepted > 0 && wraps.rejected > 0 && wraps.accepted > 0)
    }

    /// The byte-level twins a pull opens items with (`AEADBlob.decodeIfValid(utf8:nonce:ciphertext:)`,
    /// `KeyRef.decodeIfValid(utf8:into:)`, no array per field) accept exactly what the text
    /// decoders accept, with the same bytes.
    @Test func byteDecodersAgreeWithTheTextDecoders() {
        let blob = try! AEADBlob(nonce: randomBytes(count: 24), ciphertext: randomBytes(count: 40)).text
        let ref = Base64URL.encode(randomBytes(count: 32))
        let inputs = Self.inputs(seeds: [blob, ref, "xc1..", "xc1.AA.AA", "xc1." + blob, String(blob.dropLast(2))],
                                 alphabet: Self.b64Alphabet + "xc1.", seed: 9)
        var blobs = (accepted: 0, rejected: 0), refs = (accepted: 0, rejected: 0)
        for input in inputs {
            let text = String(decoding: input, as: UTF8.self)
            let chars = Array(text.utf8)
            var nonce = [UInt8](repeating: 0, count: 24)
            var ciphertext = [UInt8](repeating: 0, count: AEADBlob.ciphertextCapacity(utf8Count: chars.count))
            let count = chars.withUnsafeBufferPointer { chars in
                AEADBlob.decodeIfValid(utf8: chars, nonce: &nonce, ciphertext: &ciphertext)
            }
            if let parsed = try? AEADBlob(text: text) {
                blobs.accepted += 1
                #expect(count == parsed.ciphertext.count && nonce == parsed.nonce && Array(ciphertext.prefix(count ?? 0)) == parsed.ciphertext,
                        "\(text)")
            } else {
                blobs.rejected += 1
                #expect(count == nil, "\(text)")
            }
            var bytes = [UInt8](repeating: 0, count: 32)
            let decoded = chars.withUnsafeBufferPointer { KeyRef.decodeIfValid(utf8: $0, into: &bytes) }
            if let parsed = try? KeyRef(text: text) {
                refs.accepted += 1
                #expect(decoded && bytes == parsed.bytes, "\(text)")
            } else {
                refs.rejected += 1
                #expect(!decoded, "\(text)")
            }
        }
        #expect(blobs.accepted > 0 && blobs.rejected > 0 && refs.accepted > 0 && refs.rejected > 0)
    }

    @Test func credentialDecoder() {
        let seeds = (0..<8).map { _ in MachineCredential.generate().text }
        let result = Self.run(Self.inputs(seeds: seeds, alphabet: Self.b64Alphabet + "slmk_", seed: 4)) { text in
            let credential = try MachineCredential(text: text)
            #expect(credential.text == text)
        }
        #expect(result.rejected > 0 && result.accepted > 0)
    }

    @Test func secretKeyDecoder() {
        let seeds = (0..<8).map { _ in SecretKey.generate().text }
        let result = Self.run(Self.inputs(seeds: seeds, alphabet: Self.b32Alphabet + "SK1", seed: 5)) { text in
            _ = try SecretKey(text: text)
        }
        #expect(result.rejected > 0 && result.accepted > 0)
    }

    @Test func idAndKeyRefDecoders() {
        let ids = (0..<8).map { _ in SeclabID.random().text }
        let refs = (0..<8).map { _ in Base64URL.encode(randomBytes(count: 32)) }
        let idResult = Self.run(Self.inputs(seeds: ids, alphabet: "0123456789abcdefABCDEF-g ", seed: 6)) { text in
            let id = try SeclabID(text: text)
            #expect(id.text == text)
        }
        let refResult = Self.run(Self.inputs(seeds: refs, alphabet: Self.b64Alphabet, seed: 7)) { text in
            let ref = try KeyRef(text: text)
            #expect(ref.text == text)
        }
        let tokenResult = Self.run(Self.inputs(seeds: refs, alphabet: Self.b64Alphabet, seed: 8)) { text in
            let token = try SessionToken(text: text)
            #expect(token.text == text)
        }
        #expect(idResult.accepted > 0 && idResult.rejected > 0 && refResult.accepted > 0 && refResult.rejected > 0)
        #expect(tokenResult.accepted > 0 && tokenResult.rejected > 0)
    }

    @Test func srpPublicValueDecoder() {
        var rng = Generator(state: 9)
        let group = SRPGroup.rfc5054_4096
        var accepted = 0, rejected = 0
        for i in 0..<Self.iterations {
            var bytes: [UInt8]
            switch i % 5 {
            case 0: bytes = group.modulus                                   // N itself: ≡ 0 mod N
            case 1: bytes = [UInt8](repeating: 0xFF, count: 512)            // ≥ N
            case 2: bytes = [UInt8](repeating: 0, count: Int.random(in: 0...600, using: &rng))
            case 3:
                bytes = group.modulus
                bytes[Int.random(in: 0..<512, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            default: bytes = (0..<Int.random(in: 500...520, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            do {
                let value = try SRP.parsePublicValue(bytes, what: "B")
                #expect(value.count == 512 && value.lexicographicallyPrecedes(group.modulus))
                accepted += 1
            } catch {
                rejected += 1
            }
        }
        #expect(accepted > 0 && rejected > 0)
    }
}
