import Foundation

/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, as `Data`.
public func fuzzInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Data {
    guard let start, count > 0 else { return Data() }
    return Data(bytes: start, count: count)
}
