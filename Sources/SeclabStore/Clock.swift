#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Wall-clock helpers: the store keeps Unix milliseconds, the wire RFC 3339 text.
public enum Clock {
    /// Now, in Unix milliseconds.
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// RFC 3339 UTC text with millisecond precision, e.g. `2026-11-23T19:24:00.123Z`.
    public static func rfc3339(_ millis: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
