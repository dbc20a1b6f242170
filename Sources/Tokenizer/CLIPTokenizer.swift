import Foundation

/// The CLIP byte-level BPE tokenizer used by Stable Diffusion v1.x text encoders.
///
/// Reproduces Hugging Face's (slow, Python) `CLIPTokenizer` called as SD pipelines call it:
/// `tokenizer(prompt, padding="max_length", max_length=77, truncation=True)`.
///
/// 1. Occurrences of the special tokens (`<|startoftext|>`, `<|endoftext|>`, ...) in the text are
///    kept as single tokens.
/// 2. The rest is cleaned (Unicode NFC, control characters removed, runs of whitespace collapsed to
///    one space, ends trimmed) and lower-cased.
/// 3. It is split into words by CLIP's pattern: contractions (`'s 't 're 've 'm 'll 'd`), runs of
///    letters, single digits, runs of other non-space characters.
/// 4. Each word's UTF-8 bytes are spelled in the byte-level alphabet, `</w>` is appended to the
///    last symbol, and symbol pairs are merged by `merges.txt` rank (lowest first) until none apply.
/// 5. Tokens become ids through `vocab.json` (unknown tokens become the unk token), wrapped in
///    bos/eos, truncated to ``maxLength`` keeping both, and padded with the pad token.
///
/// Not reproduced: `ftfy` text repair and HTML unescaping (the reference applies them only when
/// `ftfy` is installed).
///
/// Thread-safe: the per-word BPE cache is guarded by a lock.
public final class CLIPTokenizer: @unchecked Sendable {
    /// The directory the tokenizer was read from.
    public let directory: URL
    /// Sequence length of ``encode(_:)``: `model_max_length` from `tokenizer_config.json` (77).
    public let maxLength: Int
    /// The beginning-of-text token (`<|startoftext|>` for CLIP).
    public let bosToken: String
    /// The end-of-text token (`<|endoftext|>` for CLIP).
    public let eosToken: String
    /// The padding token (`<|endoftext|>` for SD v1.x).
    public let padToken: String
    /// The token that stands in for BPE tokens missing from the vocabulary.
    public let unkToken: String
    /// Id of ``bosToken``.
    public let bosID: Int32
    /// Id of ``eosToken``.
    public let eosID: Int32
    /// Id of ``padToken``.
    public let padID: Int32
    /// Id of ``unkToken``.
    public let unkID: Int32

    let vocabulary: [String: Int32]

    /// The vocabulary's largest id and its token (nil for an empty vocabulary): a text encoder
    /// needs more embedding rows than this id.
    public var largestID: (token: String, id: Int32)? {
        vocabulary.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }.map { ($0.key, $0.value) }
    }
    let tokensByID: [Int32: String]
    let mergeRanks: [MergePair: Int]
    let alphabet = ByteLevelAlphabet()
    /// Special token strings recognised inside input text, longest first.
    let specialTokens: [String]

    private var cache: [String: [String]] = [:]
    private let cacheLock = NSLock()
    /// Words longer than this are not cached (they are rare and would bloat the cache).
    private static let cacheableWordLength = 64

    /// Loads `vocab.json` and `merges.txt`, plus `tokenizer_config.json` and
    /// `special_tokens_map.json` when present, from `directory` (a diffusers `tokenizer/` folder).
    ///
    /// - Throws: ``TokenizerError`` naming the file that is missing or malformed, including a
    ///   special token that is not in the vocabulary.
    public init(directory: URL) throws {
        self.directory = directory
        let files = try TokenizerFiles(directory: directory)
        vocabulary = files.vocabulary
        mergeRanks = files.mergeRanks
        maxLength = files.maxLength
        bosToken = files.bosToken
        eosToken = files.eosToken
        padToken = files.padToken
        unkToken = files.unkToken
        bosID = try files.id(of: files.bosToken, role: "bos_token")
        eosID = try files.id(of: files.eosToken, role: "eos_token")
        padID = try files.id(of: files.padToken, role: "pad_token")
        unkID = try files.id(of: files.unkToken, role: "unk_token")

        var tokensByID: [Int32: String] = [:]
        for (token, id) in vocabulary { tokensByID[id] = token }
        self.tokensByID = tokensByID
        let specials = Set([bosToken, eosToken, padToken, unkToken]).filter { !$0.isEmpty }
        specialTokens = specials.sorted { (a: String, b: String) -> Bool in
            a.count != b.count ? a.count > b.count : a < b
        }
    }

    /// Number of entries in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    /// The ``maxLength`` ids for `text`: bos, the text's tokens (truncated so that eos still
    /// fits), eos, then padding.
    public func encode(_ text: String) -> [Int32] {
        let body = ids(text)
        let room = max(0, maxLength - 2)
        var result: [Int32] = []
        result.reserveCapacity(max(maxLength, 2))
        result.append(bosID)
        result.append(contentsOf: body.prefix(room))
        result.append(eosID)
        while result.count < maxLength { result.append(padID) }
        return result
    }

    /// The ids of `text`'s tokens, without bos, eos, padding or truncation.
    public func ids(_ text: String) -> [Int32] {
        tokens(text).map { vocabulary[$0] ?? unkID }
    }

    /// The BPE tokens of `text` as vocabulary strings (byte-level alphabet, `</w>` ending each
    /// word), without bos, eos or padding. Special tokens written in the text appear as themselves.
    public func tokens(_ text: String) -> [String] {
        var result: [String] = []
        for segment in splitOnSpecialTokens(text) {
            switch segment {
            case .special(let token):
                result.append(token)
            case .text(let part):
                for word in Self.words(in: Self.clean(part)) {
                    result.append(contentsOf: bpe(word))
                }
            }
        }
        return result
    }

    /// The id of vocabulary entry `token`, if present.
    public func id(of token: String) -> Int32? {
        vocabulary[token]
    }

    /// The vocabulary entry with id `id`, if any.
    public func token(for id: Int32) -> String? {
        tokensByID[id]
    }

    /// Text for `ids`: tokens joined, byte-level spelling undone, `</w>` turned into spaces.
    ///
    /// Skips bos, eos, pad and unk ids when `skippingSpecialTokens` is true; unknown ids are dropped.
    public func decode(_ ids: [Int32], skippingSpecialTokens: Bool = true) -> String {
        let skipped: Set<Int32> = skippingSpecialTokens ? [bosID, eosID, padID, unkID] : []
        var joined = ""
        for id in ids where !skipped.contains(id) {
            if let token = tokensByID[id] { joined += token }
        }
        let text = String(decoding: alphabet.decode(joined), as: UTF8.self)
        return text.replacingOccurrences(of: "</w>", with: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// The BPE tokens of one pre-tokenized word, cached.
    func bpe(_ word: String) -> [String] {
        let cacheable = word.utf8.count <= Self.cacheableWordLength
        if cacheable {
            cacheLock.lock()
            let hit = cache[word]
            cacheLock.unlock()
            if let hit { return hit }
        }
        let merged = Self.merge(alphabet.symbols(word), ranks: mergeRanks)
        if cacheable {
            cacheLock.lock()
            cache[word] = merged
            cacheLock.unlock()
        }
        return merged
    }
}
