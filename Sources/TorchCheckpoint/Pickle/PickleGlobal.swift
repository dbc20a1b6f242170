import SafeTensors

/// The globals a checkpoint's pickle may name, by exact module and name. Every other global is
/// refused the moment GLOBAL or STACK_GLOBAL reads it.
///
/// None of them is ever called: each stands for a fixed data-building rule of the interpreter.
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict`: builds a dict.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2`: (storage, offset, size, stride, requires_grad, hooks[, metadata]).
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor`: (storage, offset, size, stride).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter`: (tensor, requires_grad, hooks).
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state`: (tensor, requires_grad, hooks, state).
    case rebuildParameterWithState
    /// `torch.<Type>Storage`: the element type of a persistent storage id.
    case storageType(SafeTensorsDType, name: String)
    /// `_codecs.encode`: how protocol 2 spells a bytes object, (str, "latin1").
    case codecsEncode
    /// Classes that appear outside the state dict of Stable Diffusion checkpoints (numpy scalars
    /// and dtypes, Lightning's ModelCheckpoint callback); rebuilt as inert named markers.
    case inert(String)

    /// Storage classes and the element type each holds.
    static let storageTypes: [String: SafeTensorsDType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// Inert classes, by qualified name.
    static let inertNames: Set<String> = [
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
        "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint",
    ]

    /// The allowed global `module.name`, or `nil` if it is not allowed.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("_codecs", "encode"): self = .codecsEncode
        default:
            if module == "torch", let dtype = Self.storageTypes[name] {
                self = .storageType(dtype, name: name)
            } else if Self.inertNames.contains("\(module).\(name)") {
                self = .inert("\(module).\(name)")
            } else {
                return nil
            }
        }
    }

    /// `module.name` as written in the pickle.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(_, let name): return "torch.\(name)"
        case .codecsEncode: return "_codecs.encode"
        case .inert(let name): return name
        }
    }
}
