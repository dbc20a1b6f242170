/// GPT-2/CLIP's reversible mapping between bytes and printable Unicode characters.
///
/// BPE vocabularies are written over this alphabet: every byte of a word's UTF-8 encoding becomes
/// one character, so no token ever contains whitespace or control characters. Printable bytes
/// `!`...`~`, `¡`...`¬` and `®`...`ÿ` map to the character with the same code point; the other 68
/// bytes, in increasing order, map to U+0100, U+0101, ... .
struct ByteLevelAlphabet: Sendable {
    /// The character (as a one-scalar string) for each byte value.
    let characters: [String]
    /// The byte for each character of the alphabet.
    let bytes: [Unicode.Scalar: UInt8]

    init() {
        var scalarForByte = [UInt32](repeating: 0, count: 256)
        var printable = [Bool](repeating: false, count: 256)
        for byte in 0x21...0x7E { printable[byte] = true }
        for byte in 0xA1...0xAC { printable[byte] = true }
        for byte in 0xAE...0xFF { printable[byte] = true }
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if printable[byte] {
                scalarForByte[byte] = UInt32(byte)
            } else {
                scalarForByte[byte] = next
                next += 1
            }
        }
        var characters: [String] = []
        var bytes: [Unicode.Scalar: UInt8] = [:]
        characters.reserveCapacity(256)
        for byte in 0..<256 {
            // Every value used is a valid scalar (below U+0144).
            let scalar = Unicode.Scalar(scalarForByte[byte]) ?? "?"
            characters.append(String(Character(scalar)))
            bytes[scalar] = UInt8(byte)
        }
        self.characters = characters
        self.bytes = bytes
    }

    /// The BPE symbols (one per UTF-8 byte) of `word`.
    func symbols(_ word: String) -> [String] {
        word.utf8.map { characters[Int($0)] }
    }

    /// The bytes spelled by `text` over this alphabet; characters outside it are skipped.
    func decode(_ text: String) -> [UInt8] {
        text.unicodeScalars.compactMap { bytes[$0] }
    }
}
