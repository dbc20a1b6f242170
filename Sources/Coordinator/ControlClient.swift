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

    /// Sends one request and returns the reply, or `nil` if no run answered within `timeout`.
    public static func request(_ text: String, endpoint: String, timeout: Duration = .seconds(3)) throws -> Data? {
        if endpoint.hasPrefix("ipc://") {
            let path = String(endpoint.dropFirst("ipc://".count))
            if !FileManager.default.fileExists(atPath: path) { return nil }
        }
        let socket = try ZMQContext().socket(.req)
        try socket.setLinger(.zero)
        try socket.setSendTimeout(timeout)
        try socket.connect(endpoint)
        try socket.send(text)
        let reply = try socket.receive(timeout: timeout)
        socket.close()
        return reply
    }

    /// The live status of the library's run, or `nil` if no run answers.
    public static func liveStatus(endpoint: String) throws -> RunStatus? {
        guard let data = try request("status", endpoint: endpoint) else { return nil }
        return try RunStatus.decoder.decode(RunStatus.self, from: data)
    }
}
