import Foundation
import TestSupport
import Testing

/// The QR codes decode, with a real decoder (zbarimg), to exactly the printed URI.
@Suite(.requiresRoot("the command acts for --user root"), .requires("/usr/bin/zbarimg", package: "zbar-tools"), .requires("/usr/bin/rsvg-convert", package: "librsvg2-bin"))
struct QRCodeTests {
    /// Decodes an image file with zbarimg.
    private func decode(_ image: String) throws -> String {
        let result = try Program.run("/usr/bin/zbarimg", ["--raw", "-q", image])
        #expect(result.status == 0, "zbarimg found no code: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    /// The URI line printed under "otpauth URI:".
    private func printedURI(_ output: String) throws -> String {
        let lines = output.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex(of: "otpauth URI:"))
        return lines[index + 1].trimmingCharacters(in: .whitespaces)
    }

    @Test(arguments: [
        [String](),
        ["--algorithm", "SHA512", "--digits", "8", "--period", "60", "--issuer", "Ex Co / ü &", "--account", "alice@example.org"],
    ])
    func svgDecodesToThePrintedURI(extra: [String]) throws {
        let temp = try TempStore()
        let svg = temp.path + "-qr.svg"
        let png = temp.path + "-qr.png"
        defer {
            try? FileManager.default.removeItem(atPath: svg)
            try? FileManager.default.removeItem(atPath: png)
        }
        let result = try CLI.run(["enroll", "--pending", "--qr", "none", "--qr-svg", svg] + temp.args() + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let uri = try printedURI(result.stdout)
        #expect(uri.hasPrefix("otpauth://totp/"))
        if !extra.isEmpty {
            #expect(uri.hasSuffix("&algorithm=SHA512&digits=8&period=60"))
            #expect(result.stdout.contains("Some apps ignore"))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: svg)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let converted = try Program.run("/usr/bin/rsvg-convert", ["-o", png, svg])
        try #require(converted.status == 0, "rsvg-convert failed: \(converted.stderr)")
        #expect(try decode(png) == uri)
    }

    @Test func jsonSVGDecodesToTheJSONURI() throws {
        let temp = try TempStore()
        let result = try CLI.run(["enroll", "--pending", "--json"] + temp.args())
        let object = try result.json()
        let svg = temp.path + "-qr.svg"
        let png = temp.path + "-qr.png"
        defer {
            try? FileManager.default.removeItem(atPath: svg)
            try? FileManager.default.removeItem(atPath: png)
        }
        try #require(object["qr_svg"] as? String).write(toFile: svg, atomically: true, encoding: .utf8)
        #expect(try Program.run("/usr/bin/rsvg-convert", ["-o", png, svg]).status == 0)
        #expect(try decode(png) == object["uri"] as? String)
    }

    /// Turns the half-block drawing back into pixels (a PGM image, 4 pixels per module).
    /// `lightIsDrawn` is the utf8 style: blocks are the light modules.
    private func pgm(from drawing: [String], lightIsDrawn: Bool) -> Data {
        var rows: [[Bool]] = []  // true = dark
        for line in drawing {
            var top: [Bool] = []
            var bottom: [Bool] = []
            for character in line {
                let (upper, lower): (Bool, Bool)
                switch character {
                case "\u{2588}": (upper, lower) = (true, true)
                case "\u{2580}": (upper, lower) = (true, false)
                case "\u{2584}": (upper, lower) = (false, true)
                default: (upper, lower) = (false, false)
                }
                top.append(upper != lightIsDrawn)
                bottom.append(lower != lightIsDrawn)
            }
            rows.append(top)
            rows.append(bottom)
        }
        let scale = 4
        let width = (rows.first?.count ?? 0) * scale
        var bytes = Array("P5\n\(width) \(rows.count * scale)\n255\n".utf8)
        for row in rows {
            let line = row.flatMap { dark in Array(repeating: UInt8(dark ? 0 : 255), count: scale) }
            for _ in 0..<scale { bytes += line }
        }
        return Data(bytes)
    }

    @Test(arguments: ["utf8", "ansi"])
    func terminalDrawingDecodesToThePrintedURI(style: String) throws {
        let temp = try TempStore()
        let result = try CLI.run(["enroll", "--pending", "--qr", style] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "Scan this QR code with your authenticator app:")) + 2
        let end = try #require(lines[start...].firstIndex(of: ""))
        let drawing = lines[start..<end].map { line in
            line.replacingOccurrences(of: "\u{1B}[30;107m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
        }
        if style == "ansi" {
            #expect(lines[start].hasPrefix("\u{1B}[30;107m"))
        } else {
            #expect(!result.stdout.contains("\u{1B}"))
        }
        let image = temp.path + "-qr.pgm"
        defer { try? FileManager.default.removeItem(atPath: image) }
        try pgm(from: drawing, lightIsDrawn: style == "utf8").write(to: URL(fileURLWithPath: image))
        #expect(try decode(image) == printedURI(result.stdout))
    }
}
