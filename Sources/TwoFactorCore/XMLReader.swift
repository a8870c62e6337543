/// One element of an XML document read by `XMLReader`: its expanded name, attributes, child
/// elements and the character data directly inside it.
public struct XMLElement: Equatable, Sendable {
    /// One attribute; `namespace` is empty for an unprefixed attribute.
    public struct Attribute: Equatable, Sendable {
        public var namespace: String
        public var name: String
        public var value: String
    }

    /// The namespace URI (empty when the element is in no namespace).
    public var namespace: String
    /// The local name (without prefix).
    public var name: String
    /// Attributes in document order, namespace declarations left out.
    public var attributes: [Attribute]
    /// Child elements in document order.
    public var children: [XMLElement]
    /// The character data directly in this element (entities and CDATA resolved), concatenated.
    public var text: String
    /// The line of the start tag (the first line is 1).
    public var line: Int

    /// The value of the unprefixed attribute `name`.
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.namespace.isEmpty && $0.name == name }?.value
    }

    /// The child elements with this namespace and local name.
    public func children(_ namespace: String, _ name: String) -> [XMLElement] {
        children.filter { $0.namespace == namespace && $0.name == name }
    }
}

/// Why a document was refused, with the line where the reader stopped.
public struct XMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "XML line \(line): \(message)" }
}

/// A small, strict, non-validating XML 1.0 reader, enough for PSKC files: elements,
/// attributes, namespaces (prefix to URI, scoped), character data, the five predefined
/// entities and character references, CDATA sections, comments, processing instructions
/// and the XML declaration (skipped). A document type declaration (and so any entity
/// declaration) is refused outright, so no entity can expand, and no external resource is
/// ever named. Works on the UTF-8 bytes; the text is valid UTF-8 since it is a `String`.
public enum XMLReader {
    /// Bounds on what is read (start from `standard` and change what differs).
    public struct Limits: Sendable {
        public var maximumSize: Int
        public var maximumDepth: Int
        public var maximumElements: Int
        public var maximumAttributes: Int

        /// 1 MiB, depth 32, 20,000 elements, 32 attributes each.
        public static let standard = Limits(maximumSize: 1 << 20, maximumDepth: 32, maximumElements: 20_000,
                                            maximumAttributes: 32)
    }

    /// The XML namespace, bound to the prefix `xml` in every document.
    static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

    /// Reads the document and returns its root element.
    public static func parse(_ text: String, limits: Limits) throws(XMLError) -> XMLElement {
        guard text.utf8.count <= limits.maximumSize else {
            throw XMLError(line: 1, message: "the document is larger than \(limits.maximumSize) bytes")
        }
        var reader = Cursor(bytes: Array(text.utf8), limits: limits)
        return try reader.document()
    }

    /// An element being read: its raw name and the namespace bindings in force inside it.
    private struct OpenElement {
        var element: XMLElement
        var rawName: ArraySlice<UInt8>
        var bindings: [String: String]
    }

    private struct Cursor {
        let bytes: [UInt8]
        let limits: Limits
        var position = 0
        var line = 1
        var elementCount = 0

