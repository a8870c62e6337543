import CPQ
import Glibc
import TwoFactorStore

/// The admin command's way to the fleet database: libpq (opened with dlopen on the first
/// call, through the CPQ shim), with the configuration file's conninfo. Each statement
/// opens a connection, runs and closes it, all within `timeout` seconds.
///
/// Never linked into the PAM module: libpq reads the caller's environment (`PG*`), which
/// a setuid caller such as `su` passes on, and costs 23 libraries to load. The login
/// process uses `PoolerConnection`.
public struct LibPQConnection: FleetConnection, Sendable {
    /// The libpq connection string (`database =` in swift-2fa.conf, or `--database`).
    public let conninfo: String
    /// Seconds for connecting and the call together.
    public let timeout: Int

    public init(conninfo: String, timeout: Int) {
        self.conninfo = conninfo
        self.timeout = timeout
    }

    public func run(_ sql: String, _ parameters: [String?]) throws(EnrollmentStoreError) -> [[String?]] {
        try call(sql, parameters, script: false)
    }

    /// Runs several statements as one transaction (no parameters); the last one's rows.
    public func runScript(_ sql: String) throws(EnrollmentStoreError) -> [[String?]] {
        try call(sql, [], script: true)
    }

    private func call(_ sql: String, _ parameters: [String?], script: Bool) throws(EnrollmentStoreError) -> [[String?]] {
        var copies: [UnsafeMutablePointer<CChar>?] = []
        defer {
            for copy in copies {
                if let copy { memset(copy, 0, strlen(copy)); free(copy) }
            }
        }
        for parameter in parameters {
            guard let parameter else { copies.append(nil); continue }
            guard let copy = strdup(parameter) else { throw EnrollmentStoreError(.databaseError, "out of memory") }
            copies.append(copy)
        }
        let seconds = Int32(clamping: min(max(timeout, 1), 3600))
        var error = [CChar](repeating: 0, count: Int(S2FA_PQ_ERROR_CAPACITY))
        var sqlState = [CChar](repeating: 0, count: 6)
        var result: UnsafeMutablePointer<s2fa_pq_rows>?
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let status = pointers.withUnsafeBufferPointer { buffer in
            s2fa_pq_call(conninfo, seconds, sql, buffer.baseAddress, Int32(clamping: buffer.count),
                         script ? 1 : 0, &result, &error, &sqlState)
        }
        defer { s2fa_pq_free(result) }
        let message = Self.text(error)
        switch status {
        case Int32(S2FA_PQ_OK.rawValue):
            guard let result else { throw EnrollmentStoreError(.databaseError, "the database call returned no result") }
            var rows: [[String?]] = []
            let columns = max(0, Int(result.pointee.columns))
            for row in 0..<max(0, Int(result.pointee.rows)) {
                var values: [String?] = []
                for column in 0..<columns {
                    values.append(s2fa_pq_value(result, Int32(row), Int32(column)).map { String(cString: $0) })
                }
                rows.append(values)
            }
            return rows
        case Int32(S2FA_PQ_UNAVAILABLE.rawValue):
            throw EnrollmentStoreError(.databaseUnavailable, message)
        case Int32(S2FA_PQ_REFUSED.rawValue):
            throw EnrollmentStoreError(EnrollmentStoreError.kind(sqlState: Self.text(sqlState)), message)
        default:
            throw EnrollmentStoreError(.databaseError, message.isEmpty ? "the database call failed" : message)
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
