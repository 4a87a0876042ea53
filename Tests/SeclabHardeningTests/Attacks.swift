import Foundation
import SeclabPrimitives

/// A JSON body as Foundation objects, for attacks that edit a field or two.
typealias JSONObject = [String: Any]

/// Building blocks for `Rewrite`s: match a request, edit its JSON answer.
enum Attack {
    /// Leave every answer alone (the control that proves the proxy itself is transparent).
    static let none: Rewrite = { _, _ in }

    /// Edit the JSON answer of `method` requests whose path ends with `pathSuffix`.
    static func json(_ method: String, _ pathSuffix: String, _ edit: @escaping @Sendable (inout JSONObject) -> Void) -> Rewrite {
        { request, response in
            guard request.method == method, request.path.hasSuffix(pathSuffix), (200..<300).contains(response.status),
                  var object = decode(response.body) else { return }
            edit(&object)
            response.body = encode(object)
        }
    }

    /// Replace the raw answer body of matching requests.
    static func body(_ method: String, _ pathSuffix: String, _ edit: @escaping @Sendable ([UInt8]) -> [UInt8]) -> Rewrite {
        { request, response in
            guard request.method == method, request.path.hasSuffix(pathSuffix) else { return }
            response.body = edit(response.body)
        }
    }

    /// Send matching answers cut on the wire after half their body (Content-Length kept).
    static func cut(_ method: String, _ pathSuffix: String) -> Rewrite {
        { request, response in
            guard request.method == method, request.path.hasSuffix(pathSuffix) else { return }
            response.cutAfter = response.body.count / 2
        }
    }

    /// Add `summary` to the caller's vault list (`GET /v1/vaults`).
    static func plant(_ summary: JSONObject) -> Rewrite {
        let bytes = encode(summary)  // Sendable, unlike the dictionary
        return json("GET", "/v1/vaults") { $0["vaults"] = $0.list("vaults") + [decode(bytes)!] }
    }

    /// Apply several rewrites in order.
    static func all(_ rewrites: Rewrite...) -> Rewrite {
        { request, response in for rewrite in rewrites { rewrite(request, &response) } }
    }

    static func decode(_ bytes: [UInt8]) -> JSONObject? {
        try? JSONSerialization.jsonObject(with: Data(bytes)) as? JSONObject
    }

    static func encode(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

/// Field surgery on blob texts (`xc1.<nonce>.<ciphertext>`, `hp1.<enc>.<ciphertext>`).
enum BlobText {
    /// Drop the last `count` bytes of the ciphertext, re-encoded canonically, so that only the
    /// AEAD tag can notice.
    static func truncated(_ text: String, by count: Int = 3) -> String {
        let parts = text.split(separator: ".")
        let ciphertext = (try? Base64URL.decode(parts[2])) ?? []
        return "\(parts[0]).\(parts[1]).\(Base64URL.encode(ciphertext.dropLast(count)))"
    }

    /// Keep the prefix and nonce but only 10 bytes of ciphertext: shorter than the 16-byte tag.
    static func belowTag(_ text: String) -> String {
        let parts = text.split(separator: ".")
        return "\(parts[0]).\(parts[1]).AAAAAAAAAAAAAA"
    }

    /// Replace the version prefix (`xc1.` → `xc0.`, `hp1.` → `xc1.`, …).
    static func prefixed(_ text: String, _ prefix: String) -> String { prefix + text.drop { $0 != "." }.dropFirst() }

    /// Swap the two parts after the prefix (nonce and ciphertext).
    static func reordered(_ text: String) -> String {
        let parts = text.split(separator: ".")
        return "\(parts[0]).\(parts[2]).\(parts[1])"
    }
}

extension Array where Element == Any {
    /// The elements as JSON objects.
    var objects: [JSONObject] { compactMap { $0 as? JSONObject } }
}

extension Dictionary where Key == String, Value == Any {
    /// `self[key]` as a list of objects.
    func list(_ key: String) -> [JSONObject] { (self[key] as? [Any])?.objects ?? [] }
    /// `self[key]` as a string.
    func string(_ key: String) -> String { self[key] as? String ?? "" }
}
