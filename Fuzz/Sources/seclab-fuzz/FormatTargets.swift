import SeclabAPI
import SeclabFormat
import SeclabPrimitives

/// The text formats of spec §0 and §2 (SeclabFormat) and the server's field checks built on
/// them (SeclabAPI.WireCheck): every accepted text is the one canonical text of its value,
/// and the server's checks accept exactly what the shared parsers accept (within the size
/// limits), so a client and the server never disagree about a field.
enum FormatTargets {
    static let target = FuzzTarget(name: "format", summary: "SeclabID, xc1./hp1. blobs, KeyRef, SessionToken, WireCheck", run: run)

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)

        let id = try? SeclabID(text: text)
        if let id { check(id.text == text && id.bytes.count == 16, "SeclabID: not canonical") }
        check(((try? WireCheck.id(text, field: "f")) != nil) == (id != nil), "WireCheck.id disagrees with SeclabID")

        let blob = try? AEADBlob(text: text)
        if let blob {
            check(blob.text == text, "AEADBlob: not canonical")
            check(blob.nonce.count == 24 && blob.ciphertext.count >= 16, "AEADBlob: wrong part lengths")
        }
        for limit in [0, WireLimits.maxKeyBytes, WireLimits.maxNameBytes, WireLimits.maxLabelBytes] {
            let accepted = (try? WireCheck.aeadBlob(text, field: "f", maxPlaintext: limit)) != nil
            let expected = blob.map { $0.plaintextCount <= limit } ?? false
            check(accepted == expected, "WireCheck.aeadBlob(max \(limit)) disagrees with AEADBlob")
        }

        let wrap = try? HPKEWrap(text: text)
        if let wrap {
            check(wrap.text == text, "HPKEWrap: not canonical")
            check(wrap.enc.count == 32 && wrap.ciphertext.count >= 16, "HPKEWrap: wrong part lengths")
        }
        let wrapAccepted = (try? WireCheck.hpkeWrap(text, field: "f")) != nil
        check(wrapAccepted == (wrap.map { $0.ciphertext.count - 16 <= 64 } ?? false), "WireCheck.hpkeWrap disagrees with HPKEWrap")

        let ref = try? KeyRef(text: text)
        if let ref { check(ref.text == text && ref.bytes.count == 32, "KeyRef: not canonical") }
        check(((try? WireCheck.keyRef(text, field: "f")) != nil) == (ref != nil), "WireCheck.keyRef disagrees with KeyRef")
        check(((try? WireCheck.bytes(text, count: 32, field: "f")) != nil) == (ref != nil), "WireCheck.bytes(32) disagrees with KeyRef")

        if let token = try? SessionToken(text: text) {
            check(token.text == text, "SessionToken: not canonical")
            check(ref != nil, "SessionToken accepted a text that is not 32 bytes of base64url")
        }

        if let email = try? WireCheck.email(text, field: "f") {
            check(email == text.lowercased(), "WireCheck.email: not the lowercased text")
            check(text.utf8.count >= 3 && text.utf8.count <= 254, "WireCheck.email: length outside 3…254 bytes")
            check(text.split(separator: "@", omittingEmptySubsequences: false).count == 2, "WireCheck.email: not exactly one '@'")
        }
        _ = try? WireCheck.kdfProfile(text, field: "f")
    }
}
