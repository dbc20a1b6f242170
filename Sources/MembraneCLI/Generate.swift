import ArgumentParser
import Foundation
import Images
import Membranes
import Reporting
import StableDiffusion
import TensorEngine

/// `membrane generate`: text-to-image with optional membranes.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images from prompts, optionally with membranes applied.",
        discussion: "Writes OUT/0000.png, 0001.png, ... in prompt-major order and OUT/grid.png.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("prompt"), help: "A prompt (repeat for several).")
    var prompts: [String] = []
    @Option(help: "Negative prompt (the unconditional side of guidance).")
    var negative: String = ""
    @Option(help: "Sampling steps.")
    var steps: Int = 30
    @Option(help: "Classifier-free guidance scale.")
    var cfg: Float = 7.5
    @Option(help: "Seed: image j of every prompt starts from the noise of seed + j.")
    var seed: UInt64 = 0
    @Option(help: "Images per prompt.")
    var imagesPerPrompt: Int = 1
    @Option(help: "Image width in pixels (default: the model's).")
    var width: Int?
    @Option(help: "Image height in pixels (default: the model's).")
    var height: Int?
    @Option(help: "Sampler: ddim or euler-a.")
    var sampler: String = "ddim"
    @Option(name: .customLong("membrane"), help: "A membrane file to apply (repeat to compose several).")
    var membranes: [String] = []
    @Option(help: "facilitated (per-prompt multipliers from what the text encoder understands: synonyms and paraphrases of a target count), facilitated-tokens (the target's tokens only), facilitated-reference (the reference code's rule), or fixed:W (plain LoRA at weight W).")
    var transport: String = "facilitated"
    @Option(help: "Output folder.")
    var out: String
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !prompts.isEmpty else { throw ValidationError("give at least one --prompt") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard imagesPerPrompt >= 1 else { throw ValidationError("--images-per-prompt must be at least 1") }
        guard GenerationRequest.Sampler(rawValue: sampler) != nil else { throw ValidationError("--sampler must be ddim or euler-a") }
        _ = try Transport(flag: transport)
    }

    func run() throws {
        logging.bootstrap()
        let m = try modelOptions.load()
        let loaded = try membranes.map { try Membrane.read(from: URL(fileURLWithPath: $0), sites: m.unet.adapterSites) }
        var request = GenerationRequest(prompts: prompts)
        request.negative = negative
        request.steps = steps
        request.guidance = cfg
        request.seed = seed
        request.imagesPerPrompt = imagesPerPrompt
        request.width = width
        request.height = height
        request.sampler = GenerationRequest.Sampler(rawValue: sampler)!
        let transport = try Transport(flag: self.transport)
        var progress = ProgressReporter(label: "generate", total: request.totalSteps, unit: "step")
        let images = try m.generate(request, adapter: transport.provider(membranes: loaded, model: m)) { step, _ in
            progress.update(done: step)
        }
        progress.finish()
        let written = try writeImages(images, labels: prompts.flatMap { p in Array(repeating: p, count: imagesPerPrompt) },
                                      to: URL(fileURLWithPath: out), columns: imagesPerPrompt)
        print("wrote \(written) images and grid.png to \(out)")
    }
}

/// Writes images [3, H, W] in [-1, 1] as OUT/0000.png ... and a labelled OUT/grid.png.
func writeImages(_ images: [Tensor], labels: [String], to dir: URL, columns: Int) throws -> Int {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var pictures: [Image] = []
    for (i, t) in images.enumerated() {
        let img = try Image(chw: t.scalars, channels: t.shape[0], height: t.shape[1], width: t.shape[2])
        try img.write(to: dir.appendingPathComponent(String(format: "%04d.png", i)).path)
        pictures.append(img)
    }
    let g = try grid(pictures, columns: max(1, columns), labels: labels)
    try g.write(to: dir.appendingPathComponent("grid.png").path)
    return pictures.count
}
