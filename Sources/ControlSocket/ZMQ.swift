import CZMQ
import Foundation

/// A failed ZeroMQ call, with the text of `zmq_strerror`.
public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The `errno` value reported by `zmq_errno()`, or -1 for errors detected by this wrapper.
    public let code: Int32
    /// The ZeroMQ function or wrapper operation that failed, e.g. `zmq_bind(ipc:///tmp/x)`.
    public let operation: String
    /// The text from `zmq_strerror`, or the wrapper's own explanation.
    public let message: String

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    /// The error for the current `zmq_errno()`.
    static func last(_ operation: String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, operation: operation, message: String(cString: zmq_strerror(code)))
    }

    public var description: String { "\(operation) failed: \(message)" }
}

/// Library facts.
public enum ZMQ {
    /// The libzmq version, e.g. "4.3.4".
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq was built with a capability such as "ipc", "curve" or "draft" (`zmq_has`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}

/// A ZeroMQ context (`zmq_ctx_new`): owns the I/O threads shared by its sockets.
///
/// Thread-safe. It is terminated when the last reference, including each open socket's, goes away.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Creates a socket of `type` in this context.
    public func socket(_ type: ZMQSocket.Kind) throws(ZMQError) -> ZMQSocket {
        try ZMQSocket(context: self, type: type)
    }
}

/// A ZeroMQ socket. Not thread-safe: use each socket from one thread at a time.
///
/// Messages are whole: a multipart message arrives entirely or not at all; ``receive(timeout:)``
/// takes single-part messages only (parts are never joined). A ROUTER socket
/// sees each incoming message prefixed by the sender's routing id, and a reply is routed by
/// sending that id as the first part (see ``send(parts:)`` and ``receiveMultipart(timeout:)``).
public final class ZMQSocket {
    /// Socket patterns (`ZMQ_REQ`, ...).
    public enum Kind: Sendable, CustomStringConvertible {
        case req, rep, dealer, router, pub, sub, push, pull, pair

        var zmqValue: Int32 {
            switch self {
            case .req: ZMQ_REQ
            case .rep: ZMQ_REP
            case .dealer: ZMQ_DEALER
            case .router: ZMQ_ROUTER
            case .pub: ZMQ_PUB
            case .sub: ZMQ_SUB
            case .push: ZMQ_PUSH
            case .pull: ZMQ_PULL
            case .pair: ZMQ_PAIR
            }
        }

        public var description: String {
            switch self {
            case .req: "REQ"
            case .rep: "REP"
            case .dealer: "DEALER"
            case .router: "ROUTER"
            case .pub: "PUB"
            case .sub: "SUB"
            case .push: "PUSH"
            case .pull: "PULL"
            case .pair: "PAIR"
            }
        }
    }

