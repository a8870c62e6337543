/// The modules of a QR code, as an encoder produced them, plus the quiet zone that
/// every drawing of it puts around the code.
///
/// The encoder lives outside the core (libqrencode: linked by the command, opened with
/// dlopen by the module); this type only holds and answers for its result.
public struct QRMatrix: Equatable, Sendable {
    /// Modules per side, without the quiet zone.
    public let size: Int
    private let dark: [Bool]

    /// Light modules around the code that scanners need (ISO/IEC 18004 asks for 4).
    public static let quietZone = 4

    /// Sides a QR code can have: 21 (version 1) to 177 (version 40) modules.
    public static let allowedSizes: ClosedRange<Int> = 21...177

    /// A matrix from `size * size` modules in rows, true for dark. Nil for any other count
    /// or a size no QR version has.
    public init?(size: Int, dark: [Bool]) {
        guard Self.allowedSizes.contains(size), dark.count == size * size else { return nil }
        self.size = size
        self.dark = dark
    }

    /// True for a dark module. Coordinates include the quiet zone; outside the code is light.
    public func isDark(x: Int, y: Int) -> Bool {
        let column = x - Self.quietZone
        let row = y - Self.quietZone
        guard column >= 0, row >= 0, column < size, row < size else { return false }
        return dark[row * size + column]
    }

    /// Modules per side including the quiet zone on both sides.
    public var fullSize: Int { size + 2 * Self.quietZone }
}
