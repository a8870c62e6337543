import Foundation
import Testing

/// docs/architecture.md is where a newcomer learns the layout: it must name every target
/// Package.swift declares, so a new target cannot arrive undocumented.
@Suite("docs/architecture.md names every target")
struct ArchitectureDocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The names of the targets in Package.swift (`.target(name:`, `.testTarget(name:`, ...).
    static func targets() throws -> [String] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var names: [String] = []
        var rest = Substring(manifest)
        while let declaration = rest.range(of: #"\.(target|testTarget|executableTarget|systemLibrary)\(\s*name:\s*""#,
                                             options: .regularExpression) {
            rest = rest[declaration.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            names.append(String(rest[..<end]))
        }
        return names
    }

    @Test("every target of Package.swift appears in the architecture document")
    func everyTargetNamed() throws {
        let document = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let targets = try Self.targets()
        #expect(targets.count >= 10, "found \(targets)")
        for target in targets {
            #expect(document.contains("`\(target)`") || document.contains("`Sources/\(target)`")
                    || document.contains("`Tests/\(target)`"), "docs/architecture.md does not name \(target)")
        }
    }
}
