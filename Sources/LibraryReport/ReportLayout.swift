import AtomicFiles
import Foundation

/// The names of the report's files inside a library folder.
///
/// ```
/// LIBRARY/
///   report/index.html     the report (LibraryReportWriter)
///   report/history.json   every concept's figures over past runs (ReportHistory)
/// ```
///
/// The report links library files as `../PATH`, so `report` must not be a concept's name.
public enum ReportLayout {
    /// The report's folder at the top level of the library.
    public static let folder = "report"
    /// The report page inside ``folder``.
    public static let page = "index.html"
    /// The history file inside ``folder``.
    public static let history = "history.json"

    /// `LIBRARY/report`.
    public static func folder(in library: URL) -> URL {
        library.appendingPathComponent(folder, isDirectory: true)
    }

    /// `LIBRARY/report/index.html`.
    public static func page(in library: URL) -> URL {
        folder(in: library).appendingPathComponent(page)
    }

    /// `LIBRARY/report/history.json`.
    public static func history(in library: URL) -> URL {
        folder(in: library).appendingPathComponent(history)
    }

    /// Creates `LIBRARY/report` if missing (and syncs the library folder so it survives a power cut).
    /// - Throws: ``ReportError`` naming the folder.
    static func createFolder(in library: URL) throws {
        let url = folder(in: library)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw ReportError(path: url.path, problem: "exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ReportError(path: url.path, problem: "cannot create the report folder: \(error.localizedDescription)")
        }
        do {
            try AtomicFile.syncFolder(library)
        } catch {
            throw ReportError(path: url.path, problem: "created, but \(error)")
        }
    }
}
