import FuzzSupport
import TorchCheckpoint

/// Opens the input as a PyTorch `.ckpt` (zip archive and restricted unpickler); when it
/// validates, reads every tensor each way. Errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzCheckpoint(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let file = try? TorchCheckpointFile(contents: fuzzInput(start, count), path: "fuzz.ckpt") else { return 0 }
    for name in file.names {
        _ = try? file.info(name)
        _ = try? file.floats(name)
        _ = try? file.int64s(name)
        _ = try? file.bytes(name)
    }
    return 0
}

runFuzzer(fuzzCheckpoint)
