import SeclabSRP

/// SRP public values (SeclabSRP, spec §8): the only check between a peer's A or B and the
/// modular arithmetic. Accepted iff exactly 512 bytes, below N and not zero — N is prime, so
/// "≠ 0 mod N" and "≠ 0" coincide below N. Each input is tried as given and as the
/// 512-byte value it starts (zero-padded), so the fuzzer reaches the arithmetic.
enum SRPTargets {
    static let target = FuzzTarget(name: "srp-public", summary: "SRP.parsePublicValue vs. 0 < value < N", run: run)
    static let group = SRPGroup.rfc5054_4096

    static func run(_ data: [UInt8]) {
        checkValue(data)
        if data.count != group.byteCount {
            checkValue(Array(data.prefix(group.byteCount)) + Array(repeating: 0, count: max(0, group.byteCount - data.count)))
            // Right-aligned too: small numbers and values just below N.
            checkValue(Array(repeating: 0, count: max(0, group.byteCount - data.count)) + Array(data.suffix(group.byteCount)))
        }
    }

    static func checkValue(_ value: [UInt8]) {
        let accepted = (try? SRP.parsePublicValue(value, what: "A")) != nil
        let valid = value.count == group.byteCount && value.contains(where: { $0 != 0 })
            && value.lexicographicallyPrecedes(group.modulus)
        check(accepted == valid, "SRP.parsePublicValue: accepted=\(accepted) for a value that is \(valid ? "valid" : "invalid")")
    }
}
