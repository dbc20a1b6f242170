/// How a scheduler picks its inference timesteps among the training timesteps: diffusers'
/// `timestep_spacing`, read from and written as the same JSON strings.
public enum TimestepSpacing: String, Codable, Sendable, CaseIterable {
    /// Every (n / steps)-th timestep counted up from 0, plus the config's `steps_offset`
    /// (SD v1.x).
    case leading
    /// Steps of n / steps counted down from the last training timestep, rounded.
    case trailing
    /// Evenly spaced from the last training timestep down to 0, both included.
    case linspace

    /// Reads one of the known names; any other is refused as an unsupported option.
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let spacing = TimestepSpacing(rawValue: name) else {
            let known = TimestepSpacing.allCases.map(\.rawValue).joined(separator: ", ")
            throw UnsupportedOption(option: "timestep_spacing: \(name)", reason: "known: \(known)")
        }
        self = spacing
    }

    /// The `steps` inference timesteps over `trainSteps` training timesteps, noisiest first.
    /// Leading and trailing timesteps are whole numbers; linspace ones may have a fraction,
    /// which DDIM rounds and Euler interpolates.
    public func timesteps(steps: Int, trainSteps n: Int, offset: Int) -> [Double] {
        switch self {
        case .leading:
            let ratio = n / steps
            return (0..<steps).reversed().map { Double($0 * ratio + offset) }
        case .trailing:
            let ratio = Double(n) / Double(steps)
            return (0..<steps).map { (Double(n) - Double($0) * ratio).rounded(.toNearestOrEven) - 1 }
        case .linspace:
            return (0..<steps).map { Double(n - 1) * Double(steps - 1 - $0) / Double(max(steps - 1, 1)) }
        }
    }
}
