import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabStore

/// `GET /v1/vaults/{vault_id}/audit`: the vault's audit log, newest first, in pages with an
/// opaque cursor and filters (no flood can push history out of reach, since every
/// row stays reachable page by page and a filter finds the rows that matter among many).
struct AuditController {
    let services: Services

    /// The most rows one page returns.
    static let maxPage = 1000

    /// Register on the session group: every route here needs a signed-in account.
    func register(on router: some RouterMethods<SeclabRequestContext>) {
        router.get("/v1/vaults/:vault_id/audit") { request, context in try await self.audit(request, context) }
    }

    func audit(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .auditRead)
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(String(text)), value > 0, value <= Self.maxPage else {
                throw APIError.badRequest(field: "limit", "must be 1 to \(Self.maxPage)")
            }
            limit = value
        }
        let before = try query["cursor"].map { try Self.decodeCursor(String($0)) }
        var filter = AuditFilter()
        if let action = query["action"] {
            guard !action.isEmpty, action.count <= 64, action.allSatisfy({ $0.isLetter || $0 == "." || $0 == "_" }) else {
                throw APIError.badRequest(field: "action", "must be an action name such as item.put")
            }
            filter.action = String(action)
        }
        if let actor = query["actor"] {
            do { filter.actorID = try WireCheck.id(String(actor), field: "actor") } catch { throw APIError.badRequest(error) }
        }
        if let since = query["since"] {
            guard let millis = RFC3339.millis(String(since)) else {
                throw APIError.badRequest(field: "since", "must be an RFC 3339 UTC time such as 2026-12-05T10:00:00Z")
            }
            filter.since = millis
        }
        _ = try await services.authorize(route, need: .owner)
        let (vaultID, rowFilter, rowLimit) = (route.vaultID, filter, limit + 1)
        let rows = try await services.database.read { tx in
            try await tx.auditEvents(vaultID: vaultID, filter: rowFilter, before: before, limit: rowLimit)
        }
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { Self.encodeCursor($0.id) } : nil
        return try JSONBody.response(AuditList(events: page.map { Self.view($0.record) }, nextCursor: next))
    }

    static func view(_ row: AuditRecord) -> AuditEvent {
        let refs = row.keyRefs.isEmpty ? [] : row.keyRefs.split(separator: ",").map(String.init)
        return AuditEvent(time: Clock.rfc3339(row.time), actorID: row.actorID, actorKind: row.actorKind, action: row.action,
                          vaultID: row.vaultID, slotID: row.slotID, targetAccountID: row.targetAccountID, keyRefs: refs,
                          clientAddress: row.clientAddress, outcome: row.outcome,
                          count: row.occurrences == 1 ? nil : Int(row.occurrences),
                          keyRefCount: row.keyRefCount > Int64(refs.count) ? Int(row.keyRefCount) : nil, detail: row.detail)
    }

    /// Why opaque: clients must not build cursors, so the paging key can change later. Today
    /// it is the event id of the last row returned (rows are read by descending id).
    static func encodeCursor(_ id: Int64) -> String { "c1." + Base64URL.encode(Array(String(id).utf8)) }

    static func decodeCursor(_ text: String) throws -> Int64 {
        guard text.hasPrefix("c1."), let bytes = try? Base64URL.decode(text.dropFirst(3)), bytes.count <= 20,
              let id = Int64(String(decoding: bytes, as: UTF8.self)), id > 0 else {
            throw APIError.badRequest(field: "cursor", "not a cursor from a previous page; start again without it")
        }
        return id
    }
}

/// RFC 3339 UTC times (`2026-12-05T10:00:00Z`, fractional seconds allowed) to Unix ms.
enum RFC3339 {
    static func millis(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") || bytes.last == UInt8(ascii: "z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var millis = 0
        let rest = bytes[19..<(bytes.count - 1)]
        if !rest.isEmpty {
            guard rest.first == UInt8(ascii: "."), rest.count >= 2, rest.count <= 10,
                  let fraction = number((20)..<(bytes.count - 1)) else { return nil }
            let digits = rest.count - 1
            millis = digits >= 3 ? fraction / Int(pow10(digits - 3)) : fraction * Int(pow10(3 - digits))
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(millis)
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }
}
