import Glibc

/// write(2) until every byte of `bytes` is out on `fd`, retrying short writes and EINTR:
/// the one loop for the store's files and the command's output. Throws the errno of the
/// failing write (EIO when write made no progress).
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(WriteError) {
    var offset = 0
    while offset < bytes.count {
        let written = retryingOnEINTR {
            bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, buffer.count - offset)
            }
        }
        if written < 0 { throw WriteError(errno: errno) }
        if written == 0 { throw WriteError(errno: EIO) }
        offset += written
    }
}

/// pwrite(2) until every byte of `bytes` is at `offset` of `fd`, retrying short writes and
/// EINTR (the state file's in-place update). Throws like `writeAll`.
public func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws(WriteError) {
    var done = 0
    while done < bytes.count {
        let written = retryingOnEINTR {
            bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pwrite(fd, base + done, buffer.count - done, off_t(offset + done))
            }
        }
        if written < 0 { throw WriteError(errno: errno) }
        if written == 0 { throw WriteError(errno: EIO) }
        done += written
    }
}

/// Why `writeAll` stopped: the errno of the write that failed.
public struct WriteError: Error, Equatable {
    public let errno: Int32
}
