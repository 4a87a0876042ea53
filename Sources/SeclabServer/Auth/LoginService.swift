import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabStore
import Synchronization
import SeclabSRP

/// SRP-6a login state and decoys (spec §8).
///
/// Unknown e-mails get a decoy: account id and salts are `HMAC(decoyKey, label ‖ email)`, where
/// `decoyKey` is a random server secret kept in the database, so every replica and every
/// repeated start gives the same decoy, and B is computed against a random verifier made once
/// per process. Finish then fails exactly like a wrong passphrase.
final class LoginService: Sendable {
    let decoyKey = Mutex<[UInt8]?>(nil)
    let decoyVerifier: [UInt8]

    init() {
        decoyVerifier = SRP.verifier(x: .random(count: 32))
    }

    func key(_ database: SeclabDatabase) async throws -> [UInt8] {
        if let key = decoyKey.withLock({ $0 }) { return key }
        let text = try await database.write { tx in
            try await tx.serverSecret(name: "srp-decoy-hmac-key") { Base64URL.encode(randomBytes(count: 32)) }
        }
        let key = try Base64URL.decode(text, count: 32, what: "srp-decoy-hmac-key")
        decoyKey.withLock { $0 = key }
        return key
    }

    /// The decoy account of an unknown e-mail: stable id and salts, profile p1.
    func decoy(email: String, database: SeclabDatabase) async throws -> (accountID: String, saltAUK: String, saltSRP: String) {
        let key = try await key(database)
        func derive(_ label: String) -> [UInt8] { HMACSHA256.authenticate(Array("seclab/decoy/\(label)/".utf8) + Array(email.utf8), key: key) }
        var id = Array(derive("account_id").prefix(16))
        id[6] = (id[6] & 0x0F) | 0x40
        id[8] = (id[8] & 0x3F) | 0x80
        return (UUIDText.format(id), Base64URL.encode(derive("salt_auk").prefix(16)), Base64URL.encode(derive("salt_srp").prefix(16)))
    }
}

/// UUID text <-> 16 raw bytes (spec §0: ids enter derivations as their raw bytes).
enum UUIDText {
    static func format(_ bytes: [UInt8]) -> String {
        let hex = Array(Hex.encode(bytes).utf8)
        var out = [UInt8]()
        for (index, char) in hex.enumerated() {
            if [8, 12, 16, 20].contains(index) { out.append(UInt8(ascii: "-")) }
            out.append(char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(_ text: String) -> [UInt8]? {
        try? Hex.decode(String(text.filter { $0 != "-" }))
    }

    static func random() -> String {
        var bytes = randomBytes(count: 16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return format(bytes)
    }
}
