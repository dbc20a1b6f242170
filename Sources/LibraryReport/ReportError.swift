/// A report or history file that could not be read or written, or input that cannot be shown.
public struct ReportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file involved (`report/index.html`, `report/history.json`) as a full path.
    public let path: String
    /// What went wrong, for a user, naming the concept and field when the input is at fault.
    public let problem: String

    /// An error about `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
