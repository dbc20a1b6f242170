/// Text that names no ``Transport``.
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text given.
    public var text: String

    /// An error about `text`.
    public init(text: String) { self.text = text }

    public var description: String {
        "'\(text)' is not a transport: use \(Transport.acceptedNames)"
    }
}
