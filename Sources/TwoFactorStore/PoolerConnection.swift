import Glibc
import TwoFactorCore

/// The login process's session with the local pooler (PgBouncer) on its Unix socket in the
/// pooler directory, speaking the PostgreSQL v3 protocol itself (`PostgresSession`).
///
/// It reads no environment and no file but the socket: no libpq, no `PG*` variable, no
/// service file, no message catalog can change where it connects or what it believes.
/// There is no TCP and no credential: the socket directory (root and the pooler's user
/// only) is the access control, and the pooler holds the TLS and the database's role.
///
/// Connecting and start-up share one deadline of `timeoutSeconds`, and each call has its
/// own. Every failure (a directory others could write to, no socket, a timeout, a lost
/// connection, any malformed, oversized, out-of-order or unasked-for message, a request
/// for a password) is `EnrollmentStoreError(.databaseUnavailable, ...)`, and the connection is
/// closed and unusable after it. Closed by `close()` or when released.
public final class PoolerConnection: FleetConnection {
    private var socket: Int32 = -1
    private var session = PostgresSession()
    private var buffer: [UInt8] = []
    private var offset = 0
    private let timeoutSeconds: Int

    /// Connects to the pooler of `settings` and completes start-up.
    public init(_ settings: FleetSettings) throws(EnrollmentStoreError) {
        timeoutSeconds = min(max(settings.timeoutSeconds, 1), 3600)
        let deadline = Deadline(seconds: timeoutSeconds)
        try Self.checkDirectory(settings.poolerDirectory)
        do throws(EnrollmentStoreError) {
            try connect(to: settings.poolerSocketPath, deadline: deadline)
            let startup: [UInt8]
            do throws(PostgresWireError) {
                startup = try PostgresFrontendMessage.startup(user: Pooler.clientUser, database: Pooler.database,
                                                              applicationName: "swift-2fa")
            } catch {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: \(error.description)")
            }
            try send(startup, deadline: deadline)
            guard try receiveEvent(deadline: deadline) == .ready else {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: no ready session after start-up")
            }
        } catch {
            close()
            throw error
        }
    }

    /// Takes over the connection `descriptor` that another instance of the module in the
    /// same PAM stack handed on idle (`handOver()`). Checked first: it must still be a
    /// connected Unix stream socket whose peer is this configuration's pooler socket.
    /// Otherwise it is closed and `EnrollmentStoreError(.databaseUnavailable, ...)` thrown; the
    /// caller then connects anew.
    public init(resuming descriptor: Int32, settings: FleetSettings) throws(EnrollmentStoreError) {
        timeoutSeconds = min(max(settings.timeoutSeconds, 1), 3600)
        socket = descriptor
        session = .resumed()
        guard Self.isConnected(descriptor, to: settings.poolerSocketPath) else {
            close()
            throw EnrollmentStoreError(.databaseUnavailable, "pooler: the connection handed on is not one to \(settings.poolerSocketPath)")
        }
    }

    deinit { close() }

    /// Gives up the connection without closing it, for a later instance of the module in
    /// the same stack: its descriptor when the session is idle with nothing unread, else
    /// nil (and it is closed). The object is closed and unusable afterwards.
    public func handOver() -> Int32? {
        guard socket >= 0, session.isIdle, buffer.isEmpty else {
            close()
            return nil
        }
        let descriptor = socket
        socket = -1
        return descriptor
    }

    public func run(_ sql: String, _ parameters: [String?]) throws(EnrollmentStoreError) -> [[String?]] {
        guard socket >= 0 else { throw EnrollmentStoreError(.databaseUnavailable, "pooler: the connection is closed") }
        let deadline = Deadline(seconds: timeoutSeconds)
        let event: PostgresSession.Event
        do throws(EnrollmentStoreError) {
            var message: [UInt8]
            do throws(PostgresWireError) {
                message = try PostgresFrontendMessage.call(sql, parameters)
                try session.beginCall()
            } catch {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: \(error.description)")
            }
            // The message holds the answer the user typed: wipe it once sent.
            defer { for index in message.indices { message[index] = 0 } }
            try send(message, deadline: deadline)
            event = try receiveEvent(deadline: deadline)
        } catch {
            close()
            throw error
        }
        switch event {
        case .result(.rows(let rows)):
            return rows
        case .result(.refused(let sqlState, let message)):
            throw EnrollmentStoreError(EnrollmentStoreError.kind(sqlState: sqlState), "database: \(sqlState) \(message)")
        case .ready:
            close()
            throw EnrollmentStoreError(.databaseUnavailable, "pooler: a second start-up in the middle of a call")
        }
    }

