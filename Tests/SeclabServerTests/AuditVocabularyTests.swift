import Foundation
import SeclabAPI
import Testing

/// The audit words are an interface: the audit API returns them, owners filter on them and
/// every existing database stores them. A raw value that changes fails here.
@Suite("Audit vocabulary")
struct AuditVocabularyTests {
    @Test func actionsKeepTheirStoredText() {
        #expect(AuditAction.allCases.map(\.rawValue) == [
            "account.create", "account.lookup", "account.passphrase", "auth.logout", "auth.session", "auth.srp", "auth.machine",
            "vault.create", "vault.delete", "vault.rekey", "slot.list", "share.create", "share.delete", "share.accept",
            "share.decline", "item.list", "item.put", "item.delete", "item.batch_get", "audit.read", "machine.create",
            "machine.list", "machine.revoke", "machine.pull", "readyz.probe",
        ])
    }

    /// `outcome` and `actor_kind` are enums in docs/openapi.yaml: the types say the same.
    @Test func outcomesAndActorKindsAreTheDocumentedEnums() throws {
        let yaml = try String(contentsOf: OpenAPICoverageTests.packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        func documented(_ field: String) -> [String]? {
            guard let line = yaml.split(separator: "\n").first(where: { $0.contains("\(field): { type: string, enum: [") }),
                  let open = line.range(of: "enum: ["), let close = line[open.upperBound...].firstIndex(of: "]") else { return nil }
            return line[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        #expect(documented("outcome") == AuditOutcome.allCases.map(\.rawValue))
        #expect(documented("actor_kind") == AuditActorKind.allCases.map(\.rawValue))
    }
}
