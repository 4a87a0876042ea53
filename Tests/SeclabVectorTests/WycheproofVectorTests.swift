import Foundation
import Testing
@_spi(SeclabTesting) import SeclabPrimitives

/// Wycheproof known-answer tests (C2SP/wycheproof `testvectors_v1`, see `vectors/SOURCES.md`)
/// for the libsodium wrappers of SeclabPrimitives.
///
/// Every case of every file is checked, and the number of cases checked must equal the file's
/// `numberOfTests`, so a group that is skipped by mistake fails the test. Expectations follow
/// the `result` and `flags` of each case; where a flag decides the expected outcome
/// (`InvalidNonceSize`, `ModifiedTag`, `ZeroSharedSecret`, `SizeTooLarge`) the flag is checked
/// against the data too, so a mislabelled case fails instead of passing for the wrong reason.
@Suite struct WycheproofVectorTests {
    /// The two ChaCha20-Poly1305 AEADs, which share one Wycheproof schema.
    enum AEAD: CaseIterable, Sendable, CustomTestStringConvertible {
        case xchacha20Poly1305
        case chacha20Poly1305

        var file: String {
            switch self {
            case .xchacha20Poly1305: return "xchacha20_poly1305_test.json"
            case .chacha20Poly1305: return "chacha20_poly1305_test.json"
            }
        }

        var nonceCount: Int {
            switch self {
            case .xchacha20Poly1305: return XChaCha20Poly1305.nonceCount
            case .chacha20Poly1305: return ChaCha20Poly1305.nonceCount
            }
        }

        var testDescription: String { file }

