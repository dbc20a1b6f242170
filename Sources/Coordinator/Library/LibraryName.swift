import AtomicFiles
import Foundation

/// The grammar of concept names: each becomes a folder and a file name in the library, so it is
/// checked in bytes, with characters every common file system accepts.
///
/// - 1 to ``maxBytes`` (218) bytes of UTF-8, so that the longest name derived from it, the
///   temporary file `.NAME.safetensors.tmp-PID-RANDOM` of its membrane, fits in 255 bytes;
/// - only letters, combining marks and decimal digits (any script), space, and `-` `_` `.` `,`
///   `+` (so no `/`, `\`, NUL, control characters, `:` `*` `?` `"` `<` `>` `|`, emoji or symbols);
/// - not starting with `.`, `-` or a space (which also excludes `.` and `..`), not ending with
///   a space or `.`;
/// - none of the library's own names (``LibraryLayout``; `checkpoint` whose membrane would be
///   `checkpoint.safetensors`) nor a Windows device name (`CON`, `NUL`, `COM1`, ...), compared
///   case-insensitively so a library stays valid on case-insensitive file systems.
///
/// Two names of a catalog may not differ only in case or Unicode normalization (``folded(_:)``).
public enum LibraryName {
    /// The longest file name most file systems accept, in bytes.
    public static let fileNameLimit = 255
    /// The longest concept name, in bytes of UTF-8.
    public static let maxBytes = fileNameLimit - LibraryLayout.membraneExtension.utf8.count - AtomicFile.temporaryNameOverhead
    /// Punctuation allowed besides letters, marks and digits.
    public static let punctuation: Set<Character> = [" ", "-", "_", ".", ",", "+"]
    /// Names Windows reserves for devices, alone or before an extension.
    static let deviceNames: Set<String> = Set(["con", "prn", "aux", "nul"] + (1...9).flatMap { ["com\($0)", "lpt\($0)"] })

    /// The form two names are compared in: Unicode-normalized (NFC) and lowercased.
    public static func folded(_ name: String) -> String {
        name.precomposedStringWithCanonicalMapping.lowercased()
    }

    /// Why `name` cannot name a library entry, or `nil` if it can.
    public static func problem(_ name: String) -> String? {
        let bytes = name.utf8.count
        if bytes == 0 { return "must not be empty" }
        if bytes > maxBytes {
            return "is \(bytes) bytes of UTF-8 (\(name.count) characters); at most \(maxBytes) bytes are allowed, so that its files' names fit in \(fileNameLimit) bytes"
        }
        var offset = 0
        for scalar in name.unicodeScalars {
            if !allowed(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                let shown = scalar.properties.generalCategory == .control ? "" : " '\(scalar)'"
                return "contains \(code)\(shown) at byte \(offset); allowed are letters, digits, combining marks, space and - _ . , +"
            }
            offset += String(scalar).utf8.count
        }
        if let first = name.first, [".", "-", " "].contains(first) { return "'\(name)' must not start with '\(first)'" }
        if let last = name.last, [".", " "].contains(last) { return "'\(name)' must not end with '\(last)'" }
        let key = folded(name)
        let derived = LibraryLayout.names(of: key)
        if let own = LibraryLayout.topLevelNames.first(where: { folded($0) == derived.folder }) {
            return "'\(name)' is the library's own '\(own)' (names are compared ignoring case)"
        }
        if let own = LibraryLayout.conceptFolderNames.first(where: { folded($0) == derived.membrane }) {
            return "'\(name)' would make its membrane file the library's own '\(own)' (names are compared ignoring case)"
        }
        let stem = key.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? key
        if deviceNames.contains(stem.trimmingCharacters(in: .whitespaces)) {
            return "'\(name)' is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
        }
        return nil
    }

    static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber:
            return true
        default:
            return scalar.isASCII && punctuation.contains(Character(scalar))
        }
    }
}
