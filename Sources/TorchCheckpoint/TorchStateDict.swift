/// The tensors of an unpickled checkpoint, by name, and its top-level scalars.
///
/// A Stable Diffusion checkpoint is `{"state_dict": {...}, "global_step": N, ...}`; a plain
/// `torch.save(model.state_dict())` is the state dict itself. The tensors come from `state_dict`
/// when the top level has a dict under that key, else from the top level; dicts nested inside
/// are flattened with `.` between the keys. Everything outside the state dict (optimizer state,
/// callbacks) is never read beyond the unpickling.
struct TorchStateDict {
    /// Tensors by flattened name.
    var tensors: [String: TorchTensorRecord] = [:]
    /// Top-level string, integer, float and bool values (e.g. `global_step`), as text.
    var metadata: [String: String] = [:]
    /// Names of state-dict entries that are neither tensors nor dicts (skipped).
    var skipped: [String] = []

    private var visited = 0

    /// Collects the tensors of `root`, visiting at most `limits.maxVisitedValues` values.
    init(root: PickleValue, path: String, limits: TorchCheckpointLimits) throws {
        guard case .dict(let top) = root else {
            throw TorchCheckpointError(.noStateDict, path: path, "data.pkl holds a \(root.kindName), not a dict of tensors")
        }
        for (key, value) in top.entries {
            guard let name = key.stringValue, let text = Self.scalarText(value) else { continue }
            metadata[name] = text
        }
        var source = top
        if case .dict(let inner)? = top["state_dict"] {
            source = inner
        }
        try collect(source, prefix: "", path: path, limits: limits)
    }

    private mutating func collect(_ dict: PickleDict, prefix: String, path: String, limits: TorchCheckpointLimits) throws {
        for (key, value) in dict.entries {
            visited += 1
            guard visited <= limits.maxVisitedValues else {
                throw TorchCheckpointError(.limitExceeded, path: path, "the state dict has more than \(limits.maxVisitedValues) entries (counting shared ones each time)")
            }
            guard let keyString = key.stringValue else { continue }
            let name = prefix + keyString
            switch value {
            case .tensor(let record):
                guard tensors[name] == nil else {
                    throw TorchCheckpointError(.invalidTensor, path: path, tensor: name, "two entries flatten to the same name")
                }
                tensors[name] = record
            case .dict(let inner):
                try collect(inner, prefix: name + ".", path: path, limits: limits)
            default:
                skipped.append(name)
            }
        }
    }

    /// A scalar as text, or `nil` for containers and objects.
    static func scalarText(_ value: PickleValue) -> String? {
        switch value {
        case .bool(let bool): return bool ? "True" : "False"
        case .int(let int): return String(int)
        case .float(let double): return String(double)
        case .string(let string): return string
        default: return nil
        }
    }
}
