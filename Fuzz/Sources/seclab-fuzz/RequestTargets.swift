import SeclabAPI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every `/v1` JSON request body as the server reads it (SeclabServer's JSONBody: Foundation's
/// JSONDecoder, then `validate()`), without the HTTP layer. Each input is tried as every
/// request type. A body that passes must survive encode → decode → validate unchanged, so
/// what the server stores is what the client meant.
enum RequestTargets {
    static let target = FuzzTarget(name: "api-requests", summary: "JSON decode + validate() of every /v1 request type", run: run)

    static func run(_ data: [UInt8]) {
        let body = Data(data)
        attempt(RegisterAccountRequest.self, body)
        attempt(ChangePassphraseRequest.self, body)
        attempt(SRPStartRequest.self, body)
        attempt(SRPFinishRequest.self, body)
        attempt(CreateVaultRequest.self, body)
        attempt(CreateShareRequest.self, body)
        attempt(RekeyRequest.self, body)
        attempt(PutItemRequest.self, body)
        attempt(BatchGetRequest.self, body)
        attempt(CreateMachineSlotRequest.self, body)
        attempt(MachinePullRequest.self, body)
    }

    static func attempt<T: ValidatedRequest & Equatable>(_ type: T.Type, _ body: Data) {
        guard let value = try? JSONDecoder().decode(T.self, from: body), (try? value.validate()) != nil else { return }
        let again: T
        do {
            again = try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
        } catch {
            check(false, "\(T.self): a valid body does not survive encode/decode: \(error)")
            return
        }
        check(again == value, "\(T.self): encode/decode changed a valid body")
        check((try? again.validate()) != nil, "\(T.self): a valid body is invalid after encode/decode")
    }
}
