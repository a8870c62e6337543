import CPQ
import Glibc

/// One statement on a new connection, through the CPQ shim (libpq opened on first use).
struct PQCall {
    let conninfo: String
    let timeout: Int

    /// The rows of the result, each value as text or nil for SQL NULL.
    typealias Rows = [[String?]]

    /// Runs `sql` with text `parameters` (nil is SQL NULL). With `script`, `sql` may hold
    /// several statements, run as one transaction, and takes no parameters.
    func run(_ sql: String, _ parameters: [String?] = [], script: Bool = false) throws(FleetError) -> Rows {
        var copies: [UnsafeMutablePointer<CChar>?] = []
        defer {
            for copy in copies {
                if let copy { memset(copy, 0, strlen(copy)); free(copy) }
            }
        }
        for parameter in parameters {
            guard let parameter else { copies.append(nil); continue }
            guard let copy = strdup(parameter) else { throw FleetError(.databaseError, "out of memory") }
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
            guard let result else { throw FleetError(.malformedAnswer, "the database call returned no result") }
            var rows: Rows = []
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
            throw FleetError(.databaseUnavailable, message)
        case Int32(S2FA_PQ_REFUSED.rawValue):
            throw FleetError(FleetError.kind(sqlState: Self.text(sqlState)), message)
        default:
            throw FleetError(.databaseError, message.isEmpty ? "the database call failed" : message)
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
