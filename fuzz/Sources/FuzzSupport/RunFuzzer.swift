import CLibFuzzer
import Foundation

/// The function libFuzzer calls with each input; its result must be 0.
public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer on `test` with the process's arguments (`-runs=`, `-max_len=`, corpus folders,
/// ...) and exits with its status.
///
/// Each target's `main.swift` calls this: SwiftPM points `main` at the executable's own entry
/// point, which takes the place of libFuzzer's `main`, so the driver is started explicitly. The
/// test function is still exported as `LLVMFuzzerTestOneInput`, which libFuzzer's (unused)
/// `main` refers to.
public func runFuzzer(_ test: FuzzTest) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
