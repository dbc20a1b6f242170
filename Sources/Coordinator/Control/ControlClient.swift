import ControlSocket
import Foundation

/// The client side of the control socket: `membrane status` and `membrane cancel`.
public enum ControlClient {
    /// Where the library's run listens: `--control` if given, else the endpoint recorded in
    /// `status.json`, else the default ipc socket in the library.
    public static func endpoint(library: Library, option: String?) throws -> String {
        if let option { return try CatalogRun.controlEndpoint(option, library: library) }
        if let status = RunStatus.read(library: library), !status.control.isEmpty {
            return status.control.replacingOccurrences(of: "tcp://*:", with: "tcp://127.0.0.1:")
                .replacingOccurrences(of: "tcp://0.0.0.0:", with: "tcp://127.0.0.1:")
        }
        return library.defaultControlEndpoint
    }

    /// The largest reply accepted (a status of many thousands of jobs fits).
    public static let maxReplyBytes = 16 << 20

    /// Sends one request and returns the reply, or `nil` if no run answered within `timeout`.
    public static func send(_ request: ControlRequest, endpoint: String, timeout: Duration = .seconds(3)) throws -> ControlReply? {
        if endpoint.hasPrefix("ipc://") {
            let path = String(endpoint.dropFirst("ipc://".count))
            if !FileManager.default.fileExists(atPath: path) { return nil }
        }
        let socket = try ZMQContext().socket(.req)
        defer { socket.close() }
        try socket.setLinger(.zero)
        try socket.setMaxMessageSize(maxReplyBytes)
        try socket.setSendTimeout(timeout)
        try socket.connect(endpoint)
        try socket.send(try ControlCoding.encode(request))
        guard let data = try socket.receive(timeout: timeout) else { return nil }
        do { return try ControlCoding.decode(ControlReply.self, from: data) } catch {
            throw RunError("\(endpoint) answered with something that is not a control reply: \(error)")
        }
    }

    /// The live status of the library's run, or `nil` if no run answers.
    public static func liveStatus(endpoint: String) throws -> RunStatus? {
        switch try send(.status, endpoint: endpoint) {
        case .status(let status)?: return status
        case .refused(let reason)?: throw RunError("\(endpoint): \(reason.text)")
        default: return nil
        }
    }
}
