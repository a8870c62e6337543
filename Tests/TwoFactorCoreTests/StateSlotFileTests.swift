import CCrypto
import Testing
@testable import TwoFactorCore

/// The two-slot state file: its size bound, in-place writes that alternate slots, and a torn,
/// cut or corrupted slot that leaves the other slot's state or fails closed, never a fresh state.
@Suite("State slot file")
struct StateSlotFileTests {
    static let fingerprints = (0..<16).map { String(format16($0)) }

    static func format16(_ value: Int) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A state of `failures` failures and one used step.
    static func state(_ failures: Int, step: UInt64 = 7) -> UserState {
        UserState(failures: failures, throttledUntil: 1_800_000_000, locked: false, usedBackupSalts: [],
                  credentials: [CredentialState(fingerprint: fingerprints[0], lastCounter: step, lastUsed: 1_700_000_000)])
    }

    /// The longest state: every repeated line at its most, every number at its longest.
    static var largest: UserState {
        let time = Int64.max
        return UserState(
            failures: 1_000_000, throttledUntil: time, locked: true,
            usedBackupSalts: (0..<SecretRecord.maximumBackupCodes).map { _ in String(repeating: "ab", count: 16) },
            credentials: fingerprints.map { CredentialState(fingerprint: $0, lastCounter: UInt64.max, lastUsed: time) },
            backupFailures: 1_000_000, lastAccepted: time,
            graces: (0..<GracePeriod.maximumRecords).map { index in
                GraceRecord(service: String(repeating: "s", count: GracePeriod.maximumServiceBytes),
                            key: String(repeating: "k", count: GracePeriod.maximumKeyBytes - 2) + format16(index).suffix(2),
                            time: time)
            },
            lastDrift: DriftFinding(fingerprint: fingerprints[1], steps: -DriftFinding.searchedSteps, time: time))
    }

    /// `bytes` after a plan, the in-place bytes cut to `written` when given (a torn write).
    static func apply(_ plan: StateWrite, to bytes: [UInt8]?, written: Int? = nil) -> [UInt8] {
        switch plan {
        case .replace(let whole):
            return whole
        case .inPlace(let offset, let slot):
            var file = bytes ?? []
            let count = written ?? slot.count
            file.replaceSubrange(offset..<(offset + count), with: slot.prefix(count))
            return file
        }
    }

    /// A file holding `first` in one slot and `second`, newer, in the other.
    static func twoSlots(_ first: UserState, _ second: UserState) throws -> [UInt8] {
        let one = apply(try StateSlotFile.write(first, over: nil), to: nil)
        return apply(try StateSlotFile.write(second, over: one), to: one)
    }

