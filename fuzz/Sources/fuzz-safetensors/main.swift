import FuzzSupport
import SafeTensors

/// Opens the input as a safetensors file; when it validates, reads every tensor each way.
/// Errors are the expected outcome; only a crash, hang or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSafeTensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let file = try? SafeTensorsFile(contents: fuzzInput(start, count), path: "fuzz.safetensors") else { return 0 }
    for name in file.names {
        _ = try? file.info(name)
        _ = try? file.floats(name)
        _ = try? file.int64s(name)
        _ = try? file.bytes(name)
        _ = try? file.withRawBytes(name) { $0.count }
    }
    return 0
}

runFuzzer(fuzzSafeTensors)
