public import SeclabAPI

extension AuditRecord {
    /// An audit row in the API's words (`AuditAction`, `AuditOutcome`, `AuditActorKind`): the
    /// stored text is their raw value, so rows written before these types read the same.
    public init(time: Int64, actorID: String?, actorKind: AuditActorKind, action: AuditAction, vaultID: String? = nil,
                slotID: String? = nil, targetAccountID: String? = nil, keyRefs: [String] = [], clientAddress: String?,
                outcome: AuditOutcome, occurrences: Int64 = 1, detail: String? = nil) {
        self.init(time: time, actorID: actorID, actorKind: actorKind.rawValue, action: action.rawValue, vaultID: vaultID,
                  slotID: slotID, targetAccountID: targetAccountID, keyRefs: keyRefs, clientAddress: clientAddress,
                  outcome: outcome.rawValue, occurrences: occurrences, detail: detail)
    }

    /// The same row with another outcome (a failure that became a throttle or a rate limit).
    public func with(outcome: AuditOutcome) -> AuditRecord {
        var row = self
        row.outcome = outcome.rawValue
        return row
    }
}
