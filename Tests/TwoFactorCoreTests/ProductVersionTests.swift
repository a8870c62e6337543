import Foundation
import Testing
import TwoFactorCore

@Suite("The product version")
struct ProductVersionTests {
    static let changelog = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../packaging/deb/changelog").standardized

    @Test("the newest entry of packaging/deb/changelog (what install.sh --deb builds) is this version")
    func debianChangelog() throws {
        let text = try String(contentsOf: Self.changelog, encoding: .utf8)
        let first = try #require(text.split(separator: "\n").first)
        // "swift-2fa (0.1.0-1) unstable; urgency=medium": the upstream version is before the
        // last '-' of the Debian version.
        let open = try #require(first.firstIndex(of: "("))
        let close = try #require(first.firstIndex(of: ")"))
        let debian = first[first.index(after: open)..<close]
        let upstream = debian.lastIndex(of: "-").map { debian[..<$0] } ?? debian
        #expect(first.hasPrefix("swift-2fa ("))
        #expect(String(upstream) == ProductVersion.current, "changelog has \(debian)")
    }

    @Test("the version is a dotted number")
    func shape() {
        let parts = ProductVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) })
    }
}
