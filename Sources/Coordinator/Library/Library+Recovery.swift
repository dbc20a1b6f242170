#if canImport(Glibc)
import Glibc
#endif
import AtomicFiles
import Foundation

extension Library {
    /// Seconds within which an update of `status.json` by a run on another host counts as that
    /// run being alive (a live run rewrites it every second).
    public static let liveStatusWindow: TimeInterval = 30

    /// Cleans up after an earlier run that ended without doing so (killed, crashed, lost host).
    /// Called by a run holding the library's lock; `previousOwner` is the owner the lock file
    /// recorded (``LibraryLock/previousOwner``). Returns one sentence per thing done.
    ///
    /// When `status.json` still says `running`, the run it names is checked first: alive on this
    /// host (same pid, same start time, same boot), or on another host with `status.json` updated
    /// within ``liveStatusWindow``, throws ``LibraryBusyError`` and changes nothing (a file system
    /// may not share locks between hosts). Otherwise the status is marked `failed`, the library's
    /// control socket and any socket the status names inside the library are removed, and so
    /// are temporary files `.NAME.tmp-PID-*` (top level and concept folders) whose PID runs no
    /// process on this host.
    public func recoverStaleRun(previousOwner: RunOwner?, now: Date = Date()) throws -> [String] {
        var done: [String] = []
        if var status = RunStatus.read(library: self), status.state == .running {
            let owner = previousOwner ?? RunOwner(host: status.host, pid: status.pid, started: status.started)
            switch owner.isAlive() {
            case true?:
                throw LibraryBusyError(library: directory.path, holder: "\(owner.summary), alive but without the lock")
            case nil:
                let modified = (try? FileManager.default.attributesOfItem(atPath: statusURL.path)[.modificationDate] as? Date) ?? nil
                let age = now.timeIntervalSince(modified ?? .distantPast)
                if age < Library.liveStatusWindow {
                    throw LibraryBusyError(library: directory.path, holder: "\(owner.summary); status.json updated \(Int(age.rounded())) s ago, "
                                           + "so that run may be alive (locks may not be shared between hosts here); if it is gone, "
                                           + "re-run after \(Int(Library.liveStatusWindow)) s")
                }
            case false?:
                break
            }
            status.state = .failed
            status.updated = ISO8601DateFormatter().string(from: now)
            try AtomicFile.write(try Library.json(status), to: statusURL)
            done.append("the previous run (\(owner.summary)) ended without finishing (killed or failed): status.json said running, now failed")
            if let file = insideSocket(status.control), unlink(file) == 0 { done.append("removed its control socket \(file)") }
        }
        if unlink(controlSocketURL.path) == 0 { done.append("removed the stale control socket \(controlSocketURL.path)") }
        rmdir(controlFolderURL.path)
        done += try removeDeadWritersFiles()
        return done
    }

    /// The file of an ipc endpoint inside this library (never a path elsewhere).
    func insideSocket(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("ipc://") else { return nil }
        let path = URL(fileURLWithPath: String(endpoint.dropFirst("ipc://".count))).standardizedFileURL.path
        return path.hasPrefix(directory.path + "/") ? path : nil
    }

    /// Removes temporary files of writers no longer running on this host, at the top level and
    /// in the concept folders (links are not followed).
    func removeDeadWritersFiles() throws -> [String] {
        var done: [String] = []
        let fm = FileManager.default
        var folders = [directory]
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var info = stat()
            if lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { folders.append(url) }
        }
        for folder in folders {
            var removed = false
            for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] {
                guard let owner = AtomicFile.temporaryFileOwner(name), !RunOwner.processExists(owner.pid) else { continue }
                let path = folder.appendingPathComponent(name).path
                if unlink(path) == 0 {
                    removed = true
                    done.append("removed \(path), left by process \(owner.pid) (no longer running)")
                }
            }
            if removed { try syncFolder(folder) }
        }
        return done
    }
}
