/// A value that the JSON output writes as `null` when absent, where a synthesized
/// `Encodable` would leave an optional property out: every key is always present.
struct JSONNullable<Value: Encodable>: Encodable {
    let value: Value?

    init(_ value: Value?) { self.value = value }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
