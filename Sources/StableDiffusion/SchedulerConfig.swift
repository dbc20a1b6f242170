import Foundation

/// A diffusers scheduler config (DDIM, PNDM, DDPM, Euler, ... all define the same noise schedule).
public struct SchedulerConfig: Decodable, Sendable {
    public var className: String = "DDIMScheduler"
    public var numTrainTimesteps: Int = 1000
    public var betaStart: Double = 0.00085
    public var betaEnd: Double = 0.012
    public var betaSchedule: String = "scaled_linear"
    public var trainedBetas: [Double]?
    public var predictionType: PredictionType = .epsilon
    public var setAlphaToOne: Bool = false
    public var stepsOffset: Int = 1
    public var timestepSpacing: TimestepSpacing = .leading
    public var clipSample: Bool = false
    public var clipSampleRange: Double = 1
    public var rescaleBetasZeroSNR: Bool = false

    /// What the UNet predicts.
    public enum PredictionType: String, Decodable, Sendable { case epsilon, vPrediction = "v_prediction", sample }

    enum CodingKeys: String, CodingKey {
        case className = "_class_name", numTrainTimesteps = "num_train_timesteps", betaStart = "beta_start"
        case betaEnd = "beta_end", betaSchedule = "beta_schedule", trainedBetas = "trained_betas"
        case predictionType = "prediction_type", setAlphaToOne = "set_alpha_to_one", stepsOffset = "steps_offset"
        case timestepSpacing = "timestep_spacing", clipSample = "clip_sample", clipSampleRange = "clip_sample_range"
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.decodeIfPresent(String.self, forKey: .className) ?? className
        numTrainTimesteps = try c.decodeIfPresent(Int.self, forKey: .numTrainTimesteps) ?? numTrainTimesteps
        betaStart = try c.decodeIfPresent(Double.self, forKey: .betaStart) ?? betaStart
        betaEnd = try c.decodeIfPresent(Double.self, forKey: .betaEnd) ?? betaEnd
        betaSchedule = try c.decodeIfPresent(String.self, forKey: .betaSchedule) ?? betaSchedule
        trainedBetas = try c.decodeIfPresent([Double].self, forKey: .trainedBetas)
        predictionType = try c.decodeIfPresent(PredictionType.self, forKey: .predictionType) ?? predictionType
        // PNDM/DDPM configs lack set_alpha_to_one; SD v1.x ships PNDM with set_alpha_to_one false.
        setAlphaToOne = try c.decodeIfPresent(Bool.self, forKey: .setAlphaToOne) ?? false
        stepsOffset = try c.decodeIfPresent(Int.self, forKey: .stepsOffset) ?? 0
        timestepSpacing = try c.decodeIfPresent(TimestepSpacing.self, forKey: .timestepSpacing) ?? .leading
        clipSample = try c.decodeIfPresent(Bool.self, forKey: .clipSample) ?? false
        clipSampleRange = try c.decodeIfPresent(Double.self, forKey: .clipSampleRange) ?? 1
        rescaleBetasZeroSNR = try c.decodeIfPresent(Bool.self, forKey: .rescaleBetasZeroSNR) ?? false
    }

    /// Reads and validates `scheduler/scheduler_config.json`.
    public static func load(_ url: URL) throws -> SchedulerConfig {
        try validated(try decodeConfig(SchedulerConfig.self, from: url), path: url.path)
    }

    /// Reads and validates a config given as the dictionary of its JSON keys; errors name `path`.
    public static func load(_ dictionary: [String: Any], path: String) throws -> SchedulerConfig {
        try validated(try decodeConfig(SchedulerConfig.self, dictionary: dictionary, path: path), path: path)
    }

