extension CLIPTokenizer {
    /// Applies BPE merges to one word's symbols.
    ///
    /// `</w>` is appended to the last symbol. Then, repeatedly, the adjacent pair with the lowest
    /// merge rank is found, and every non-overlapping occurrence of it (left to right) is joined
    /// into one symbol; this stops when no adjacent pair has a rank or one symbol is left.
    static func merge(_ symbols: [String], ranks: [MergePair: Int]) -> [String] {
        guard let last = symbols.last else { return [] }
        var word = symbols
        word[word.count - 1] = last + "</w>"

        while word.count > 1 {
            var bestRank = Int.max
            var bestPair: MergePair? = nil
            for index in 0..<(word.count - 1) {
                let pair = MergePair(first: word[index], second: word[index + 1])
                if let rank = ranks[pair], rank < bestRank {
                    bestRank = rank
                    bestPair = pair
                }
            }
            guard let pair = bestPair else { break }

            var merged: [String] = []
            merged.reserveCapacity(word.count)
            var index = 0
            while index < word.count {
                if index + 1 < word.count && word[index] == pair.first && word[index + 1] == pair.second {
                    merged.append(pair.first + pair.second)
                    index += 2
                } else {
                    merged.append(word[index])
                    index += 1
                }
            }
            word = merged
        }
        return word
    }
}
