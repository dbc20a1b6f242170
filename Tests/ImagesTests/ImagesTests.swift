import Foundation
import Images
import XCTest

final class ImagesTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A deterministic pattern that uses the whole 0...255 range.
    private func pattern(width: Int, height: Int, channels: Int) throws -> Image {
        let count = width * height * channels
        let pixels = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 97 + ($0 / 7) * 13) }
        return try Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    func testLibpngVersion() {
        XCTAssertTrue(libpngVersion.hasPrefix("1."), libpngVersion)
    }

    func testRGBRoundTripOddSize() throws {
        let image = try pattern(width: 7, height: 5, channels: 3)
        try image.write(to: path("rgb.png"))
        XCTAssertEqual(try Image.read(path: path("rgb.png")), image)
    }

    func testRGBARoundTripOddSize() throws {
        let image = try pattern(width: 13, height: 3, channels: 4)
        try image.write(to: path("rgba.png"))
        XCTAssertEqual(try Image.read(path: path("rgba.png")), image)
    }

    func testGrayRoundTripAndGrayAlphaBecomesRGBA() throws {
        let gray = try pattern(width: 1, height: 9, channels: 1)
        try gray.write(to: path("gray.png"))
        XCTAssertEqual(try Image.read(path: path("gray.png")), gray)

        let grayAlpha = try pattern(width: 3, height: 2, channels: 2)
        try grayAlpha.write(to: path("ga.png"))
        XCTAssertEqual(try Image.read(path: path("ga.png")), try grayAlpha.converted(toChannels: 4))
    }

    func testWriteIsAtomicAndReplaces() throws {
        let first = try Image(width: 2, height: 2, channels: 3, fill: 10)
        let second = try Image(width: 3, height: 1, channels: 3, fill: 200)
        try first.write(to: path("out.png"))
        try second.write(to: path("out.png"))
        XCTAssertEqual(try Image.read(path: path("out.png")), second)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(names, ["out.png"], "temporary files left behind")
    }

    func testWriteIntoMissingDirectoryNamesTheFile() throws {
        let image = try Image(width: 1, height: 1, channels: 3)
        let target = path("missing/dir/x.png")
        XCTAssertThrowsError(try image.write(to: target)) { error in
            let imageError = error as? ImageError
            XCTAssertEqual(imageError?.kind, .cannotOpen)
            XCTAssertTrue("\(error)".hasPrefix(target + ": "), "\(error)")
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Image.read(path: path("nope.png"))) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .cannotOpen)
            XCTAssertTrue("\(error)".contains("nope.png: cannot open file: No such file or directory"), "\(error)")
        }
    }

    func testNotAPNG() throws {
        try Data("hello, this is text and not an image".utf8).write(to: URL(fileURLWithPath: path("text.png")))
        XCTAssertThrowsError(try Image.read(path: path("text.png"))) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .notPNG)
            XCTAssertTrue("\(error)".contains("text.png: not a PNG file"), "\(error)")
        }
        try Data().write(to: URL(fileURLWithPath: path("empty.png")))
        XCTAssertThrowsError(try Image.read(path: path("empty.png"))) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .notPNG)
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
    }

    func testTruncatedPNG() throws {
        let image = try pattern(width: 31, height: 17, channels: 3)
        try image.write(to: path("full.png"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path("full.png")))
        for length in [4, 30, bytes.count / 2, bytes.count - 5] {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path("cut.png")))
            XCTAssertThrowsError(try Image.read(path: path("cut.png")), "length \(length)") { error in
                XCTAssertEqual((error as? ImageError)?.kind, .truncated, "\(error)")
                XCTAssertTrue("\(error)".contains("cut.png: the PNG data is truncated"), "\(error)")
            }
        }
    }

    func testCorruptPNG() throws {
        let image = try pattern(width: 8, height: 8, channels: 3)
        try image.write(to: path("good.png"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path("good.png")))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path("bad.png")))
        XCTAssertThrowsError(try Image.read(path: path("bad.png"))) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .corrupt, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(path("bad.png") + ": "), "\(error)")
        }
    }

    func testInvalidArguments() {
        XCTAssertThrowsError(try Image(width: 0, height: 1, channels: 3))
        XCTAssertThrowsError(try Image(width: 1, height: 1, channels: 5))
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 3, pixels: [1, 2, 3]))
    }

    func testTensorConversion() throws {
        let values: [Float] = [-1, 0, 1, -2,   // R plane (2x2)
                               2, .nan, 0.5, -0.5, // G plane
                               -1, -1, 1, 1]    // B plane
        let image = try Image(chw: values, channels: 3, height: 2, width: 2)
        XCTAssertEqual(image.pixels, [0, 255, 0,
                                      128, 0, 0,
                                      255, 191, 255,
                                      0, 64, 255])
        let back = image.chwTensor()
        XCTAssertEqual(try Image(chw: back, channels: 3, height: 2, width: 2), image)
        XCTAssertThrowsError(try Image(chw: values, channels: 3, height: 2, width: 3))
    }

    func testBatchConversion() throws {
        var values = [Float](repeating: -1, count: 2 * 3 * 2 * 1)
        for i in 6..<12 { values[i] = 1 }
        let images = try Image.batch(nchw: values, n: 2, channels: 3, height: 2, width: 1)
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(images[0].pixels, [UInt8](repeating: 0, count: 6))
        XCTAssertEqual(images[1].pixels, [UInt8](repeating: 255, count: 6))
    }

    func testGridLayout() throws {
        let red = try Image(width: 4, height: 3, channels: 3, pixels: [UInt8]((0..<12).flatMap { _ in [255, 0, 0] }))
        let clear = try Image(width: 2, height: 2, channels: 4, fill: 0)
        let sheet = try grid([red, clear, red], columns: 2, padding: 2)
        XCTAssertEqual(sheet.width, 2 + 2 * (4 + 2))
        XCTAssertEqual(sheet.height, 2 + 2 * (3 + 2))
        XCTAssertEqual(sheet.channels, 3)
        XCTAssertEqual([sheet[2, 2, 0], sheet[2, 2, 1], sheet[2, 2, 2]], [255, 0, 0])
        XCTAssertEqual([sheet[0, 0, 0], sheet[0, 0, 1]], [255, 255])
        XCTAssertEqual([sheet[8, 2, 0], sheet[8, 2, 1], sheet[8, 2, 2]], [255, 255, 255], "transparent tile shows white")
        XCTAssertEqual([sheet[2, 7, 0], sheet[2, 7, 1]], [255, 0], "third image starts the second row")
    }

    func testGridLabels() throws {
        let black = try Image(width: 12, height: 4, channels: 1, fill: 0)
        let sheet = try grid([black], columns: 1, labels: ["T"], padding: 0)
        // Label band: 1 px margin, 7 font rows, 1 px margin; then the tile.
        XCTAssertEqual(sheet.height, 9 + 4)
        // The top row of 'T' is five dark pixels starting at (0, 1).
        XCTAssertEqual((0..<5).map { sheet[$0, 1, 0] }, [32, 32, 32, 32, 32])
        XCTAssertEqual(sheet[5, 1, 0], 255)
        // Its stem is the middle column only.
        XCTAssertEqual((0..<5).map { sheet[$0, 4, 0] }, [255, 255, 32, 255, 255])
        XCTAssertThrowsError(try grid([black], columns: 1, labels: []))
        try sheet.write(to: path("labels.png"))
    }
}
