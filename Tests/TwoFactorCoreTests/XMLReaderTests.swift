import Testing
@testable import TwoFactorCore

/// The small XML reader under the PSKC import.
@Suite("XMLReader")
struct XMLReaderTests {
    static let limits = {
        var limits = XMLReader.Limits.standard
        limits.maximumSize = 4096
        limits.maximumDepth = 8
        limits.maximumElements = 50
        limits.maximumAttributes = 4
        return limits
    }()

    static func refusal(_ text: String, limits: XMLReader.Limits = limits) -> String? {
        do throws(XMLError) {
            _ = try XMLReader.parse(text, limits: limits)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("elements, scoped namespaces, attributes, text, entities, CDATA, comments")
    func document() throws {
        let text = """
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- before -->
            <a:root xmlns:a="urn:a" xmlns="urn:default" a:x="1" y='&quot;2&apos;'>
              <child>&lt;&gt;&amp;&#65;&#x42;&#x1F600;<![CDATA[<not a tag>]]></child>
              <a:other z="tab\there"/>
              <inner xmlns="urn:inner"><deep/></inner>
              <?pi ignored?><!-- inside -->
            </a:root>
            <!-- after -->
            """
        let root = try XMLReader.parse(text, limits: Self.limits)
        #expect(root.namespace == "urn:a" && root.name == "root" && root.line == 3)
        #expect(root.attributes == [.init(namespace: "urn:a", name: "x", value: "1"), .init(namespace: "", name: "y", value: "\"2'")])
        #expect(root.attribute("y") == "\"2'" && root.attribute("x") == nil)
        #expect(root.children.map(\.name) == ["child", "other", "inner"])
        #expect(root.children[0].namespace == "urn:default")
        #expect(root.children[0].text == "<>&AB\u{1F600}<not a tag>")
        #expect(root.children[1].attribute("z") == "tab here")
        #expect(root.children[2].children.map(\.namespace) == ["urn:inner"])
        #expect(root.children("urn:default", "child").count == 1)
    }

    @Test("document types and entity declarations are refused outright")
    func noDoctype() {
        #expect(Self.refusal("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>")?.contains("not accepted") == true)
        #expect(Self.refusal("<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>")
                == "XML line 2: document type and entity declarations are not accepted")
        #expect(Self.refusal("<r><!ENTITY e \"x\"></r>")?.contains("not accepted") == true)
        #expect(Self.refusal("<r>&e;</r>") == "XML line 1: unknown entity '&e;'")
    }

    @Test("malformed documents", arguments: [
        "", "text", "<r>", "<r></s>", "<r/><r/>", "<r/>x", "<a:r/>", "<r a=1/>", "<r a='1' a='2'/>",
        "<r xmlns:p='u' xmlns:q='u' p:a='1' q:a='2'/>", "<r a='<'/>", "<r>&#0;</r>", "<r>&#xD800;</r>", "<r>&#-1;</r>",
        "<r>&#x+41;</r>", "<r>&amp</r>", "<r><!-- a -- b --></r>", "<r>]]></r>", "<r><![CDATA[x</r>", "<r>\u{1}</r>",
        "<r a='1'b='2'/>", "<r xmlns:p=''/>", "<:r/>", "<r:/>", "<a:b:c/>", "</r>", "<r></r >x",
    ])
    func malformed(text: String) {
        #expect(Self.refusal(text) != nil, "\(text)")
    }

    @Test("limits: size, depth, elements, attributes")
    func limits() {
        #expect(Self.refusal("<r>" + String(repeating: " ", count: 4096) + "</r>")?.contains("larger than 4096") == true)
        let nested = { (depth: Int) in String(repeating: "<e>", count: depth) + String(repeating: "</e>", count: depth) }
        #expect(Self.refusal(nested(8)) == nil)
        #expect(Self.refusal(nested(9)) == "XML line 1: elements nested deeper than 8")
        #expect(Self.refusal("<r>" + String(repeating: "<e/>", count: 49) + "</r>") == nil)
        #expect(Self.refusal("<r>" + String(repeating: "<e/>", count: 50) + "</r>") == "XML line 1: more than 50 elements")
        #expect(Self.refusal("<r a='1' b='2' c='3' d='4'/>") == nil)
        #expect(Self.refusal("<r a='1' b='2' c='3' d='4' e='5'/>")?.contains("more than 4 attributes") == true)
        // Deep nesting is read without recursion: 10,000 levels are fine when the limit allows them.
        var deep = XMLReader.Limits.standard
        deep.maximumDepth = 10_000
        #expect(Self.refusal(nested(10_000), limits: deep) == nil)
    }
}

/// The strict base64 of PSKC values.
@Suite("Base64")
struct Base64Tests {
    @Test("RFC 4648 test vectors, with white space between characters")
    func vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.decode(encoded) == Array(plain.utf8), "\(encoded)")
        }
        #expect(Base64.decode(" Zm9v\n YmFy\r\n\t") == Array("foobar".utf8))
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test("anything not canonical is refused", arguments: [
        "Zg", "Zg=", "Zg===", "Z===", "Zh==", "Zm9=", "Zm8", "Zm9v=", "Zg==Zg==", "Zm-v", "Zm_v", "Zm9v YmF", "=Zm9",
    ])
    func refused(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
