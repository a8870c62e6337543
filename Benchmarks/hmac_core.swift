// hmac-core: the swift-2fa OTP core on the same input as hmac_raw.c: HMAC-SHA1 of
// an 8-byte counter under a 20-byte key, then dynamic truncation (HOTP.truncatedValue),
// and the full 6-digit code string (HOTP.code). Compiled by Benchmarks/run.sh with
// `swiftc -O -parse-as-library` together with Sources/TwoFactorCore/*.swift and
// Sources/CCrypto/crypto.c (clang -O2), the same code the module runs.
// Prints "CORE truncate <ns>" and "CORE code <ns>".
import Glibc

@main
struct HMACCoreBenchmark {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func main() {
        let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
        let key = Array("12345678901234567890".utf8)
        var sink: UInt32 = 0
        var start = seconds()
        for i in 0..<iterations {
            sink &+= HOTP.truncatedValue(secret: key, counter: UInt64(i), algorithm: .sha1) ?? 0
        }
        print("CORE truncate \((seconds() - start) / Double(iterations) * 1e9)")
        start = seconds()
        for i in 0..<iterations {
            sink &+= UInt32(HOTP.code(secret: key, counter: UInt64(i), digits: 6, algorithm: .sha1)?.utf8.count ?? 0)
        }
        print("CORE code \((seconds() - start) / Double(iterations) * 1e9)")
        if sink == 42 { print("") }
    }
}
