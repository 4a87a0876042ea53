import SQLKit

/// What a vault holds now: live items and the bytes of their ciphertext texts.
public struct VaultUsage: Sendable, Equatable {
    /// Live (not deleted) items.
    public var items: Int
    /// Bytes of `enc_name` plus `enc_value` over the live items.
    public var bytes: Int
}

extension Transaction {
    /// The live items of `vaultID` other than `excluding` (the item about to be replaced), for
    /// the vault size limit. Run inside the write that adds the item, after the
    /// vault row is locked, so two writers cannot both squeeze under the limit.
    public func vaultUsage(vaultID: String, excluding keyRef: String) async throws -> VaultUsage {
        let row = try await sql.raw("""
            SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(enc_name) + LENGTH(enc_value)), 0) AS bytes
            FROM items WHERE vault_id = \(bind: vaultID) AND deleted = 0 AND key_ref <> \(bind: keyRef)
            """).first()
        guard let row else { return VaultUsage(items: 0, bytes: 0) }
        return VaultUsage(items: try row.decode(column: "n", as: Int.self), bytes: try row.decode(column: "bytes", as: Int.self))
    }
}
