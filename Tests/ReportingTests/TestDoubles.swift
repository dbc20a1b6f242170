import Foundation
@testable import Reporting

/// Collects what a sink is given, as one string and as separate writes.
final class CapturedOutput: Sendable {
    private let writes = Locked<[String]>([])

    /// A sink that records into this capture.
    func sink(isTerminal: Bool, columns: Int? = nil) -> OutputSink {
        OutputSink(isTerminal: isTerminal, columns: { columns }) { [writes] text in
            writes.withLock { $0.append(text) }
        }
    }

    /// Every write, in order.
    var pieces: [String] { writes.withLock { $0 } }

    /// All text written, joined.
    var text: String { pieces.joined() }

    /// The text split into lines, without the empty piece after a final newline.
    var lines: [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

/// A clock that stands still until a test moves it.
final class ManualClock: Sendable {
    private let current: Locked<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_796_126_400)) {
        current = Locked(start)
    }

    func advance(_ seconds: Double) {
        current.withLock { $0 += seconds }
    }

    /// A closure reading this clock, for the code under test.
    var now: @Sendable () -> Date {
        { [current] in current.withLock { $0 } }
    }
}

/// Parses one JSON-lines line back into an object.
func jsonObject(_ line: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
    guard let object = value as? [String: Any] else {
        throw CocoaError(.coderReadCorrupt, userInfo: [NSDebugDescriptionErrorKey: "not an object: \(line)"])
    }
    return object
}
