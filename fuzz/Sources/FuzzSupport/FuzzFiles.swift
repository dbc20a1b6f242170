import Foundation

/// Paths the fuzz targets read from the repository, and a scratch folder of their own.
public enum FuzzFiles {
    /// The repository root: `MEMBRANE_REPO` if set, else found from this source file's place
    /// (`<repo>/fuzz/Sources/FuzzSupport/`).
    public static let repository: URL = {
        if let root = ProcessInfo.processInfo.environment["MEMBRANE_REPO"], !root.isEmpty {
            return URL(fileURLWithPath: root)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The embedded model the membrane and tokenizer targets read (`models/shapesworld-a`).
    public static var model: URL { repository.appendingPathComponent("models/shapesworld-a") }

    /// A fresh folder for this process under the system's temporary folder, removed at exit.
    public static let scratch: URL = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("membrane-fuzz-\(getpid())-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            fatalError("fuzz: cannot create \(folder.path): \(error)")
        }
        scratchToRemove = folder.path
        atexit { if let path = scratchToRemove { try? FileManager.default.removeItem(atPath: path) } }
        return folder
    }()

    /// The folder `atexit` removes (a C callback cannot capture it).
    nonisolated(unsafe) private static var scratchToRemove: String?

    /// Stops the process when set-up (not the input) is broken: a fuzz run without its model or
    /// files would test nothing.
    public static func setUp<T>(_ what: String, _ body: () throws -> T) -> T {
        do { return try body() } catch { fatalError("fuzz: cannot \(what): \(error)") }
    }
}
