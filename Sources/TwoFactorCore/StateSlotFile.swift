import CCrypto

/// The layout of a user's state file: a header and two fixed-size slots, so that a login
/// updates the state in place with one write and one `fdatasync`, and a write torn by a crash
/// leaves the previous state readable. Pure layout and encoding; the store does the I/O.
///
///     offset 0          header: magic "S2FASLOT", format version (UInt32), slot size (UInt32),
///                       zeros up to `blockSize`
///     blockSize         slot 1
///     blockSize + size  slot 2
///
/// Each slot: sequence (UInt64, 0 for a slot never written), length (UInt32), checksum (the
/// first 16 bytes of the SHA-256 of the sequence, length and text), then `length` bytes of
/// `UserState.serialized()` text; the rest of the slot is ignored. Numbers are little-endian.
/// The header and the slots start on `blockSize` boundaries, so writing one slot never
/// rewrites a disk block of the other or of the header.
///
/// The state is the text of the valid slot (checksum right) with the highest sequence; text
/// there that is not a state is refused. A write goes to the other slot with the next sequence. A file with neither slot
/// valid is damaged, and reading it fails: it never reads as a fresh state (no failures, no
/// used codes). A file in the older text format (versions 1 and 2 of `UserState`) is read as
/// that text, and its first write replaces it with this layout.
public enum StateSlotFile {
    /// The first 8 bytes of a file in this layout.
    public static let magic: [UInt8] = Array("S2FASLOT".utf8)
    /// The layout version in the header.
    public static let formatVersion: UInt32 = 1
    /// The header's size, and the unit of the slot size.
    public static let blockSize = 4096
    /// Sequence, length and checksum before each slot's text.
    public static let slotHeaderLength = 8 + 4 + checksumLength
    static let checksumLength = 16
    /// The slot size of a new file: room for every state without grace records (8
    /// credentials, 20 used backup codes, a drift finding).
    public static let minimumSlotSize = blockSize
    /// The slot size that holds `UserState.maximumSerializedLength`.
    public static let maximumSlotSize = slotSize(holding: UserState.maximumSerializedLength)
    /// The largest file of this layout.
    public static let maximumFileSize = blockSize + 2 * maximumSlotSize

    /// True when `bytes` start with this layout's magic (rather than a text state).
    public static func isSlotFile(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count && Array(bytes[0..<magic.count]) == magic
    }

