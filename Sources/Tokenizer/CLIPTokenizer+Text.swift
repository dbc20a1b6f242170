import Foundation

extension CLIPTokenizer {
    /// A piece of input text: either a special token written out, or ordinary text.
    enum Segment: Equatable {
        case special(String)
        case text(String)
    }

    /// Splits `text` around literal occurrences of the special tokens (longest match first).
    func splitOnSpecialTokens(_ text: String) -> [Segment] {
        var segments: [Segment] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var best: (range: Range<Substring.Index>, token: String)? = nil
            for token in specialTokens {
                guard let range = rest.range(of: token, options: .literal) else { continue }
                if let current = best, current.range.lowerBound <= range.lowerBound { continue }
                best = (range, token)
            }
            guard let found = best else {
                segments.append(.text(String(rest)))
                break
            }
            if found.range.lowerBound > rest.startIndex {
                segments.append(.text(String(rest[rest.startIndex..<found.range.lowerBound])))
            }
            segments.append(.special(found.token))
            rest = rest[found.range.upperBound...]
        }
        return segments
    }

    /// Unicode NFC, control characters dropped, whitespace runs collapsed to one space, ends
    /// trimmed, lower-cased.
    static func clean(_ text: String) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in composed.unicodeScalars {
            if isSpace(scalar) {
                pendingSpace = true
                continue
            }
            if isRemovedControl(scalar) { continue }
            if pendingSpace && !scalars.isEmpty { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        return String(scalars).lowercased()
    }

    /// Splits cleaned text into words as CLIP's pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+` does: at each position the first
    /// alternative that matches wins; whitespace between matches is skipped.
    static func words(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            var end = index + 1
            if isSpace(scalar) {
                index = end
                continue
            }
            if scalar == "'", let length = contractionLength(scalars, at: index) {
                end = index + length
            } else if isLetter(scalar) {
                while end < scalars.count && isLetter(scalars[end]) { end += 1 }
            } else if isNumber(scalar) {
                // A single number character.
            } else {
                while end < scalars.count && isOther(scalars[end]) { end += 1 }
            }
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[index..<end])
            words.append(String(word))
            index = end
        }
        return words
    }

    /// Length of the contraction (`'s`, `'re`, ...) starting at `index`, if there is one.
    private static func contractionLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        let count = scalars.count
        guard index + 1 < count else { return nil }
        let next = scalars[index + 1]
        if next == "s" || next == "t" || next == "m" || next == "d" { return 2 }
        guard index + 2 < count else { return nil }
        let third = scalars[index + 2]
        if (next == "r" || next == "v") && third == "e" { return 3 }
        if next == "l" && third == "l" { return 3 }
        return nil
    }

    /// `\s`: Unicode White_Space, plus the information separators U+001C...U+001F that Python
    /// also treats as whitespace.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isWhitespace { return true }
        return scalar.value >= 0x1C && scalar.value <= 0x1F
    }

    /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return false
        }
    }

    /// `\p{N}`: general category Nd, Nl or No.
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// `[^\s\p{L}\p{N}]`.
    private static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !isSpace(scalar) && !isLetter(scalar) && !isNumber(scalar)
    }

    /// Control characters (category Cc) that are not whitespace, and the byte-order mark.
    private static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value == 0xFEFF { return true }
        return scalar.properties.generalCategory == .control
    }
}
