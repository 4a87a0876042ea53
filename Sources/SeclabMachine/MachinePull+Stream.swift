import SeclabAPI
import SeclabClient
import SeclabKeys

extension MachinePull {
    /// A whole vault's answer (and its revision, on a conditional pull's), read, checked and
    /// opened with the same result as `decode`, `open` and `openItems` one after the other,
    /// but faster: items are read as positions in the answer and opened from there without an
    /// array per field (`openOne(_:in:cipher:scratch:)`), and for a large answer a helper
    /// thread (`ParallelHelper`, started as the answer arrives) opens items while the caller
    /// is still reading the rest, when the answer lists the vault's keys before its items
    /// (`PullWire.responseHead`); an answer with its keys last (an older server) is opened by
    /// both threads once it has been read.
    ///
    /// Fail closed as ever: the items opened early belong to a body that may still turn out
    /// malformed; then they are thrown away with the reader's error. Errors are reported in
    /// the order the sequential path meets them: the body's shape, then the keys, then the
    /// items in the server's order (`checked`).
    static func openWhole(_ answer: [UInt8], credential: MachineCredential) throws(ClientError) -> (vault: PulledVault, revision: Int64?) {
        let helper = ParallelHelper.forAnswer(of: answer.count)
        defer { helper?.dismiss() }
        return try answer.withUnsafeBufferPointer { (body) throws(ClientError) in
            let stream = ItemStream(body: body)
            var keys: (context: VaultContext, cipher: ItemCipher)? = nil
            var revision: Int64? = nil
            let read = { (ready: (Int) -> Void) throws(ClientError) -> Int in
                try withoutActuallyEscaping(ready) { (ready) throws(ClientError) -> Int in
                    let response = try spans(answer) { fields in
                        // Keys first: unwrap them now and hand over each item as it is read. A
                        // failure here is reported below, once the whole body has been read.
                        guard let opened = try? open(fields, credential: credential) else { return nil }
                        keys = opened
                        stream.cipher = opened.cipher
                        return { index, item in
                            guard stream.put(item, at: index) else { return false }
                            ready(index + 1)
                            return true
                        }
                    }
                    if keys == nil {
                        let opened = try open(response.keys, credential: credential)
                        keys = opened
                        stream.cipher = opened.cipher
                    }
                    // Items not handed over while reading (keys last): all of them, now.
                    for index in stream.count..<response.items.count {
                        guard stream.put(response.items[index], at: index) else {
                            throw .unexpectedResponse("POST /v1/machine/pull: more items than the body can hold")
                        }
                    }
                    revision = response.revision
                    return response.items.count
                }
            }
            let count: Int
            if let helper {
                count = try helper.stream({ range in stream.open(range) }, produce: read)
            } else {
                count = try read { _ in }
                stream.open(0..<count)
            }
            guard let keys else { throw .unexpectedResponse("the vault's keys were not read") }
            return (PulledVault(context: keys.context, items: try checked(count: count, expected: nil) { stream.outcome($0) }), revision)
        }
    }
}

/// The items of one answer as the reader hands them over, and what opening each gave; shared
/// by the reading thread and the helper.
///
/// Why @unchecked Sendable: `body` is only read, by both threads; slot `i` (its item, and its
/// outcome set to nil, in a block allocated by the reading thread if it is the block's first)
/// is written once by the reading
/// thread before `i` is published as ready (`ParallelHelper.stream`, a releasing store), its
/// outcome then written once by whichever thread takes `i`, and everything is read by the
/// caller only after `stream` returned (every taker done). `cipher` is set before the first
/// item is published.
final class ItemStream: @unchecked Sendable {
    /// The fewest bytes an item takes in a body: the smallest item,
    /// `{"deleted":true,"enc_name":"","enc_value":"","key_ref":"","updated_at":""}` (every field
    /// is required), is 74 bytes, and every item but the last is followed by a comma, while the
    /// body around the items is longer than 75 bytes; so a body of N bytes holds fewer than
    /// N / 75 + 1 items (a body that held more would be refused, not overrun: `put`).
    static let smallestItemBytes = 75
    /// Slots per block. Why blocks: slots never move while the helper reads them, and memory
    /// follows the items actually read, not the most a hostile server's body could hold (a
    /// 512 MiB body would otherwise reserve over a gigabyte of slots up front).
    static let blockSlots = 1024

    /// One item as read, and what opening it gave (nil until it was opened).
    private struct Slot {
        let item: PullWire.ItemSpan
        var outcome: ItemOutcome?
    }

    /// How many items fit.
    let capacity: Int
    /// How many slots were filled (reading thread only).
    private(set) var count = 0
    /// The vault's item cipher, once its keys are open.
    var cipher: ItemCipher? = nil
    /// Block pointers, allocated once; a block is allocated when its first slot is filled.
    private let blocks: UnsafeMutablePointer<UnsafeMutablePointer<Slot>?>
    private let blockCount: Int

    /// The answer the items are read from (valid while the stream is used).
    private let body: UnsafeBufferPointer<UInt8>

    /// Room for every item `body` can hold.
    init(body: UnsafeBufferPointer<UInt8>) {
        self.body = body
        capacity = body.count / Self.smallestItemBytes + 1
        blockCount = (capacity + Self.blockSlots - 1) / Self.blockSlots
        blocks = .allocate(capacity: blockCount)
        blocks.initialize(repeating: nil, count: blockCount)
    }

    deinit {
        for index in 0..<count { slot(index).deinitialize(count: 1) }
        for block in 0..<blockCount { blocks[block]?.deallocate() }
        blocks.deallocate()
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<Slot> {
        blocks[index / Self.blockSlots]! + index % Self.blockSlots
    }

    /// Fill the next slot (`index` must be `count`); false when the body could not hold it.
    func put(_ item: PullWire.ItemSpan, at index: Int) -> Bool {
        guard index == count, index < capacity else { return false }
        if index % Self.blockSlots == 0 { blocks[index / Self.blockSlots] = .allocate(capacity: Self.blockSlots) }
        slot(index).initialize(to: Slot(item: item, outcome: nil))
        count = index + 1
        return true
    }

    /// Open the items in `range` (filled and published).
    func open(_ range: Range<Int>) {
        guard let cipher else { return }
        var scratch = [UInt8]()
        for index in range {
            let slot = slot(index)
            slot.pointee.outcome = MachinePull.openOne(slot.pointee.item, in: body, cipher: cipher, scratch: &scratch)
        }
    }

    /// What opening item `index` gave (nil when it was not opened).
    func outcome(_ index: Int) -> ItemOutcome? {
        index < count ? slot(index).pointee.outcome : nil
    }
}
