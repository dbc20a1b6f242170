import Foundation

/// Two adjacent BPE symbols, the key of a merge rule.
struct MergePair: Hashable, Sendable {
    let first: String
    let second: String
}

/// The parsed contents of a tokenizer folder.
struct TokenizerFiles {
    /// Largest number of merges the reference tokenizer reads (`49152 - 256 - 2`).
    static let maxMerges = 48_894
    /// Sequence length used when the config gives none or an unusable one.
    static let defaultMaxLength = 77

    var vocabulary: [String: Int32] = [:]
    var mergeRanks: [MergePair: Int] = [:]
    var maxLength = Self.defaultMaxLength
    var bosToken = "<|startoftext|>"
    var eosToken = "<|endoftext|>"
    var padToken = "<|endoftext|>"
    var unkToken = "<|endoftext|>"
    /// The file each special token was read from, for error messages.
    var specialTokenSources: [String: String] = [:]
    let vocabularyPath: String

    init(directory: URL) throws {
        let vocabularyURL = directory.appendingPathComponent("vocab.json")
        vocabularyPath = vocabularyURL.path
        vocabulary = try Self.readVocabulary(vocabularyURL)
        mergeRanks = try Self.readMerges(directory.appendingPathComponent("merges.txt"))

        // special_tokens_map.json overrides tokenizer_config.json, as in the reference loader.
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if let config = try Self.readOptionalObject(configURL) {
            applySpecialTokens(from: config, path: configURL.path)
            if let length = Self.integer(config["model_max_length"]), length >= 2, length <= 1 << 20 {
                maxLength = length
            }
        }
        let mapURL = directory.appendingPathComponent("special_tokens_map.json")
        if let map = try Self.readOptionalObject(mapURL) {
            applySpecialTokens(from: map, path: mapURL.path)
        }
    }

    /// The id of special token `token`, or an error naming where it was configured.
    func id(of token: String, role: String) throws -> Int32 {
        if let id = vocabulary[token] { return id }
        let source = specialTokenSources[role] ?? vocabularyPath
        throw TokenizerError(.invalidFile, path: source,
                             "\(role) '\(token)' is not in vocab.json (\(vocabularyPath))")
    }

    private mutating func applySpecialTokens(from object: [String: Any], path: String) {
        let roles: [(String, WritableKeyPath<TokenizerFiles, String>)] = [
            ("bos_token", \.bosToken), ("eos_token", \.eosToken),
            ("pad_token", \.padToken), ("unk_token", \.unkToken),
        ]
        for (role, keyPath) in roles {
            guard let token = Self.tokenString(object[role]) else { continue }
            self[keyPath: keyPath] = token
            specialTokenSources[role] = path
        }
    }

    /// A special token given as a string or as an added-token object `{"content": ...}`.
    private static func tokenString(_ value: Any?) -> String? {
        if let text = value as? String { return text }
        if let object = value as? [String: Any], let text = object["content"] as? String { return text }
        return nil
    }

    /// An integral JSON number as Int (rejecting fractions, booleans and huge values).
    private static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, !(value is Bool) else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    private static func readData(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError(.missingFile, path: url.path, "file does not exist")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError(.missingFile, path: url.path, "cannot read: \(error.localizedDescription)")
        }
    }

    private static func readOptionalObject(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data = try readData(url)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError(.invalidFile, path: url.path, "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw TokenizerError(.invalidFile, path: url.path, "must be a JSON object")
        }
        return object
    }

    private static func readVocabulary(_ url: URL) throws -> [String: Int32] {
        let data = try readData(url)
        let decoded: [String: Int]
        do {
            decoded = try JSONDecoder().decode([String: Int].self, from: data)
        } catch {
            throw TokenizerError(.invalidFile, path: url.path,
                                 "must be a JSON object mapping token strings to integer ids")
        }
        if decoded.isEmpty {
            throw TokenizerError(.invalidFile, path: url.path, "the vocabulary is empty")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(decoded.count)
        for (token, id) in decoded {
            guard id >= 0, id <= Int(Int32.max) else {
                throw TokenizerError(.invalidFile, path: url.path, "token '\(token)' has invalid id \(id)")
            }
            vocabulary[token] = Int32(id)
        }
        return vocabulary
    }

    /// Merge rules by rank (line order). A first line starting with `#version` is a header.
    private static func readMerges(_ url: URL) throws -> [MergePair: Int] {
        let data = try readData(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(.invalidFile, path: url.path, "not UTF-8 text")
        }
        var ranks: [MergePair: Int] = [:]
        var rank = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index == 0 && line.hasPrefix("#version") { continue }
            let parts = line.split(whereSeparator: { $0.isWhitespace })
            if parts.isEmpty { continue }
            guard parts.count == 2 else {
                throw TokenizerError(.invalidFile, path: url.path,
                                     "line \(index + 1): expected two symbols separated by a space, found '\(line)'")
            }
            if rank >= maxMerges { break }
            let pair = MergePair(first: String(parts[0]), second: String(parts[1]))
            if ranks[pair] == nil { ranks[pair] = rank }
            rank += 1
        }
        if ranks.isEmpty {
            throw TokenizerError(.invalidFile, path: url.path, "has no merge rules (a CLIP BPE tokenizer needs them to join characters into tokens)")
        }
        return ranks
    }
}
