import Foundation
import StableDiffusion
import TensorEngine

/// Loss parts of one iteration (means over its trajectories).
public struct LossParts: Sendable, Equatable {
    /// MSE between the membrane's target prediction and the erase target.
    public var erase: Float = 0
    /// MSE between membrane and original predictions on the anchors (before la_strength).
    public var anchoring: Float = 0
    public var total: Float = 0

    public init(erase: Float = 0, anchoring: Float = 0, total: Float = 0) {
        self.erase = erase
        self.anchoring = anchoring
        self.total = total
    }

    /// Adds `b` part by part.
    public static func += (a: inout LossParts, b: LossParts) {
        a.erase += b.erase
        a.anchoring += b.anchoring
        a.total += b.total
    }

    /// Every part passed through `f`.
    public func map(_ f: (Float) -> Float) -> LossParts {
        LossParts(erase: f(erase), anchoring: f(anchoring), total: f(total))
    }
}

/// Trains one membrane with the SPM objective (erase + Latent Anchoring).
///
/// An iteration is made of independent units, one per trajectory, each drawing every random
/// number it needs from its own stream (seed, iteration, unit). A unit's gradient therefore does
/// not depend on which process computes it: ranks of a group can split the units, sum their
/// gradients in one fused buffer, and take the same optimizer step.
public struct MembraneTrainer {
    public let model: StableDiffusionModel
    public let config: TrainingConfig
    /// The membrane being trained (its parameters are autodiff leaves).
    public private(set) var membrane: Membrane
    /// Optimizer state.
    public private(set) var optimizer: AdamW
    /// Completed iterations.
    public private(set) var iteration: Int = 0

    let contexts: (target: Tensor, positive: Tensor, neutral: Tensor, unconditional: Tensor)
    let latentShape: [Int]

    /// A trainer starting from a fresh membrane (seeded by the config) or from `resume`.
    public init(model: StableDiffusionModel, config: TrainingConfig, resume: TrainingCheckpoint? = nil) throws {
        self.model = model
        self.config = config
        var start = Membrane(sites: model.unet.adapterSites, targets: [config.target], rank: config.rank, seed: config.seed ^ 0x4D45_4D42)
        var opt = AdamW(parameterCounts: start.parameters.map(\.count), config: config)
        if let resume {
            start = start.replacingParameters(resume.parameters)
            opt = resume.optimizer
            iteration = resume.iteration
        }
        membrane = start.trainable()
        optimizer = opt
        let side = config.resolution
        latentShape = try model.latentShape(width: side, height: side)
        let embeddings = model.encode(prompts: [config.target, config.positivePrompt, config.neutral, config.unconditional])
        func row(_ i: Int) -> Tensor { embeddings.slice(axis: 0, range: i..<(i + 1)) }
        contexts = (row(0), row(1), row(2), row(3))
    }

    /// Total number of parameter scalars (the length of the fused gradient buffer).
    public var gradientLength: Int { membrane.parameters.reduce(0) { $0 + $1.count } }

    /// The random stream of unit `unit` of iteration `iteration`.
    func stream(iteration: Int, unit: Int) -> RandomSource {
        var mix = RandomSource(seed: config.seed)
        for _ in 0..<3 { _ = mix.next() }
        let a = mix.next() ^ (UInt64(iteration) &* 0x9E37_79B9_7F4A_7C15)
        return RandomSource(seed: a ^ (UInt64(unit) &* 0xD1B5_4A32_D192_ED03))
    }

    /// Runs units `units` of the current iteration, adding their gradients (already divided by
    /// the batch size) into `gradient` (length ``gradientLength``) and returning their loss parts
    /// (also divided by the batch size, so parts of all units add up to the iteration mean).
    public func accumulate(units: Range<Int>, into gradient: inout [Float]) -> LossParts {
        var parts = LossParts()
        for unit in units {
            parts += runUnit(unit, into: &gradient)
        }
        return parts
    }

