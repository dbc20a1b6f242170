/// Lays images out in rows of `columns` tiles on a white RGB canvas, optionally with a text
/// label above each tile (drawn with a built-in 5x7 pixel font: A-Z, 0-9 and common punctuation;
/// lower case is shown as upper case, other characters as '?').
///
/// Tiles are as large as the largest image; smaller images sit at the top-left of their tile.
/// Alpha is composited onto white. Labels too long for a tile are cut.
/// - Parameters:
///   - images: the tiles, in reading order; at least one.
///   - columns: tiles per row (clamped to 1...images.count).
///   - labels: `nil`, or one label per image.
///   - padding: pixels between and around tiles.
public func grid(_ images: [Image], columns: Int, labels: [String]? = nil, padding: Int = 2) throws(ImageError) -> Image {
    guard !images.isEmpty else {
        throw ImageError(kind: .invalidArgument, path: nil, message: "grid needs at least one image")
    }
    if let labels, labels.count != images.count {
        throw ImageError(kind: .invalidArgument, path: nil,
                         message: "grid got \(labels.count) labels for \(images.count) images")
    }
    let columns = min(max(1, columns), images.count)
    let rows = (images.count + columns - 1) / columns
    let padding = max(0, padding)
    let tileWidth = images.map(\.width).max() ?? 1
    let tileHeight = images.map(\.height).max() ?? 1
    let scale = tileWidth >= 192 ? 2 : 1
    let labelHeight = labels == nil ? 0 : (BitmapFont.glyphHeight + 2) * scale
    let cellWidth = tileWidth + padding
    let cellHeight = labelHeight + tileHeight + padding

    var canvas = try Image(width: padding + columns * cellWidth, height: padding + rows * cellHeight,
                           channels: 3, fill: 255)
    for (index, image) in images.enumerated() {
        let left = padding + (index % columns) * cellWidth
        let top = padding + (index / columns) * cellHeight
        if let labels {
            BitmapFont.draw(labels[index], into: &canvas, x: left, y: top + scale, scale: scale,
                            maxWidth: tileWidth, value: 32)
        }
        canvas.paste(image, x: left, y: top + labelHeight)
    }
    return canvas
}

extension Image {
    /// Copies `image` onto this RGB image with its top-left corner at (x, y), compositing alpha
    /// onto the current pixels and clipping at the borders.
    mutating func paste(_ image: Image, x: Int, y: Int) {
        let hasAlpha = image.channels == 2 || image.channels == 4
        for row in 0..<image.height where y + row >= 0 && y + row < height {
            for column in 0..<image.width where x + column >= 0 && x + column < width {
                let source = (row * image.width + column) * image.channels
                let target = ((y + row) * width + (x + column)) * channels
                let alpha = hasAlpha ? Int(image.pixels[source + image.channels - 1]) : 255
                for c in 0..<min(3, channels) {
                    let value = Int(image.pixels[source + (image.channels >= 3 ? c : 0)])
                    let below = Int(pixels[target + c])
                    pixels[target + c] = UInt8((value * alpha + below * (255 - alpha) + 127) / 255)
                }
            }
        }
    }
}

/// A 5x7 pixel font for grid labels.
enum BitmapFont {
    static let glyphWidth = 5
    static let glyphHeight = 7
    /// Horizontal distance between character origins, in font pixels.
    static let advance = 6

    static let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-_/=+()%#'?!*[]")

    /// Seven rows per character, in `characters` order; bit 4 is the leftmost pixel.
    static let rows: [UInt8] = [
        0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, // A
        0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E, // B
        0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E, // C
        0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C, // D
        0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F, // E
        0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10, // F
        0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F, // G
        0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, // H
        0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E, // I
        0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C, // J
        0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11, // K
        0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F, // L
        0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11, // M
        0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, // N
        0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, // O
        0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10, // P
        0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D, // Q
        0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11, // R
        0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E, // S
        0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, // T
        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, // U
        0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04, // V
        0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A, // W
        0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11, // X
        0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04, // Y
        0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F, // Z
        0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E, // 0
        0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E, // 1
        0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F, // 2
        0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E, // 3
        0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02, // 4
        0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E, // 5
        0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E, // 6
        0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, // 7
        0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E, // 8
        0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C, // 9
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // space
        0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C, // .
        0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08, // ,
        0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00, // :
        0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, // -
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F, // _
        0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10, // /
        0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00, // =
        0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00, // +
        0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, // (
        0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, // )
        0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03, // %
        0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A, // #
        0x0C, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, // '
        0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04, // ?
        0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04, // !
        0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00, // *
        0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E, // [
        0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E, // ]
    ]

    /// The seven rows of `character`, '?' for characters the font lacks.
    static func glyph(_ character: Character) -> ArraySlice<UInt8> {
        let upper = Character(character.uppercased())
        let index = characters.firstIndex(of: upper) ?? characters.firstIndex(of: "?")!
        return rows[(index * glyphHeight)..<((index + 1) * glyphHeight)]
    }

    /// Width in image pixels of `text` at `scale`.
    static func width(of text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Draws `text` with its top-left corner at (x, y), each font pixel a `scale` x `scale`
    /// square of gray `value`, stopping before a character would pass `maxWidth`.
    static func draw(_ text: String, into image: inout Image, x: Int, y: Int, scale: Int,
                     maxWidth: Int, value: UInt8) {
        var originX = x
        for character in text {
            if originX - x + glyphWidth * scale > maxWidth { break }
            for (row, bits) in glyph(character).enumerated() {
                for column in 0..<glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    fill(&image, x: originX + column * scale, y: y + row * scale, size: scale, value: value)
                }
            }
            originX += advance * scale
        }
    }

    private static func fill(_ image: inout Image, x: Int, y: Int, size: Int, value: UInt8) {
        for py in y..<(y + size) where py >= 0 && py < image.height {
            for px in x..<(x + size) where px >= 0 && px < image.width {
                for c in 0..<min(3, image.channels) { image[px, py, c] = value }
            }
        }
    }
}
