import Foundation
import FuzzSupport
import Tokenizer

/// The tokenizer folder this process writes each input into, holding the embedded model's
/// `tokenizer_config.json` and `special_tokens_map.json`.
let folder: URL = FuzzFiles.setUp("prepare the tokenizer folder") {
    let folder = FuzzFiles.scratch.appendingPathComponent("tokenizer")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in ["tokenizer_config.json", "special_tokens_map.json"] {
        let shipped = FuzzFiles.model.appendingPathComponent("tokenizer").appendingPathComponent(name)
        try FileManager.default.copyItem(at: shipped, to: folder.appendingPathComponent(name))
    }
    return folder
}

/// Splits the input at its first zero byte into `vocab.json` and `merges.txt` (no zero byte:
/// all of it is `vocab.json`, and `merges.txt` is empty), loads that folder as a tokenizer and,
/// when it loads, encodes a fixed sentence. Errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTokenizerFiles(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    let split = input.firstIndex(of: 0) ?? input.endIndex
    let vocabulary = input[input.startIndex..<split]
    let merges = split < input.endIndex ? input[input.index(after: split)...] : Data()
    do {
        try Data(vocabulary).write(to: folder.appendingPathComponent("vocab.json"))
        try Data(merges).write(to: folder.appendingPathComponent("merges.txt"))
    } catch {
        fatalError("fuzz: cannot write the tokenizer files: \(error)")
    }
    guard let tokenizer = try? CLIPTokenizer(directory: folder) else { return 0 }
    _ = tokenizer.encode("a red circle and a blue square, <|endoftext|> ÄÖ 東京 🎨")
    return 0
}

runFuzzer(fuzzTokenizerFiles)