    private func runUnit(_ unit: Int, into gradient: inout [Float]) -> LossParts {
        let draw = trajectoryDraw(iteration: iteration, unit: unit)
        // The membrane pass's rows (target + anchors) in two blocks, each with its own copy of
        // the membrane's parameters, graph and backward pass on its own core; the copies'
        // gradients are then added in block order. The split is fixed at two blocks whatever the
        // core count (on one core they run one after the other, block 0 first).
        //
        // Each block also runs the original model on the rows its loss needs (block 0: positive,
        // neutral and its anchors; block 1: its anchors). When block 1 has more membrane rows, block
        // 0 runs the original model on that many of block 1's anchors too, first, and hands them
        // over: a membrane row costs about three original rows, so the cores then finish together.
        let rows = draw.rows
        let blocks = min(rows, 2)
        let bounds = (0..<blocks).map { rows * $0 / blocks ..< rows * ($0 + 1) / blocks }
        // Original rows (0 positive, 1 neutral, 2 + i anchor i) each block needs, and those block 0
        // computes for block 1.
        let needs = bounds.map { r in (r.contains(0) ? [0, 1] : []) + r.filter { $0 > 0 }.map { $0 + 1 } }
        let lent = blocks == 2 ? Array(needs[1].prefix(max(0, bounds[1].count - bounds[0].count))) : []
        let handedOver = DispatchSemaphore(value: 0)
        var originals = [Tensor?](repeating: nil, count: 2 + draw.anchors.count)
        var results = [(parts: LossParts, gradients: [Tensor?])](repeating: (LossParts(), []), count: blocks)
        let values = membrane.parameters
        originals.withUnsafeMutableBufferPointer { original in
            results.withUnsafeMutableBufferPointer { out in
                onCores(blocks) { b in
                    if b == 0 && !lent.isEmpty {
                        for (row, t) in zip(lent, originalPredictions(draw, rows: lent)) { original[row] = t }
                        handedOver.signal()
                    }
                    let own = needs[b].filter { !(b == 1 && lent.contains($0)) }
                    for (row, t) in zip(own, originalPredictions(draw, rows: own)) { original[row] = t }
                    if b == 1 && !lent.isEmpty { handedOver.wait() }
                    let complete = draw.with(originals: needs[b].map { ($0, original[$0]!) }, guidanceScale: config.guidanceScale)
                    let copy = membrane.replacingParameters(values).trainable()
                    let (loss, parts) = membranePass(complete, rows: bounds[b], membrane: copy)
                    loss.backward()
                    out[b] = (parts, copy.parameters.map(\.grad))
                }
            }
        }
        // The unit's gradient is summed on its own first, then added once: a buffer holding units
        // u0, u1 then equals u0 + u1 exactly as a group's all-reduce of one unit per rank does.
        var unitGradient = [Float](repeating: 0, count: gradient.count)
        var parts = LossParts()
        for r in results {
            var offset = 0
            for (p, g) in zip(values, r.gradients) {
                if let g {
                    let gp = g.pointer
                    for i in 0..<p.count { unitGradient[offset + i] += gp[i] }
                }
                offset += p.count
            }
            parts += r.parts
        }
        for i in gradient.indices { gradient[i] += unitGradient[i] }
        return parts
    }

    /// The loss of the current membrane on the draws of (`iteration`, `unit`) without training:
    /// a fixed yardstick for tests and progress reports (means over `units`).
    public func probe(iterations: [Int], units: Range<Int> = 0..<1) -> LossParts {
        var sum = LossParts()
        let n = Float(iterations.count * units.count)
        withoutGradient {
            for it in iterations {
                for u in units {
                    sum += unitLoss(iteration: it, unit: u).parts.map { $0 * Float(config.batchSize) / n }
                }
            }
        }
        return sum
    }

    /// One unit's loss (scaled by 1 / batch size) and its parts, as one pass over all its rows.
    func unitLoss(iteration: Int, unit: Int) -> (loss: Tensor, parts: LossParts) {
        let draw = prepare(iteration: iteration, unit: unit)
        return membranePass(draw, rows: 0..<draw.rows, membrane: membrane)
    }

    /// What a unit draws and computes without gradient: the trajectory's latent, its timestep,
    /// the anchors and, once the original model has run on them, the erase target and the
    /// original model's anchor predictions.
    struct UnitDraw {
        var z: Tensor
        var t: Float
        var anchors: [Tensor]
        var target: Tensor?
        /// The original model's prediction for each anchor that has one (by anchor index).
        var originalAnchors: [Int: Tensor] = [:]
        /// Rows of the membrane pass: the target prompt, then the anchors.
        var rows: Int { 1 + anchors.count }

        /// This draw with the original model's predictions `originals` (row 0 positive, 1
        /// neutral, 2 + i anchor i): the erase target `e_n - g (e_p - e_n)` when both prompts are
        /// there, and the anchors' predictions.
        func with(originals: [(row: Int, prediction: Tensor)], guidanceScale: Float) -> UnitDraw {
            var d = self
            let byRow = Dictionary(uniqueKeysWithValues: originals.map { ($0.row, $0.prediction) })
            if let ep = byRow[0], let en = byRow[1] { d.target = en - (ep - en) * guidanceScale }
            for (row, prediction) in byRow where row >= 2 { d.originalAnchors[row - 2] = prediction }
            return d
        }
    }

    /// The trajectory length `t_to` that unit `unit` of iteration `iteration` draws (its stream's
    /// first draw), for reports of what a run cost.
    public func trajectoryLength(iteration: Int, unit: Int = 0) -> Int {
        var rng = stream(iteration: iteration, unit: unit)
        return rng.int(in: 1..<config.maxDenoisingSteps)
    }

    /// Steps 1 and 4 of a unit: its trajectory's latent and timestep, and its anchors.
    func trajectoryDraw(iteration: Int, unit: Int) -> UnitDraw {
        var rng = stream(iteration: iteration, unit: unit)
        let c = config, unet = model.unet
        let tTo = rng.int(in: 1..<c.maxDenoisingSteps)
        let noise = Tensor.randn([1] + latentShape, using: &rng)
        let anchors = sampleAnchors(count: c.action == .eraseWithLA ? c.samplingBatchSize : 0, rng: &rng)

        // 1. The trajectory: t_to DDIM steps with the membrane, CFG on (unconditional, target).
        //    The membrane is merged into the weights once; the two rows run on their own cores.
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
        return UnitDraw(z: z, t: t, anchors: anchors)
    }