    /// The context this socket lives in (kept alive while the socket is).
    public let context: ZMQContext
    /// The socket pattern.
    public let kind: Kind
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket. Its linger period is 1 s: on close, unsent messages are kept trying
    /// for at most that long (change it with ``setLinger(_:)``).
    public init(context: ZMQContext, type: Kind) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.zmqValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.context = context
        self.kind = type
        self.handle = handle
        try setLinger(.seconds(1))
    }

    deinit {
        if let handle { zmq_close(handle) }
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket (`zmq_close`). Further calls throw; closing twice does nothing.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    /// Listens on an endpoint such as `ipc:///tmp/membrane.sock`, `tcp://127.0.0.1:5555` or
    /// `tcp://127.0.0.1:*` (any free port; read it back with ``lastEndpoint``).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_bind(\(endpoint))")
        if zmq_bind(socket, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// Connects to an endpoint. Connecting succeeds before the peer exists; messages wait for it.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_connect(\(endpoint))")
        if zmq_connect(socket, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// The endpoint last bound or connected, with wildcards resolved (`ZMQ_LAST_ENDPOINT`).
    public var lastEndpoint: String? {
        guard let socket = handle else { return nil }
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size) }
        guard rc == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// How long unsent messages are kept after ``close()`` (`ZMQ_LINGER`); `nil` keeps them forever.
    public func setLinger(_ linger: Duration?) throws(ZMQError) {
        try setOption(ZMQ_LINGER, linger.map(Self.milliseconds) ?? -1, "ZMQ_LINGER")
    }

    /// How long ``send(_:)`` may block before failing with EAGAIN (`ZMQ_SNDTIMEO`); `nil` blocks.
    public func setSendTimeout(_ timeout: Duration?) throws(ZMQError) {
        try setOption(ZMQ_SNDTIMEO, timeout.map(Self.milliseconds) ?? -1, "ZMQ_SNDTIMEO")
    }

    /// Sets the routing id a ROUTER peer sees for this socket (`ZMQ_ROUTING_ID`); before connect.
    public func setRoutingID(_ id: Data) throws(ZMQError) {
        try setOption(ZMQ_ROUTING_ID, bytes: id, "ZMQ_ROUTING_ID")
    }

    /// Subscribes a SUB socket to messages starting with `prefix` (empty: everything).
    public func subscribe(_ prefix: Data = Data()) throws(ZMQError) {
        try setOption(ZMQ_SUBSCRIBE, bytes: prefix, "ZMQ_SUBSCRIBE")
    }

    /// Sends a single-part message. Blocks while the pattern does not allow sending yet.
    public func send(_ data: Data) throws(ZMQError) {
        try send(parts: [data])
    }

    /// Sends a single-part UTF-8 message.
    public func send(_ text: String) throws(ZMQError) {
        try send(Data(text.utf8))
    }

    /// Sends a multipart message: all parts but the last carry `ZMQ_SNDMORE`.
    public func send(parts: [Data]) throws(ZMQError) {
        let socket = try open("zmq_send")
        guard !parts.isEmpty else {
            throw ZMQError(code: -1, operation: "zmq_send", message: "a message needs at least one part")
        }
        for (index, part) in parts.enumerated() {
            let flags: Int32 = index == parts.count - 1 ? 0 : ZMQ_SNDMORE
            while true {
                let rc = part.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                if zmq_errno() != EINTR { throw ZMQError.last("zmq_send") }
            }
        }
    }

    /// One message taken by ``receiveSinglePart(timeout:)``.
    public enum SinglePart: Equatable, Sendable {
        /// A single-part message.
        case data(Data)
        /// A message of several parts, consumed and dropped (its parts are never joined).
        case multipart(parts: Int)
    }

    /// Receives one single-part message, or `nil` if none arrived in time. A multipart message
    /// is consumed and refused: parts are never joined.
    /// - Parameter timeout: how long to wait; `nil` waits forever, `.zero` only checks.
    public func receive(timeout: Duration? = nil) throws(ZMQError) -> Data? {
        switch try receiveSinglePart(timeout: timeout) {
        case nil: return nil
        case .data(let data)?: return data
        case .multipart(let parts)?:
            throw ZMQError(code: -1, operation: "zmq_msg_recv", message: "a message of \(parts) parts where one part was expected")
        }
    }

    /// Receives one message, keeping it only if it has a single part (the parts of a multipart
    /// message are read and dropped without being copied), or `nil` if none arrived in time.
    public func receiveSinglePart(timeout: Duration? = nil) throws(ZMQError) -> SinglePart? {
        var first: Data?
        var count = 0
        let received = try receiveParts(timeout: timeout) { index, part in
            count = index + 1
            if index == 0 { first = Data(part) } else { first = nil }
        }
        guard received else { return nil }
        if count == 1, let first { return .data(first) }
        return .multipart(parts: count)
    }

    /// Receives one message as its list of parts, or `nil` if none arrived in time.
    public func receiveMultipart(timeout: Duration? = nil) throws(ZMQError) -> [Data]? {
        var parts: [Data] = []
        guard try receiveParts(timeout: timeout, { _, part in parts.append(Data(part)) }) else { return nil }
        return parts
    }

    /// Sets the largest message this socket accepts (`ZMQ_MAXMSGSIZE`, per part): a peer sending a
    /// larger one is disconnected before it is buffered. `nil` removes the limit.
    public func setMaxMessageSize(_ bytes: Int?) throws(ZMQError) {
        let socket = try open("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        var value = Int64(bytes ?? -1)
        if zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        }
    }

    /// Reads every part of one message, handing each (valid only during the call) to `part`;
    /// `false` if no message arrived in time.
    private func receiveParts(timeout: Duration?, _ part: (Int, UnsafeRawBufferPointer) -> Void) throws(ZMQError) -> Bool {
        let socket = try open("zmq_msg_recv")
        guard try waitReadable(socket, timeout: timeout) else { return false }
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        var index = 0
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            var rc: Int32
            repeat {
                rc = zmq_msg_recv(message, socket, 0)
            } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 { throw ZMQError.last("zmq_msg_recv") }
            part(index, UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message)))
            index += 1
            if zmq_msg_more(message) == 0 { break }
        }
        return true
    }

    // MARK: Helpers

    private func open(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(code: -1, operation: operation, message: "the socket is closed")
        }
        return handle
    }

    private func waitReadable(_ socket: UnsafeMutableRawPointer, timeout: Duration?) throws(ZMQError) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            var wait = -1
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                wait = remaining <= .zero ? 0 : Self.milliseconds(remaining)
            }
            let rc = zmq_poll(&item, 1, wait)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if zmq_errno() != EINTR { throw ZMQError.last("zmq_poll") }
        }
    }

    private func setOption(_ option: Int32, _ value: Int, _ name: String) throws(ZMQError) {
        let socket = try open("zmq_setsockopt(\(name))")
        var int = Int32(clamping: value)
        if zmq_setsockopt(socket, option, &int, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.last("zmq_setsockopt(\(name))")
        }
    }

    private func setOption(_ option: Int32, bytes: Data, _ name: String) throws(ZMQError) {
        let socket = try open("zmq_setsockopt(\(name))")
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(name))") }
    }

    /// Whole milliseconds in `duration`, rounded up so that a short positive wait is not zero.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        if millis.overflow { return Int(Int32.max) }
        let extra = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(min(millis.partialValue + extra, Int64(Int32.max)))
    }
}
