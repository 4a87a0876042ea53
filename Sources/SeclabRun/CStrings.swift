#if canImport(Glibc)
import Glibc
#endif

/// Run `body` with a NULL-terminated C environment array built straight from `environment`:
/// each entry is written once as `NAME=VALUE\0` into one block.
///
/// Why not `withCStrings` over joined entries: joining first copies every value into one
/// more heap array per variable (1,000 of them at 1,000 secrets) only to copy it again.
func withCEnvironment<R>(_ environment: [(name: [UInt8], value: [UInt8])],
                         _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    withPackedCStrings(count: environment.count, length: { environment[$0].name.count + 1 + environment[$0].value.count }) { index, out in
        let entry = environment[index]
        entry.name.withUnsafeBytes { if let base = $0.baseAddress { out.copyMemory(from: base, byteCount: $0.count) } }
        out.storeBytes(of: UInt8(ascii: "="), toByteOffset: entry.name.count, as: UInt8.self)
        entry.value.withUnsafeBytes { if let base = $0.baseAddress { (out + entry.name.count + 1).copyMemory(from: base, byteCount: $0.count) } }
    } body: { body($0) }
}

/// Run `body` with a NULL-terminated C array of the given byte strings (argv).
func withCStrings<R>(_ strings: [[UInt8]], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    withPackedCStrings(count: strings.count, length: { strings[$0].count }) { index, out in
        strings[index].withUnsafeBytes { if let base = $0.baseAddress { out.copyMemory(from: base, byteCount: $0.count) } }
    } body: { body($0) }
}

/// The packing under `withCStrings` and `withCEnvironment`: `count` strings of `length(i)` bytes each, written by
/// `write(i, at)`, NUL-terminated, back to back in one block, and one pointer array — two
/// allocations however many strings. The block can hold secret values: it is wiped before
/// it is freed (reached only when exec failed, or in a supervising parent).
func withPackedCStrings<R>(count: Int, length: (Int) -> Int, write: (Int, UnsafeMutableRawPointer) -> Void,
                           body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var total = 0
    for index in 0..<count { total += length(index) + 1 }
    let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
    defer {
        explicit_bzero(block.baseAddress!, block.count)  // not elided as a dead store before the free
        block.deallocate()
    }
    var pointers = [UnsafeMutablePointer<CChar>?]()
    pointers.reserveCapacity(count + 1)
    var offset = 0
    for index in 0..<count {
        let start = block.baseAddress! + offset
        let size = length(index)
        write(index, start)
        start.storeBytes(of: 0, toByteOffset: size, as: UInt8.self)
        pointers.append(start.assumingMemoryBound(to: CChar.self))
        offset += size + 1
    }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
