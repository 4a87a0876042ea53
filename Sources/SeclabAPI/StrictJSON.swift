/// The small JSON documents the machine side reads besides the pull, read with the strict
/// reader (`StrictJSONReader`): `seclab-run` links no Foundation, so it has no `JSONDecoder`
/// (docs/architecture.md, "seclab-run stays lean").
public enum StrictJSON {
    /// The string field `key` of the JSON object in `bytes` (every other field is read strictly
    /// and ignored), or nil when the body is not such an object.
    public static func stringField(_ key: String, in bytes: [UInt8]) -> String? {
        var reader = StrictJSONReader(bytes)
        guard let fields = try? reader.object(strings: [key], notObject: "not an object", other: { _, _, _ in false }),
              (try? reader.end()) != nil else { return nil }
        return fields.first
    }
}

extension ErrorResponse {
    /// Read an error body (`{"error": {"code": …, "message": …, "field": …}}`, `field` optional
    /// or null; other fields ignored), or nil when the body is not one.
    public static func read(_ bytes: [UInt8]) -> ErrorResponse? {
        do throws(StrictJSONReader.Failure) {
            var reader = StrictJSONReader(bytes)
            var body: Body? = nil
            _ = try reader.object(strings: [], notObject: "not an object") { (reader, key, _) throws(StrictJSONReader.Failure) in
                guard key == "error" else { return false }
                guard body == nil else { throw StrictJSONReader.Failure("duplicate key error") }
                var field: String? = nil
                var sawField = false
                let parts = try reader.object(strings: ["code", "message"], notObject: "error is not an object") {
                    (reader, key, _) throws(StrictJSONReader.Failure) in
                    guard key == "field" else { return false }
                    guard !sawField else { throw StrictJSONReader.Failure("duplicate key field") }
                    sawField = true
                    field = try reader.optionalStringValue(key)
                    return true
                }
                body = Body(code: parts[0], message: parts[1], field: field)
                return true
            }
            try reader.end()
            return body.map { ErrorResponse(error: $0) }
        } catch {
            return nil
        }
    }
}
