import Foundation

/// The products of the build these tests belong to: found next to the test runner, so that
/// the tests use the build of whatever scratch path they were run from.
public enum BuiltProduct {
    /// The path of the built product `name` (an executable or a library), or a path that says
    /// it was not found.
    public static func path(_ name: String) -> String {
        var candidates: [URL] = []
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(argument0.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            var url = directory
            // Walk up out of an .xctest bundle if the runner is inside one.
            for _ in 0..<4 {
                let product = url.appendingPathComponent(name).path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: product, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return product
                }
                url = url.deletingLastPathComponent()
            }
        }
        return "\(name)-not-found-next-to-\(argument0.path)"
    }
}
