import Glibc

/// A stream Unix socket: the self-service socket's listening side, its connections, and the
/// client's connection. Every call is bounded: reads and writes by the socket's time-outs
/// (`setDeadline`), writes never raise SIGPIPE (MSG_NOSIGNAL).
enum UnixSocket {
    /// Why a socket call failed: the call and errno.
    struct Failure: Error {
        let call: String
        let code: Int32

        var text: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// A socket listening at `path` (an old socket file there is replaced), mode 0666: any
    /// local user may connect; who they are comes from their peer credentials.
    static func listen(at path: String, backlog: Int32 = 16) throws(Failure) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        do throws(Failure) {
            try withAddress(path) { address, length throws(Failure) in
                guard bind(fd, address, length) == 0 else { throw Failure(call: "bind \(path)", code: errno) }
            }
        } catch {
            close(fd)
            throw error
        }
        guard chmod(path, 0o666) == 0, Glibc.listen(fd, backlog) == 0 else {
            let failure = Failure(call: "listen \(path)", code: errno)
            close(fd)
            throw failure
        }
        return fd
    }

    /// A connection to the socket at `path`.
    static func connect(to path: String) throws(Failure) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        do throws(Failure) {
            try withAddress(path) { address, length throws(Failure) in
                guard Glibc.connect(fd, address, length) == 0 else { throw Failure(call: "connect", code: errno) }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Bounds each later read and write on `fd` to `seconds`.
    static func setDeadline(_ fd: Int32, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// Reads until end of file, a newline (not kept) or more than `limit` bytes (then the
    /// bytes read so far and `overflowed`). A time-out or error ends the read too.
    static func readMessage(_ fd: Int32, limit: Int) -> (bytes: [UInt8], complete: Bool, overflowed: Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return (bytes, false, false) }
            if count == 0 { return (bytes, true, false) }
            if let newline = buffer[0..<count].firstIndex(of: 0x0A) {
                bytes.append(contentsOf: buffer[0..<newline])
                return (bytes, true, bytes.count > limit)
            }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return (bytes, false, true)
    }

    /// Writes all of `bytes`; false when the peer went away or the deadline passed.
    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    private static func withAddress(_ path: String,
                                    _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Void) throws(Failure) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Failure(call: "socket path \(path)", code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        try withUnsafePointer(to: &address) { pointer throws(Failure) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(Failure) in
                try body(address, length)
            }
        }
    }
}
