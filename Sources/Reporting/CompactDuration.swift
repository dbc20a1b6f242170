/// Short durations for progress lines and status tables: `45s`, `1m05s`, `2h03m`.
public enum CompactDuration {
    /// `seconds` rounded to the second, in the largest two units that matter; `--` when the
    /// duration is unknown (negative, infinite or not a number).
    public static func string(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + twoDigits(whole % 60) + "s" }
        return "\(whole / 3600)h" + twoDigits(whole / 60 % 60) + "m"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
