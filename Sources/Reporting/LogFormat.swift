/// How log lines are written.
///
/// The raw values are the spellings accepted on the command line (`--log-format text|json`).
public enum LogFormat: String, CaseIterable, Codable, Sendable {
    /// One readable line per entry: `2026-12-01T12:00:00Z info coordinator: message key=value`.
    case text
    /// One JSON object per line with `time`, `level`, `label`, `message` and, when there is
    /// any, a `metadata` object; keys sorted.
    case jsonLines = "json"
}
