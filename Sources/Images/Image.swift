import CPNGShim
import AtomicFiles
import Foundation

/// Why an image could not be read, written or built.
public struct ImageError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Bad size, channel count or buffer length.
        case invalidArgument
        /// The file could not be opened or created.
        case cannotOpen
        /// The file is empty or is not a PNG.
        case notPNG
        /// The PNG data ends early.
        case truncated
        /// libpng rejected the data.
        case corrupt
        /// Out of memory, or the image is too large.
        case outOfMemory
        /// Writing, closing or renaming the file failed.
        case writeFailed
    }

    public let kind: Kind
    /// The file involved, if any.
    public let path: String?
    /// What went wrong, e.g. "not a PNG file (bad signature)".
    public let message: String

    public init(kind: Kind, path: String?, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    init(code: Int32, path: String, message: String) {
        let kind: Kind
        switch code {
        case Int32(MEMBRANE_PNG_ERR_ARGUMENT): kind = .invalidArgument
        case Int32(MEMBRANE_PNG_ERR_OPEN): kind = .cannotOpen
        case Int32(MEMBRANE_PNG_ERR_NOT_PNG): kind = .notPNG
        case Int32(MEMBRANE_PNG_ERR_TRUNCATED): kind = .truncated
        case Int32(MEMBRANE_PNG_ERR_MEMORY): kind = .outOfMemory
        case Int32(MEMBRANE_PNG_ERR_WRITE): kind = .writeFailed
        default: kind = .corrupt
        }
        self.init(kind: kind, path: path, message: message.isEmpty ? "libpng error \(code)" : message)
    }

    public var description: String {
        guard let path else { return message }
        return "\(path): \(message)"
    }
}

/// The libpng version in use at run time, e.g. "1.6.39".
public var libpngVersion: String { String(cString: membrane_png_version()) }

