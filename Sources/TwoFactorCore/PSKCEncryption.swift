import CCrypto

/// How a PSKC file (RFC 6030 section 6) protects its values, and how to open them: the
/// encryption key (pre-shared, or derived from a password with PBKDF2), the MAC key, the
/// algorithms. The crypto itself is GNU Nettle's, through CCrypto.
struct PSKCEncryption {
    static let pskc = "urn:ietf:params:xml:ns:keyprov:pskc"
    static let xmldsig = "http://www.w3.org/2000/09/xmldsig#"
    static let xmlenc = "http://www.w3.org/2001/04/xmlenc#"
    static let xmlenc11 = "http://www.w3.org/2009/xmlenc11#"
    static let pkcs5 = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"
    static let pbkdf2 = pkcs5 + "pbkdf2"

    /// The HMAC hashes named by XML Signature URIs (MAC methods and PBKDF2 pseudo-random functions).
    static let hmacNames: [String: HashAlgorithm] = [
        xmldsig + "hmac-sha1": .sha1,
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": .sha256,
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": .sha512,
    ]

    /// AES-CBC and AES key wrap key sizes by XML Encryption URI.
    static let cipherKeySizes: [String: (keySize: Int, isKeyWrap: Bool)] = [
        xmlenc + "aes128-cbc": (16, false),
        xmlenc + "aes192-cbc": (24, false),
        xmlenc + "aes256-cbc": (32, false),
        xmlenc + "kw-aes128": (16, true),
        xmlenc + "kw-aes192": (24, true),
        xmlenc + "kw-aes256": (32, true),
    ]

    /// What guards a value's integrity.
    enum Integrity {
        /// The MAC key itself: nothing (a wrong key shows in the values' MACs).
        case macKey
        /// A `Data` value, with its `ValueMAC` when it has one: required for CBC, checked when given.
        case value(mac: [UInt8]?)
    }

    /// The encryption key, once known.
    let key: [UInt8]
    /// The MAC method's hash and key, when the file has a `MACMethod`.
    var mac: (algorithm: HashAlgorithm, key: [UInt8])?

    /// Decrypts an `EncryptedValue` or `MACKey` element (`xenc:EncryptionMethod` and
    /// `xenc:CipherData/xenc:CipherValue`), checking the value's MAC first.
    /// The messages name what is wrong, never a key or a value.
    func decrypt(_ element: XMLElement, integrity: Integrity) throws(PSKCFile.ParseError) -> [UInt8] {
        let cipherValue = try Self.cipherValue(element)
        guard let method = element.children(Self.xmlenc, "EncryptionMethod").first?.attribute("Algorithm") else {
            throw PSKCFile.ParseError("no xenc:EncryptionMethod Algorithm")
        }
        guard let cipher = Self.cipherKeySizes[method] else {
            throw PSKCFile.ParseError("encryption algorithm \(PSKCFile.quoted(method)) is not supported "
                                      + "(aes128-cbc, aes192-cbc, aes256-cbc, kw-aes128, kw-aes192, kw-aes256)")
        }
        guard key.count == cipher.keySize else {
            throw PSKCFile.ParseError("the key is \(key.count) bytes; \(method.split(separator: "#").last ?? "") "
                                      + "needs \(cipher.keySize)")
        }
        if case .value(let valueMAC) = integrity {
            // CBC has no integrity of its own: the MAC is what tells a wrong key from a right one.
            guard valueMAC != nil || cipher.isKeyWrap else { throw PSKCFile.ParseError("no ValueMAC") }
            if let valueMAC {
                guard let mac else { throw PSKCFile.ParseError("a ValueMAC without a MACMethod") }
                guard let computed = mac.algorithm.hmac(key: mac.key, message: cipherValue),
                      ConstantTime.equal(computed, valueMAC) else {
                    throw PSKCFile.ParseError("wrong MAC (a wrong key or password, or a damaged file)")
                }
            }
        }
        return cipher.isKeyWrap ? try unwrap(cipherValue) : try cbcDecrypt(cipherValue)
    }

