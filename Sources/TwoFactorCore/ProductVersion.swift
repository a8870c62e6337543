/// The version of swift-2fa, one fact for every part: `swift-2fa-setup --version`, the
/// module's `debug` log line, and the upstream part of the Debian package version (the
/// newest entry of packaging/deb/changelog, which a test compares with this).
public enum ProductVersion {
    public static let current = "0.1.0"
}
