#if canImport(Glibc)
import Glibc
#endif
import Foundation
import AtomicFiles
import Evaluation
import SafeTensors

/// A file-system problem in the library, with the path involved.
public struct LibraryError: Error, CustomStringConvertible, Equatable {
    /// The file or folder concerned.
    public let path: String
    /// What went wrong, for a user.
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// A library entry in `index.json`: one trained membrane and how it was made.
public struct LibraryEntry: Codable, Equatable, Sendable {
    /// Loss parts of the last iteration.
    public struct Metrics: Codable, Equatable, Sendable {
        public var erase: Float
        public var anchoring: Float
        public var total: Float
    }

    public var concept: String
    /// The erased concepts (the membrane's `prompts`).
    public var targets: [String]
    /// The job's content hash (base model fingerprint + resolved config + format version).
    public var hash: String
    /// The base model folder's name and its UNet fingerprint.
    public var baseModel: String
    public var baseFingerprint: String
    public var iterations: Int
    /// Ranks that trained it (the group size; the gradient summation order depends on it).
    public var groupSize: Int
    public var metrics: Metrics
    /// Training time, seconds (all runs, when resumed).
    public var seconds: Double
    /// When it was finished (ISO 8601, UTC).
    public var finished: String
    /// The host of the run that wrote it (absent in indexes of older versions). Timings, dates
    /// and hosts are kept here, never in the membrane file, whose bytes depend on its inputs only.
    public var host: String?
    /// The membrane file, relative to the library folder: the published one, or the candidate
    /// when the membrane missed its gate.
    public var file: String
    /// The evaluation after training; absent when the catalog asks for none.
    public var evaluation: EvaluationRecord?
}

/// `index.json`: every finished membrane of a library, by concept name.
public struct LibraryIndex: Codable, Equatable, Sendable {
    public var formatVersion: Int = 1
    public var entries: [String: LibraryEntry] = [:]
    public init() {}
}

/// A library folder, laid out as ``LibraryLayout`` describes.
public struct Library: Sendable {
    /// The library folder.
    public let directory: URL
    /// Makes a folder's entries durable (`fsync` of the folder); replaceable to observe it in tests.
    public var syncFolder: @Sendable (URL) throws -> Void = { try AtomicFile.syncFolder($0) }

    /// A library at `directory` (nothing is created yet).
    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// The folder of a concept.
    public func folder(_ concept: String) -> URL {
        directory.appendingPathComponent(LibraryLayout.names(of: concept).folder, isDirectory: true)
    }
    /// The membrane file of a concept.
    public func membraneURL(_ concept: String) -> URL { folder(concept).appendingPathComponent(LibraryLayout.names(of: concept).membrane) }
    /// The folder of a concept's membrane that was evaluated but not published.
    public func candidateFolder(_ concept: String) -> URL { folder(concept).appendingPathComponent(LibraryLayout.candidate, isDirectory: true) }
    /// The candidate membrane file of a concept.
    public func candidateURL(_ concept: String) -> URL { candidateFolder(concept).appendingPathComponent(LibraryLayout.names(of: concept).membrane) }
    /// The evaluation folder of a concept's published membrane.
    public func evaluationFolder(_ concept: String) -> URL { folder(concept).appendingPathComponent(LibraryLayout.evaluation, isDirectory: true) }
    /// The checkpoint of an unfinished job.
    public func checkpointURL(_ concept: String) -> URL { folder(concept).appendingPathComponent(LibraryLayout.checkpoint) }
    public var indexURL: URL { directory.appendingPathComponent(LibraryLayout.index) }
    public var statusURL: URL { directory.appendingPathComponent(LibraryLayout.status) }
    public var lockURL: URL { directory.appendingPathComponent(LibraryLayout.lock) }
    /// The folder of the default control socket.
    public var controlFolderURL: URL { directory.appendingPathComponent(LibraryLayout.controlFolder, isDirectory: true) }
    /// The default control socket's file.
    public var controlSocketURL: URL { controlFolderURL.appendingPathComponent(LibraryLayout.controlSocket) }
    /// The default control endpoint: a Unix socket inside the library.
    public var defaultControlEndpoint: String { "ipc://" + controlSocketURL.path }

    /// Creates the library folder (and parents) if needed; a created folder is made durable in
    /// its parent.
    public func create() throws {
        try makeFolder(directory)
    }

    /// Creates a concept's folder if needed, and syncs the library folder so the entry survives a
    /// power cut.
    public func createFolder(_ concept: String) throws {
        try makeFolder(folder(concept))
    }

    /// Creates `url` (and parents) if it does not exist, then syncs its parent.
    private func makeFolder(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw LibraryError(path: url.path, problem: "exists but is not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try syncFolder(url.deletingLastPathComponent())
        } catch {
            throw LibraryError(path: url.path, problem: "cannot create the folder: \(error)")
        }
    }

    /// The index; an empty one if the library has none yet.
    public func readIndex() throws -> LibraryIndex {
        guard let data = FileManager.default.contents(atPath: indexURL.path) else { return LibraryIndex() }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(LibraryIndex.self, from: data) } catch {
            throw LibraryError(path: indexURL.path, problem: "unreadable index (\(error)); move it away to rebuild the library")
        }
    }

    /// Replaces the index atomically.
    public func writeIndex(_ index: LibraryIndex) throws {
        try AtomicFile.write(try Library.json(index), to: indexURL)
    }

    /// Whether the library holds the finished membrane of `job`: an index entry with the job's
    /// hash (and, when the job is evaluated, the evaluation's hash), and the entry's membrane
    /// file (published or candidate) carrying the same job hash in its metadata.
    public func isComplete(_ job: Job, index: LibraryIndex) -> Bool {
        guard let entry = index.entries[job.name], entry.hash == job.hash else { return false }
        guard entry.evaluation?.hash == job.evaluation?.hash else { return false }
        let expected = [membraneURL(job.name), candidateURL(job.name)].first { relativePath($0) == entry.file }
        guard let expected, let file = try? SafeTensorsFile(url: expected) else { return false }
        return file.metadata["membrane.job_hash"] == job.hash
    }

    /// `url`'s path relative to the library folder.
    public func relativePath(_ url: URL) -> String {
        let base = directory.path.hasSuffix("/") ? directory.path : directory.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// Pretty, sorted JSON for the library's files.
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(value)
    }
}
