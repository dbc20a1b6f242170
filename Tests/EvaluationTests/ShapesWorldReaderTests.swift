import Evaluation
import Images
import XCTest

final class ShapesWorldReaderTests: XCTestCase {
    /// Seed of the held-out drawings; the classifier trains on `ShapesWorldReader.trainingSeed`.
    static let testSeed: UInt64 = 20_240_601

    /// Per-class tallies of a run of the reader over drawings.
    struct Tally {
        var total = 0
        var colourHits = 0
        var shapeHits = 0
        var colourTotals = [Int](repeating: 0, count: ColourKind.allCases.count)
        var colourCorrect = [Int](repeating: 0, count: ColourKind.allCases.count)
        var shapeTotals = [Int](repeating: 0, count: ShapeKind.allCases.count)
        var shapeCorrect = [Int](repeating: 0, count: ShapeKind.allCases.count)

        var colourAccuracy: Double { Double(colourHits) / Double(max(total, 1)) }
        var shapeAccuracy: Double { Double(shapeHits) / Double(max(total, 1)) }

        mutating func add(_ drawing: ShapesWorldDrawer.Drawing, _ reading: ShapesWorldReader.Reading) {
            total += 1
            colourTotals[drawing.colour.rawValue] += 1
            shapeTotals[drawing.shape.rawValue] += 1
            if reading.colour == drawing.colour {
                colourHits += 1
                colourCorrect[drawing.colour.rawValue] += 1
            }
            if reading.shape == drawing.shape {
                shapeHits += 1
                shapeCorrect[drawing.shape.rawValue] += 1
            }
        }

        func summary(_ name: String) -> String {
            let colours = ColourKind.allCases.map { "\($0.name) \(colourCorrect[$0.rawValue])/\(colourTotals[$0.rawValue])" }
            let shapes = ShapeKind.allCases.map { "\($0.name) \(shapeCorrect[$0.rawValue])/\(shapeTotals[$0.rawValue])" }
            let colourPercent = String(format: "%.1f", 100 * colourAccuracy)
            let shapePercent = String(format: "%.1f", 100 * shapeAccuracy)
            return "\(name): \(total) pictures, colour \(colourPercent)%, shape \(shapePercent)% | "
                + colours.joined(separator: ", ") + " | " + shapes.joined(separator: ", ")
        }
    }

