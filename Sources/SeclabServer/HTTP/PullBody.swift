import NIOCore
import SeclabAPI

/// A hand-written JSON encoder for the machine pull's response, the server's hot path.
///
/// It writes exactly what `JSONBody.response` would for a `MachinePullResponse` (sorted keys,
/// the same escaping rules for the characters these ASCII fields can hold), so clients see
/// one format; `PullBodyTests` checks both agree. Foundation's encoder builds an intermediate
/// tree per item, which cost more than the rest of a pull together.
enum PullBody {
    /// The `items` array: `[{"deleted":false,"enc_name":…,"enc_value":…,"key_ref":…,"updated_at":…},…]`.
    static func items(_ items: [ItemView]) -> ByteBuffer {
        var size = 2
        for item in items { size += 80 + item.keyRef.utf8.count + item.encName.utf8.count + item.encValue.utf8.count + item.updatedAt.utf8.count }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeStaticString("[")
        for (index, item) in items.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeStaticString(item.deleted ? "{\"deleted\":true,\"enc_name\":" : "{\"deleted\":false,\"enc_name\":")
            writeString(item.encName, to: &buffer)
            buffer.writeStaticString(",\"enc_value\":")
            writeString(item.encValue, to: &buffer)
            buffer.writeStaticString(",\"key_ref\":")
            writeString(item.keyRef, to: &buffer)
            buffer.writeStaticString(",\"updated_at\":")
            writeString(item.updatedAt, to: &buffer)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString("]")
        return buffer
    }

    /// The whole response around an encoded `items` array.
    static func response(accountID: String, vaultID: String, slotID: String, wrappedVK: String, wrappedIndexKey: String,
                         items: ByteBuffer, revision: Int64? = nil) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: items.readableBytes + 200 + wrappedVK.utf8.count + wrappedIndexKey.utf8.count)
        buffer.writeStaticString("{\"account_id\":")
        writeString(accountID, to: &buffer)
        buffer.writeStaticString(",\"items\":")
        var items = items
        buffer.writeBuffer(&items)
        if let revision {
            // Only on a conditional pull (issue 16): sorted keys put it between items and slot_id.
            buffer.writeStaticString(",\"revision\":")
            buffer.writeString(String(revision))
        }
        buffer.writeStaticString(",\"slot_id\":")
        writeString(slotID, to: &buffer)
        buffer.writeStaticString(",\"vault_id\":")
        writeString(vaultID, to: &buffer)
        buffer.writeStaticString(",\"wrapped_index_key\":")
        writeString(wrappedIndexKey, to: &buffer)
        buffer.writeStaticString(",\"wrapped_vk\":")
        writeString(wrappedVK, to: &buffer)
        buffer.writeStaticString("}")
        return buffer
    }

    /// `{"revision":N,"unchanged":true}`: a conditional pull of an unchanged vault.
    static func unchanged(revision: Int64) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 48)
        buffer.writeStaticString("{\"revision\":")
        buffer.writeString(String(revision))
        buffer.writeStaticString(",\"unchanged\":true}")
        return buffer
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped as
    /// Foundation's encoder does (`/` as `\/`), everything else as UTF-8.
    static func writeString(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        if text.utf8.allSatisfy({ !needsEscape($0) }) {
            // Fast path: every field of a pull is base64url, a UUID or a time.
            buffer.writeString(text)
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "/"): buffer.writeStaticString("\\/")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case ..<0x20:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hexDigit(byte >> 4))
                    buffer.writeInteger(hexDigit(byte & 0x0F))
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
}
