import ArgumentParser
import Membranes

extension Transport {
    /// The transport named by the value of `--transport` (or one of `--transports`); a bad
    /// name is a usage error.
    init(flag text: String) throws(ValidationError) {
        do {
            try self.init(parsing: text)
        } catch {
            throw ValidationError("--transport must be \(Transport.acceptedNames), not '\(error.text)'")
        }
    }
}