        func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
            switch self {
            case .xchacha20Poly1305: return try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, aad: aad)
            case .chacha20Poly1305: return try ChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, aad: aad)
            }
        }

        func open(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> SecretBytes {
            switch self {
            case .xchacha20Poly1305: return try XChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, aad: aad)
            case .chacha20Poly1305: return try ChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, aad: aad)
            }
        }
    }

    /// `valid`: opens to `msg`, and sealing `msg` under the given iv reproduces `ct ‖ tag`.
    /// `invalid`: a nonce of the wrong size is refused as `invalidLength` by the wrapper (libsodium's
    /// fixed-size API cannot even take it), every other invalid case as `authenticationFailed`.
    @Test(arguments: AEAD.allCases)
    func aeadVectors(_ aead: AEAD) throws {
        let file = try WycheproofFile(aead.file)
        var invalidNonceCases = 0, modifiedTagCases = 0
        let checked = file.forEachCase { group, test, label in
            let key = try SymmetricKey(SecretBytes(copying: test.hex("key")))
            let iv = try test.hex("iv"), aad = try test.hex("aad"), msg = try test.hex("msg")
            let sealed = try test.hex("ct") + test.hex("tag")
            let flags = try test.wycheproofFlags()
            let ivSize = try group.int("ivSize")
            #expect(iv.count * 8 == ivSize, "\(label): iv length disagrees with the group's ivSize \(ivSize)")

            switch try test.string("result") {
            case "valid":
                let opened = try aead.open(sealed, key: key, nonce: iv, aad: aad)
                #expect(opened.unprotectedArray() == msg, "\(label): open did not return msg")
                let resealed = try msg.withUnsafeBytes { try aead.seal($0, key: key, nonce: iv, aad: aad) }
                #expect(resealed == sealed, "\(label): seal with the given iv did not reproduce ct ‖ tag")

            case "invalid" where iv.count != aead.nonceCount:
                invalidNonceCases += 1
                #expect(flags.contains("InvalidNonceSize"), "\(label): wrong nonce size but not flagged InvalidNonceSize (flags \(flags))")
                let openError = wycheproofThrownError { _ = try aead.open(sealed, key: key, nonce: iv, aad: aad) }
                #expect(openError.isInvalidLength(actual: iv.count), "\(label): open with a \(iv.count)-byte nonce must throw invalidLength, got \(wycheproofDescribe(openError))")
                let sealError = wycheproofThrownError { _ = try msg.withUnsafeBytes { try aead.seal($0, key: key, nonce: iv, aad: aad) } }
                #expect(sealError.isInvalidLength(actual: iv.count), "\(label): seal with a \(iv.count)-byte nonce must throw invalidLength, got \(wycheproofDescribe(sealError))")

            case "invalid":
                modifiedTagCases += 1
                #expect(flags.contains("ModifiedTag"), "\(label): invalid with a good nonce size but not flagged ModifiedTag (flags \(flags))")
                let error = wycheproofThrownError { _ = try aead.open(sealed, key: key, nonce: iv, aad: aad) }
                #expect(error.isAuthenticationFailure, "\(label): a modified tag must throw authenticationFailed, got \(wycheproofDescribe(error))")

            case let other:
                Issue.record("\(label): unexpected result '\(other)'")
            }
        }
        #expect(checked == file.numberOfTests, "\(aead.file): checked \(checked) cases, the file has \(file.numberOfTests)")
        // SOURCES.md: 9 InvalidNonceSize vectors per file; both files have 60 ModifiedTag vectors.
        #expect(invalidNonceCases == 9, "\(aead.file): \(invalidNonceCases) wrong-nonce-size cases, expected 9")
        #expect(modifiedTagCases == 60, "\(aead.file): \(modifiedTagCases) modified-tag cases, expected 60")
    }

    /// `valid` and `acceptable` cases reproduce `shared`, except the 31 flagged `ZeroSharedSecret`,
    /// which must throw `zeroSharedSecret` (libsodium returns -1; RFC 9180 §7.1.4, spec §1).
    @Test func x25519Vectors() throws {
        let file = try WycheproofFile("x25519_test.json")
        var zeroCases = 0, valid = 0, acceptable = 0
        let checked = file.forEachCase { _, test, label in
            let privateKey = try X25519PrivateKey(SecretBytes(copying: test.hex("private")))
            let publicKey = try X25519PublicKey(test.hex("public"))
            let shared = try test.hex("shared")
            let flags = try test.wycheproofFlags()
            let result = try test.string("result")
            switch result {
            case "valid": valid += 1
            case "acceptable": acceptable += 1
            default: Issue.record("\(label): unexpected result '\(result)' (the file has only valid and acceptable cases)")
            }
            let allZero = shared.allSatisfy { $0 == 0 }

            if flags.contains("ZeroSharedSecret") {
                zeroCases += 1
                #expect(allZero, "\(label): flagged ZeroSharedSecret but the expected shared secret is not all zero")
                #expect(result == "acceptable", "\(label): ZeroSharedSecret case is '\(result)', expected acceptable")
                let error = wycheproofThrownError { _ = try privateKey.sharedSecret(with: publicKey) }
                #expect((error as? CryptoError) == .zeroSharedSecret, "\(label): an all-zero shared secret must throw zeroSharedSecret, got \(wycheproofDescribe(error))")
            } else {
                #expect(!allZero, "\(label): all-zero shared secret without the ZeroSharedSecret flag")
                let computed = try privateKey.sharedSecret(with: publicKey)
                #expect(computed.unprotectedArray() == shared, "\(label): shared secret mismatch (flags \(flags))")
            }
        }
        #expect(checked == file.numberOfTests, "x25519: checked \(checked) cases, the file has \(file.numberOfTests)")
        #expect(zeroCases == 31, "x25519: \(zeroCases) ZeroSharedSecret cases, expected 31")
        #expect(valid == 264 && acceptable == 254, "x25519: \(valid) valid / \(acceptable) acceptable, expected 264 / 254")
    }

    /// `valid` cases reproduce `okm` (including 255·32 bytes and empty salts); `SizeTooLarge`
    /// (255·32 + 1 bytes) throws `outputTooLong`, a check libsodium 1.0.18 cannot do for us.
    @Test func hkdfSHA256Vectors() throws {
        let file = try WycheproofFile("hkdf_sha256_test.json")
        var tooLarge = 0
        let checked = file.forEachCase { _, test, label in
            let ikm = try test.hex("ikm"), salt = try test.hex("salt"), info = try test.hex("info")
            let size = try test.int("size")
            let flags = try test.wycheproofFlags()
            switch try test.string("result") {
            case "valid":
                let okm = try test.hex("okm")
                #expect(okm.count == size, "\(label): okm is \(okm.count) bytes, size says \(size)")
                let derived = try HKDFSHA256.derive(ikm: ikm, salt: salt, info: info, length: size)
                #expect(derived.unprotectedArray() == okm, "\(label): okm mismatch (size \(size), flags \(flags))")
            case "invalid":
                tooLarge += 1
                #expect(flags.contains("SizeTooLarge"), "\(label): invalid but not flagged SizeTooLarge (flags \(flags))")
                #expect(size > HKDFSHA256.maximumOutputLength, "\(label): SizeTooLarge with size \(size) ≤ 255·32")
                let error = wycheproofThrownError { _ = try HKDFSHA256.derive(ikm: ikm, salt: salt, info: info, length: size) }
                var matched = false
                if case let .outputTooLong(_, maximum, requested)? = error as? CryptoError {
                    matched = maximum == 255 * 32 && requested == size
                }
                #expect(matched, "\(label): size \(size) must throw outputTooLong(maximum: 8160, requested: \(size)), got \(wycheproofDescribe(error))")
            case let other:
                Issue.record("\(label): unexpected result '\(other)'")
            }
        }
        #expect(checked == file.numberOfTests, "hkdf_sha256: checked \(checked) cases, the file has \(file.numberOfTests)")
        #expect(tooLarge == 3, "hkdf_sha256: \(tooLarge) SizeTooLarge cases, expected 3")
    }

    /// Full 256-bit tags: `authenticate` reproduces the tag and `verify` accepts it. Truncated
    /// 128-bit groups: `verify` compares the first 16 bytes in constant time. Every `invalid`
    /// (modified) tag is refused by `verify` and differs from the computed tag.
    @Test func hmacSHA256Vectors() throws {
        let file = try WycheproofFile("hmac_sha256_test.json")
        var truncated = 0
        let checked = file.forEachCase { group, test, label in
            let tagBytes = try group.int("tagSize") / 8
            let key = try test.hex("key"), msg = try test.hex("msg"), tag = try test.hex("tag")
            let flags = try test.wycheproofFlags()
            #expect(tag.count == tagBytes, "\(label): tag is \(tag.count) bytes, the group's tagSize says \(tagBytes)")
            if tagBytes < HMACSHA256.byteCount { truncated += 1 }
            let computed = Array(HMACSHA256.authenticate(msg, key: key).prefix(tagBytes))
            let accepted = HMACSHA256.verify(tag, message: msg, key: key)
            switch try test.string("result") {
            case "valid":
                #expect(computed == tag, "\(label): HMAC mismatch (\(tagBytes)-byte tag)")
                #expect(accepted, "\(label): verify refused a valid \(tagBytes)-byte tag")
            case "invalid":
                #expect(flags.contains("ModifiedTag"), "\(label): invalid but not flagged ModifiedTag (flags \(flags))")
                #expect(computed != tag, "\(label): the modified tag equals the computed HMAC")
                #expect(!accepted, "\(label): verify accepted a modified \(tagBytes)-byte tag")
            case let other:
                Issue.record("\(label): unexpected result '\(other)'")
            }
        }
        #expect(checked == file.numberOfTests, "hmac_sha256: checked \(checked) cases, the file has \(file.numberOfTests)")
        #expect(truncated == 87, "hmac_sha256: \(truncated) truncated-tag cases, expected 87 (3 groups of tagSize 128)")
    }
}

