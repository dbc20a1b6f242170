import ArgumentParser
import Foundation
import Membranes
import StableDiffusion

/// `membrane merge`: membranes baked into a model's UNet at fixed weights.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bake membranes into a model's UNet weights at fixed weights and write the merged checkpoint.",
        discussion: """
            Each adapted UNet weight becomes W + weight * alpha/rank * up·down, the term `generate --transport fixed:W` \
            adds, computed in float32 and stored in the tensor's own dtype; every other tensor is copied unchanged. \
            OUT has the input's layout: a folder gives a folder, a single file gives OUT.safetensors plus OUT.yaml. \
            The merged membranes (file names, weights, config and content hashes) are recorded in the UNet file's \
            metadata under membrane.merged. Writes are atomic; an existing OUT and the input are never overwritten. \
            A merged checkpoint applies its membranes to every prompt: Facilitated Transport is not possible on it.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("membrane"), help: "A membrane file to merge (repeat for several).")
    var membranes: [String] = []
    @Option(name: .customLong("weight"), help: "The weight of each --membrane in order, or one weight for all (default 1.0).")
    var weights: [Float] = []
    @Option(help: "Output: a folder (from a folder) or a .safetensors file (from a single file).")
    var out: String

    func validate() throws {
        do { _ = try MembraneMerge.weights(weights, membranes: membranes.count) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let components = try ModelComponents.open(try modelOptions.source())
        let records = try MembraneMerge.write(components, membranes: membranes.map { URL(fileURLWithPath: $0) }, weights: weights,
                                              to: URL(fileURLWithPath: out))
        for r in records { print("merged \(r.file) at weight \(r.weight)") }
        print("wrote \(out)")
    }
}
