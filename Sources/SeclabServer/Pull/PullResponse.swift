import Hummingbird
import NIOCore
import SeclabAPI
import SeclabStore

/// The pull's answer as NIO buffers, written by `PullWire` (the one home of the format).
enum PullResponse {
    /// The encoded `items` array, as cached by `PullCache`.
    static func items(_ items: [ItemView]) -> ByteBuffer {
        ByteBuffer(bytes: PullWire.items(items))
    }

    /// `200` with the whole response around an encoded `items` array, the vault's keys first
    /// (`PullWire.responseHead`). `revision` only on a conditional pull.
    static func answer(_ slot: MachinePullState.Slot, items: ByteBuffer, revision: Int64? = nil) -> Response {
        let head = PullWire.responseHead(accountID: slot.ownerAccountID, revision: revision, slotID: slot.slotID, vaultID: slot.vaultID,
                                         wrappedIndexKey: slot.wrappedIndexKey, wrappedVK: slot.wrappedVK)
        var body = ByteBufferAllocator().buffer(capacity: head.count + items.readableBytes + PullWire.responseEnd.count)
        body.writeBytes(head)
        body.writeImmutableBuffer(items)
        body.writeBytes(PullWire.responseEnd)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// `200 {"revision":N,"unchanged":true}`: a conditional pull of an unchanged vault.
    static func unchanged(revision: Int64) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: PullWire.unchanged(revision: revision))))
    }
}
