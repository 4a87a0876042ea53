/// Reads structured values off the front of a fuzz input (like LLVM's FuzzedDataProvider),
/// so one byte string can describe several values and chunk boundaries. Past the end every
/// read yields zero or empty: every input means something.
struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// True when every byte has been read.
    var isEmpty: Bool { offset >= bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A number in `0...max` from one byte.
    mutating func number(upTo max: Int) -> Int { Int(byte()) % (max + 1) }

    /// A length-prefixed run of at most `maxCount` bytes.
    mutating func chunk(maxCount: Int) -> [UInt8] {
        let count = min(number(upTo: maxCount), bytes.count - min(offset, bytes.count))
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        guard offset < bytes.count else { return [] }
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
