import Foundation

/// Where reports are written: standard error in the command, a closure that collects the text
/// in tests.
///
/// On a terminal the sink also keeps one status line (a progress bar) at the bottom: whole lines
/// written while it is shown appear above it, and it is drawn again below them. Copies share
/// that state, so the log handler and a progress reporter can hold the same sink.
public struct OutputSink: Sendable {
    /// Whether the destination is a terminal: status lines are redrawn in place only there.
    public let isTerminal: Bool
    /// The terminal's width in characters when known; a status line is cut to fit, since one
    /// that wraps can no longer be redrawn in place.
    public let columns: @Sendable () -> Int?
    private let emit: @Sendable (String) -> Void
    private let status: Locked<String?>

    /// A sink that passes every piece of text to `emit`, in order, one call at a time.
    public init(isTerminal: Bool, columns: @escaping @Sendable () -> Int? = { nil },
                emit: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.columns = columns
        self.emit = emit
        status = Locked(nil)
    }

    /// Standard error of this process; a terminal when `isatty(2)` says so.
    public static let standardError = OutputSink(
        isTerminal: isatty(STDERR_FILENO) != 0,
        columns: { terminalColumns(STDERR_FILENO) },
        emit: { text in FileHandle.standardError.write(Data(text.utf8)) })

    /// The width of the terminal on `descriptor`, or nil when it is not one or does not say.
    static func terminalColumns(_ descriptor: Int32) -> Int? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Moves to the start of the line and erases it (the ANSI "erase in line" sequence).
    static let clearLine = "\r\u{1B}[K"

    /// Writes `line` and a newline. A status line on screen is cleared first and drawn again
    /// after it.
    public func writeLine(_ line: String) {
        status.withLock { shown in
            guard let text = shown else {
                emit(line + "\n")
                return
            }
            emit(Self.clearLine + line + "\n" + text)
        }
    }

    /// Shows `text` as the status line, in place of the one before. Only meaningful on a
    /// terminal; elsewhere the caller writes whole lines instead.
    public func showStatus(_ text: String) {
        var fitted = text
        if let width = columns(), fitted.count >= width {
            fitted = String(fitted.prefix(max(width - 1, 0)))
        }
        status.withLock { shown in
            shown = fitted
            emit(Self.clearLine + fitted)
        }
    }

    /// Leaves the status line on screen as an ordinary line and starts a new one.
    public func endStatus() {
        status.withLock { shown in
            guard shown != nil else { return }
            shown = nil
            emit("\n")
        }
    }
}
