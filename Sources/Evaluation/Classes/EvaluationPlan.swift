import Foundation
import Membranes

/// An evaluation file: which concept was erased, which prompts should still depict it if the
/// membrane failed, which concepts must be preserved, and how the pictures are made.
///
/// ```yaml
/// concept: snoopy                            # the erased concept (a class)
/// paraphrases: ["Charlie Brown's beagle"]    # prompts that depict it without naming it
/// others: [mickey mouse, a cat]              # concepts to preserve (classes)
/// templates: ["a photo of {}", "{} in a park"]   # '{}' <- the concept / each other
/// class_template: "a photo of {}"            # the text a picture is scored against per class
/// images_per_prompt: 4
/// seed: 0
/// steps: 30
/// cfg: 7.5
/// ```
///
/// Every class (the concept and each other) must be distinct; every template and the class
/// template must contain `{}` exactly once. Limits are in ``EvaluationPlan/Limits``.
public struct EvaluationPlan: Codable, Sendable, Equatable {
    /// The erased concept, as a class name.
    public var concept: String
    /// Prompts that depict the concept without naming it, used as given.
    public var paraphrases: [String]
    /// Concepts the membrane must leave alone, as class names.
    public var others: [String]
    /// Prompt templates; `{}` is replaced by the concept and by each other.
    public var templates: [String]
    /// The text each picture is scored against for each class; `{}` is replaced by the class.
    public var classTemplate: String
    /// Pictures per prompt; picture j of every prompt starts from the noise of `seed + j`.
    public var imagesPerPrompt: Int
    /// Seed of each prompt's first picture.
    public var seed: UInt64
    /// Sampling steps (DDIM).
    public var steps: Int
    /// Classifier-free guidance scale.
    public var cfg: Float

    /// Keys of an evaluation file.
    public static let keys: Set<String> = ["concept", "paraphrases", "others", "templates", "class_template",
                                           "images_per_prompt", "seed", "steps", "cfg"]

    /// Bounds of an evaluation file's values (prompt counts keep a nightly evaluation finite).
    public enum Limits {
        public static let imagesPerPrompt = 1...64
        public static let steps = 1...1000
        public static let cfg: ClosedRange<Float> = 0...50
        public static let maxPrompts = 256
        public static let maxTextBytes = 1000
    }

    /// The plan of an evaluation file (YAML, read with the limits of training configs).
    public static func load(_ url: URL) throws -> EvaluationPlan {
        try EvaluationPlan(values: try loadYAMLMapping(url), file: url.path)
    }

