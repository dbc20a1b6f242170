import Foundation
import StableDiffusion
import TensorEngine

/// The SPM training objective (erase + Latent Anchoring) of one trajectory unit: what a unit
/// draws, what the original model predicts on it, and the loss of the membrane's predictions.
/// This file is the one place that defines the method; ``MembraneTrainer`` only schedules it.
///
/// A unit draws every random number it needs from its own stream (seed, iteration, unit), so its
/// gradient does not depend on which process computes it.
///
/// Rows of a unit: the membrane pass runs on row 0 (the target prompt) and rows 1... (one per
/// anchor); the original model runs on "original rows" 0 (positive prompt), 1 (neutral prompt)
/// and 2 + i (anchor i).
public struct SPMObjective {
    public let model: StableDiffusionModel
    public let config: TrainingConfig
    /// Text embeddings of the config's prompts.
    let contexts: (target: Tensor, positive: Tensor, neutral: Tensor, unconditional: Tensor)
    /// Latent [C, h, w] at the config's resolution.
    let latentShape: [Int]
    /// Text embeddings of the anchor prompts (`preserve` and the target's neighbours).
    let anchorPrompts: [Tensor]
    /// The anchor prompts' texts, in ``anchorPrompts`` order.
    public let anchorPromptTexts: [String]
    /// Where the text-reading layers may read (`text_directions`; nil when off).
    public let textDirections: TextDirections?

    /// The objective of `config` on `model` (runs the text encoder once). `textDirections`, when
    /// given, replaces the ones `config` would compute (ranks of a group share their leader's).
    public init(model: StableDiffusionModel, config: TrainingConfig, textDirections given: TextDirections? = nil) throws {
        try config.check(model: model, source: "training config")
        self.model = model
        self.config = config
        let side = config.resolution
        latentShape = try model.latentShape(width: side, height: side)
        let embeddings = model.encode(prompts: [config.target, config.positivePrompt, config.neutral, config.unconditional])
        func row(_ i: Int) -> Tensor { embeddings.slice(axis: 0, range: i..<(i + 1)) }
        contexts = (row(0), row(1), row(2), row(3))
        var texts = config.preserve
        let probe = ConceptProbe(model: model)
        if config.neighbourAnchors > 0 {
            texts += probe.neighbours(of: probe.calibrate(target: config.target), count: config.neighbourAnchors).filter { !texts.contains($0) }
        }
        anchorPromptTexts = texts
        if texts.isEmpty {
            anchorPrompts = []
        } else {
            let encoded = model.encode(prompts: texts)
            anchorPrompts = texts.indices.map { encoded.slice(axis: 0, range: $0..<($0 + 1)) }
        }
        textDirections = config.textDirections == 0 ? nil : given ?? SPMObjective.textDirections(probe: probe, config: config, anchorTexts: texts)
    }

    /// The target's and the protected prompts' states, each word seen alone and next to a few
    /// vocabulary words (so the directions hold in context, not for one prompt).
    static func textDirections(probe: ConceptProbe, config: TrainingConfig, anchorTexts: [String]) -> TextDirections {
        let others = Array(probe.sampledWords(apartFrom: config.target).prefix(TextDirections.contextWordCount))
        func prompts(_ text: String) -> [String] { probe.contexts(of: text, with: others).map(\.prompt) }
        func states(_ prompts: [String]) -> Tensor {
            let batches = stride(from: 0, to: prompts.count, by: probe.batchSize).map {
                probe.model.encode(prompts: Array(prompts[$0..<min($0 + probe.batchSize, prompts.count)]))
            }
            return Tensor.concat(batches, axis: 0)
        }
        let protected = anchorTexts.map { states(prompts($0)) } + [states([config.unconditional, config.neutral])]
        return TextDirections(target: states(prompts(config.target)), protected: protected, count: config.textDirections)
    }

    /// How much the text directions read of `prompts` (one value per prompt; nil when off).
    public func textDirectionReads(_ prompts: [String]) -> [Double]? {
        textDirections?.reads(model.encode(prompts: prompts))
    }

    /// For the training log: the directions' separations, and how much they read of the most
    /// read anchor prompt and of the unconditional prompt, as shares of the target's read.
    public var textDirectionSummary: [String: String]? {
        guard let directions = textDirections else { return nil }
        let texts = [config.target, config.unconditional] + anchorPromptTexts
        let reads = directions.reads(Tensor.concat([contexts.target, contexts.unconditional] + anchorPrompts, axis: 0))
        guard let own = reads.first, own > 0 else { return nil }
        var summary = ["separations": directions.separations.map { String(format: "%.2f", $0) }.joined(separator: " "),
                       "unconditional read": String(format: "%.3f", reads[1] / own)]
        if let most = reads.indices.dropFirst(2).max(by: { reads[$0] < reads[$1] }) {
            summary["most read anchor"] = "\(texts[most]) \(String(format: "%.3f", reads[most] / own))"
        }
        return summary
    }

