import ArgumentParser
import Foundation
import StableDiffusion

/// `membrane convert`: a diffusers folder to a single LDM checkpoint, or back.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model between a diffusers folder and a single-file LDM checkpoint (.safetensors).",
        discussion: """
            A folder becomes OUT.safetensors (LDM keys, same dtype) plus OUT.yaml, its LDM inference config; a \
            single file becomes the folder OUT (configs, tokenizer, weights). Tensors are copied byte for byte. \
            Writes are atomic and never overwrite the input.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Output: a .safetensors file (from a folder) or a folder (from a single file).")
    var out: String

    func run() throws {
        let components = try ModelComponents.open(try modelOptions.source())
        let layout: ModelSource.Layout = components.source.layout == .folder ? .singleFile : .folder
        try ModelExport.write(components, as: layout, to: URL(fileURLWithPath: out))
        print("wrote \(out)")
    }
}