    static func decodeError(_ bytes: [UInt8]) -> String? {
        do throws(FileFormatError) {
            _ = try StateSlotFile.decode(bytes)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("the size bound is the longest state's text, and two of the largest slots fit what a login reads")
    func sizeBound() throws {
        let text = Self.largest.serialized()
        #expect(text.utf8.count == UserState.maximumSerializedLength)
        #expect(try UserState.parse(text) == Self.largest)
        #expect(StateSlotFile.maximumSlotSize >= StateSlotFile.slotHeaderLength + UserState.maximumSerializedLength)
        #expect(StateSlotFile.maximumFileSize <= 64 * 1024)
        // Without grace records the largest state fits the slots of a new file.
        var withoutGraces = Self.largest
        withoutGraces.graces = []
        #expect(withoutGraces.serialized().utf8.count <= StateSlotFile.minimumSlotSize - StateSlotFile.slotHeaderLength)
        let file = Self.apply(try StateSlotFile.write(Self.largest, over: nil), to: nil)
        #expect(file.count == StateSlotFile.maximumFileSize)
        #expect(try StateSlotFile.decode(file) == Self.largest)
    }

    @Test("a new file is one replace; each later write goes in place to the other slot and reads back")
    func alternatingSlots() throws {
        guard case .replace(let created) = try StateSlotFile.write(Self.state(0), over: nil) else {
            Issue.record("a new file must be written whole")
            return
        }
        #expect(created.count == StateSlotFile.blockSize + 2 * StateSlotFile.minimumSlotSize)
        #expect(StateSlotFile.isSlotFile(created))
        var file = created
        var offsets: [Int] = []
        for failures in 1...5 {
            let plan = try StateSlotFile.write(Self.state(failures), over: file)
            guard case .inPlace(let offset, let bytes) = plan else {
                Issue.record("write \(failures) replaced the file")
                return
            }
            #expect(bytes.count < 200, "only the slot's used bytes are written")
            offsets.append(offset)
            file = Self.apply(plan, to: file)
            #expect(file.count == created.count)
            #expect(try StateSlotFile.decode(file) == Self.state(failures))
        }
        let slot2 = StateSlotFile.blockSize + StateSlotFile.minimumSlotSize
        #expect(offsets == [slot2, StateSlotFile.blockSize, slot2, StateSlotFile.blockSize, slot2])
    }

    @Test("a text state file is read as text, and its first write replaces it with slots")
    func upgradeFromText() throws {
        let old = Array(Self.state(2).serialized().utf8)
        #expect(try StateSlotFile.decode(old) == Self.state(2))
        guard case .replace(let upgraded) = try StateSlotFile.write(Self.state(3), over: old) else {
            Issue.record("a text file must be replaced whole")
            return
        }
        #expect(try StateSlotFile.decode(upgraded) == Self.state(3))
        #expect(Self.decodeError(Array("version 2\nfailures 1\n".utf8)) != nil, "a damaged text file is still refused")
    }

    @Test("a write torn at any byte leaves the previous state, and the next write goes to the torn slot")
    func tornWrites() throws {
        let before = try Self.twoSlots(Self.state(1, step: 10), Self.state(2, step: 11))
        let plan = try StateSlotFile.write(Self.state(3, step: 12), over: before)
        guard case .inPlace(let offset, let bytes) = plan else {
            Issue.record("expected an in-place write")
            return
        }
        let complete = Self.apply(plan, to: before)
        for written in 0..<bytes.count {
            let torn = Self.apply(plan, to: before, written: written)
            // The last bytes of the new text may equal the old ones: then the write is complete.
            guard torn != complete else { continue }
            #expect(try StateSlotFile.decode(torn) == Self.state(2, step: 11), "torn after \(written) bytes")
            guard case .inPlace(let again, _) = try StateSlotFile.write(Self.state(4), over: torn) else {
                Issue.record("a torn slot must be rewritten in place")
                continue
            }
            #expect(again == offset, "the slot holding the newest state is never the one written")
        }
    }

    @Test("a corrupted or cut slot leaves the other slot's state", arguments: [0, 1])
    func oneSlotDamaged(slot: Int) throws {
        let older = Self.state(4, step: 20)
        let newer = Self.state(5, step: 21)
        let file = try Self.twoSlots(older, newer)
        // The first write went to slot 1 (index 0), the second to slot 2.
        let start = StateSlotFile.blockSize + slot * StateSlotFile.minimumSlotSize
        let other = slot == 0 ? newer : older
        for position in [0, 8, 12, 20, StateSlotFile.slotHeaderLength, StateSlotFile.slotHeaderLength + 10] {
            var corrupted = file
            corrupted[start + position] ^= 0x01
            #expect(try StateSlotFile.decode(corrupted) == other, "slot \(slot + 1) byte \(position) flipped")
        }
        if slot == 1 {
            // Cut inside slot 2's text (slot 1 stays whole): slot 1 is read; a write replaces the file.
            let cut = Array(file.prefix(start + StateSlotFile.slotHeaderLength + 5))
            #expect(try StateSlotFile.decode(cut) == older)
            guard case .replace(let repaired) = try StateSlotFile.write(Self.state(6), over: cut) else {
                Issue.record("a cut file must be replaced whole")
                return
            }
            #expect(try StateSlotFile.decode(repaired) == Self.state(6))
        }
    }

    @Test("a file with no valid slot, a cut header or another format fails closed, never as a fresh state")
    func failsClosed() throws {
        let file = try Self.twoSlots(Self.state(7), Self.state(8))
        var both = file
        both[StateSlotFile.blockSize + 30] ^= 0xFF
        both[StateSlotFile.blockSize + StateSlotFile.minimumSlotSize + 30] ^= 0xFF
        var wrongVersion = file
        wrongVersion[8] = 2
        var wrongSize = file
        wrongSize[13] = 0x01
        let cases: [(String, [UInt8], String)] = [
            ("both slots corrupted", both, "has no valid slot; slot 1: checksum mismatch; slot 2: checksum mismatch"),
            ("cut inside slot 1", Array(file.prefix(StateSlotFile.blockSize + 40)), "has no valid slot; slot 1: cut short; slot 2: cut short"),
            ("cut inside the header", Array(file.prefix(12)), "cut short in its header"),
            ("header only", Array(file.prefix(StateSlotFile.blockSize)), "has no valid slot"),
            ("empty", [], "state file"),
            ("another format version", wrongVersion, "unsupported format version"),
            ("an invalid slot size", wrongSize, "invalid slot size"),
        ]
        for (name, bytes, reason) in cases {
            let error = Self.decodeError(bytes)
            #expect(error?.contains(reason) == true, "\(name): \(error ?? "read as a state")")
        }
    }

    /// Slot bytes as the layout documents them, encoded here independently of `StateSlotFile`.
    static func documentedSlot(_ text: String, sequence: UInt64) -> [UInt8] {
        let body = Array(text.utf8)
        var head: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (8 * $0)) }
        head += (0..<4).map { UInt8(truncatingIfNeeded: UInt64(body.count) >> (8 * $0)) }
        var digest = [UInt8](repeating: 0, count: 32)
        let covered = head + body
        s2fa_sha256(covered, covered.count, &digest)
        return head + digest.prefix(16) + body
    }

