#if canImport(Glibc)
import Glibc
#endif
import AtomicFiles
import ControlSocket
import Foundation

/// The coordinator's end of the control socket: a ZeroMQ REP socket taking single-part JSON
/// requests of at most ``maxRequestBytes`` and answering typed ``ControlReply``s.
///
/// An ipc socket is created with mode 0600; the library's default one lives in the folder
/// `.control` (mode 0700, owned by the run's user), so no other user can connect to it.
public final class ControlServer {
    /// The largest request accepted (64 KiB); a peer sending more is disconnected by ZeroMQ
    /// before the message is buffered, and gets no reply.
    public static let maxRequestBytes = 65536

    /// The bound endpoint (a resolved one for `tcp://...:*`).
    public let endpoint: String
    let socket: ZMQSocket
    /// The socket file of an ipc endpoint, removed by ``close()``.
    private let socketFile: String?
    /// The library's control folder when this server uses it, removed by ``close()``.
    private let folder: URL?

    /// Binds `endpoint` (`ipc://PATH` or `tcp://HOST:PORT`) for `library`.
    public init(endpoint: String, library: Library) throws {
        let file = endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : nil
        folder = endpoint == library.defaultControlEndpoint ? library.controlFolderURL : nil
        if let folder { try ControlServer.makePrivateFolder(folder) }
        let socket = try ZMQContext().socket(.rep)
        try socket.setLinger(.zero)
        try socket.setMaxMessageSize(ControlServer.maxRequestBytes)
        try socket.bind(endpoint)
        if let file, chmod(file, 0o600) != 0 {
            let problem = AtomicFile.errorText()
            socket.close()
            throw LibraryError(path: file, problem: "cannot make the control socket private (chmod 600): \(problem)")
        }
        self.socket = socket
        socketFile = file
        self.endpoint = socket.lastEndpoint ?? endpoint
    }

    /// Answers one request if one arrives within `wait`; `false` if none did. Messages that are
    /// not a single-part JSON request get a ``ControlRefusal`` without `answer` being asked.
    @discardableResult
    public func serve(wait: Duration, _ answer: (ControlRequest) -> ControlReply) throws -> Bool {
        guard let message = try socket.receiveSinglePart(timeout: wait) else { return false }
        let reply: ControlReply
        switch message {
        case .multipart(let parts):
            reply = .refused(.multipartMessage(parts: parts))
        case .data(let data):
            if let request = try? ControlCoding.decode(ControlRequest.self, from: data) {
                reply = answer(request)
            } else {
                reply = .refused(.notARequest)
            }
        }
        try socket.send(try ControlCoding.encode(reply))
        return true
    }

    /// Closes the socket and removes its file (and the library's control folder).
    public func close() {
        socket.close()
        if let socketFile { unlink(socketFile) }
        if let folder { rmdir(folder.path) }
    }

    /// Creates `folder` with mode 0700, or checks that an existing one is a real folder (not a
    /// link) of this user, and sets its mode to 0700.
    static func makePrivateFolder(_ folder: URL) throws {
        let path = folder.path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw LibraryError(path: path, problem: "cannot create the control folder: \(AtomicFile.errorText())")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw LibraryError(path: path, problem: "cannot inspect: \(AtomicFile.errorText())") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw LibraryError(path: path, problem: "is not a folder (a link or a file); remove it") }
        guard info.st_uid == geteuid() else {
            throw LibraryError(path: path, problem: "belongs to user \(info.st_uid), not to this run's user \(geteuid()); remove it")
        }
        guard chmod(path, 0o700) == 0 else { throw LibraryError(path: path, problem: "cannot set mode 700: \(AtomicFile.errorText())") }
    }
}