    /// The state a state file's bytes hold: the newest valid slot, or an older text file.
    /// Throws why the file holds no state (never a fresh state for a damaged file).
    public static func decode(_ bytes: [UInt8]) throws(FileFormatError) -> UserState {
        guard isSlotFile(bytes) else {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw FileFormatError("state file is not text") }
            return try UserState.parse(text)
        }
        let size = try header(bytes)
        var newest: (sequence: UInt64, text: String) = (0, "")
        var faults = "state file has no valid slot"
        for index in 0..<2 {
            switch slot(bytes, index: index, size: size) {
            case .valid(let sequence, let text):
                if sequence > newest.sequence { newest = (sequence, text) }
            case .invalid(let reason):
                faults += "; slot \(index + 1): \(reason)"
            }
        }
        guard newest.sequence > 0 else { throw FileFormatError(faults) }
        // A checksum that matches text that is not a state is not a torn write: refused.
        return try UserState.parse(newest.text)
    }

    /// How to store `state` in a file whose bytes are `current` (nil: no file yet): in place
    /// in the slot not holding the newest state, or, for a new file, a text file, slots too
    /// small for the state or a damaged file, a whole new file. Throws for a state longer than
    /// the largest slot holds (never truncated).
    public static func write(_ state: UserState, over current: [UInt8]?) throws(FileFormatError) -> StateWrite {
        let text = Array(state.serialized().utf8)
        guard text.count <= maximumSlotSize - slotHeaderLength else {
            throw FileFormatError("state of \(text.count) bytes is larger than a state file slot (\(maximumSlotSize - slotHeaderLength) bytes)")
        }
        guard let current, isSlotFile(current), let size = try? header(current),
              current.count == blockSize + 2 * size, text.count <= size - slotHeaderLength else {
            return .replace(newFile(text, slotSize: max(minimumSlotSize, slotSize(holding: text.count))))
        }
        var sequences: [UInt64] = [0, 0]
        for index in 0..<2 {
            if case .valid(let sequence, _) = slot(current, index: index, size: size) { sequences[index] = sequence }
        }
        let target = sequences[0] > sequences[1] ? 1 : 0
        let newest = max(sequences[0], sequences[1])
        guard newest < UInt64.max else {
            return .replace(newFile(text, slotSize: size))
        }
        return .inPlace(offset: blockSize + target * size, bytes: slotBytes(text, sequence: newest + 1))
    }

    /// A whole file with `text` in slot 1 (sequence 1) and slot 2 empty.
    private static func newFile(_ text: [UInt8], slotSize: Int) -> [UInt8] {
        var bytes = magic
        append(UInt64(formatVersion) | UInt64(slotSize) << 32, to: &bytes, count: 8)
        bytes += [UInt8](repeating: 0, count: blockSize - bytes.count)
        bytes += slotBytes(text, sequence: 1)
        bytes += [UInt8](repeating: 0, count: blockSize + 2 * slotSize - bytes.count)
        return bytes
    }

    /// The smallest multiple of `blockSize` with room for a text of `length` bytes.
    private static func slotSize(holding length: Int) -> Int {
        (slotHeaderLength + length + blockSize - 1) / blockSize * blockSize
    }

    /// The slot size the header gives; throws for a header that is not this layout's.
    private static func header(_ bytes: [UInt8]) throws(FileFormatError) -> Int {
        guard bytes.count >= magic.count + 8 else { throw FileFormatError("state file is cut short in its header") }
        guard number(bytes, at: magic.count, count: 4) == UInt64(formatVersion) else {
            throw FileFormatError("state file has an unsupported format version")
        }
        let size = number(bytes, at: magic.count + 4, count: 4)
        guard size % UInt64(blockSize) == 0, size >= UInt64(minimumSlotSize), size <= UInt64(maximumSlotSize) else {
            throw FileFormatError("state file has an invalid slot size")
        }
        return Int(size)
    }

    /// What a slot holds.
    private enum Slot {
        case valid(sequence: UInt64, text: String)
        case invalid(String)
    }

    /// Slot `index` (0 or 1) of a file with slots of `size` bytes.
    private static func slot(_ bytes: [UInt8], index: Int, size: Int) -> Slot {
        let start = blockSize + index * size
        guard bytes.count >= start + slotHeaderLength else { return .invalid("cut short") }
        let sequence = number(bytes, at: start, count: 8)
        let length = Int(number(bytes, at: start + 8, count: 4))
        if sequence == 0 { return .invalid("never written") }
        guard length <= size - slotHeaderLength else { return .invalid("invalid length") }
        let textStart = start + slotHeaderLength
        guard bytes.count >= textStart + length else { return .invalid("cut short") }
        let text = Array(bytes[textStart..<(textStart + length)])
        guard Array(bytes[(start + 12)..<textStart]) == checksum(sequence: sequence, text: text) else {
            return .invalid("checksum mismatch")
        }
        guard let string = String(validating: text, as: UTF8.self) else { return .invalid("not text") }
        return .valid(sequence: sequence, text: string)
    }

    /// A slot's bytes up to the end of its text.
    private static func slotBytes(_ text: [UInt8], sequence: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slotHeaderLength + text.count)
        append(sequence, to: &bytes, count: 8)
        append(UInt64(text.count), to: &bytes, count: 4)
        bytes += checksum(sequence: sequence, text: text)
        bytes += text
        return bytes
    }

    /// The first `checksumLength` bytes of the SHA-256 of sequence, length and text.
    private static func checksum(sequence: UInt64, text: [UInt8]) -> [UInt8] {
        var covered: [UInt8] = []
        covered.reserveCapacity(12 + text.count)
        append(sequence, to: &covered, count: 8)
        append(UInt64(text.count), to: &covered, count: 4)
        covered += text
        var digest = [UInt8](repeating: 0, count: 32)
        covered.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                s2fa_sha256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return Array(digest[0..<checksumLength])
    }

    /// Appends the low `count` bytes of `value`, little-endian.
    private static func append(_ value: UInt64, to bytes: inout [UInt8], count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index))) }
    }

    /// The little-endian number of `count` bytes at `offset` (the caller checked the bounds).
    private static func number(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        return value
    }
}
