import Foundation

/// Settings of one membrane training run, in the reference implementation's vocabulary.
///
/// Read from YAML (a flat mapping of the keys below); unknown keys and wrong types are refused
/// with the file and key named. Catalogs merge a shared config with per-concept overrides through
/// ``TrainingConfig/init(values:source:)``.
public struct TrainingConfig: Equatable, Sendable {
    /// `erase` (the erasing loss only) or `erase_with_la` (with Latent Anchoring).
    public enum Action: String, Sendable { case erase, eraseWithLA = "erase_with_la" }
    /// Where a membrane sits in the UNet's transformers.
    public enum Placement: String, Sendable {
        /// Every Linear and Conv2d inside the transformers (the reference's placement).
        case transformer
        /// Only the cross-attention key and value projections, which read the text: the
        /// membrane then acts through the prompt's tokens (as ESD-x limits itself to
        /// cross-attention).
        case crossAttention = "cross_attention"

        /// Whether a layer at `path` carries a membrane term.
        public func contains(path: String) -> Bool {
            switch self {
            case .transformer: return true
            case .crossAttention: return path.hasSuffix(".attn2.to_k") || path.hasSuffix(".attn2.to_v")
            }
        }
    }
    /// Learning-rate schedules (diffusers' semantics).
    public enum Schedule: String, Sendable { case constant, constantWithWarmup = "constant_with_warmup", linear, cosine, cosineWithRestarts = "cosine_with_restarts" }

    public var target: String = ""
    public var positive: String?
    public var neutral: String = ""
    public var unconditional: String = ""
    public var action: Action = .eraseWithLA
    /// g in the erase target `e_n - g (e_p - e_n)`.
    public var guidanceScale: Float = 1
    /// Image side in pixels (latent side = resolution / VAE factor); nil: the model's default.
    public var resolution: Int?
    /// Trajectories per iteration.
    public var batchSize: Int = 1
    public var laStrength: Float = 1000
    /// Anchors per trajectory.
    public var samplingBatchSize: Int = 4
    public var iterations: Int = 3000
    public var lr: Float = 1e-4
    public var lrScheduler: Schedule = .cosineWithRestarts
    public var lrSchedulerNumCycles: Int = 3
    public var lrWarmupSteps: Int = 500
    public var maxDenoisingSteps: Int = 30
    /// Global gradient-norm clip; 0 disables it.
    public var maxGradNorm: Float = 0
    public var seed: UInt64 = 0
    /// CFG scale of the trajectory sampling (the reference uses 3).
    public var trajectoryGuidance: Float = 3
    public var weightDecay: Float = 0.01
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.999
    public var adamEpsilon: Float = 1e-8
    public var rank: Int = 1
    /// Concepts the user wants kept: encoded like the target and used as anchors.
    public var preserve: [String] = []
    /// Vocabulary words nearest the target in the text encoder (but below its calibrated
    /// threshold, so not paraphrases of it) added to the anchor prompts.
    public var neighbourAnchors: Int = 0
    /// Anchor prompts (from `preserve` and the neighbours) drawn per trajectory, on top of the
    /// `sampling_batch_size` random anchors; `nil`: 2 when there are anchor prompts.
    public var promptAnchors: Int?
    public var placement: Placement = .transformer
    /// 0: off. Otherwise the text-reading layers' `down` stays within this many directions
    /// of text-state space that best tell the target's prompts from the anchor prompts and the
    /// unconditional and neutral prompts (``TextDirections``).
    public var textDirections: Int = 0

    public init() {}

    /// Anchor prompts drawn per trajectory.
    public var promptAnchorsPerUnit: Int {
        promptAnchors ?? (preserve.isEmpty && neighbourAnchors == 0 ? 0 : 2)
    }

    /// The positive prompt (defaults to the target).
    public var positivePrompt: String { positive ?? target }

    /// Every accepted key.
    public static let keys: Set<String> = [
        "target", "positive", "neutral", "unconditional", "action", "guidance_scale", "resolution", "batch_size",
        "la_strength", "sampling_batch_size", "iterations", "lr", "lr_scheduler", "lr_scheduler_num_cycles",
        "lr_warmup_steps", "max_denoising_steps", "max_grad_norm", "seed", "trajectory_guidance", "weight_decay",
        "adam_beta1", "adam_beta2", "adam_epsilon", "rank", "preserve", "neighbour_anchors", "prompt_anchors", "placement",
        "text_directions",
    ]