        init(bytes: [UInt8], limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        func error(_ message: String) -> XMLError { XMLError(line: line, message: message) }

        var atEnd: Bool { position >= bytes.count }

        func peek(_ literal: String) -> Bool {
            let utf8 = literal.utf8
            guard bytes.count - position >= utf8.count else { return false }
            return zip(bytes[position...], utf8).allSatisfy { $0 == $1 }
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where position < bytes.count {
                if bytes[position] == 0x0A { line += 1 }
                position += 1
            }
        }

        mutating func skipSpace() {
            while !atEnd, isSpace(bytes[position]) { advance() }
        }

        /// Skips to just after `terminator`; throws when the document ends first.
        mutating func skip(past terminator: String, what: String) throws(XMLError) -> ArraySlice<UInt8> {
            let start = position
            while !atEnd {
                if peek(terminator) {
                    let content = bytes[start..<position]
                    advance(terminator.utf8.count)
                    return content
                }
                advance()
            }
            throw error("unterminated \(what)")
        }

        /// Comments, processing instructions and white space outside the root element.
        mutating func misc() throws(XMLError) {
            while true {
                skipSpace()
                if peek("<!--") {
                    try comment()
                } else if peek("<?") {
                    _ = try skip(past: "?>", what: "processing instruction")
                } else if peek("<!DOCTYPE") || peek("<!ENTITY") {
                    throw error("document type and entity declarations are not accepted")
                } else {
                    return
                }
            }
        }

        mutating func comment() throws(XMLError) {
            advance(4)
            let content = try skip(past: "-->", what: "comment")
            if content.indices.contains(where: { content[$0] == 0x2D && $0 + 1 < content.endIndex && content[$0 + 1] == 0x2D })
                || content.last == 0x2D {
                throw error("'--' inside a comment")
            }
        }

        mutating func document() throws(XMLError) -> XMLElement {
            if peek("\u{FEFF}") { advance(3) }
            try misc()
            guard peek("<"), !peek("</"), !peek("<!") else { throw error("no root element") }
            let root = try element()
            try misc()
            guard atEnd else { throw error("content after the root element") }
            return root
        }

        /// Reads a whole element (start tag at the cursor) without recursion.
        mutating func element() throws(XMLError) -> XMLElement {
            var stack: [OpenElement] = []
            var finished: XMLElement?
            let root = try startTag(parentBindings: ["xml": xmlNamespace])
            if root.selfClosing { return root.open.element }
            stack.append(root.open)
            while let current = stack.last {
                guard !atEnd else { throw error("the document ends inside <\(name(current.rawName))>") }
                if peek("</") {
                    advance(2)
                    let raw = readName()
                    skipSpace()
                    guard peek(">") else { throw error("malformed end tag") }
                    advance()
                    guard raw == current.rawName else {
                        throw error("</\(name(raw))> closes <\(name(current.rawName))>")
                    }
                    let done = stack.removeLast().element
                    if stack.isEmpty {
                        finished = done
                    } else {
                        stack[stack.count - 1].element.children.append(done)
                    }
                } else if peek("<!--") {
                    try comment()
                } else if peek("<![CDATA[") {
                    advance(9)
                    let content = try skip(past: "]]>", what: "CDATA section")
                    stack[stack.count - 1].element.text += String(decoding: content, as: UTF8.self)
                } else if peek("<?") {
                    _ = try skip(past: "?>", what: "processing instruction")
                } else if peek("<!") {
                    throw error("document type and entity declarations are not accepted")
                } else if peek("<") {
                    guard stack.count < limits.maximumDepth else {
                        throw error("elements nested deeper than \(limits.maximumDepth)")
                    }
                    let child = try startTag(parentBindings: current.bindings)
                    if child.selfClosing {
                        stack[stack.count - 1].element.children.append(child.open.element)
                    } else {
                        stack.append(child.open)
                    }
                } else {
                    let text = try characterData()
                    stack[stack.count - 1].element.text += text
                }
            }
            guard let finished else { throw error("no root element") }
            return finished
        }

        /// Character data up to the next `<`, with references resolved.
        mutating func characterData() throws(XMLError) -> String {
            var out: [UInt8] = []
            while !atEnd, bytes[position] != UInt8(ascii: "<") {
                if bytes[position] == UInt8(ascii: "&") {
                    out += try reference()
                } else {
                    if peek("]]>") { throw error("']]>' in character data") }
                    guard bytes[position] >= 0x20 || isSpace(bytes[position]) else { throw error("a control character") }
                    out.append(bytes[position])
                    advance()
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// An entity or character reference at the cursor, as UTF-8.
        mutating func reference() throws(XMLError) -> [UInt8] {
            advance()
            let start = position
            while !atEnd, bytes[position] != UInt8(ascii: ";"), position - start < 12 { advance() }
            guard !atEnd, bytes[position] == UInt8(ascii: ";") else { throw error("malformed reference") }
            let body = bytes[start..<position]
            advance()
            switch String(decoding: body, as: UTF8.self) {
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "amp": return [UInt8(ascii: "&")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            case let other where other.hasPrefix("#"):
                let digits = other.dropFirst()
                let hex = digits.hasPrefix("x")
                let number = hex ? digits.dropFirst() : digits
                // Digits only: UInt32(_:radix:) would also take a sign.
                let value = !number.isEmpty && number.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) })
                    ? UInt32(number, radix: hex ? 16 : 10) : nil
                guard let value, let scalar = Unicode.Scalar(value), isCharacter(scalar) else {
                    throw error("invalid character reference")
                }
                return Array(String(Character(scalar)).utf8)
            default:
                throw error("unknown entity '&\(printable(body));'")
            }
        }

        /// A start tag at the cursor. Returns the element opened (or complete, when self-closing).
        mutating func startTag(parentBindings: [String: String]) throws(XMLError) -> (open: OpenElement, selfClosing: Bool) {
            elementCount += 1
            guard elementCount <= limits.maximumElements else {
                throw error("more than \(limits.maximumElements) elements")
            }
            let startLine = line
            advance()
            let raw = readName()
            guard !raw.isEmpty else { throw error("malformed start tag") }
            var rawAttributes: [(name: ArraySlice<UInt8>, value: String)] = []
            var selfClosing = false
            while true {
                let hadSpace = !atEnd && isSpace(bytes[position])
                skipSpace()
                guard !atEnd else { throw error("the document ends inside a start tag") }
                if peek("/>") {
                    advance(2)
                    selfClosing = true
                    break
                }
                if peek(">") {
                    advance()
                    break
                }
                guard hadSpace else { throw error("malformed start tag <\(name(raw))>") }
                let attributeName = readName()
                guard !attributeName.isEmpty else { throw error("malformed attribute in <\(name(raw))>") }
                skipSpace()
                guard peek("=") else { throw error("attribute without a value in <\(name(raw))>") }
                advance()
                skipSpace()
                guard !atEnd, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                    throw error("unquoted attribute value in <\(name(raw))>")
                }
                let quote = bytes[position]
                advance()
                var value: [UInt8] = []
                while true {
                    guard !atEnd else { throw error("unterminated attribute value") }
                    let byte = bytes[position]
                    if byte == quote { advance(); break }
                    if byte == UInt8(ascii: "<") { throw error("'<' in an attribute value") }
                    guard byte >= 0x20 || isSpace(byte) else { throw error("a control character") }
                    if byte == UInt8(ascii: "&") {
                        value += try reference()
                    } else {
                        // Attribute-value normalization: white space characters become spaces.
                        value.append(isSpace(byte) ? 0x20 : byte)
                        advance()
                    }
                }
                guard !rawAttributes.contains(where: { $0.name == attributeName }) else {
                    throw error("attribute \(name(attributeName)) twice in <\(name(raw))>")
                }
                rawAttributes.append((attributeName, String(decoding: value, as: UTF8.self)))
                guard rawAttributes.count <= limits.maximumAttributes else {
                    throw error("more than \(limits.maximumAttributes) attributes in <\(name(raw))>")
                }
            }
            // Namespace declarations first, then the names they bind.
            var bindings = parentBindings
            for attribute in rawAttributes {
                if attribute.name.elementsEqual("xmlns".utf8) {
                    bindings[""] = attribute.value
                } else if attribute.name.starts(with: "xmlns:".utf8) {
                    let prefix = String(decoding: attribute.name.dropFirst(6), as: UTF8.self)
                    guard !prefix.isEmpty, prefix != "xmlns", prefix != "xml" || attribute.value == xmlNamespace,
                          !attribute.value.isEmpty else {
                        throw error("invalid namespace declaration in <\(name(raw))>")
                    }
                    bindings[prefix] = attribute.value
                }
            }
            let (namespace, localName) = try resolve(raw, bindings: bindings, isAttribute: false)
            var element = XMLElement(namespace: namespace, name: localName, attributes: [], children: [], text: "",
                                     line: startLine)
            for attribute in rawAttributes
            where !attribute.name.elementsEqual("xmlns".utf8) && !attribute.name.starts(with: "xmlns:".utf8) {
                let (attributeNamespace, attributeName) = try resolve(attribute.name, bindings: bindings, isAttribute: true)
                guard !element.attributes.contains(where: { $0.namespace == attributeNamespace && $0.name == attributeName }) else {
                    throw error("attribute \(attributeName) twice in <\(name(raw))>")
                }
                element.attributes.append(XMLElement.Attribute(namespace: attributeNamespace, name: attributeName,
                                                               value: attribute.value))
            }
            return (OpenElement(element: element, rawName: raw, bindings: bindings), selfClosing)
        }

        /// The namespace URI and local name of a qualified name.
        func resolve(_ raw: ArraySlice<UInt8>, bindings: [String: String],
                     isAttribute: Bool) throws(XMLError) -> (String, String) {
            let parts = raw.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            switch parts.count {
            case 1:
                return (isAttribute ? "" : bindings[""] ?? "", String(decoding: raw, as: UTF8.self))
            case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
                let prefix = String(decoding: parts[0], as: UTF8.self)
                guard let namespace = bindings[prefix] else { throw error("undeclared namespace prefix '\(printable(parts[0]))'") }
                return (namespace, String(decoding: parts[1], as: UTF8.self))
            default:
                throw error("malformed name '\(printable(raw))'")
            }
        }

        /// A name at the cursor (possibly empty): every byte up to white space or a delimiter.
        mutating func readName() -> ArraySlice<UInt8> {
            let start = position
            while !atEnd {
                let byte = bytes[position]
                if isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
                    || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
                    || byte == UInt8(ascii: "&") || byte < 0x20 {
                    break
                }
                position += 1
            }
            return bytes[start..<position]
        }

        func name(_ raw: ArraySlice<UInt8>) -> String { printable(raw) }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// XML 1.0's Char production.
    private static func isCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Up to 40 printable ASCII characters of a name, for messages.
    static func printable(_ raw: ArraySlice<UInt8>) -> String {
        String(decoding: raw.prefix(40).filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
    }
}
