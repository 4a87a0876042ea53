// seclab-bench-crypto: micro-benchmarks of the crypto core, each beside the raw libsodium
// call where one exists, so the wrapper's overhead is visible. Release mode only; run via
// `bench/crypto-bench`, which records the machine with the results.
import CSodium
import SeclabAPI
import SeclabFormat
import SeclabHPKE
import SeclabKeys
import SeclabMachine
import SeclabPrimitives
import SeclabSRP

#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock nanoseconds from a monotonic clock.
func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Median, min and max of `runs` timings of `body` after `warmup` untimed calls, in ms.
func measure(runs: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> (median: Double, min: Double, max: Double) {
    for _ in 0..<warmup { try body() }
    var samples = [Double]()
    for _ in 0..<runs {
        let start = now()
        try body()
        samples.append(Double(now() - start) / 1_000_000)
    }
    samples.sort()
    return (samples[samples.count / 2], samples.first!, samples.last!)
}

nonisolated(unsafe) var rows: [(String, String, (median: Double, min: Double, max: Double))] = []
func record(_ name: String, _ kind: String, _ result: (median: Double, min: Double, max: Double)) {
    rows.append((name, kind, result))
    print("  \(name) [\(kind)]: median \(format(result.median)) ms", to: &standardError)
}
/// The recorded rows as a Markdown table on stdout.
func printRows() {
    print("| operation | implementation | median ms | min ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for (name, kind, result) in rows {
        print("| \(name) | \(kind) | \(format(result.median)) | \(format(result.min)) | \(format(result.max)) |")
    }
}
func format(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
nonisolated(unsafe) var standardError = StandardError()

Sodium.ready()

// MARK: XChaCha20-Poly1305 open of 1,000 items of 40 bytes
let key = SymmetricKey.random()
let aad = Array("seclab/v1/item-value".utf8) + randomBytes(count: 64)
let sealed: [(nonce: [UInt8], ciphertext: [UInt8])] = (0..<1000).map { _ in
    randomBytes(count: 40).withUnsafeBytes { XChaCha20Poly1305.seal($0, key: key, aad: aad) }
}
record("XChaCha20-Poly1305 open, 1,000 × 40 B", "seclab", try measure(runs: 50) {
    for item in sealed { _ = try XChaCha20Poly1305.open(item.ciphertext, key: key, nonce: item.nonce, aad: aad) }
})
let rawKey = key.secretBytes.unprotectedArray()
var rawOut = [UInt8](repeating: 0, count: 64)
record("XChaCha20-Poly1305 open, 1,000 × 40 B", "libsodium", measure(runs: 50) {
    for item in sealed {
        var outLength: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_decrypt(&rawOut, &outLength, nil, item.ciphertext, UInt64(item.ciphertext.count),
                                                        aad, UInt64(aad.count), item.nonce, rawKey)
    }
})

// MARK: items: decrypt name + value and re-check the blind index, 1,000 items
let context = VaultContext(ownerAccountID: .random(), vaultID: .random())
let cipher = ItemCipher(vaultKey: .generate(), indexKey: .generate(), context: context)
let items = try (0..<1000).map { i in
    try cipher.seal(name: ItemName("SECRET_\(i)"), value: SecretBytes(copying: randomBytes(count: 40)))
}
record("item open (name + value + key_ref re-check), 1,000 items", "seclab", try measure(runs: 30) {
    for item in items { _ = try cipher.open(item) }
})

// MARK: a machine pull's client side: read the served response, open every item
// What seclab-run does between the last byte of the answer and building the environment
// (bench/run's time to child includes it); `--pull-only` runs just this part.
for count in [100, 1000] {
    let credential = MachineCredential.generate(for: context)
    let vaultKey = VaultKey.generate(), indexKey = IndexKey.generate()
    let pullCipher = ItemCipher(vaultKey: vaultKey, indexKey: indexKey, context: context)
    let views = try (0..<count).map { i in
        let item = try pullCipher.seal(name: ItemName("SECRET_" + String(String(i + 100000).dropFirst())),
                                       value: SecretBytes(copying: Array(Base64URL.encode(randomBytes(count: 40)).utf8)))
        return ItemView(keyRef: item.keyRef.text, encName: item.encName.text, encValue: item.encValue.text,
                        updatedAt: "2026-12-05T17:29:04.664Z", deleted: false)
    }
    let body = PullWire.body(MachinePullResponse(
        accountID: context.ownerAccountID.text, vaultID: context.vaultID.text, slotID: credential.slotID.text,
        wrappedVK: MachineSlot.wrap(vaultKey, with: credential.unwrapKey, in: context, slotID: credential.slotID).text,
        wrappedIndexKey: vaultKey.wrap(indexKey, in: context).text, items: views, revision: 7))
    record("pull response read (strict JSON), \(count) items, \(body.count / 1024) KiB", "seclab", try measure(runs: 30) {
        _ = try PullWire.response(body)
    })
    // What seclab-run reads with: each item's fields as positions in the body, no strings.
    record("pull response read as positions (PullWire.spans), \(count) items", "seclab", try measure(runs: 30) {
        _ = try PullWire.spans(body, itemsAfterKeys: { _ in nil })
    })
    record("pull response read + open every item, \(count) items", "seclab", try measure(runs: 30) {
        _ = try MachinePull.open(served: body, credential: credential)
    })
}
if CommandLine.arguments.contains("--pull-only") {
    printRows()
    exit(0)
}

// MARK: HPKE auth open (a vault key slot)
let owner = AccountKeyPair.generate()
let vk = VaultKey.generate()
let slotID = SeclabID.random()
let wrap = try PublicKeySlot.wrap(vk, to: owner.publicKey, from: owner.privateKey, in: context, slotID: slotID)
record("HPKE auth open (vault key slot)", "seclab", try measure(runs: 200) {
    _ = try PublicKeySlot.unwrap(wrap, recipient: owner.privateKey, sender: owner.publicKey, in: context, slotID: slotID)
})
// Floor: the two X25519 operations an auth-mode open cannot avoid, raw.
let peer = randomBytes(count: 32), scalar = randomBytes(count: 32)
var shared = [UInt8](repeating: 0, count: 32)
record("HPKE auth open floor: 2 × crypto_scalarmult", "libsodium", measure(runs: 200) {
    _ = crypto_scalarmult(&shared, scalar, peer)
    _ = crypto_scalarmult(&shared, scalar, peer)
})

// MARK: Argon2id p1 and m1
let password = Array("correct horse battery staple".utf8)
let salt = randomBytes(count: 16)
for profile in [Argon2id.Profile.p1, .m1] {
    record("Argon2id \(profile.rawValue) (t=\(profile.opsLimit), m=\(profile.memLimit >> 20) MiB)", "seclab", try measure(runs: 7, warmup: 1) {
        _ = try password.withUnsafeBytes { try Argon2id.derive(password: $0, salt: salt, profile: profile) }
    })
    var out = [UInt8](repeating: 0, count: 32)
    record("Argon2id \(profile.rawValue) (t=\(profile.opsLimit), m=\(profile.memLimit >> 20) MiB)", "libsodium", measure(runs: 7, warmup: 1) {
        _ = password.withUnsafeBufferPointer { pw in
            pw.withMemoryRebound(to: CChar.self) { p in
                crypto_pwhash(&out, 32, p.baseAddress!, UInt64(p.count), salt, UInt64(profile.opsLimit), profile.memLimit, crypto_pwhash_ALG_ARGON2ID13)
            }
        }
    })
}
let phc = try password.withUnsafeBytes { try Argon2id.hashString(password: $0, profile: .m1) }
record("Argon2id m1 verify of a PHC string (server, per cold machine auth)", "seclab", measure(runs: 7, warmup: 1) {
    _ = password.withUnsafeBytes { Argon2id.verify(hashString: phc, password: $0) }
})

// MARK: SRP-6a
let x = SecretBytes.random(count: 32)
let verifier = SRP.verifier(x: x)
let identity = SeclabID.random().bytes
let srpSalt = randomBytes(count: 16)
record("SRP verifier v = g^x (sign-up, passphrase change)", "seclab", measure(runs: 20) { _ = SRP.verifier(x: x) })
record("SRP server start: b, B = kv + g^b", "seclab", try measure(runs: 20) { _ = try SRPServer(verifier: verifier) })
let server = try SRPServer(verifier: verifier)
record("SRP client: A = g^a", "seclab", measure(runs: 20) { _ = SRPClient() })
let client = SRPClient()
record("SRP client respond: u, S, K, M1", "seclab", try measure(runs: 20) {
    _ = try client.respond(identity: identity, salt: srpSalt, x: x, serverPublicValue: server.publicValue)
})
let proof = try client.respond(identity: identity, salt: srpSalt, x: x, serverPublicValue: server.publicValue)
record("SRP server verify: S, M1 check, M2", "seclab", try measure(runs: 20) {
    _ = try server.verify(identity: identity, salt: srpSalt, clientPublicValue: client.publicValue, clientProof: proof.clientProof)
})

// MARK: output
printRows()
