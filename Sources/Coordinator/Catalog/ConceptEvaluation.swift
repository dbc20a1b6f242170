import Evaluation
import Foundation
import Membranes

/// How a concept's membrane is measured after training, and the gate it must clear to be
/// published: the catalog keys `evaluate` (an evaluation file), `reader` (`clip:DIR` or
/// `shapesworld`) and `gate` (``EvaluationGate``), at the top level or per concept (a concept's
/// own keys win).
public struct ConceptEvaluation: Sendable, Equatable {
    /// The evaluation file.
    public var planFile: URL
    public var plan: EvaluationPlan
    public var reader: EvaluationReader
    /// The gate; `nil` publishes whatever the evaluation finds.
    public var gate: EvaluationGate?

    /// Catalog keys of an evaluation.
    public static let keys: Set<String> = ["evaluate", "reader", "gate"]

    /// The transport the evaluation measures: the gate's, or the default one.
    public var transport: String { gate?.transport ?? "facilitated" }

    /// A hash of what decides the evaluation's outcome (the plan's values, the reader and the
    /// gate): a library entry evaluated with another hash is evaluated again.
    public var hash: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plan = (try? encoder.encode(self.plan)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let gate = (try? encoder.encode(self.gate)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return MembraneMetadata.stableHash("evaluation-1\n\(plan)\n\(reader)\n\(gate)")
    }

    /// The evaluation of a concept from the catalog's top-level `top` and the concept's own
    /// `own` keys; `nil` when neither names an evaluation file. Errors name `file` and the key.
    static func resolve(top: [String: Any], own: [String: Any], label: String, folder: URL, file: String) throws -> ConceptEvaluation? {
        func pick(_ key: String) -> (value: Any, key: String)? {
            if let value = own[key] { return (value, "\(label).\(key)") }
            return top[key].map { ($0, key) }
        }
        guard let evaluate = pick("evaluate") else {
            for key in ["reader", "gate"] where pick(key) != nil {
                throw CatalogError(file: file, key: pick(key)?.key ?? key, problem: "needs 'evaluate': an evaluation file")
            }
            return nil
        }
        guard let path = evaluate.value as? String, !path.isEmpty else {
            throw CatalogError(file: file, key: evaluate.key, problem: "expected the path of an evaluation file")
        }
        let planFile = Catalog.resolve(path, from: folder)
        let plan = try EvaluationPlan.load(planFile)
        guard let reader = pick("reader") else {
            throw CatalogError(file: file, key: "reader", problem: "is required with 'evaluate': clip:DIR or shapesworld")
        }
        guard let readerText = reader.value as? String else { throw CatalogError(file: file, key: reader.key, problem: "expected clip:DIR or shapesworld") }
        let parsed: EvaluationReader
        do { parsed = try EvaluationReader(parsing: readerText, relativeTo: folder) } catch {
            throw CatalogError(file: file, key: reader.key, problem: error.problem)
        }
        if case .clip(let clipFolder) = parsed, !FileManager.default.fileExists(atPath: clipFolder) {
            throw CatalogError(file: file, key: reader.key, problem: "\(clipFolder) does not exist")
        }
        let gate = try pick("gate").map { try EvaluationGate(value: $0.value, file: file, key: $0.key) }
        if let gate {
            do { _ = try Transport(parsing: gate.transport) } catch {
                throw CatalogError(file: file, key: (pick("gate")?.key ?? "gate") + ".transport", problem: "\(error)")
            }
        }
        return ConceptEvaluation(planFile: planFile, plan: plan, reader: parsed, gate: gate)
    }
}