    /// What a unit draws: the trajectory's latent, its timestep and the anchors.
    public struct Draw {
        public var z: Tensor
        public var t: Float
        public var anchors: [Tensor]
        /// Rows of the membrane pass: the target prompt, then the anchors.
        public var rows: Int { 1 + anchors.count }
        /// Original rows of this draw: positive, neutral, then the anchors.
        public var originalRows: Int { 2 + anchors.count }
    }

    /// What the membrane's predictions on a block of membrane rows are compared with.
    public struct Targets {
        /// `e_n - g (e_p - e_n)`: present when the block holds row 0.
        public var erase: Tensor?
        /// The original model's predictions on the block's anchor rows, in row order.
        public var anchors: [Tensor]
    }

    /// The random stream of unit `unit` of iteration `iteration`.
    func stream(iteration: Int, unit: Int) -> RandomSource {
        var mix = RandomSource(seed: config.seed)
        for _ in 0..<3 { _ = mix.next() }
        let a = mix.next() ^ (UInt64(iteration) &* 0x9E37_79B9_7F4A_7C15)
        return RandomSource(seed: a ^ (UInt64(unit) &* 0xD1B5_4A32_D192_ED03))
    }

    /// The trajectory length `t_to` that unit `unit` of iteration `iteration` draws (its stream's
    /// first draw), for reports of what a run cost.
    public func trajectoryLength(iteration: Int, unit: Int = 0) -> Int {
        var rng = stream(iteration: iteration, unit: unit)
        return rng.int(in: 1..<config.maxDenoisingSteps)
    }

    /// Steps 1 and 4 of a unit: `t_to` DDIM steps with `membrane` (CFG on unconditional and
    /// target, the membrane merged into the weights), the timestep the loss is taken at, and
    /// the Latent Anchoring samples.
    public func draw(iteration: Int, unit: Int, membrane: Membrane) -> Draw {
        var rng = stream(iteration: iteration, unit: unit)
        let c = config, unet = model.unet
        let tTo = rng.int(in: 1..<c.maxDenoisingSteps)
        let noise = Tensor.randn([1] + latentShape, using: &rng)
        var anchors = sampleAnchors(count: c.action == .eraseWithLA ? c.samplingBatchSize : 0, rng: &rng)
        if c.action == .eraseWithLA && !anchorPrompts.isEmpty {
            for _ in 0..<c.promptAnchorsPerUnit { anchors.append(anchorPrompts[rng.int(in: 0..<anchorPrompts.count)]) }
        }
        let z: Tensor = withoutGradient {
            var ddim = DDIMScheduler(config: model.scheduler)
            ddim.setTimesteps(c.maxDenoisingSteps)
            var x = noise
            // Guidance 1 is the conditional prediction alone: no unconditional row runs.
            let ctx = c.trajectoryGuidance == 1 ? contexts.target : Tensor.concat([contexts.unconditional, contexts.target], axis: 0)
            let adapter = MergedMembranes(membranes: [membrane], multiplier: 1)
            for t in ddim.timesteps.prefix(tTo) {
                let eps = unet.guidedPrediction(x, timestep: Float(t), context: ctx, guidance: c.trajectoryGuidance, adapter: adapter)
                x = ddim.step(eps, timestep: t, sample: x)
            }
            return x
        }
        var full = DDIMScheduler(config: model.scheduler)
        full.setTimesteps(model.scheduler.numTrainTimesteps)
        let t = Float(full.timesteps[min(full.timesteps.count - 1, tTo * model.scheduler.numTrainTimesteps / c.maxDenoisingSteps)])
        return Draw(z: z, t: t, anchors: anchors)
    }

    /// Step 2: the original model (no gradient) on original rows `rows`, one prediction per row.
    public func originalPredictions(_ draw: Draw, rows: [Int]) -> [Tensor] {
        if rows.isEmpty { return [] }
        let contextRows = rows.map { $0 == 0 ? contexts.positive : $0 == 1 ? contexts.neutral : draw.anchors[$0 - 2] }
        let out = withoutGradient {
            model.unet(Tensor.concat(Array(repeating: draw.z, count: rows.count), axis: 0), timesteps: Array(repeating: draw.t, count: rows.count),
                       context: Tensor.concat(contextRows, axis: 0))
        }
        return (0..<rows.count).map { out.slice(axis: 0, range: $0..<($0 + 1)) }
    }