    /// AES-CBC with the IV before the cipher text and PKCS #7 padding.
    private func cbcDecrypt(_ cipherValue: [UInt8]) throws(PSKCFile.ParseError) -> [UInt8] {
        guard cipherValue.count >= 32, cipherValue.count % 16 == 0 else {
            throw PSKCFile.ParseError("the cipher value is not an IV and whole AES blocks")
        }
        var (decrypted, plain) = withBuffers(cipherValue, outputCount: cipherValue.count - 16) { key, cipher, plain in
            guard let iv = cipher.baseAddress else { return Int32(0) }
            return s2fa_aes_cbc_decrypt(key.baseAddress, key.count, iv, iv + 16, plain.count, plain.baseAddress)
        }
        guard decrypted == 1 else { throw PSKCFile.ParseError("cannot decrypt") }
        // PKCS#7 padding: 1 to 16 bytes, each the padding length.
        guard let padding = plain.last, (1...16).contains(padding),
              plain.suffix(Int(padding)).allSatisfy({ $0 == padding }) else {
            throw PSKCFile.ParseError("cannot decrypt (a wrong key or password?)")
        }
        plain.removeLast(Int(padding))
        return plain
    }

    /// AES key unwrap (RFC 3394, or RFC 5649 with padding).
    private func unwrap(_ cipherValue: [UInt8]) throws(PSKCFile.ParseError) -> [UInt8] {
        guard cipherValue.count >= 16, cipherValue.count % 8 == 0 else {
            throw PSKCFile.ParseError("the cipher value is not whole key-wrap blocks")
        }
        var (length, plain) = withBuffers(cipherValue, outputCount: cipherValue.count - 8) { key, cipher, plain in
            s2fa_aes_key_unwrap(key.baseAddress, key.count, cipher.baseAddress, cipher.count, plain.baseAddress)
        }
        guard length > 0, length <= plain.count else {
            throw PSKCFile.ParseError("cannot unwrap (a wrong key or password, or a damaged file)")
        }
        plain.removeLast(plain.count - length)
        return plain
    }

    /// Calls CCrypto with the key, the cipher value and a zeroed output of `outputCount` bytes;
    /// returns what the call returned and the output.
    private func withBuffers<Result>(_ cipherValue: [UInt8], outputCount: Int,
                                     _ call: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>,
                                              UnsafeMutableBufferPointer<UInt8>) -> Result) -> (Result, [UInt8]) {
        var output = [UInt8](repeating: 0, count: outputCount)
        let result = key.withUnsafeBufferPointer { keyBytes in
            cipherValue.withUnsafeBufferPointer { cipherBytes in
                output.withUnsafeMutableBufferPointer { call(keyBytes, cipherBytes, $0) }
            }
        }
        return (result, output)
    }

    /// The bytes of `xenc:CipherData/xenc:CipherValue`.
    static func cipherValue(_ element: XMLElement) throws(PSKCFile.ParseError) -> [UInt8] {
        guard let data = element.children(xmlenc, "CipherData").first,
              let value = data.children(xmlenc, "CipherValue").first else {
            throw PSKCFile.ParseError("no xenc:CipherData/xenc:CipherValue")
        }
        guard let bytes = Base64.decode(value.text) else { throw PSKCFile.ParseError("the cipher value is not base64") }
        return bytes
    }

    /// PBKDF2 with HMAC of `algorithm`; nil if Nettle refuses the parameters.
    static func pbkdf2(_ algorithm: HashAlgorithm, password: [UInt8], salt: [UInt8], iterations: UInt32,
                       length: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { passwordBytes in
            salt.withUnsafeBufferPointer { saltBytes in
                out.withUnsafeMutableBufferPointer { outBytes in
                    s2fa_pbkdf2(algorithm.cryptoID, passwordBytes.baseAddress, passwordBytes.count,
                                saltBytes.baseAddress, saltBytes.count, iterations, outBytes.baseAddress, outBytes.count)
                }
            }
        }
        return ok == 1 ? out : nil
    }
}