    /// A plan from a decoded YAML mapping; `file` names the source in errors.
    public init(values: [String: Any], file: String) throws(EvaluationPlanError) {
        func fail(_ key: String, _ problem: String) -> EvaluationPlanError { EvaluationPlanError(file: file, key: key, problem: problem) }
        for key in values.keys.sorted() where !EvaluationPlan.keys.contains(key) {
            throw fail(key, "unknown key (known: \(EvaluationPlan.keys.sorted().joined(separator: ", ")))")
        }
        func text(_ key: String, _ value: Any?) throws(EvaluationPlanError) -> String {
            guard let string = value as? String else { throw fail(key, "expected text") }
            let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw fail(key, "is empty") }
            guard trimmed.utf8.count <= Limits.maxTextBytes else { throw fail(key, "is longer than \(Limits.maxTextBytes) bytes") }
            return trimmed
        }
        func list(_ key: String, required: Bool) throws(EvaluationPlanError) -> [String] {
            guard let value = values[key] else {
                if required { throw fail(key, "is required: a list of texts") }
                return []
            }
            guard let items = value as? [Any] else { throw fail(key, "expected a list of texts") }
            guard items.count <= Limits.maxPrompts else { throw fail(key, "has \(items.count) entries; at most \(Limits.maxPrompts)") }
            var result: [String] = []
            for (index, item) in items.enumerated() { result.append(try text("\(key)[\(index)]", item)) }
            return result
        }
        func integer(_ key: String, _ range: ClosedRange<Int>, default fallback: Int) throws(EvaluationPlanError) -> Int {
            guard let value = values[key] else { return fallback }
            guard let number = value as? Int, range.contains(number) else {
                throw fail(key, "must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        guard values["concept"] != nil else { throw fail("concept", "is required: the erased concept") }
        concept = try text("concept", values["concept"])
        paraphrases = try list("paraphrases", required: false)
        others = try list("others", required: true)
        templates = values["templates"] == nil ? ["{}"] : try list("templates", required: true)
        classTemplate = values["class_template"] == nil ? "a photo of {}" : try text("class_template", values["class_template"])
        imagesPerPrompt = try integer("images_per_prompt", Limits.imagesPerPrompt, default: 4)
        seed = UInt64(try integer("seed", 0...Int(UInt32.max), default: 0))
        steps = try integer("steps", Limits.steps, default: 30)
        if let value = values["cfg"] {
            let number = (value as? Double) ?? (value as? Int).map(Double.init)
            guard let number, number.isFinite, Limits.cfg.contains(Float(number)) else {
                throw fail("cfg", "must be a number in \(Limits.cfg.lowerBound)...\(Limits.cfg.upperBound)")
            }
            cfg = Float(number)
        } else {
            cfg = 7.5
        }
        guard !others.isEmpty else { throw fail("others", "is empty: name at least one concept to preserve") }
        guard !templates.isEmpty else { throw fail("templates", "is empty") }
        for (index, template) in templates.enumerated() where template.components(separatedBy: "{}").count != 2 {
            throw fail("templates[\(index)]", "must contain '{}' exactly once")
        }
        if classTemplate.components(separatedBy: "{}").count != 2 { throw fail("class_template", "must contain '{}' exactly once") }
        var seen: Set<String> = []
        for name in [concept] + others where !seen.insert(name.lowercased()).inserted {
            throw fail("others", "'\(name)' is named twice (the concept and every other must be distinct classes)")
        }
        let prompts = templates.count * (1 + others.count) + paraphrases.count
        guard prompts <= Limits.maxPrompts else {
            throw fail("templates", "make \(prompts) prompts; at most \(Limits.maxPrompts)")
        }
    }

    /// The classes pictures are scored against: the concept first, then the others.
    public var classes: [EvaluationClass] {
        ([concept] + others).map { EvaluationClass(name: $0, text: classTemplate.replacingOccurrences(of: "{}", with: $0)) }
    }

    /// Every prompt, in report order: the concept through each template, the paraphrases, then
    /// each other through each template.
    public var prompts: [EvaluationPrompt] {
        var result: [EvaluationPrompt] = []
        for template in templates {
            result.append(EvaluationPrompt(text: template.replacingOccurrences(of: "{}", with: concept), expected: concept, kind: .target))
        }
        for text in paraphrases { result.append(EvaluationPrompt(text: text, expected: concept, kind: .paraphrase)) }
        for other in others {
            for template in templates {
                result.append(EvaluationPrompt(text: template.replacingOccurrences(of: "{}", with: other), expected: other, kind: .other))
            }
        }
        return result
    }
}

/// A class pictures are scored against: its name (as in the plan) and the text scored.
public struct EvaluationClass: Codable, Sendable, Equatable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// One evaluation prompt and the class its pictures should show.
public struct EvaluationPrompt: Codable, Sendable, Equatable {
    /// What the prompt is for.
    public enum Kind: String, Codable, Sendable {
        /// Names the erased concept.
        case target
        /// Depicts the erased concept without naming it.
        case paraphrase
        /// Names a concept to preserve.
        case other
    }

    public var text: String
    /// The class a faithful picture of the prompt shows.
    public var expected: String
    public var kind: Kind
}

/// A problem in an evaluation file: the file, the key and what is wrong.
public struct EvaluationPlanError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let key: String
    public let problem: String
    public var description: String { "\(file): '\(key)' \(problem)" }
}