/// An 8-bit image with interleaved channels, rows top to bottom.
///
/// `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA); `pixels` holds
/// `height * width * channels` bytes, the sample of channel `c` at `(x, y)` being at
/// `(y * width + x) * channels + c`.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    /// Wraps existing pixels. The count must be `width * height * channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(ImageError) {
        try Self.validate(width: width, height: height, channels: channels)
        guard pixels.count == width * height * channels else {
            throw ImageError(kind: .invalidArgument, path: nil,
                             message: "\(width)x\(height)x\(channels) image needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image with every sample set to `value`.
    public init(width: Int, height: Int, channels: Int, fill value: UInt8 = 0) throws(ImageError) {
        try Self.validate(width: width, height: height, channels: channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = [UInt8](repeating: value, count: width * height * channels)
    }

    /// The sample of channel `c` at column `x`, row `y`.
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    // MARK: PNG files

    /// Reads a PNG file. Gray images give 1 channel, color ones 3 (RGB) or 4 (RGBA, also for
    /// gray with alpha or transparency); 16-bit samples are scaled to 8 bits.
    /// - Throws: ``ImageError`` naming the file: missing, not a PNG, truncated, corrupt.
    public static func read(path: String) throws(ImageError) -> Image {
        var buffer: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0
        var height: UInt32 = 0
        var channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = message.withUnsafeMutableBufferPointer { text in
            membrane_png_read(path, &buffer, &width, &height, &channels, text.baseAddress, text.count)
        }
        defer { membrane_png_free(buffer) }
        guard code == Int32(MEMBRANE_PNG_OK), let buffer else {
            throw ImageError(code: code, path: path, message: Self.text(message))
        }
        let count = Int(width) * Int(height) * Int(channels)
        let pixels = [UInt8](UnsafeBufferPointer(start: buffer, count: count))
        return try Image(width: Int(width), height: Int(height), channels: Int(channels), pixels: pixels)
    }

    /// Writes the image as an 8-bit PNG, atomically (``AtomicFile``).
    /// - Throws: ``ImageError`` naming the file if it cannot be written.
    public func write(to path: String) throws(ImageError) {
        do {
            try AtomicFile.replace(URL(fileURLWithPath: path)) { temporary in
                var message = [CChar](repeating: 0, count: 512)
                let code = pixels.withUnsafeBufferPointer { data in
                    message.withUnsafeMutableBufferPointer { text in
                        membrane_png_write(temporary, data.baseAddress, UInt32(width), UInt32(height), Int32(channels),
                                           text.baseAddress, text.count)
                    }
                }
                guard code == Int32(MEMBRANE_PNG_OK) else { throw ImageError(code: code, path: path, message: Self.text(message)) }
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(kind: .writeFailed, path: path, message: "\(error)")
        }
    }

    // MARK: Tensors

    /// Converts one CHW float image with values in [-1, 1] to 8 bits:
    /// `round((v + 1) * 127.5)`, clamped to 0...255 (NaN becomes 0).
    /// - Parameter values: `channels * height * width` floats, planes of rows (e.g. [3, H, W]).
    public init(chw values: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int) throws(ImageError) {
        try Self.validate(width: width, height: height, channels: channels)
        let plane = height * width
        guard values.count == channels * plane else {
            throw ImageError(kind: .invalidArgument, path: nil,
                             message: "[\(channels), \(height), \(width)] tensor needs \(channels * plane) values, got \(values.count)")
        }
        var pixels = [UInt8](repeating: 0, count: channels * plane)
        for c in 0..<channels {
            for i in 0..<plane {
                pixels[i * channels + c] = Self.byte(values[c * plane + i])
            }
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Converts one CHW float image in [-1, 1]; see the buffer-pointer initialiser.
    public init(chw values: [Float], channels: Int, height: Int, width: Int) throws(ImageError) {
        self = try values.withUnsafeBufferPointer { (buffer) throws(ImageError) -> Image in
            try Image(chw: buffer, channels: channels, height: height, width: width)
        }
    }

    /// Splits an NCHW batch in [-1, 1] into `n` images.
    public static func batch(nchw values: [Float], n: Int, channels: Int, height: Int, width: Int) throws(ImageError) -> [Image] {
        let size = channels * height * width
        guard n >= 0, values.count == n * size else {
            throw ImageError(kind: .invalidArgument, path: nil,
                             message: "[\(n), \(channels), \(height), \(width)] batch needs \(n * size) values, got \(values.count)")
        }
        var images: [Image] = []
        images.reserveCapacity(n)
        for index in 0..<n {
            images.append(try Image(chw: Array(values[(index * size)..<((index + 1) * size)]),
                                    channels: channels, height: height, width: width))
        }
        return images
    }

    /// The image as CHW floats in [-1, 1] (`v / 127.5 - 1`), the inverse of ``init(chw:channels:height:width:)``.
    public func chwTensor() -> [Float] {
        let plane = height * width
        var values = [Float](repeating: 0, count: channels * plane)
        for c in 0..<channels {
            for i in 0..<plane {
                values[c * plane + i] = Float(pixels[i * channels + c]) / 127.5 - 1
            }
        }
        return values
    }

    // MARK: Channels

    /// The image with `count` channels (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA). Gray is the
    /// rounded mean of R, G and B; a missing alpha is 255; a dropped alpha is discarded.
    public func converted(toChannels count: Int) throws(ImageError) -> Image {
        try Self.validate(width: width, height: height, channels: count)
        if count == channels { return self }
        var result = try Image(width: width, height: height, channels: count)
        let hasAlpha = channels == 2 || channels == 4
        for i in 0..<(width * height) {
            let source = i * channels
            let r: UInt8, g: UInt8, b: UInt8
            if channels >= 3 {
                (r, g, b) = (pixels[source], pixels[source + 1], pixels[source + 2])
            } else {
                (r, g, b) = (pixels[source], pixels[source], pixels[source])
            }
            let alpha = hasAlpha ? pixels[source + channels - 1] : 255
            let target = i * count
            if count <= 2 {
                result.pixels[target] = UInt8((Int(r) + Int(g) + Int(b) + 1) / 3)
            } else {
                result.pixels[target] = r
                result.pixels[target + 1] = g
                result.pixels[target + 2] = b
            }
            if count == 2 || count == 4 { result.pixels[target + count - 1] = alpha }
        }
        return result
    }

    // MARK: Helpers

    static func validate(width: Int, height: Int, channels: Int) throws(ImageError) {
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24 else {
            throw ImageError(kind: .invalidArgument, path: nil, message: "invalid image size \(width)x\(height)")
        }
        guard (1...4).contains(channels) else {
            throw ImageError(kind: .invalidArgument, path: nil, message: "invalid channel count \(channels) (expected 1 to 4)")
        }
    }

    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        let scaled = ((value + 1) * 127.5).rounded()
        if !(scaled > 0) { return 0 }
        if scaled >= 255 { return 255 }
        return UInt8(scaled)
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