    /// 2. The original model (no gradient) on rows `rows` of (positive, neutral, anchors...),
    /// one prediction per row.
    func originalPredictions(_ draw: UnitDraw, rows: [Int]) -> [Tensor] {
        if rows.isEmpty { return [] }
        let contextRows = rows.map { $0 == 0 ? contexts.positive : $0 == 1 ? contexts.neutral : draw.anchors[$0 - 2] }
        let out = withoutGradient {
            model.unet(Tensor.concat(Array(repeating: draw.z, count: rows.count), axis: 0), timesteps: Array(repeating: draw.t, count: rows.count),
                       context: Tensor.concat(contextRows, axis: 0))
        }
        return (0..<rows.count).map { out.slice(axis: 0, range: $0..<($0 + 1)) }
    }

    /// A whole unit's draw with every original prediction (in one batch).
    func prepare(iteration: Int, unit: Int) -> UnitDraw {
        let draw = trajectoryDraw(iteration: iteration, unit: unit)
        let rows = Array(0..<(2 + draw.anchors.count))
        return draw.with(originals: Array(zip(rows, originalPredictions(draw, rows: rows))), guidanceScale: config.guidanceScale)
    }

    /// 3. The membrane model on rows `rows` of (target, anchors...), with gradient: this block's
    /// share of the unit's loss (the erase MSE if it holds row 0, plus its anchors' share of the
    /// anchoring MSE times la_strength), scaled by 1 / batch size.
    func membranePass(_ draw: UnitDraw, rows: Range<Int>, membrane: Membrane) -> (loss: Tensor, parts: LossParts) {
        let c = config, a = draw.anchors.count, n = rows.count
        let contextRows = rows.map { $0 == 0 ? contexts.target : draw.anchors[$0 - 1] }
        let adapter = MembraneAdapter(membranes: [membrane], multiplier: 1, rows: n)
        let out = model.unet(Tensor.concat(Array(repeating: draw.z, count: n), axis: 0), timesteps: Array(repeating: draw.t, count: n),
                             context: Tensor.concat(contextRows, axis: 0), adapter: adapter)
        var loss: Tensor?
        var parts = LossParts()
        let scale = 1 / Float(c.batchSize)
        if rows.contains(0) {
            let erase = out.slice(axis: 0, range: 0..<1).mse(draw.target!)
            parts.erase = erase.item * scale
            loss = erase
        }
        let anchorRows = max(rows.lowerBound, 1)..<rows.upperBound
        if a > 0, !anchorRows.isEmpty {
            let share = Float(anchorRows.count) / Float(a)
            let local = (anchorRows.lowerBound - rows.lowerBound)..<(anchorRows.upperBound - rows.lowerBound)
            let originals = Tensor.concat(anchorRows.map { draw.originalAnchors[$0 - 1]! }, axis: 0)
            let anchoring = out.slice(axis: 0, range: local).mse(originals) * share
            parts.anchoring = anchoring.item * scale
            loss = loss.map { $0 + anchoring * c.laStrength } ?? anchoring * c.laStrength
        }
        let total = loss! * scale
        parts.total = total.item
        return (total, parts)
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

    /// Applies the summed gradient of a whole iteration: clipping, AdamW, learning-rate schedule.
    public mutating func step(gradient: [Float]) {
        var g = gradient
        if config.maxGradNorm > 0 {
            var s = 0.0
            for v in g { s += Double(v) * Double(v) }
            let norm = Float(s.squareRoot())
            let coef = config.maxGradNorm / (norm + 1e-6)
            if coef < 1 { for i in g.indices { g[i] *= coef } }
        }
        let params = membrane.parameters
        optimizer.step(parameters: params, gradient: g, lr: config.learningRate(at: iteration))
        iteration += 1
    }

    /// One whole iteration in this process: every unit, then the optimizer step.
    @discardableResult
    public mutating func trainIteration() -> LossParts {
        var g = [Float](repeating: 0, count: gradientLength)
        let parts = accumulate(units: 0..<config.batchSize, into: &g)
        step(gradient: g)
        return parts
    }

    /// The trained membrane as frozen weights, with its metadata.
    public func result(info: [String: String] = [:]) -> Membrane {
        var m = membrane.replacingParameters(membrane.parameters)
        m.info = info
        return m
    }

    /// Everything needed to resume bit-identically.
    public var checkpoint: TrainingCheckpoint {
        TrainingCheckpoint(iteration: iteration, parameters: membrane.parameters.map { $0.detached.copy() }, optimizer: optimizer)
    }
}

/// Trainer state at an iteration boundary: membrane weights and optimizer moments. Random
/// streams are derived from (seed, iteration, unit), so the iteration restores them.
public struct TrainingCheckpoint {
    public var iteration: Int
    public var parameters: [Tensor]
    public var optimizer: AdamW
}