    /// Builds a config from decoded key/values; `source` names the file in errors.
    public init(values: [String: Any], source: String) throws {
        func fail(_ key: String, _ p: String) -> ConfigError { ConfigError(file: source, key: key, problem: p) }
        for key in values.keys where !TrainingConfig.keys.contains(key) {
            throw fail(key, "unknown key (known: \(TrainingConfig.keys.sorted().joined(separator: ", ")))")
        }
        func string(_ k: String) throws -> String? {
            guard let v = values[k] else { return nil }
            if v is NSNull { return nil }
            if let s = v as? String { return s }
            if let i = v as? Int { return String(i) }
            throw fail(k, "expected text")
        }
        // Numbers are checked against ConfigLimits before any conversion.
        func int(_ k: String) throws -> Int? {
            guard let v = values[k] else { return nil }
            return try ConfigLimits.limit(k).integer(from: v, file: source)
        }
        func float(_ k: String) throws -> Float? {
            guard let v = values[k] else { return nil }
            return try ConfigLimits.limit(k).real(from: v, file: source)
        }
        var c = TrainingConfig()
        c.target = try string("target") ?? ""
        c.positive = try string("positive")
        c.neutral = try string("neutral") ?? c.neutral
        c.unconditional = try string("unconditional") ?? c.unconditional
        if let a = try string("action") {
            guard let v = Action(rawValue: a) else { throw fail("action", "'\(a)' is not erase or erase_with_la") }
            c.action = v
        }
        c.guidanceScale = try float("guidance_scale") ?? c.guidanceScale
        c.resolution = try int("resolution")
        c.batchSize = try int("batch_size") ?? c.batchSize
        c.laStrength = try float("la_strength") ?? c.laStrength
        c.samplingBatchSize = try int("sampling_batch_size") ?? c.samplingBatchSize
        c.iterations = try int("iterations") ?? c.iterations
        c.lr = try float("lr") ?? c.lr
        if let s = try string("lr_scheduler") {
            guard let v = Schedule(rawValue: s) else { throw fail("lr_scheduler", "'\(s)' is not constant, constant_with_warmup, linear, cosine or cosine_with_restarts") }
            c.lrScheduler = v
        }
        c.lrSchedulerNumCycles = try int("lr_scheduler_num_cycles") ?? c.lrSchedulerNumCycles
        c.lrWarmupSteps = try int("lr_warmup_steps") ?? c.lrWarmupSteps
        c.maxDenoisingSteps = try int("max_denoising_steps") ?? c.maxDenoisingSteps
        c.maxGradNorm = try float("max_grad_norm") ?? c.maxGradNorm
        if let s = try int("seed") { c.seed = UInt64(s) }
        c.trajectoryGuidance = try float("trajectory_guidance") ?? c.trajectoryGuidance
        c.weightDecay = try float("weight_decay") ?? c.weightDecay
        c.adamBeta1 = try float("adam_beta1") ?? c.adamBeta1
        c.adamBeta2 = try float("adam_beta2") ?? c.adamBeta2
        c.adamEpsilon = try float("adam_epsilon") ?? c.adamEpsilon
        c.rank = try int("rank") ?? c.rank
        if let v = values["preserve"] {
            guard let list = v as? [Any], let texts = list as? [String], texts.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw fail("preserve", "expected a list of non-empty texts")
            }
            c.preserve = texts
        }
        c.neighbourAnchors = try int("neighbour_anchors") ?? c.neighbourAnchors
        c.promptAnchors = try int("prompt_anchors")
        if let p = try string("placement") {
            guard let v = Placement(rawValue: p) else { throw fail("placement", "'\(p)' is not transformer or cross_attention") }
            c.placement = v
        }
        c.textDirections = try int("text_directions") ?? c.textDirections
        try c.validate(source: source)
        self = c
    }

    /// Checks every setting against ``ConfigLimits`` (and the text ones); errors name the file,
    /// the key and the allowed range.
    public func validate(source: String) throws {
        guard !target.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigError(file: source, key: "target", problem: "is required and must not be empty")
        }
        let texts = [("target", target), ("positive", positivePrompt), ("neutral", neutral), ("unconditional", unconditional)]
            + preserve.map { ("preserve", $0) }
        for (key, text) in texts where text.utf8.count > ConfigLimits.maxTextBytes {
            throw ConfigError(file: source, key: key, problem: "is \(text.utf8.count) bytes long; prompts may have at most \(ConfigLimits.maxTextBytes)")
        }
        if preserve.count > ConfigLimits.maxPreserve {
            throw ConfigError(file: source, key: "preserve", problem: "lists \(preserve.count) texts; at most \(ConfigLimits.maxPreserve)")
        }
        var integers: [(String, Int)] = [
            ("iterations", iterations), ("batch_size", batchSize), ("sampling_batch_size", samplingBatchSize),
            ("neighbour_anchors", neighbourAnchors), ("max_denoising_steps", maxDenoisingSteps),
            ("lr_warmup_steps", lrWarmupSteps), ("lr_scheduler_num_cycles", lrSchedulerNumCycles), ("rank", rank),
            ("text_directions", textDirections),
        ]
        if let promptAnchors { integers.append(("prompt_anchors", promptAnchors)) }
        if let resolution { integers.append(("resolution", resolution)) }
        if seed > UInt64(Int.max) {
            throw ConfigLimits.limit("seed").refusal(found: seed, file: source)
        }
        let reals: [(String, Float)] = [
            ("lr", lr), ("guidance_scale", guidanceScale), ("trajectory_guidance", trajectoryGuidance),
            ("la_strength", laStrength), ("max_grad_norm", maxGradNorm), ("weight_decay", weightDecay),
            ("adam_beta1", adamBeta1), ("adam_beta2", adamBeta2), ("adam_epsilon", adamEpsilon),
        ]
        for (key, value) in integers { try ConfigLimits.limit(key).check(value, file: source) }
        for (key, value) in reals { try ConfigLimits.limit(key).check(value, file: source) }
    }

    /// Every setting as plain values (sorted keys when serialised): what the content hash covers.
    public var canonicalValues: [String: String] {
        var v: [String: String] = [
            "target": target, "positive": positivePrompt, "neutral": neutral, "unconditional": unconditional,
            "action": action.rawValue, "guidance_scale": "\(guidanceScale)", "batch_size": "\(batchSize)",
            "la_strength": "\(laStrength)", "sampling_batch_size": "\(samplingBatchSize)", "iterations": "\(iterations)",
            "lr": "\(lr)", "lr_scheduler": lrScheduler.rawValue, "lr_scheduler_num_cycles": "\(lrSchedulerNumCycles)",
            "lr_warmup_steps": "\(lrWarmupSteps)", "max_denoising_steps": "\(maxDenoisingSteps)",
            "max_grad_norm": "\(maxGradNorm)", "seed": "\(seed)", "trajectory_guidance": "\(trajectoryGuidance)",
            "weight_decay": "\(weightDecay)", "adam_beta1": "\(adamBeta1)", "adam_beta2": "\(adamBeta2)",
            "adam_epsilon": "\(adamEpsilon)", "rank": "\(rank)",
        ]
        v["resolution"] = resolution.map(String.init) ?? "default"
        // Settings added later enter the hash only when used, so configs without them keep their hashes.
        if !preserve.isEmpty { v["preserve"] = preserve.joined(separator: "\n") }
        if neighbourAnchors != 0 { v["neighbour_anchors"] = "\(neighbourAnchors)" }
        if let promptAnchors { v["prompt_anchors"] = "\(promptAnchors)" }
        if placement != .transformer { v["placement"] = placement.rawValue }
        if textDirections != 0 { v["text_directions"] = "\(textDirections)" }
        return v
    }

    /// The learning rate at optimizer step `step` (0-based).
    public func learningRate(at step: Int) -> Float {
        let warm = lrWarmupSteps
        if lrScheduler != .constant && step < warm { return lr * Float(step + 1) / Float(warm + 1) }
        let span = Float(max(1, iterations - warm))
        let progress = min(1, Float(step - (lrScheduler == .constant ? 0 : warm)) / span)
        switch lrScheduler {
        case .constant, .constantWithWarmup: return lr
        case .linear: return lr * max(0, 1 - progress)
        case .cosine: return lr * 0.5 * (1 + cos(Float.pi * progress))
        case .cosineWithRestarts:
            if progress >= 1 { return 0 }
            let cycle = (Float(lrSchedulerNumCycles) * progress).truncatingRemainder(dividingBy: 1)
            return lr * 0.5 * (1 + cos(Float.pi * cycle))
        }
    }
}

/// A config file problem: the file, the key and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let key: String
    public let problem: String
    public var description: String { key.isEmpty ? "\(file): \(problem)" : "\(file): '\(key)' \(problem)" }
}
