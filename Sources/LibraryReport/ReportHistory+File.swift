import AtomicFiles
import Foundation

extension ReportHistory {
    /// The largest history file read (100 runs of a few hundred concepts fit many times over).
    public static let maximumFileBytes = 64 << 20

    /// Reads `LIBRARY/report/history.json`; a missing file is an empty history.
    /// - Throws: ``ReportError`` naming the file when it is a folder, unreadable, too large, not
    ///   JSON, of another format version, or has a field of the wrong type (with its key path).
    public static func load(from library: URL) throws -> ReportHistory {
        try load(file: ReportLayout.history(in: library))
    }

    /// Reads a history file; a missing file is an empty history (see ``load(from:)``).
    public static func load(file url: URL) throws -> ReportHistory {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return ReportHistory() }
        guard !isFolder.boolValue else { throw ReportError(path: url.path, problem: "is a folder, not a history file") }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            throw ReportError(path: url.path, problem: "cannot read the history file: \(error.localizedDescription)")
        }
        guard data.count <= maximumFileBytes else {
            throw ReportError(path: url.path, problem: "history file is larger than \(maximumFileBytes) bytes")
        }
        do {
            return try decoder().decode(ReportHistory.self, from: data)
        } catch let error as DecodingError {
            throw ReportError(path: url.path, problem: "not a valid history file: \(describe(error))")
        } catch {
            throw ReportError(path: url.path, problem: "not a valid history file: \(error.localizedDescription)")
        }
    }

    /// Writes `LIBRARY/report/history.json` atomically (readers see the old or the whole new file),
    /// creating `LIBRARY/report` if needed.
    /// - Throws: ``ReportError`` naming the file.
    public func save(to library: URL) throws {
        try ReportLayout.createFolder(in: library)
        let url = ReportLayout.history(in: library)
        let data: Data
        do {
            data = try Self.encoder().encode(self)
        } catch {
            throw ReportError(path: url.path, problem: "cannot encode the history: \(error)")
        }
        do {
            try AtomicFile.write(data + Data("\n".utf8), to: url)
        } catch {
            throw ReportError(path: url.path, problem: "\(error)")
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// A decoding error as `at KEY.PATH: problem`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "the top level" : text)
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "at \(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription
                : "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
