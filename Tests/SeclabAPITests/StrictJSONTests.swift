import SeclabAPI
import Testing

/// The small documents the machine side reads without Foundation (`StrictJSON`,
/// `ErrorResponse.read`): what the server and GitHub send is read; anything else is nil, and
/// the caller falls back to its generic message.
@Suite("Strict JSON documents")
struct StrictJSONTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func errorBodiesAsTheServerWritesThem() {
        #expect(ErrorResponse.read(bytes(#"{"error":{"code":"not_found","message":"no such vault"}}"#))
                == ErrorResponse(error: .init(code: "not_found", message: "no such vault")))
        #expect(ErrorResponse.read(bytes(#"{"error":{"code":"bad_request","field":"items[0].key_ref","message":"not base64url"}}"#))
                == ErrorResponse(error: .init(code: "bad_request", message: "not base64url", field: "items[0].key_ref")))
        #expect(ErrorResponse.read(bytes(#" { "error" : { "code" : "x", "message" : "caf\u00e9", "field" : null, "extra" : [1, {"a": true}] }, "more": 1 } "#))
                == ErrorResponse(error: .init(code: "x", message: "café")))
    }

    @Test(arguments: [
        "", "null", "[]", #"{"error":"nope"}"#, #"{"error":{"code":"x"}}"#, #"{"error":{"code":1,"message":"m"}}"#,
        #"{"error":{"code":"x","message":"m"}} trailing"#, #"{"error":{"code":"x","code":"y","message":"m"}}"#,
        #"{"error":{"code":"x","message":"m"},"error":{"code":"x","message":"m"}}"#, #"{"error":{"code":"x","message":"m","field":3}}"#,
        #"<html>502 Bad Gateway</html>"#, #"{"error":{"code":"x","message":"m"}"#,
    ])
    func anythingElseIsNotAnErrorBody(text: String) {
        #expect(ErrorResponse.read(bytes(text)) == nil)
    }

    @Test func aNamedStringField() {
        #expect(StrictJSON.stringField("value", in: bytes(#"{"count":1,"value":"a.b.c"}"#)) == "a.b.c")
        #expect(StrictJSON.stringField("value", in: bytes(#"{"value":"a\/b"}"#)) == "a/b")
        #expect(StrictJSON.stringField("value", in: bytes(#"{"count":1}"#)) == nil)
        #expect(StrictJSON.stringField("value", in: bytes(#"{"value":1}"#)) == nil)
        #expect(StrictJSON.stringField("value", in: bytes(#"{"value":"a","value":"b"}"#)) == nil)
        #expect(StrictJSON.stringField("value", in: bytes(#"["value"]"#)) == nil)
        #expect(StrictJSON.stringField("value", in: bytes(#"{"value":"a"} x"#)) == nil)
    }
}
