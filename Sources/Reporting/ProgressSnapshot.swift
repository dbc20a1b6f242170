import Foundation

/// Where a run stood at one update: what a progress line shows.
struct ProgressSnapshot {
    /// What runs, for example `train`.
    var label: String
    /// Units done so far, counting those done before the reporter was made.
    var done: Int
    var total: Int
    /// Named numbers shown after the count, in order (`erase 0.00812`).
    var values: [(name: String, value: Double)]
    /// What one unit is called in the rate (`it` gives `it/s`).
    var unit: String
    /// Units done since the reporter was made.
    var counted: Int
    /// Seconds since the reporter was made.
    var elapsed: Double

    /// Units per second since the reporter was made; nil before any unit or time.
    var rate: Double? {
        guard counted > 0, elapsed > 0 else { return nil }
        return Double(counted) / elapsed
    }

    /// Seconds left at the current rate; nil while the rate is unknown.
    var remaining: Double? {
        rate.map { Double(max(total - done, 0)) / $0 }
    }

    /// Whether the run has reached its total.
    var finished: Bool { done >= total }

    /// Whole percent done, 0 to 100.
    var percent: Int {
        guard total > 0 else { return 100 }
        return min(max(done, 0) * 100 / total, 100)
    }
}