    @Test("slots encoded as documented are read; a matching checksum over text that is not a state fails closed")
    func documentedLayout() throws {
        var file = Array("S2FASLOT".utf8) + [1, 0, 0, 0, 0, 0x10, 0, 0]
        file += [UInt8](repeating: 0, count: 3 * 4096 - file.count)
        func put(_ slot: [UInt8], at index: Int) {
            file.replaceSubrange((4096 + index * 4096)..<(4096 + index * 4096 + slot.count), with: slot)
        }
        put(Self.documentedSlot(Self.state(1).serialized(), sequence: 7), at: 1)
        put(Self.documentedSlot(Self.state(2).serialized(), sequence: 6), at: 0)
        #expect(try StateSlotFile.decode(file) == Self.state(1), "the higher sequence wins, in either slot")
        put(Self.documentedSlot("version 2\nfailures x\n", sequence: 8), at: 0)
        #expect(Self.decodeError(file)?.contains("failures") == true, "\(Self.decodeError(file) ?? "read as a state")")
    }

    @Test("a state too long for the slots grows them by a replace; one too long for any slot is refused, never cut")
    func growAndRefuse() throws {
        let small = Self.apply(try StateSlotFile.write(Self.state(1), over: nil), to: nil)
        var big = Self.state(2)
        big.graces = Array(Self.largest.graces.prefix(4))
        guard case .replace(let grown) = try StateSlotFile.write(big, over: small) else {
            Issue.record("slots too small must be replaced whole")
            return
        }
        #expect(grown.count > small.count)
        #expect(try StateSlotFile.decode(grown) == big)
        var tooLong = Self.largest
        tooLong.usedBackupSalts += (0..<40).map { _ in String(repeating: "cd", count: 16) }
        #expect(throws: FileFormatError.self) { try StateSlotFile.write(tooLong, over: grown) }
    }
}