    /// Says goodbye (Terminate, best effort, never waiting) and closes the socket. Safe to
    /// call again.
    public func close() {
        guard socket >= 0 else { return }
        if session.isIdle {
            _ = PostgresFrontendMessage.terminate.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        _ = Glibc.close(socket)
        socket = -1
        buffer = []
        offset = 0
    }

    // MARK: The directory

    /// Refuses a pooler directory that is a symbolic link or not a directory, that a group
    /// or others may write to, or that sits below such a directory (a sticky one, like
    /// /tmp, excepted): whoever can put a socket there could answer for the database.
    static func checkDirectory(_ path: String) throws(EnrollmentStoreError) {
        if let problem = TrustedPath.directoryProblem(path, what: "pooler directory") {
            throw EnrollmentStoreError(.databaseUnavailable, problem)
        }
    }

    // MARK: The socket

    /// Whether `descriptor` is a connected Unix stream socket whose peer is bound to `path`.
    private static func isConnected(_ descriptor: Int32, to path: String) -> Bool {
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else { return false }
        var type: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &size) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            return false
        }
        var peer = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard named == 0, peer.sun_family == sa_family_t(AF_UNIX) else { return false }
        let expected = Array(path.utf8)
        return withUnsafeBytes(of: &peer.sun_path) { raw in
            let limit = min(raw.count, max(0, Int(length) - MemoryLayout<sa_family_t>.size))
            let bound = raw.prefix(limit).prefix { $0 != 0 }
            return Array(bound) == expected
        }
    }

    private func connect(to path: String, deadline: Deadline) throws(EnrollmentStoreError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity, !bytes.contains(0) else {
            throw EnrollmentStoreError(.databaseUnavailable, "pooler socket path \(path) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw EnrollmentStoreError(.databaseUnavailable, "pooler socket \(path): \(errnoText()) (is the pooler running?)")
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw EnrollmentStoreError(.databaseUnavailable, "pooler socket \(path) is not a socket")
        }
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw EnrollmentStoreError(.databaseUnavailable, "pooler: socket: \(errnoText())") }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        while true {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, length) }
            }
            if result == 0 { return }
            switch errno {
            case EINTR:
                continue
            case EAGAIN:
                // The pooler's listen queue is full: try again shortly, within the deadline.
                guard deadline.remainingMilliseconds > 0 else { throw timedOut("connecting") }
                _ = poll(nil, 0, Int32(min(10, deadline.remainingMilliseconds)))
            case EINPROGRESS:
                try wait(for: Int16(POLLOUT), deadline: deadline, doing: "connecting")
                var error: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &size) == 0, error == 0 else {
                    throw EnrollmentStoreError(.databaseUnavailable, "pooler: cannot connect to \(path): \(errnoText(error))")
                }
                return
            default:
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: cannot connect to \(path): \(errnoText())")
            }
        }
    }

    private func send(_ bytes: [UInt8], deadline: Deadline) throws(EnrollmentStoreError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(socket, raw.baseAddress.map { $0 + sent }, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try wait(for: Int16(POLLOUT), deadline: deadline, doing: "sending")
            } else {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: connection lost while sending: \(errnoText())")
            }
        }
    }

    /// Reads until the session completes start-up or the call; every message goes through
    /// the framing cap, the decoder and the session's order.
    private func receiveEvent(deadline: Deadline) throws(EnrollmentStoreError) -> PostgresSession.Event {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            do throws(PostgresWireError) {
                while let (type, body) = try PostgresBackendMessage.frame(in: buffer, at: offset) {
                    offset = body.upperBound
                    let message = try PostgresBackendMessage.decode(type: type, body: buffer[body])
                    if let event = try session.receive(message) {
                        buffer.removeSubrange(0..<offset)
                        offset = 0
                        guard buffer.isEmpty else { throw PostgresWireError("bytes after the end of the answer") }
                        return event
                    }
                }
            } catch {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: \(error.description)")
            }
            if offset > 0 {
                buffer.removeSubrange(0..<offset)
                offset = 0
            }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
            } else if count == 0 {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: the connection was closed before the answer was complete")
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int16(POLLIN), deadline: deadline, doing: "waiting for the answer")
            } else {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: connection lost: \(errnoText())")
            }
        }
    }

    private func wait(for events: Int16, deadline: Deadline, doing what: String) throws(EnrollmentStoreError) {
        while true {
            let left = deadline.remainingMilliseconds
            guard left > 0 else { throw timedOut(what) }
            var entry = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left, 60_000)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw EnrollmentStoreError(.databaseUnavailable, "pooler: poll: \(errnoText())")
            }
        }
    }

    private func timedOut(_ what: String) -> EnrollmentStoreError {
        EnrollmentStoreError(.databaseUnavailable, "pooler: timed out after \(timeoutSeconds) s \(what)")
    }
}

/// A point on the monotonic clock, `seconds` from now.
private struct Deadline {
    private let milliseconds: Int64

    init(seconds: Int) {
        milliseconds = Self.now() + Int64(seconds) * 1000
    }

    var remainingMilliseconds: Int64 { max(0, milliseconds - Self.now()) }

    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
