// SRP-6a group parameters (spec §8: RFC 5054 Appendix A, 4096-bit prime, g = 5, SHA-256).
//
// Spec and vectors agree on every encoding: `seclab-v1.json` `srp` uses H(PAD(g)) (not H(g))
// inside M1, PAD() to 512 bytes for A, B and S everywhere, and gives k as PAD(k) (512 bytes);
// `multiplier` is the 32-byte hash, the same integer.
import SeclabPrimitives

/// An SRP-6a group: a safe prime N, a generator g, and the values derived from them that every
/// login uses. Only the RFC 5054 4096-bit group exists in seclab v1 (spec §8), so there is no
/// public initializer: a peer can never pick a weaker group.
public struct SRPGroup: Sendable {
    /// The RFC 5054 Appendix A 4096-bit group with g = 5 (spec §8). N equals RFC 3526 group 16.
    public static let rfc5054_4096 = SRPGroup(
        modulusHex: rfc5054Modulus4096Hex,
        generator: [5]
    )

    /// N, 512 bytes big-endian.
    public let modulus: [UInt8]
    /// g, minimal big-endian bytes (`[5]`).
    public let generator: [UInt8]
    /// The length of N in bytes, and so of every PAD()ded value (512).
    public let byteCount: Int

    /// k = H(N ‖ PAD(g)) (spec §8), 32 bytes. The vectors give PAD(k); the integer is the same.
    public var multiplier: [UInt8] { multiplierBytes }

    let multiplierBytes: [UInt8]
    /// PAD(g), precomputed for hashing.
    let paddedGenerator: [UInt8]
    /// H(N) XOR H(PAD(g)), the first field of M1 (spec §8), precomputed.
    let groupHash: [UInt8]

    private init(modulusHex: String, generator: [UInt8]) {
        // Why try!: the modulus is a constant of this file; a typo fails every test at once.
        let modulus = try! Hex.decode(modulusHex)
        self.modulus = modulus
        self.generator = generator
        self.byteCount = modulus.count
        let paddedGenerator = [UInt8](repeating: 0, count: modulus.count - generator.count) + generator
        self.paddedGenerator = paddedGenerator
        // spec §8: k = H(N ‖ PAD(g)).
        self.multiplierBytes = SHA256.hash(parts: [modulus, paddedGenerator])
        // spec §8: M1 starts with H(N) XOR H(PAD(g)); the vectors confirm PAD(g), not g.
        let hashN = SHA256.hash(modulus), hashG = SHA256.hash(paddedGenerator)
        self.groupHash = zip(hashN, hashG).map { $0 ^ $1 }
    }

    /// PAD(value): `value` (big-endian) left-padded with zero bytes to `byteCount` (512) bytes.
    ///
    /// Leading zero bytes beyond `byteCount` are dropped; a value whose significant bytes do
    /// not fit is a programming error and traps.
    public func pad(_ value: [UInt8]) -> [UInt8] {
        if value.count == byteCount { return value }
        if value.count < byteCount {
            return [UInt8](repeating: 0, count: byteCount - value.count) + value
        }
        let excess = value.count - byteCount
        precondition(value.prefix(excess).allSatisfy { $0 == 0 }, "SRPGroup.pad: value is longer than \(byteCount) bytes")
        return Array(value.dropFirst(excess))
    }
}

/// RFC 5054 Appendix A, 4096-bit group (= RFC 3526 §5, group 16), big-endian hex.
private let rfc5054Modulus4096Hex = [
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74",
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437",
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed",
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05",
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b",
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718",
    "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33",
    "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7",
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
    "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2",
    "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7",
    "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8",
    "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2",
    "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9",
    "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff",
].joined()
