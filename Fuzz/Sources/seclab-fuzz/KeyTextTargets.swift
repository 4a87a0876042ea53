import SeclabKeys
import SeclabPrimitives

/// The texts people type or paste (SeclabKeys): the Secret Key (`SK1-…`), the machine
/// credential (`slmk1_…`, `slmk2_…`) and secret names. Accepted texts round-trip, and name validation
/// agrees with itself (NFC is idempotent: a name that passed once passes again).
enum KeyTextTargets {
    static let target = FuzzTarget(name: "key-text", summary: "SecretKey, MachineCredential, ItemName", run: run)

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)

        if let key = try? SecretKey(text: text) {
            let again = try? SecretKey(text: key.text)
            check(again == key, "SecretKey: its own text does not parse back to it")
            check((try? SecretKey(text: text.lowercased())) == key, "SecretKey: case is not ignored")
        }

        if let credential = try? MachineCredential(text: text) {
            check(credential.text == text, "MachineCredential: not canonical")
            check(credential.machineKey.count == 32, "MachineCredential: MK is not 32 bytes")
        }

        if let name = try? ItemName(normalizedUTF8: data) {
            check(name.utf8 == data, "ItemName(normalizedUTF8:) changed the bytes")
            check((try? ItemName(name.string))?.utf8 == data, "ItemName: a normalized name does not normalize to itself")
        }
        if let name = try? ItemName(text) {
            check((try? ItemName(normalizedUTF8: name.utf8)) != nil, "ItemName: normalizing twice is not idempotent")
            check(!name.utf8.isEmpty && name.utf8.count <= 256 && !name.utf8.contains(0) && !name.utf8.contains(UInt8(ascii: "=")),
                  "ItemName: a name outside the spec §7 rules was accepted")
        }
    }
}
