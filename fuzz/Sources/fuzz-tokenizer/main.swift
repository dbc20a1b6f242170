import FuzzSupport
import Tokenizer

/// The embedded model's tokenizer, loaded once per process.
let tokenizer: CLIPTokenizer = FuzzFiles.setUp("load the tokenizer") {
    try CLIPTokenizer(directory: FuzzFiles.model.appendingPathComponent("tokenizer"))
}

/// Tokenizes the input as text (invalid UTF-8 replaced, as `String(decoding:)` does) and decodes
/// the ids again; the ids must fit the vocabulary and the padded length.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTokenizer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: fuzzInput(start, count), as: UTF8.self)
    let ids = tokenizer.encode(text)
    guard ids.count == tokenizer.maxLength else {
        fatalError("encode gave \(ids.count) ids, expected \(tokenizer.maxLength)")
    }
    for id in ids where tokenizer.token(for: id) == nil {
        fatalError("encode gave id \(id), which is not in the vocabulary")
    }
    _ = tokenizer.tokens(text)
    _ = tokenizer.decode(tokenizer.ids(text))
    return 0
}

runFuzzer(fuzzTokenizer)
