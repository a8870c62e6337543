// The self-service socket's request parser (SelfServiceRequest, FlatJSONObject): what any
// local user can send to a root process. The input is the request's bytes as they are.
//
// Properties: parsing never crashes; a request over the size limit is refused; a flat object
// that parses writes back (`text`) to the same object, and a request to the same request;
// every accepted request proves itself (a code or a session) except `confirm`, which carries
// the pending credential's code; its codes and labels are the shapes the command takes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSelfRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let object = try? FlatJSONObject.parse(bytes) {
        fuzzCheck((try? FlatJSONObject.parse(Array(object.text.utf8))) == object, "object does not round-trip: \(object.text)")
    }
    guard let request = try? SelfServiceRequest.parse(bytes) else { return 0 }
    fuzzCheck(size <= SelfServiceRequest.maximumSize, "accepted \(size) bytes")
    fuzzCheck((try? SelfServiceRequest.parse(Array(request.text.utf8))) == request, "request does not round-trip: \(request.text)")
    switch request.operation {
    case .confirm(let code):
        fuzzCheck(request.proof == nil, "confirm with a proof")
        fuzzCheck(!code.isEmpty && code.utf8.count <= SelfServiceRequest.maximumCodeLength, "confirm code shape")
    case .credentialsRemove(let credential):
        fuzzCheck(Credential.isValidLabel(credential), "credential name \(credential)")
    case .credentialsRename(let credential, let label):
        fuzzCheck(Credential.isValidLabel(credential) && Credential.isValidLabel(label), "rename names")
    case .enrollAdd(let credential), .replace(let credential):
        fuzzCheck(credential.label.map(Credential.isValidLabel) ?? true, "new credential label")
        fuzzCheck(Credential.allowedDigits.contains(credential.digits), "digits \(credential.digits)")
        fuzzCheck(OTPParameters.allowedPeriods.contains(credential.period), "period \(credential.period)")
    case .status, .backupCodes, .credentialsList:
        break
    }
    switch request.proof {
    case .code(let code):
        fuzzCheck(code.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "code with a non-printable byte")
    case .session(let token):
        fuzzCheck(SelfServiceRequest.isSessionShape(token), "session shape")
    case nil:
        if case .confirm = request.operation {} else { fuzzCheck(false, "\(request.operationName) without a proof") }
    }
    return 0
}
