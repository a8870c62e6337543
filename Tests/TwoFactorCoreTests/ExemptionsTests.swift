import Testing
@testable import TwoFactorCore

/// Numeric networks and the exemption options, decided without I/O.
@Suite("Exemptions: exempt_network, exempt_group, require_group")
struct ExemptionsTests {
    static let zeros12 = [UInt8](repeating: 0, count: 12)
    static let addressCases: [(String, [UInt8]?)] = [
        ("192.0.2.7", [192, 0, 2, 7]), ("0.0.0.0", [0, 0, 0, 0]), ("255.255.255.255", [255, 255, 255, 255]),
        ("::1", [0, 0, 0] + zeros12 + [1]), ("::", [0, 0, 0, 0] + zeros12),
        ("2001:db8::", [0x20, 0x01, 0x0d, 0xb8] + zeros12),
        ("2001:DB8:0:0:0:0:0:1", [0x20, 0x01, 0x0d, 0xb8] + zeros12.dropLast() + [1]),
        ("::ffff:192.0.2.7", [192, 0, 2, 7]), ("64:ff9b::192.0.2.7", [0, 0x64, 0xff, 0x9b] + zeros12.dropLast(4) + [192, 0, 2, 7]),
        ("192.0.2.256", nil), ("192.0.2", nil), ("192.0.2.07", nil), ("host.example", nil), ("", nil),
        ("1:2:3:4:5:6:7:8:9", nil), ("1::2::3", nil), (":::", nil), ("fe80::1%eth0", nil), ("[::1]", nil),
        ("12345::", nil), ("1:2:3:4:5:6:7::8", nil), (" 192.0.2.7", nil),
    ]

    @Test("numeric IPv4 and IPv6 addresses parse; names, leading zeros, zones and junk do not", arguments: addressCases)
    func addresses(_ text: String, _ bytes: [UInt8]?) {
        #expect(IPAddress.parse(text) == bytes, "\(text)")
    }

    @Test("a network contains the addresses of its prefix, of its own family only")
    func networks() throws {
        let v4 = try #require(NetworkRange("192.0.2.0/24"))
        #expect(v4.contains(rhost: "192.0.2.0") && v4.contains(rhost: "192.0.2.255") && v4.contains(rhost: "::ffff:192.0.2.1"))
        #expect(!v4.contains(rhost: "192.0.3.0") && !v4.contains(rhost: "2001:db8::") && !v4.contains(rhost: "localhost"))
        let v6 = try #require(NetworkRange("2001:db8:8000::/33"))
        #expect(v6.contains(rhost: "2001:db8:ffff::1") && !v6.contains(rhost: "2001:db8:7fff::1"))
        let one = try #require(NetworkRange("198.51.100.7"))
        #expect(one.prefixLength == 32 && one.contains(rhost: "198.51.100.7") && !one.contains(rhost: "198.51.100.8"))
        #expect(NetworkRange("0.0.0.0/0")?.contains(rhost: "203.0.113.1") == true)
        #expect(NetworkRange("0.0.0.0/0")?.contains(rhost: "::1") == false)
        #expect(v6.description == "2001:db8:8000:0:0:0:0:0/33" && v4.description == "192.0.2.0/24")
        for bad in ["192.0.2.1/24", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/-1", "/24", "192.0.2.0/24/1", "example.org/24"] {
            #expect(NetworkRange(bad) == nil, "\(bad)")
        }
    }

    @Test("the options: lists from the module line or the file (a space after a comma), refused when malformed")
    func options() throws {
        let parsed = try ModuleOptions.parse(["exempt_group=wheel,admins", "require_group=staff", "exempt_network=10.0.0.0/8,2001:db8::/32"])
        #expect(parsed.exemptions.exemptGroups == ["wheel", "admins"] && parsed.exemptions.requiredGroups == ["staff"])
        #expect(parsed.exemptions.exemptNetworks == [NetworkRange("10.0.0.0/8"), NetworkRange("2001:db8::/32")].compactMap { $0 })
        #expect(parsed.exemptions.summary == ["exempt_group=wheel,admins", "require_group=staff",
                                              "exempt_network=10.0.0.0/8,2001:db8:0:0:0:0:0:0/32"])
        let config = try ConfigFile.parse("exempt_network = 10.0.0.0/8, 192.168.0.0/16\n", path: "/etc/swift-2fa/swift-2fa.conf")
        let fromFile = try ModuleOptions.parse([], config: config)
        #expect(fromFile.exemptions.exemptNetworks.count == 2)
        #expect(try ModuleOptions.parse(["exempt_network=192.0.2.0/24"], config: config).exemptions.exemptNetworks.count == 1,
                "the module line overrides the file")
        let tooMany = (1...33).map { "g\($0)" }.joined(separator: ",")
        for bad in ["exempt_group", "exempt_group=", "exempt_group=a,,b", "exempt_group=a,a", "exempt_group=\(tooMany)",
                    "exempt_group=bad/name", "exempt_network=localhost", "exempt_network=10.0.0.1/8", "require_group="] {
            #expect(throws: OptionError.self, "\(bad)") { try ModuleOptions.parse([bad]) }
        }
        #expect(ModuleOptions().exemptions.isEmpty)
    }

    @Test("the decision: the network first, then require_group, then exempt_group")
    func decision() throws {
        var rules = Exemptions()
        rules.exemptNetworks = [try #require(NetworkRange("192.0.2.0/24"))]
        rules.requiredGroups = ["staff"]
        rules.exemptGroups = ["wheel", "staff"]
        #expect(rules.groupsToLookUp == ["staff", "wheel"])
        #expect(rules.networkExemption(rhost: "192.0.2.1") == "rhost in exempt_network 192.0.2.0/24")
        #expect(rules.networkExemption(rhost: nil) == nil && rules.networkExemption(rhost: "198.51.100.1") == nil)
        #expect(rules.groupExemption(memberOf: { _ in false }) == "not a member of require_group staff")
        #expect(rules.groupExemption(memberOf: { $0 == "wheel" }) == "not a member of require_group staff")
        #expect(rules.groupExemption(memberOf: { $0 == "staff" }) == "member of exempt_group staff")
        rules.exemptGroups = ["wheel"]
        #expect(rules.groupExemption(memberOf: { $0 == "staff" }) == nil)
        #expect(rules.groupExemption(memberOf: { _ in true }) == "member of exempt_group wheel")
    }
}
