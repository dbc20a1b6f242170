import Foundation
import Images
import XCTest
@testable import CLIP

/// Preprocessing against transformers' PIL image processor and PIL's resize (goldens by
/// make_clip_fixture.py): the 8-bit stages must match exactly, the floats to rounding.
final class CLIPPreprocessingTests: XCTestCase {
    /// Every test image of both fixtures gives the processor's pixel tensor.
    func testPixelsMatchTransformersPILProcessor() throws {
        for (folder, name) in [(CLIPFixtures.quickGelu, "quickgelu"), (CLIPFixtures.gelu, "gelu")] {
            let processor = try CLIPImageProcessor.load(folder.appendingPathComponent("preprocessor_config.json"))
            let g = try CLIPFixtures.goldens(name)
            for key in try CLIPFixtures.imageNames(g) {
                let pixels = try processor.pixelValues(try CLIPFixtures.image(g, "image.\(key)"))
                let golden = try g.floats("pixels.\(key)")
                XCTAssertEqual([pixels.height, pixels.width], Array(try g.info("pixels.\(key)").shape.dropFirst()), "\(name) \(key)")
                let error = CLIPFixtures.maxError(pixels.values, golden)
                XCTAssertLessThanOrEqual(error, 1e-6, "\(name) \(key)")
            }
        }
    }

    /// PIL's resize with each convolution filter, shrinking and enlarging, byte for byte.
    func testResizeMatchesPILForEveryFilter() throws {
        let g = try CLIPFixtures.goldens("resample")
        let source = try CLIPFixtures.image(g, "crop_pad.input")
        let filters: [(String, ResampleFilter)] = [("bicubic", .bicubic), ("bilinear", .bilinear), ("lanczos", .lanczos), ("box", .box), ("hamming", .hamming)]
        var checked = 0
        for name in g.names where name.hasPrefix("resize.") {
            let parts = name.split(separator: ".")
            let filter = try XCTUnwrap(filters.first { $0.0 == parts[1] }?.1, name)
            let golden = try CLIPFixtures.image(g, name)
            let resized = try source.resized(width: golden.width, height: golden.height, filter: filter)
            let differing = zip(resized.pixels, golden.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(name): \(differing) samples differ")
            checked += 1
        }
        XCTAssertEqual(checked, 15)
    }

    /// A crop larger than the image pads with zeros where transformers pads (before rescaling,
    /// so padding normalises to -mean/std).
    func testCropLargerThanImagePadsAsTransformers() throws {
        let g = try CLIPFixtures.goldens("resample")
        var processor = CLIPImageProcessor()
        processor.doResize = false
        (processor.cropHeight, processor.cropWidth) = (30, 52)
        processor.imageMean = [0.5, 0.25, 0.75]
        processor.imageStd = [0.5, 0.2, 0.4]
        let pixels = try processor.pixelValues(try CLIPFixtures.image(g, "crop_pad.input"))
        XCTAssertEqual([pixels.height, pixels.width], [30, 52])
        XCTAssertLessThanOrEqual(CLIPFixtures.maxError(pixels.values, try g.floats("crop_pad")), 1e-6)
    }

    /// The shortest side becomes the size; the other is truncated, as Python's int() does.
    func testShortestEdgeSizes() {
        var p = CLIPImageProcessor()
        p.size = .shortestEdge(224)
        XCTAssert(p.resizedSize(height: 480, width: 640) == (224, 298))
        XCTAssert(p.resizedSize(height: 640, width: 480) == (298, 224))
        XCTAssert(p.resizedSize(height: 300, width: 300) == (224, 224))
        p.size = .shortestEdge(32)
        XCTAssert(p.resizedSize(height: 27, width: 20) == (43, 32))
    }

    /// Gray is repeated, alpha is blended onto white and dropped.
    func testRGBConversion() throws {
        let gray = try Image(width: 1, height: 1, channels: 1, pixels: [77])
        XCTAssertEqual(try gray.rgb().pixels, [77, 77, 77])
        let rgba = try Image(width: 2, height: 1, channels: 4, pixels: [200, 100, 0, 255, 200, 100, 0, 0])
        XCTAssertEqual(try rgba.rgb().pixels, [200, 100, 0, 255, 255, 255])
        let half = try Image(width: 1, height: 1, channels: 2, pixels: [0, 128])
        // 128/255 * 0 + (1 - 128/255) * 255 = 127 exactly.
        XCTAssertEqual(try half.rgb().pixels, [127, 127, 127])
    }

    /// Without RGB conversion a non-RGB image is refused, not misread.
    func testNonRGBWithoutConversionIsRefused() throws {
        var p = CLIPImageProcessor()
        p.doConvertRGB = false
        let gray = try Image(width: 4, height: 4, channels: 1, fill: 9)
        XCTAssertThrowsError(try p.pixelValues(gray)) { XCTAssertTrue("\($0)".contains("do_convert_rgb"), "\($0)") }
    }
}
