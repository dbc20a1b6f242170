import CYaml
import Foundation

/// Checks the shape of a YAML text on libyaml's event stream, before any node is built: nesting
/// depth, aliases and duplicate keys. The event parser keeps its state on the heap, so a text
/// nested a million levels deep is refused after reading its first ``ConfigLimits/yamlMaxDepth``
/// levels instead of overflowing the stack of a recursive loader, and an alias bomb is refused
/// at its first alias instead of being expanded.
enum YAMLStructureCheck {
    /// Why a text was refused: the problem and the 1-based line it was found on.
    struct Problem: Error, Equatable {
        var line: Int
        var key: String
        var message: String
    }

    /// One open collection while walking the events.
    private struct Level {
        var isMapping: Bool
        /// Keys seen so far (mappings only).
        var keys: Set<String> = []
        /// Whether the next node of this mapping is a key (mappings only).
        var expectsKey = true
        /// The key of the value being read, for messages.
        var currentKey = ""
    }

    /// Walks every event of `text`; throws the first problem found. Syntax errors are left to the
    /// loader, which reports them with more context.
    static func check(_ text: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var stack: [Level] = []
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                let path = stack.map(\.currentKey).filter { !$0.isEmpty }.joined(separator: ".")
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    throw Problem(line: line, key: path,
                                  message: "uses an alias (*name); aliases are not accepted in configs and catalogs: write the values out")
                case YAML_SCALAR_EVENT:
                    let value = String(decoding: UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length),
                                       as: UTF8.self)
                    try node(&stack, scalar: value, line: line)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    try node(&stack, scalar: nil, line: line)
                    guard stack.count < ConfigLimits.yamlMaxDepth else {
                        throw Problem(line: line, key: path,
                                      message: "is nested more than \(ConfigLimits.yamlMaxDepth) levels deep (the limit for configs and catalogs)")
                    }
                    stack.append(Level(isMapping: event.type == YAML_MAPPING_START_EVENT))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    stack.removeLast()
                default:
                    continue
                }
            }
        }
    }

    /// Records a node in the innermost open collection: a mapping's key (checked for repeats;
    /// `scalar` is nil for a collection used as a key) or a value.
    private static func node(_ stack: inout [Level], scalar: String?, line: Int) throws {
        guard let top = stack.indices.last, stack[top].isMapping else { return }
        if stack[top].expectsKey {
            let parent = stack.dropLast().map(\.currentKey).filter { !$0.isEmpty }.joined(separator: ".")
            guard let key = scalar else {
                throw Problem(line: line, key: parent, message: "has a key that is not text")
            }
            let full = parent.isEmpty ? key : parent + "." + key
            guard stack[top].keys.insert(key).inserted else {
                throw Problem(line: line, key: full, message: "appears twice in the same mapping")
            }
            stack[top].currentKey = key
            stack[top].expectsKey = false
        } else {
            stack[top].expectsKey = true
        }
    }
}