    static func validated(_ c: SchedulerConfig, path: String) throws -> SchedulerConfig {
        let url = URL(fileURLWithPath: path)
        guard ["linear", "scaled_linear", "squaredcos_cap_v2"].contains(c.betaSchedule) || c.trainedBetas != nil else {
            throw ModelError.unsupported(file: url.path, option: "beta_schedule: \(c.betaSchedule)", reason: "known: linear, scaled_linear, squaredcos_cap_v2")
        }
        if c.predictionType == .sample {
            throw ModelError.unsupported(file: url.path, option: "prediction_type: sample", reason: "known: epsilon, v_prediction")
        }
        try c.validateRanges(file: url.path)
        if let b = c.trainedBetas, b.count != c.numTrainTimesteps {
            throw ModelError.invalidConfig(file: url.path, problem: "trained_betas has \(b.count) values for \(c.numTrainTimesteps) timesteps")
        }
        return c
    }

    /// A usable noise schedule: 2...100000 timesteps, betas in (0, 1) with beta_start at most
    /// beta_end, an offset inside the schedule.
    func validateRanges(file: String) throws {
        typealias R = ModelConfigRange
        try R.require(numTrainTimesteps, in: 2...100_000, key: "num_train_timesteps", file: file)
        try R.require(stepsOffset, in: 0...(numTrainTimesteps - 1), key: "steps_offset", file: file)
        try R.require(clipSampleRange, above: 0, upTo: 1e6, key: "clip_sample_range", file: file)
        if let trained = trainedBetas {
            for (i, b) in trained.enumerated() where !(b.isFinite && b > 0 && b < 1) {
                throw ModelError.invalidConfig(file: file, problem: "'trained_betas[\(i)]' must be in (0, 1), found \(b)")
            }
        } else if betaSchedule != "squaredcos_cap_v2" {
            for (key, b) in [("beta_start", betaStart), ("beta_end", betaEnd)] where !(b.isFinite && b > 0 && b < 1) {
                throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be in (0, 1), found \(b)")
            }
            guard betaStart <= betaEnd else {
                throw ModelError.invalidConfig(file: file, problem: "'beta_start' \(betaStart) must not exceed 'beta_end' \(betaEnd) (the betas would be reversed)")
            }
        }
    }

    /// The betas of the training noise schedule.
    public var betas: [Double] {
        let n = numTrainTimesteps
        var b: [Double]
        if let t = trainedBetas {
            b = t
        } else {
            switch betaSchedule {
            case "linear":
                b = (0..<n).map { betaStart + (betaEnd - betaStart) * Double($0) / Double(max(n - 1, 1)) }
            case "squaredcos_cap_v2":
                func alphaBar(_ t: Double) -> Double { let c = cos((t + 0.008) / 1.008 * Double.pi / 2); return c * c }
                b = (0..<n).map { i in min(1 - alphaBar(Double(i + 1) / Double(n)) / alphaBar(Double(i) / Double(n)), 0.999) }
            default:
                let s = betaStart.squareRoot(), e = betaEnd.squareRoot()
                b = (0..<n).map { i in let v = s + (e - s) * Double(i) / Double(max(n - 1, 1)); return v * v }
            }
        }
        if rescaleBetasZeroSNR { b = SchedulerConfig.rescaledToZeroSNR(b) }
        return b
    }

    /// Cumulative products of alphas = 1 - beta.
    public var alphasCumprod: [Double] {
        var acc = 1.0
        return betas.map { acc *= (1 - $0); return acc }
    }

    /// Rescales betas so the last timestep has zero signal-to-noise ratio (Lin et al. 2023).
    static func rescaledToZeroSNR(_ betas: [Double]) -> [Double] {
        var acc = 1.0
        var sqrtBar = betas.map { acc *= (1 - $0); return acc.squareRoot() }
        let first = sqrtBar[0], last = sqrtBar[sqrtBar.count - 1]
        sqrtBar = sqrtBar.map { ($0 - last) * first / (first - last) }
        let bar = sqrtBar.map { $0 * $0 }
        var out = [Double](repeating: 0, count: bar.count)
        for i in bar.indices { out[i] = 1 - (i == 0 ? bar[0] : bar[i] / bar[i - 1]) }
        return out
    }
}
