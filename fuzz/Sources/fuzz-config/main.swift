import FuzzSupport
import Membranes

/// Reads the input as a training config's YAML text, with every check `membrane train` runs
/// before training. Errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let source = "fuzz.yaml"
    guard let values = try? loadYAMLMapping(fuzzInput(start, count), source: source) else { return 0 }
    _ = try? TrainingConfig(values: values, source: source)
    return 0
}

runFuzzer(fuzzConfig)
