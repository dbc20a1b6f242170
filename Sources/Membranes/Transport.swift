import StableDiffusion

/// How membranes are applied at inference: each prompt at its own strength by Facilitated
/// Transport, or every prompt at one fixed weight (plain LoRA behaviour).
///
/// A transport is named by text such as `facilitated`, `facilitated-reference` or `fixed:1.0`;
/// ``init(parsing:)`` reads these names and ``description`` writes them back.
public enum Transport: Equatable, Sendable, CustomStringConvertible {
    /// Per-prompt multipliers from the similarity of each prompt to each membrane's targets.
    /// With ``FacilitatedTransport/Rule/reference`` the membranes are applied as the SPM
    /// reference code applies them (``ReferenceMembraneAdapter``): each membrane's multiplier
    /// gamma scales both its factors, so it acts with gamma squared, and several membranes are
    /// summed into one rank-1 network with cross terms.
    case facilitated(FacilitatedTransport.Rule)
    /// The same multiplier for every prompt and membrane.
    case fixed(Float)

    /// The names ``init(parsing:)`` accepts, for messages.
    public static let acceptedNames = "facilitated, facilitated-tokens, facilitated-reference or fixed:W (e.g. fixed:1.0)"

    /// Reads `facilitated` (the meaning rule), `facilitated-tokens`, `facilitated-reference`, or `fixed:W`
    /// with a decimal weight `W`.
    public init(parsing text: String) throws(TransportError) {
        switch text {
        case "facilitated": self = .facilitated(.meaning)
        case "facilitated-tokens": self = .facilitated(.tokens)
        case "facilitated-reference": self = .facilitated(.reference)
        default:
            guard text.hasPrefix(Transport.fixedPrefix), let weight = Float(text.dropFirst(Transport.fixedPrefix.count)) else {
                throw TransportError(text: text)
            }
            self = .fixed(weight)
        }
    }

    /// The transport's name, which ``init(parsing:)`` reads back to the same transport:
    /// `facilitated`, `facilitated-reference` or `fixed:W` with the shortest decimal `W` that
    /// reads back to the same weight.
    public var description: String {
        switch self {
        case .facilitated(.meaning): return "facilitated"
        case .facilitated(.tokens): return "facilitated-tokens"
        case .facilitated(.reference): return "facilitated-reference"
        case .fixed(let weight): return Transport.fixedPrefix + weight.description
        }
    }

    /// The adapter provider applying `membranes` this way, or `nil` when there are none (the
    /// base model runs untouched).
    public func provider(membranes: [Membrane], model: StableDiffusionModel) -> AdapterProvider? {
        guard !membranes.isEmpty else { return nil }
        switch self {
        case .fixed(let weight):
            return { rows in MembraneAdapter(membranes: membranes, multiplier: weight, rows: rows.count) }
        case .facilitated(.reference):
            let transport = FacilitatedTransport(rule: .reference)
            return { rows in
                ReferenceMembraneAdapter(membranes: membranes,
                                         gammas: transport.multipliers(rowPrompts: rows, membranes: membranes, model: model))
            }
        case .facilitated(let rule):
            let transport = FacilitatedTransport(rule: rule)
            let calibrations = transport.calibrations(for: membranes, model: model)
            return { rows in
                let multipliers = transport.multipliers(rowPrompts: rows, membranes: membranes, model: model, calibrations: calibrations)
                return MembraneAdapter(Array(zip(membranes, multipliers)).map { (membrane: $0.0, multipliers: $0.1) })
            }
        }
    }

    /// The multiplier this transport gives each membrane on each prompt (one list per membrane,
    /// one value per prompt): the weight for ``fixed(_:)``, the rule's value for
    /// ``facilitated(_:)``. For the reference rule this is gamma, the factor on each of the
    /// membrane's two weights: alone, the membrane acts with gamma squared.
    public func multipliers(prompts: [String], membranes: [Membrane], model: StableDiffusionModel) -> [[Float]] {
        switch self {
        case .fixed(let weight):
            return membranes.map { _ in Array(repeating: weight, count: prompts.count) }
        case .facilitated(let rule):
            return FacilitatedTransport(rule: rule).multipliers(rowPrompts: prompts, membranes: membranes, model: model)
        }
    }

    private static let fixedPrefix = "fixed:"
}