    /// The original rows the loss of membrane rows `rows` needs: positive and neutral for row 0,
    /// and each anchor row's own.
    public func originalRows(forMembraneRows rows: Range<Int>) -> [Int] {
        (rows.contains(0) ? [0, 1] : []) + rows.filter { $0 > 0 }.map { $0 + 1 }
    }

    /// The targets of membrane rows `rows`, from the original predictions by original row
    /// (which must hold every row ``originalRows(forMembraneRows:)`` names).
    public func targets(forMembraneRows rows: Range<Int>, originals: [Int: Tensor]) -> Targets {
        var erase: Tensor?
        if rows.contains(0) {
            guard let ep = originals[0], let en = originals[1] else { preconditionFailure("the erase target needs rows 0 and 1") }
            erase = en - (ep - en) * config.guidanceScale
        }
        let anchors = rows.filter { $0 > 0 }.map { row -> Tensor in
            guard let prediction = originals[row + 1] else { preconditionFailure("no original prediction for anchor row \(row)") }
            return prediction
        }
        return Targets(erase: erase, anchors: anchors)
    }

    /// Step 3: the membrane model on membrane rows `rows`, with gradient, and this block's share
    /// of the unit's loss (the erase MSE if it holds row 0, plus its anchors' share of the
    /// anchoring MSE times la_strength), scaled by 1 / batch size.
    public func loss(_ draw: Draw, rows: Range<Int>, targets: Targets, membrane: Membrane) -> (loss: Tensor, parts: LossParts) {
        let c = config, n = rows.count
        let contextRows = rows.map { $0 == 0 ? contexts.target : draw.anchors[$0 - 1] }
        let adapter = MembraneAdapter(membranes: [membrane], multiplier: 1, rows: n)
        let out = model.unet(Tensor.concat(Array(repeating: draw.z, count: n), axis: 0), timesteps: Array(repeating: draw.t, count: n),
                             context: Tensor.concat(contextRows, axis: 0), adapter: adapter)
        var parts = LossParts()
        let scale = 1 / Float(c.batchSize)
        var erase: Tensor?
        if let target = targets.erase {
            let e = out.slice(axis: 0, range: 0..<1).mse(target)
            parts.erase = e.item * scale
            erase = e
        }
        var anchoring: Tensor?
        if !targets.anchors.isEmpty {
            let first = targets.erase == nil ? 0 : 1
            let share = Float(targets.anchors.count) / Float(draw.anchors.count)
            let a = out.slice(axis: 0, range: first..<n).mse(Tensor.concat(targets.anchors, axis: 0)) * share
            parts.anchoring = a.item * scale
            anchoring = a
        }
        let loss: Tensor
        switch (erase, anchoring) {
        case let (e?, a?): loss = e + a * c.laStrength
        case let (e?, nil): loss = e
        case let (nil, a?): loss = a * c.laStrength
        case (nil, nil): preconditionFailure("a membrane pass over no rows")
        }
        let total = loss * scale
        parts.total = total.item
        return (total, parts)
    }

    /// A unit's whole loss in one pass over all its rows (every original prediction in one batch).
    public func unitLoss(iteration: Int, unit: Int, membrane: Membrane) -> (loss: Tensor, parts: LossParts) {
        let d = draw(iteration: iteration, unit: unit, membrane: membrane)
        let rows = 0..<d.rows
        let wanted = Array(0..<d.originalRows)
        let originals = Dictionary(uniqueKeysWithValues: zip(wanted, originalPredictions(d, rows: wanted)))
        return loss(d, rows: rows, targets: targets(forMembraneRows: rows, originals: originals), membrane: membrane)
    }

    /// Latent Anchoring samples: random directions, kept with probability 1 - cos(c_t, n), scaled
    /// to the target embedding's norm times U(0.8, 1.2).
    func sampleAnchors(count: Int, rng: inout RandomSource) -> [Tensor] {
        let ct = contexts.target
        var norm = 0.0
        for i in 0..<ct.count { norm += Double(ct.pointer[i]) * Double(ct.pointer[i]) }
        let targetNorm = Float(norm.squareRoot())
        var anchors: [Tensor] = []
        var attempts = 0
        while anchors.count < count {
            attempts += 1
            var n = Tensor.randn(ct.shape, using: &rng)
            var s = 0.0
            for i in 0..<n.count { s += Double(n.pointer[i]) * Double(n.pointer[i]) }
            n = n * Float(1 / max(s.squareRoot(), 1e-12))
            let keep = 1 - cosine(ct, n)
            if rng.uniform() < keep || attempts > 1000 {
                anchors.append(n * ((0.8 + 0.4 * rng.uniform()) * targetNorm))
            }
        }
        return anchors
    }
}
