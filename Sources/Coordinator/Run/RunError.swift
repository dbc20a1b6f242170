/// A failure of the run itself (MPI, messages, ranks that disagree), not of its input files.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
