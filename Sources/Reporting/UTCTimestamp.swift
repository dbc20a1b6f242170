import Foundation

/// ISO 8601 time stamps in UTC to the second, `2026-12-01T12:00:00Z`.
///
/// Built with `gmtime_r` rather than a shared `ISO8601DateFormatter`, which is neither cheap to
/// create per line nor documented as safe to share between threads.
enum UTCTimestamp {
    static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