    /// A nearest-neighbour enlargement by an integer factor.
    static func upscaled(_ image: Image, by factor: Int) throws -> Image {
        let width = image.width * factor
        let height = image.height * factor
        var pixels = [UInt8](repeating: 0, count: width * height * image.channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<image.channels {
                    pixels[(y * width + x) * image.channels + c] = image[x / factor, y / factor, c]
                }
            }
        }
        return try Image(width: width, height: height, channels: image.channels, pixels: pixels)
    }

    /// A hard-edged shape centred in a `size` x `size` picture on a flat grey, drawn here
    /// independently of `ShapesWorldDrawer`.
    static func handDrawn(_ shape: ShapeKind, _ colour: ColourKind, background: Double, size: Int = 32,
                          radius: Double = 10) throws -> Image {
        let rgb = colour.rgb
        let fill = [rgb.red, rgb.green, rgb.blue].map { UInt8(($0 * 255).rounded()) }
        let grey = UInt8((background * 255).rounded())
        var pixels = [UInt8](repeating: grey, count: size * size * 3)
        let centre = Double(size) / 2
        for y in 0..<size {
            for x in 0..<size {
                let dx = (Double(x) + 0.5 - centre) / radius
                let dy = (Double(y) + 0.5 - centre) / radius
                var inside: Bool
                switch shape {
                case .circle: inside = dx * dx + dy * dy <= 1
                case .square: inside = abs(dx) <= 0.8 && abs(dy) <= 0.8
                case .triangle: inside = dy >= -0.9 && dy <= 0.9 && abs(dx) <= (dy + 0.9) / 1.8
                case .diamond: inside = abs(dx) + abs(dy) <= 1
                case .cross: inside = (abs(dx) <= 0.33 && abs(dy) <= 1) || (abs(dy) <= 0.33 && abs(dx) <= 1)
                }
                if inside {
                    for c in 0..<3 { pixels[(y * size + x) * 3 + c] = fill[c] }
                }
            }
        }
        return try Image(width: size, height: size, channels: 3, pixels: pixels)
    }

    // MARK: Accuracy

    func testAccuracyOnHeldOutDrawings() {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed)
        var tally = Tally()
        var firstSixty = Tally()
        for index in 0..<600 {
            let drawing = drawer.draw()
            let reading = ShapesWorldReader.read(drawing.image)
            tally.add(drawing, reading)
            if index < 60 { firstSixty.add(drawing, reading) }
        }
        print(tally.summary("clean drawings"))
        XCTAssertGreaterThanOrEqual(tally.colourAccuracy, 0.98)
        XCTAssertGreaterThanOrEqual(tally.shapeAccuracy, 0.95)
        for colour in ColourKind.allCases {
            let total = tally.colourTotals[colour.rawValue]
            XCTAssertGreaterThanOrEqual(Double(tally.colourCorrect[colour.rawValue]), 0.9 * Double(total), colour.name)
        }
        for shape in ShapeKind.allCases {
            let total = tally.shapeTotals[shape.rawValue]
            XCTAssertGreaterThanOrEqual(Double(tally.shapeCorrect[shape.rawValue]), 0.9 * Double(total), shape.name)
        }
        // The report reads the same drawings the same way.
        let report = ShapesWorldReader.accuracyReport(samples: 60, seed: Self.testSeed)
        XCTAssertEqual(report.colour, firstSixty.colourAccuracy)
        XCTAssertEqual(report.shape, firstSixty.shapeAccuracy)
        XCTAssertEqual(ShapesWorldReader.accuracyReport(samples: 0, seed: 1).colour, 0)
    }

    func testPastelTintedColours() {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 1, options: .init(pastel: 0.35))
        var tally = Tally()
        for _ in 0..<300 {
            let drawing = drawer.draw()
            tally.add(drawing, ShapesWorldReader.read(drawing.image))
        }
        print(tally.summary("pastel drawings (35% towards white)"))
        XCTAssertGreaterThanOrEqual(tally.colourAccuracy, 0.9)
        XCTAssertGreaterThanOrEqual(tally.shapeAccuracy, 0.9)
    }

    func testSoftPictures() {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 7, options: .init(softness: 0.8))
        var tally = Tally()
        for _ in 0..<200 {
            let drawing = drawer.draw()
            tally.add(drawing, ShapesWorldReader.read(drawing.image))
        }
        print(tally.summary("soft drawings (softness 0.8)"))
        XCTAssertGreaterThanOrEqual(tally.colourAccuracy, 0.98)
        XCTAssertGreaterThanOrEqual(tally.shapeAccuracy, 0.93)
    }

    func testLargerPictures() throws {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 2)
        var upscaled = Tally()
        for _ in 0..<60 {
            let drawing = drawer.draw()
            upscaled.add(drawing, ShapesWorldReader.read(try Self.upscaled(drawing.image, by: 2)))
        }
        print(upscaled.summary("32x32 drawings upscaled to 64x64"))
        XCTAssertGreaterThanOrEqual(upscaled.colourAccuracy, 0.95)
        XCTAssertGreaterThanOrEqual(upscaled.shapeAccuracy, 0.9)

        var large = ShapesWorldDrawer(seed: Self.testSeed + 3, options: .init(width: 80, height: 72))
        var native = Tally()
        for _ in 0..<30 {
            let drawing = large.draw()
            native.add(drawing, ShapesWorldReader.read(drawing.image))
        }
        print(native.summary("80x72 drawings"))
        XCTAssertGreaterThanOrEqual(native.colourAccuracy, 0.95)
        XCTAssertGreaterThanOrEqual(native.shapeAccuracy, 0.9)
    }

    // MARK: Sanity cases

    func testHandDrawnShapesInEveryColourOnEveryBackground() throws {
        for background in BackgroundKind.allCases {
            for colour in ColourKind.allCases {
                for shape in ShapeKind.allCases {
                    let image = try Self.handDrawn(shape, colour, background: background.level)
                    let reading = ShapesWorldReader.read(image)
                    let label = "\(colour.name) \(shape.name) on \(background.name)"
                    XCTAssertEqual(reading.colour, colour, label)
                    XCTAssertEqual(reading.shape, shape, label)
                }
            }
        }
    }

    func testReadingDetailsOfARedSquare() throws {
        let image = try Self.handDrawn(.square, .red, background: 0.92)
        let reading = ShapesWorldReader.read(image)
        XCTAssertEqual(reading.colour, .red)
        XCTAssertEqual(reading.shape, .square)
        XCTAssertEqual(reading.background.red, 0.92, accuracy: 0.01)
        XCTAssertEqual(reading.background.blue, 0.92, accuracy: 0.01)
        XCTAssertEqual(reading.fillRatio, 1, accuracy: 0.01)
        XCTAssertEqual(reading.hue, 0, accuracy: 1)
        XCTAssertEqual(reading.saturation, 0.89, accuracy: 0.02)
        XCTAssertEqual(reading.value, 0.9, accuracy: 0.01)
        XCTAssertGreaterThan(reading.confidence, 0.5)
        let box = try XCTUnwrap(reading.boundingBox)
        XCTAssertEqual(box.x, 8)
        XCTAssertEqual(box.y, 8)
        XCTAssertEqual(box.width, 16)
        XCTAssertEqual(box.height, 16)
        XCTAssertEqual(reading.objectFraction, 256.0 / 1024.0, accuracy: 1e-9)
    }

    func testOrangeRedAndYellowAreSeparated() throws {
        let pairs: [(ColourKind, (Double, Double, Double))] = [
            (.red, (0.85, 0.15, 0.12)), (.orange, (0.95, 0.5, 0.15)), (.orange, (1.0, 0.6, 0.05)),
            (.yellow, (0.9, 0.8, 0.15)), (.yellow, (0.98, 0.9, 0.2)), (.red, (0.7, 0.05, 0.1)),
        ]
        for (expected, rgb) in pairs {
            var pixels = [UInt8](repeating: 128, count: 32 * 32 * 3)
            for y in 10..<22 {
                for x in 10..<22 {
                    let base = (y * 32 + x) * 3
                    pixels[base] = UInt8(rgb.0 * 255)
                    pixels[base + 1] = UInt8(rgb.1 * 255)
                    pixels[base + 2] = UInt8(rgb.2 * 255)
                }
            }
            let reading = ShapesWorldReader.read(try Image(width: 32, height: 32, channels: 3, pixels: pixels))
            XCTAssertEqual(reading.colour, expected, "\(rgb)")
        }
    }

    // MARK: Robustness

    func testEmptyPicturesReadAsNothing() throws {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 4, options: .init(noise: 0.04))
        var images = BackgroundKind.allCases.map { drawer.drawEmpty(background: $0) }
        images.append(try Image(width: 32, height: 32, channels: 3, fill: 200))
        images.append(try Image(width: 64, height: 64, channels: 3, fill: 10))
        for image in images {
            let reading = ShapesWorldReader.read(image)
            XCTAssertNil(reading.colour)
            XCTAssertNil(reading.shape)
            XCTAssertNil(reading.boundingBox)
            XCTAssertEqual(reading.confidence, 0)
            XCTAssertEqual(reading.objectFraction, 0)
        }
    }

    func testGrayAndAlphaInputs() throws {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 5)
        let drawing = drawer.draw(shape: .triangle, colour: .blue, texture: .plain, background: .white)
        let rgb = ShapesWorldReader.read(drawing.image)
        XCTAssertEqual(rgb.colour, .blue)
        XCTAssertEqual(rgb.shape, .triangle)

        let rgba = ShapesWorldReader.read(try drawing.image.converted(toChannels: 4))
        XCTAssertEqual(rgba.colour, rgb.colour)
        XCTAssertEqual(rgba.shape, rgb.shape)
        XCTAssertEqual(rgba.fillRatio, rgb.fillRatio)

        let gray = ShapesWorldReader.read(try drawing.image.converted(toChannels: 1))
        XCTAssertNil(gray.colour, "a gray picture has no colour")
        XCTAssertEqual(gray.shape, .triangle)
        XCTAssertEqual(gray.confidence, 0)
    }

    func testTrianglesPointingAnyWayAreTriangles() throws {
        let image = try Self.handDrawn(.triangle, .green, background: 0.5)
        var turned = image
        for y in 0..<32 {
            for x in 0..<32 {
                for c in 0..<3 {
                    // Transposed and flipped: the apex points to the right.
                    turned[x, y, c] = image[y, 31 - x, c]
                }
            }
        }
        XCTAssertEqual(ShapesWorldReader.read(turned).shape, .triangle)
        var flipped = image
        for y in 0..<32 {
            for x in 0..<32 {
                for c in 0..<3 { flipped[x, y, c] = image[x, 31 - y, c] }
            }
        }
        XCTAssertEqual(ShapesWorldReader.read(flipped).shape, .triangle)
    }

    func testReadingIsDeterministic() {
        var drawer = ShapesWorldDrawer(seed: Self.testSeed + 6)
        for _ in 0..<5 {
            let image = drawer.draw().image
            let first = ShapesWorldReader.read(image)
            let second = ShapesWorldReader.read(image)
            XCTAssertEqual(first.colour, second.colour)
            XCTAssertEqual(first.shape, second.shape)
            XCTAssertEqual(first.confidence, second.confidence)
            XCTAssertEqual(first.hue, second.hue)
        }
    }
}
