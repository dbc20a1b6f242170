/// An error from loading tokenizer files; the description names the file at fault.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: String, Equatable, Sendable {
        /// A required file does not exist or cannot be read.
        case missingFile
        /// A file exists but its contents are malformed.
        case invalidFile
    }

    /// What went wrong.
    public let kind: Kind
    /// The file the error is about.
    public let path: String
    /// Human-readable details (without the path).
    public let message: String

    /// Creates an error for `path`.
    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// `<path>: <message>`.
    public var description: String { "\(path): \(message)" }
}