// MARK: - helpers (private to this file)

/// One parsed Wycheproof file.
private struct WycheproofFile {
    let name: String
    let numberOfTests: Int
    let groups: [[String: Any]]

    init(_ name: String) throws {
        guard let root = try VectorFiles.json("wycheproof/\(name)") as? [String: Any] else {
            throw VectorError(description: "\(name): the top level is not an object")
        }
        self.name = name
        numberOfTests = try root.int("numberOfTests")
        groups = try root.objects("testGroups")
    }

    /// Runs `body` for every test of every group and returns how many cases were visited. A
    /// malformed case or an unexpected throw is recorded as a failure naming the tcId; the other
    /// cases still run.
    func forEachCase(_ body: (_ group: [String: Any], _ test: [String: Any], _ label: String) throws -> Void) -> Int {
        var visited = 0
        for (groupIndex, group) in groups.enumerated() {
            let tests: [[String: Any]]
            do { tests = try group.objects("tests") } catch {
                Issue.record("\(name) group \(groupIndex): \(error)")
                continue
            }
            for test in tests {
                visited += 1
                let label = "\(name) tcId \(test["tcId"].map { "\($0)" } ?? "?")"
                do { try body(group, test, label) } catch {
                    Issue.record("\(label): unexpected error: \(error)")
                }
            }
        }
        return visited
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The case's `flags` list.
    fileprivate func wycheproofFlags() throws -> [String] {
        guard let value = self["flags"] as? [String] else { throw VectorError(description: "field 'flags' missing or not a list of strings") }
        return value
    }
}

/// The error `body` throws, or nil if it returns.
private func wycheproofThrownError(_ body: () throws -> Void) -> (any Error)? {
    do { try body(); return nil } catch { return error }
}

private func wycheproofDescribe(_ error: (any Error)?) -> String {
    error.map { "\($0)" } ?? "no error"
}

extension Optional where Wrapped == any Error {
    fileprivate func isInvalidLength(actual: Int) -> Bool {
        if case let .invalidLength(_, _, reported)? = self as? CryptoError { return reported == actual }
        return false
    }

    fileprivate var isAuthenticationFailure: Bool {
        if case .authenticationFailed? = self as? CryptoError { return true }
        return false
    }
}
