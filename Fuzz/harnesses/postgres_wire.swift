// The login process's PostgreSQL v3 client, fed the fuzzer's bytes as what the pooler sent
// after the StartupMessage, then after one call. Properties: no trap; fed in two pieces
// (split where the first byte says) the stream gives the same events and the same error
// as fed at once; a call's rows come out only at its ReadyForQuery and have the described
// width; nothing follows a failure.

/// Runs the stream through framing, decoding and the session; the events and the error.
func fuzzSession(_ pieces: [[UInt8]]) -> (events: [PostgresSession.Event], error: PostgresWireError?) {
    var session = PostgresSession()
    var buffer: [UInt8] = []
    var offset = 0
    var events: [PostgresSession.Event] = []
    for piece in pieces {
        buffer += piece
        while true {
            let message: PostgresBackendMessage
            do throws(PostgresWireError) {
                guard let (type, body) = try PostgresBackendMessage.frame(in: buffer, at: offset) else { break }
                fuzzCheck(body.lowerBound >= offset && body.upperBound <= buffer.count, "a frame outside the buffer")
                offset = body.upperBound
                message = try PostgresBackendMessage.decode(type: type, body: buffer[body])
            } catch {
                return (events, error)
            }
            do throws(PostgresWireError) {
                if let event = try session.receive(message) {
                    events.append(event)
                    if session.isIdle && events.count == 1 { try session.beginCall() }
                }
            } catch {
                // After a failure, the session accepts nothing.
                var broken = session
                var wentOn = true
                do throws(PostgresWireError) { _ = try broken.receive(.readyForQuery(status: UInt8(ascii: "I"))) } catch {
                    wentOn = false
                }
                fuzzCheck(!wentOn, "the session went on after a failure")
                return (events, error)
            }
        }
    }
    return (events, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPostgresWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = fuzzSession([bytes])
    let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let pieces = fuzzSession([Array(bytes[..<split]), Array(bytes[split...])])
    fuzzCheck(whole.events == pieces.events && whole.error == pieces.error, "the result depends on how the bytes arrived")
    fuzzCheck(whole.events.count <= 2, "more events than a start-up and one call")
    if let first = whole.events.first { fuzzCheck(first == .ready, "a result before start-up ended") }
    if whole.events.count == 2, case .result(.rows(let rows)) = whole.events[1] {
        fuzzCheck(rows.count <= PostgresSession.maximumRows, "too many rows")
        fuzzCheck(Set(rows.map { $0.count }).count <= 1, "rows of different widths")
    }
    // The encoder never traps, whatever text it is given.
    let text = fuzzText(data, size)
    _ = try? PostgresFrontendMessage.call(text, [text, nil])
    _ = try? PostgresFrontendMessage.startup(user: text, database: "swift2fa", applicationName: "swift-2fa")
    return 0
}
