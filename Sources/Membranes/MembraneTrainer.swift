import Foundation
import StableDiffusion
import TensorEngine

/// Trains one membrane with the SPM objective (``SPMObjective``).
///
/// An iteration is made of independent units, one per trajectory, each drawing every random
/// number it needs from its own stream (seed, iteration, unit). A unit's gradient therefore does
/// not depend on which process computes it: ranks of a group can split the units, sum their
/// gradients, and take the same optimizer step.
public struct MembraneTrainer {
    /// The objective: draws, original predictions and the loss.
    public let objective: SPMObjective
    /// The membrane being trained (its parameters are autodiff leaves).
    public private(set) var membrane: Membrane
    /// Optimizer state.
    public private(set) var optimizer: AdamW
    /// Completed iterations.
    public private(set) var iteration: Int = 0

    public var model: StableDiffusionModel { objective.model }
    public var config: TrainingConfig { objective.config }

    /// A trainer starting from a fresh membrane (seeded by the config) or from `resume`.
    /// Throws if `resume` does not fit this model's membrane. `textDirections`: see
    /// ``SPMObjective/init(model:config:textDirections:)``.
    public init(model: StableDiffusionModel, config: TrainingConfig, resume: TrainingCheckpoint? = nil,
                textDirections: TextDirections? = nil) throws {
        objective = try SPMObjective(model: model, config: config, textDirections: textDirections)
        var start = MembraneTrainer.initialMembrane(sites: model.unet.adapterSites, config: config)
        if resume == nil { MembraneTrainer.restrict(start, to: objective.textDirections) }
        var optimizer = AdamW(parameterCount: start.parameterCount, config: config)
        if let resume {
            try resume.check(parameterCount: start.parameterCount)
            start = start.replacingParameters(resume.parameters)
            optimizer.moments = resume.moments
            iteration = resume.iteration
        }
        membrane = start.trainable()
        self.optimizer = optimizer
    }

    /// The membrane a training run of `config` starts from: `down` seeded by the config, `up` zero.
    public static func initialMembrane(sites: [AdapterSite], config: TrainingConfig) -> Membrane {
        Membrane(sites: sites.filter { config.placement.contains(path: $0.path) }, targets: [config.target], rank: config.rank,
                 seed: config.seed ^ 0x4D45_4D42)
    }

    /// Total number of parameter scalars (the length of a gradient).
    public var gradientLength: Int { membrane.parameterCount }

    /// Runs units `units` of the current iteration, adding their gradients (already divided by
    /// the batch size) into `gradient` and returning their loss parts (also divided by the batch
    /// size, so parts of all units add up to the iteration mean). Each unit's gradient is summed
    /// on its own first and added once, so a vector holding units u0 and u1 equals the sum of
    /// one vector per unit, as a group's all-reduce of one unit per rank gives.
    public func accumulate(units: Range<Int>, into gradient: inout ParameterVector) -> LossParts {
        let runner = RowBlockRunner(objective: objective)
        var parts = LossParts()
        for unit in units {
            let draw = objective.draw(iteration: iteration, unit: unit, membrane: membrane)
            let (unitGradient, unitParts) = runner.gradient(of: draw, membrane: membrane)
            gradient.add(unitGradient)
            parts += unitParts
        }
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
                    sum += objective.unitLoss(iteration: it, unit: u, membrane: membrane).parts.map { $0 * Float(config.batchSize) / n }
                }
            }
        }
        return sum
    }

    /// Applies the summed gradient of a whole iteration: clipping, AdamW, learning-rate schedule.
    /// Throws ``NonFiniteTrainingError`` (and changes nothing) when `loss` or `gradient` holds a
    /// NaN or an infinity; ranks of a group that pass the same all-reduced values decide alike.
    public mutating func step(gradient: ParameterVector, loss: LossParts) throws {
        try NonFiniteTrainingError.check(loss: loss, gradient: gradient, iteration: iteration, membrane: membrane)
        var g = gradient
        if config.maxGradNorm > 0 {
            var s = 0.0
            for v in g.values { s += Double(v) * Double(v) }
            let norm = Float(s.squareRoot())
            let coef = config.maxGradNorm / (norm + 1e-6)
            if coef < 1 { for i in g.values.indices { g.values[i] *= coef } }
        }
        optimizer.step(parameters: membrane.parameters, gradient: g, lr: config.learningRate(at: iteration))
        MembraneTrainer.restrict(membrane, to: objective.textDirections)
        iteration += 1
    }

    /// Keeps the `down` of `membrane`'s text-reading layers (cross-attention keys and values)
    /// within `directions`, in place.
    static func restrict(_ membrane: Membrane, to directions: TextDirections?) {
        guard let directions else { return }
        for (path, layer) in membrane.layers where TrainingConfig.Placement.crossAttention.contains(path: path) {
            guard case .linear(let inFeatures, _) = layer.site.layer, inFeatures == directions.width else { continue }
            directions.restrict(layer.down.pointer, rows: layer.rank)
        }
    }

    /// One whole iteration in this process: every unit, then the optimizer step (see
    /// ``step(gradient:loss:)`` for the check that may stop it).
    @discardableResult
    public mutating func trainIteration() throws -> LossParts {
        var g = ParameterVector(zeros: gradientLength)
        let parts = accumulate(units: 0..<config.batchSize, into: &g)
        try step(gradient: g, loss: parts)
        return parts
    }

    /// The trained membrane as frozen weights, with its metadata.
    public func result(info: [String: String] = [:]) -> Membrane {
        var m = membrane.replacingParameters(membrane.parameters)
        m.info = info
        return m
    }

    /// Everything needed to resume bit-identically, with the last iteration's loss and the
    /// training time so far for reports.
    public func checkpoint(loss: LossParts = LossParts(), seconds: Double = 0) -> TrainingCheckpoint {
        TrainingCheckpoint(iteration: iteration, parameters: ParameterVector(tensors: membrane.parameters),
                           moments: optimizer.moments, loss: loss, seconds: seconds)
    }
}
