import Foundation
import Images
import StableDiffusion

extension ShapesWorldEvaluation {
    /// The request generating every prompt's pictures, prompt-major.
    func request(prompts: [ShapesWorld.Prompt]) -> GenerationRequest {
        var request = GenerationRequest(prompts: prompts.map(\.text))
        request.steps = options.steps
        request.guidance = options.cfg
        request.seed = options.seed
        request.imagesPerPrompt = options.seeds
        request.batchSize = options.batchSize
        return request
    }

    /// Generates the request's pictures as 8-bit images, telling `progress` of every step.
    func pictures(_ request: GenerationRequest, adapter: AdapterProvider?, group: String,
                  progress: (Progress) -> Void) throws -> [Image] {
        let start = Date()
        progress(Progress(group: group, step: 0, total: request.totalSteps, seconds: 0))
        // `generate` calls its progress only while it runs.
        let tensors = try withoutActuallyEscaping(progress) { progress in
            try model.generate(request, adapter: adapter) { step, total in
                progress(Progress(group: group, step: step, total: total, seconds: Date().timeIntervalSince(start)))
            }
        }
        var images: [Image] = []
        for t in tensors {
            images.append(try Image(chw: t.scalars, channels: t.shape[0], height: t.shape[1], width: t.shape[2]))
        }
        return images
    }

    /// Reads prompt-major pictures (``Options/seeds`` per prompt).
    func read(_ images: [Image], prompts: [ShapesWorld.Prompt]) -> [PictureReading] {
        var readings: [PictureReading] = []
        for (index, image) in images.enumerated() {
            let prompt = prompts[index / options.seeds]
            readings.append(PictureReading(prompt: prompt, reading: ShapesWorldReader.read(image)))
        }
        return readings
    }

    /// Every prompt's readings and PSNRs, grouped by "base" and transport name.
    func promptReadings(_ prompts: [ShapesWorld.Prompt], readings: [String: [PictureReading]],
                        psnr: [String: [Double]]) -> [EvaluationReport.PromptReadings] {
        let seeds = options.seeds
        var result: [EvaluationReport.PromptReadings] = []
        for (p, prompt) in prompts.enumerated() {
            let range = (p * seeds)..<((p + 1) * seeds)
            var entry = EvaluationReport.PromptReadings(prompt: prompt.text, readings: [:], psnrDB: [:])
            for (name, list) in readings { entry.readings[name] = list[range].map(\.summary) }
            for (name, list) in psnr { entry.psnrDB[name] = Array(list[range]) }
            result.append(entry)
        }
        return result
    }
}
