/// What the quality gate said about a concept's new membrane.
///
/// Encoded as `{"status": "passed"}`, `{"status": "failed", "reasons": [...]}`,
/// `{"status": "not_gated"}` or `{"status": "not_evaluated"}`.
public enum GateVerdict: Codable, Sendable, Equatable {
    /// The membrane was evaluated and met every limit of its gate.
    case passed
    /// The membrane missed its gate; each reason names a limit it missed, for a user.
    case failed(reasons: [String])
    /// The membrane was evaluated but the concept has no gate.
    case notGated
    /// The membrane was not evaluated (the concept has no evaluation file).
    case notEvaluated

    /// The `status` text of the encoded form, also the CSS class of the report's badge.
    public var status: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .notGated: "not_gated"
        case .notEvaluated: "not_evaluated"
        }
    }

    /// The badge text shown in the report.
    public var label: String {
        switch self {
        case .passed: "gate passed"
        case .failed: "gate failed"
        case .notGated: "not gated"
        case .notEvaluated: "not evaluated"
        }
    }

    private enum CodingKeys: String, CodingKey { case status, reasons }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let status = try container.decode(String.self, forKey: .status)
        switch status {
        case "passed": self = .passed
        case "failed": self = .failed(reasons: try container.decodeIfPresent([String].self, forKey: .reasons) ?? [])
        case "not_gated": self = .notGated
        case "not_evaluated": self = .notEvaluated
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: container,
                debugDescription: "unknown gate verdict '\(status)' (expected passed, failed, not_gated or not_evaluated)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        if case .failed(let reasons) = self { try container.encode(reasons, forKey: .reasons) }
    }
}
