/// Which position of a token row the text tower pools, following transformers' `CLIPTextModel`.
///
/// Configs written before transformers fixed CLIP's `eos_token_id` carry the value 2 there. For
/// those, transformers keeps the original OpenAI rule: pool where the row holds its largest id
/// (the end-of-text token is the last entry of the OpenAI vocabulary), and on ties the earliest
/// such position, as `argmax` resolves them. For any other `eos_token_id` it pools at the first
/// position holding that id, and at position 0 when the row has none (the argmax of an
/// all-false comparison).
public enum CLIPTextPooling {
    /// The `eos_token_id` value that selects the legacy largest-id rule.
    public static let legacyEOSTokenID = 2

    /// The pooled position of `ids` for a config whose `eos_token_id` is `eosTokenID`.
    public static func position(of ids: [Int32], eosTokenID: Int) -> Int {
        guard !ids.isEmpty else { return 0 }
        if eosTokenID == legacyEOSTokenID {
            var best = 0
            for (i, id) in ids.enumerated() where id > ids[best] { best = i }
            return best
        }
        return ids.firstIndex { Int($0) == eosTokenID } ?? 0
    }
}
