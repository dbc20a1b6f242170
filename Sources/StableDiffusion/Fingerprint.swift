import Foundation

/// A 128-bit non-cryptographic content hash: two independent multiply-rotate lanes over 8-byte
/// words. Any changed byte changes the result; it does not resist deliberate collisions.
struct FingerprintHasher {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15, b: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    /// Mixes `raw` and its length (so concatenations of different splits differ).
    mutating func mix(_ raw: UnsafeRawBufferPointer) {
        let words = raw.count / 8
        for i in 0..<words { step(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        for i in (words * 8)..<raw.count { step(UInt64(raw[i])) }
        a ^= UInt64(raw.count); b &+= UInt64(raw.count)
    }

    /// Mixes the UTF-8 bytes of `text`.
    mutating func mix(_ text: String) {
        var copy = text
        copy.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) private mutating func step(_ w: UInt64) {
        a = ((a ^ w) &* 0xFF51_AFD7_ED55_8CCD).rotateLeft(31)
        b = ((b &+ w) &* 0xC4CE_B9FE_1A85_EC53).rotateLeft(27)
    }

    /// The hash as 32 hex digits.
    var hex: String { String(format: "%016llx%016llx", a, b) }
}

/// A 128-bit content hash of files (in the given order), as 32 hex digits, read in 16 MiB chunks.
public func contentFingerprint(of files: [URL]) throws -> String {
    var hasher = FingerprintHasher()
    let chunk = 16 << 20
    for url in files {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw ModelError.missingFile(url.path) }
        defer { try? handle.close() }
        while true {
            let data = try handle.read(upToCount: chunk) ?? Data()
            if data.isEmpty { break }
            data.withUnsafeBytes { hasher.mix($0) }
        }
    }
    return hasher.hex
}

/// A 128-bit content hash of the tensors `names` of `source`: for each, in the order of their
/// canonical names, the canonical name, dtype, shape and stored bytes. The same weights give the
/// same fingerprint whether they come from a diffusers folder or a single LDM checkpoint (both
/// sources answer in diffusers names); the bytes are read from the memory mapping, so a 3.4 GB
/// UNet streams through once.
public func tensorFingerprint(of source: RawTensorSource, names: some Sequence<String>,
                              canonical: (String) -> String = { $0 }) throws -> String {
    var hasher = FingerprintHasher()
    for (key, name) in names.map({ (canonical($0), $0) }).sorted(by: { $0.0 < $1.0 }) {
        let layout = try source.layout(of: name)
        hasher.mix(key)
        hasher.mix(layout.dtype.rawValue + " " + layout.shape.map(String.init).joined(separator: "x"))
        try source.withRawBytes(name) { hasher.mix($0) }
    }
    return hasher.hex
}

extension UInt64 {
    @inline(__always) func rotateLeft(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
