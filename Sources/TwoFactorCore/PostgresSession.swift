/// The order of a v3 protocol session as the login process runs it, with no I/O: start-up
/// (trust only), then one call at a time (Parse, Bind, Describe, Execute, Sync). Each
/// message the server sends is checked against what may come next; anything else, any
/// request for a credential, and any result that exceeds the caps is an error. A call's
/// rows are handed out only after its ReadyForQuery, never before: rows followed by a
/// lost connection or a wrong message count for nothing.
public struct PostgresSession {
    /// What a completed call came to.
    public enum CallResult: Equatable {
        /// The statement ran: its rows, every row with the described number of columns.
        case rows([[String?]])
        /// The server refused it: SQLSTATE (`""` when it sent none) and message.
        case refused(sqlState: String, message: String)
    }

    /// What one received message completed, if anything.
    public enum Event: Equatable {
        /// Start-up is done; a call may be sent.
        case ready
        /// The call is done.
        case result(CallResult)
    }

    /// The most rows and the most value bytes one call may return (the module's calls
    /// return one short row).
    public static let maximumRows = 1000
    public static let maximumResultBytes = 1 << 20

    fileprivate enum Phase {
        case awaitingAuthentication
        case awaitingStartupReady
        case idle
        case awaitingParse, awaitingBind, awaitingDescription
        case rows(columns: Int)
        case noRows
        case awaitingReady(CallResult)
        case startupFailed
        case broken
    }

    private var phase = Phase.awaitingAuthentication
    private var rows: [[String?]] = []
    private var resultBytes = 0

    /// A session about to start up.
    public init() {}

    /// A session whose start-up another holder of the same connection completed, and
    /// that it handed over idle (between calls, nothing unread): see `PoolerConnection`'s
    /// hand-over between two instances of the module in one stack.
    public static func resumed() -> PostgresSession {
        var session = PostgresSession()
        session.phase = .idle
        return session
    }

    /// True between start-up and a call, when a call may be sent.
    public var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    /// Marks a call as sent; only from `isIdle`.
    public mutating func beginCall() throws(PostgresWireError) {
        guard isIdle else { throw PostgresWireError("a call was started out of turn") }
        phase = .awaitingParse
        rows = []
        resultBytes = 0
    }

    /// Takes the next message. Throws on anything out of order; after a throw the session is
    /// broken and every later message throws too. A start-up ErrorResponse is thrown as well
    /// (the session never became usable).
    public mutating func receive(_ message: PostgresBackendMessage) throws(PostgresWireError) -> Event? {
        do throws(PostgresWireError) {
            return try advance(message)
        } catch {
            phase = .broken
            rows = []
            throw error
        }
    }

    private mutating func advance(_ message: PostgresBackendMessage) throws(PostgresWireError) -> Event? {
        // Notices may come at any time; parameter changes too, once authenticated.
        if case .noticeResponse = message { return nil }
        switch (phase, message) {
        case (.broken, _), (.startupFailed, _):
            throw PostgresWireError("message after the session failed")

        case (.awaitingAuthentication, .authenticationOk):
            phase = .awaitingStartupReady
            return nil
        case (.awaitingAuthentication, .authenticationRequest(let code)):
            throw PostgresWireError("the pooler asks for a credential (authentication method \(code)); none is ever sent")
        case (.awaitingAuthentication, .errorResponse(let state, let text)),
             (.awaitingStartupReady, .errorResponse(let state, let text)):
            phase = .startupFailed
            throw PostgresWireError("the pooler refused the session: \(state) \(text)")
        case (.awaitingStartupReady, .parameterStatus), (.awaitingStartupReady, .backendKeyData):
            return nil
        case (.awaitingStartupReady, .readyForQuery(let status)):
            guard status == UInt8(ascii: "I") else { throw PostgresWireError("a new session inside a transaction") }
            phase = .idle
            return .ready

        case (.awaitingParse, .parseComplete):
            phase = .awaitingBind
        case (.awaitingBind, .bindComplete):
            phase = .awaitingDescription
        case (.awaitingDescription, .rowDescription(let columns)):
            phase = .rows(columns: columns)
        case (.awaitingDescription, .noData):
            phase = .noRows
        case (.rows(let columns), .dataRow(let values)):
            guard values.count == columns else {
                throw PostgresWireError("a row of \(values.count) columns where \(columns) were described")
            }
            guard rows.count < Self.maximumRows else { throw PostgresWireError("more than \(Self.maximumRows) rows") }
            for value in values { resultBytes += value?.utf8.count ?? 0 }
            guard resultBytes <= Self.maximumResultBytes else { throw PostgresWireError("a result over the size cap") }
            rows.append(values)
        case (.rows, .commandComplete), (.noRows, .commandComplete), (.noRows, .emptyQueryResponse):
            phase = .awaitingReady(.rows(rows))
            rows = []
        case (.awaitingParse, .errorResponse(let state, let text)), (.awaitingBind, .errorResponse(let state, let text)),
             (.awaitingDescription, .errorResponse(let state, let text)), (.rows, .errorResponse(let state, let text)),
             (.noRows, .errorResponse(let state, let text)):
            // The server skips to the Sync; only its ReadyForQuery may follow.
            phase = .awaitingReady(.refused(sqlState: state, message: text))
            rows = []
        case (.awaitingReady(let result), .readyForQuery(let status)):
            // Each call is its own implicit transaction, ended by the Sync.
            guard status == UInt8(ascii: "I") else { throw PostgresWireError("a call left a transaction open") }
            phase = .idle
            return .result(result)
        case (.idle, .parameterStatus), (.awaitingParse, .parameterStatus), (.awaitingBind, .parameterStatus),
             (.awaitingDescription, .parameterStatus), (.rows, .parameterStatus), (.noRows, .parameterStatus),
             (.awaitingReady, .parameterStatus):
            return nil
        default:
            throw PostgresWireError("unexpected \(Self.name(message)) \(phase.name)")
        }
        return nil
    }

    /// A message's protocol name for an error line (never its content).
    static func name(_ message: PostgresBackendMessage) -> String {
        switch message {
        case .authenticationOk: return "AuthenticationOk"
        case .authenticationRequest: return "Authentication request"
        case .parameterStatus: return "ParameterStatus"
        case .backendKeyData: return "BackendKeyData"
        case .readyForQuery: return "ReadyForQuery"
        case .parseComplete: return "ParseComplete"
        case .bindComplete: return "BindComplete"
        case .rowDescription: return "RowDescription"
        case .noData: return "NoData"
        case .dataRow: return "DataRow"
        case .commandComplete: return "CommandComplete"
        case .emptyQueryResponse: return "EmptyQueryResponse"
        case .errorResponse: return "ErrorResponse"
        case .noticeResponse: return "NoticeResponse"
        }
    }
}

extension PostgresSession.Phase {
    /// Where the session was, for an error line.
    fileprivate var name: String {
        switch self {
        case .awaitingAuthentication: return "before authentication"
        case .awaitingStartupReady: return "during start-up"
        case .idle: return "between calls"
        case .awaitingParse: return "before ParseComplete"
        case .awaitingBind: return "before BindComplete"
        case .awaitingDescription: return "before the row description"
        case .rows, .noRows: return "in the result"
        case .awaitingReady: return "before ReadyForQuery"
        case .startupFailed, .broken: return "after a failure"
        }
    }
}
