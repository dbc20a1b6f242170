#if canImport(Glibc)
import Glibc
#endif
import Foundation
import AtomicFiles
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
    /// The membrane file, relative to the library folder.
    public var file: String
}

/// `index.json`: every finished membrane of a library, by concept name.
public struct LibraryIndex: Codable, Equatable, Sendable {
    public var formatVersion: Int = 1
    public var entries: [String: LibraryEntry] = [:]
    public init() {}
}

/// A library folder: `<concept>/<concept>.safetensors` (reference-compatible membranes),
/// `<concept>/checkpoint.safetensors` while a job is unfinished, `index.json`, `status.json`,
/// the lock file `.membrane.lock` and the control socket `control.sock`.
public struct Library: Sendable {
    /// The library folder.
    public let directory: URL

    /// A library at `directory` (nothing is created yet).
    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// The folder of a concept.
    public func folder(_ concept: String) -> URL { directory.appendingPathComponent(concept, isDirectory: true) }
    /// The membrane file of a concept.
    public func membraneURL(_ concept: String) -> URL { folder(concept).appendingPathComponent(concept + ".safetensors") }
    /// The checkpoint of an unfinished job.
    public func checkpointURL(_ concept: String) -> URL { folder(concept).appendingPathComponent("checkpoint.safetensors") }
    public var indexURL: URL { directory.appendingPathComponent("index.json") }
    public var statusURL: URL { directory.appendingPathComponent("status.json") }
    public var lockURL: URL { directory.appendingPathComponent(".membrane.lock") }
    /// The default control endpoint: a Unix socket inside the library.
    public var defaultControlEndpoint: String { "ipc://" + directory.appendingPathComponent("control.sock").path }

    /// Creates the library folder (and parents) if needed.
    public func create() throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw LibraryError(path: directory.path, problem: "cannot create the library folder: \(error.localizedDescription)")
        }
    }

    /// Creates a concept's folder if needed.
    public func createFolder(_ concept: String) throws {
        do { try FileManager.default.createDirectory(at: folder(concept), withIntermediateDirectories: true) } catch {
            throw LibraryError(path: folder(concept).path, problem: "cannot create: \(error.localizedDescription)")
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
    /// hash, and the membrane file carrying the same hash in its metadata.
    public func isComplete(_ job: Job, index: LibraryIndex) -> Bool {
        guard let entry = index.entries[job.name], entry.hash == job.hash else { return false }
        guard let file = try? SafeTensorsFile(url: membraneURL(job.name)) else { return false }
        return file.metadata["membrane.job_hash"] == job.hash
    }

    /// Pretty, sorted JSON for the library's files.
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(value)
    }
}
