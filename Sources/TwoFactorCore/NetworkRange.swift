/// A numeric network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`, or one address),
/// as `exempt_network=` names it, and the test whether a login's PAM_RHOST lies in it.
///
/// Only numeric addresses count: a host name, an empty rhost or anything else that is not
/// an IPv4 or IPv6 address never matches, since a name is whatever the client's resolver
/// says. An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`) is taken as its IPv4 address.
public struct NetworkRange: Equatable, Sendable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), with the bits past the prefix cleared.
    public let address: [UInt8]
    /// The prefix length in bits.
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil when it is not that, or when the address
    /// has bits set past the prefix (`192.0.2.1/24` is a typing mistake, refused).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress.parse(String(first)) else { return nil }
        var length = address.count * 8
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.utf8.count <= 3, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(digits), value <= address.count * 8 else { return nil }
            length = value
        }
        guard Self.masked(address, to: length) == address else { return nil }
        self.address = address
        self.prefixLength = length
    }

    /// True when `rhost` is a numeric address in this network.
    public func contains(rhost: String) -> Bool {
        guard let candidate = IPAddress.parse(rhost), candidate.count == address.count else { return false }
        return Self.masked(candidate, to: prefixLength) == address
    }

    /// The canonical text: the address as given (IPv4 dotted, IPv6 in hex groups) and the prefix.
    public var description: String { "\(IPAddress.text(address))/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsHere = min(8, max(0, length - index * 8))
            let mask: UInt8 = bitsHere == 8 ? 0xFF : bitsHere == 0 ? 0 : ~(UInt8(0xFF) >> UInt8(bitsHere))
            result[index] &= mask
        }
        return result
    }
}

/// Numeric IPv4 and IPv6 addresses as bytes, parsed by hand (the core does no I/O and links
/// no resolver).
public enum IPAddress {
    /// The 4 bytes of a dotted IPv4 address or the 16 of an IPv6 address; an IPv4-mapped
    /// IPv6 address gives its 4 IPv4 bytes. Nil for anything else (names, zones, brackets).
    public static func parse(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if let v4 = ipv4(Substring(text)) { return v4 }
        guard let v6 = ipv6(text) else { return nil }
        if v6.prefix(10).allSatisfy({ $0 == 0 }) && v6[10] == 0xFF && v6[11] == 0xFF { return Array(v6.suffix(4)) }
        return v6
    }

    /// The text of 4 or 16 address bytes (IPv6 as eight hex groups, without `::`).
    static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map { String($0) }.joined(separator: ".") }
        var groups: [String] = []
        var index = 0
        while index + 1 < bytes.count {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
            index += 2
        }
        return groups.joined(separator: ":")
    }

    /// Four decimal parts 0...255 without leading zeros (`010` is refused: some parsers read octal).
    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  part.utf8.count == 1 || part.utf8.first != 0x30, let value = Int(part), value <= 255 else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    /// Eight groups of 1 to 4 hex digits, one `::` standing for one or more zero groups, and
    /// optionally a dotted IPv4 address as the last 32 bits.
    private static func ipv6(_ text: String) -> [UInt8]? {
        let halves = splitAtDoubleColons(text)
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0], allowsIPv4Tail: halves.count == 1) else { return nil }
        var tail: [UInt8] = []
        if halves.count == 2 {
            guard let parsed = groups(halves[1], allowsIPv4Tail: true) else { return nil }
            tail = parsed
            guard head.count + tail.count <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        return head.count == 16 ? head : nil
    }

    /// The bytes of colon-separated hex groups (empty text: none).
    private static func groups(_ text: Substring, allowsIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1 && allowsIPv4Tail && part.contains(".") {
                guard let v4 = ipv4(part) else { return nil }
                bytes += v4
                continue
            }
            guard !part.isEmpty, part.utf8.count <= 4, let value = UInt16(part, radix: 16),
                  part.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else { return nil }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes.count <= 16 ? bytes : nil
    }

    /// The parts around each `::` (no other splitting).
    private static func splitAtDoubleColons(_ text: String) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ":" && next < text.endIndex && text[next] == ":" {
                parts.append(text[start..<index])
                start = text.index(after: next)
                index = start
                continue
            }
            index = next
        }
        parts.append(text[start..<text.endIndex])
        return parts
    }
}
