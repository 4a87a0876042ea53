import CSodium
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Page-aligned, locked memory for secret buffers.
///
/// Why an arena: `mlock` works on whole pages and does not nest, so locking each small heap
/// buffer on its own (a) unlocked pages that still held other live secrets whenever one of
/// them was freed, (b) could not mark the pages `MADV_DONTDUMP` (the heap address is not page
/// aligned), and (c) cost four system calls per buffer — 4,000 for a 1,000-secret pull, most
/// of seclab-run's decryption time (bench/results). Here secrets live only in pages
/// that were locked and excluded from core dumps once, when the chunk was mapped, and that are
/// never unlocked; a freed slot is wiped at once and reused only for another secret.
///
/// Small buffers (up to 2 KiB) come from size-class slots carved out of 16 KiB chunks; larger
/// ones get pages of their own, so no two secrets of different lifetimes share a locked page.
/// Locking is best effort, as before: past RLIMIT_MEMLOCK the memory is still wiped on release.
enum LockedArena {
    /// Size classes of the slot allocator, in bytes.
    static let classes = [32, 64, 128, 256, 512, 1024, 2048]
    /// Bytes mapped at a time for one size class.
    static let chunkBytes = 16 << 10
    static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    private struct State {
        /// Free slots per size class, as addresses (plain integers keep the state Sendable).
        var free: [[UInt]] = Array(repeating: [], count: classes.count)
    }

    private static let state = Mutex(State())

    /// A zeroed buffer of at least `count` bytes (never 0), locked where the system allows.
    static func allocate(count: Int) -> UnsafeMutableRawBufferPointer {
        let size = max(count, 1)
        guard let index = classes.firstIndex(where: { $0 >= size }) else {
            return UnsafeMutableRawBufferPointer(start: mapLocked(bytes: roundUpToPage(size)), count: size)
        }
        let slotBytes = classes[index]
        let address: UInt = state.withLock { state in
            if let slot = state.free[index].popLast() { return slot }
            let chunk = UInt(bitPattern: mapLocked(bytes: chunkBytes))
            let slots = chunkBytes / slotBytes
            // Carve the chunk; hand out the first slot, keep the rest.
            for offset in stride(from: (slots - 1) * slotBytes, to: 0, by: -slotBytes) {
                state.free[index].append(chunk + UInt(offset))
            }
            return chunk
        }
        return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: size)
    }

    /// Wipe a buffer from `allocate` and give it back.
    static func release(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        let size = buffer.count
        guard let index = classes.firstIndex(where: { $0 >= size }) else {
            // Its own pages: wipe, then unlock and unmap them (sodium_munlock zeroes first too).
            let bytes = roundUpToPage(size)
            sodium_memzero(base, bytes)
            _ = sodium_munlock(base, bytes)
            munmap(base, bytes)
            return
        }
        // Wipe the whole slot, not only the bytes used, before it can be handed out again.
        sodium_memzero(base, classes[index])
        let address = UInt(bitPattern: base)
        state.withLock { state in state.free[index].append(address) }
    }

    static func roundUpToPage(_ bytes: Int) -> Int { (bytes + pageBytes - 1) / pageBytes * pageBytes }

    /// Fresh anonymous pages (zero-filled by the kernel), locked and excluded from core dumps.
    private static func mapLocked(bytes: Int) -> UnsafeMutableRawPointer {
        guard let pointer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pointer != MAP_FAILED else {
            // Out of address space: nothing sensible remains to be done with a secret.
            fatalError("seclab: cannot map memory for secret buffers")
        }
        // sodium_mlock = mlock + madvise(MADV_DONTDUMP); failure past RLIMIT_MEMLOCK is not
        // fatal (the memory is still wiped on release), as documented on SecretBytes.
        _ = sodium_mlock(pointer, bytes)
        return pointer
    }
}
