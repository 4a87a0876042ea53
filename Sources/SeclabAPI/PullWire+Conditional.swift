/// The conditional pull of `seclab-run --watch` (docs/openapi.yaml): a request with
/// `if_revision` is answered `{"revision":N,"unchanged":true}` while the vault is still at N,
/// else in full with its `revision`.
extension PullWire {
    /// `{"revision":N,"unchanged":true}`, byte-identical to `JSONEncoder` with `.sortedKeys`
    /// on `MachinePullUnchanged` (`PullBodyTests`).
    public static func unchanged(revision: Int64) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        writeKey(MachinePullUnchanged.CodingKeys.revision.stringValue, to: &out)
        out += String(revision).utf8
        out.append(UInt8(ascii: ","))
        writeKey(MachinePullUnchanged.CodingKeys.unchanged.stringValue, to: &out)
        out += "true}".utf8
        return out
    }

    /// The revision of an "unchanged" answer, `{"revision":N,"unchanged":true}` exactly (an
    /// answer that also carried keys or items would be ambiguous), or nil for any other body,
    /// which must then be a full response (`response`, `MachinePull.openWhole`).
    public static func unchangedRevision(_ bytes: [UInt8]) -> Int64? {
        do throws(StrictJSONReader.Failure) {
            var reader = StrictJSONReader(bytes)
            guard let revision = try reader.unchangedAnswer() else { return nil }
            try reader.end()
            return revision
        } catch {
            return nil  // not the "unchanged" shape (a full response fails at its first key)
        }
    }
}

extension StrictJSONReader {
    /// The revision of `{"revision":N,"unchanged":true}`, nil when `unchanged` is not true;
    /// throws at the first other key (a full response fails at its first key, `account_id`).
    mutating func unchangedAnswer() throws(Failure) -> Int64? {
        let revisionKey = MachinePullUnchanged.CodingKeys.revision.stringValue
        let unchangedKey = MachinePullUnchanged.CodingKeys.unchanged.stringValue
        var revision: Int64? = nil
        var unchanged: Bool? = nil
        _ = try object(strings: [], notObject: "the body is not a JSON object") { (reader, key, _) throws(Failure) in
            if key == revisionKey, revision == nil {
                revision = try reader.revisionValue()
            } else if key == unchangedKey, unchanged == nil {
                unchanged = try reader.boolValue(unchangedKey)
            } else {
                throw Failure("not an 'unchanged' answer")
            }
            return true
        }
        guard unchanged == true, let revision else { return nil }
        return revision
    }

    /// A vault revision: a JSON integer from -1 to 2^53 (no fraction, no exponent, at most 16 digits).
    mutating func revisionValue() throws(Failure) -> Int64 {
        skipSpace()
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let digitsStart = index
        while index < bytes.count, isDigit(bytes[index]), index - start < 17 { index += 1 }
        let follows = index < bytes.count ? bytes[index] : UInt8(ascii: " ")
        // RFC 8259: no leading zeros (the general decoder refuses "012"; so must this reader).
        let leadingZero = index - digitsStart > 1 && bytes[digitsStart] == UInt8(ascii: "0")
        guard !leadingZero, let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self)), value >= -1,
              !isDigit(follows), follows != UInt8(ascii: "."), follows != UInt8(ascii: "e"), follows != UInt8(ascii: "E") else {
            throw Failure("field revision is not an integer revision")
        }
        return value
    }
}
