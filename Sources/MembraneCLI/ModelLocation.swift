import Foundation

/// Finds the embedded default model (`models/shapesworld-a` in the repository) when `--model`
/// is omitted: `$MEMBRANE_MODEL`, then upwards from the executable, then the working directory.
enum ModelLocation {
    static let embeddedRelativePath = "models/shapesworld-a"

    static func resolve(_ given: String?) throws -> URL {
        if let given { return URL(fileURLWithPath: given) }
        if let env = ProcessInfo.processInfo.environment["MEMBRANE_MODEL"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(embeddedRelativePath)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("model_index.json").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(embeddedRelativePath)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        throw CLIError("no --model given and the embedded model \(embeddedRelativePath) was not found next to the executable or in the working directory")
    }
}

/// A user-facing error: printed as is, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}
