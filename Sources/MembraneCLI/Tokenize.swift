import ArgumentParser
import Foundation
import Tokenizer

/// `membrane tokenize --tokenizer DIR TEXT`: the 77 CLIP token ids as a JSON array.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the CLIP token ids of a text as a JSON array.")

    @Option(help: "Tokenizer folder (vocab.json, merges.txt); default: the embedded model's tokenizer.")
    var tokenizer: String?

    @Argument(help: "The text to tokenize.")
    var text: String

    func run() throws {
        let dir = try tokenizer.map { URL(fileURLWithPath: $0) } ?? ModelLocation.resolve(nil).appendingPathComponent("tokenizer")
        let t = try CLIPTokenizer(directory: dir)
        print("[" + t.encode(text).map(String.init).joined(separator: ", ") + "]")
    }
}
