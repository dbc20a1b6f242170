import Evaluation
import Images
import XCTest

final class ShapesWorldVocabularyTests: XCTestCase {
    func testPromptsCoverEveryColourAndShapeOnce() {
        let prompts = ShapesWorld.prompts
        XCTAssertEqual(prompts.count, 30)
        XCTAssertEqual(Set(prompts.map(\.text)).count, 30)
        XCTAssertEqual(prompts.first?.text, "a red circle")
        XCTAssertEqual(prompts.last?.text, "an orange diamond")
        for colour in ColourKind.allCases {
            for shape in ShapeKind.allCases {
                let matches = prompts.filter { $0.colour == colour && $0.shape == shape }
                XCTAssertEqual(matches.count, 1)
                XCTAssertTrue(matches.first?.text.hasSuffix("\(colour.name) \(shape.name)") ?? false)
            }
        }
    }

    func testNamesRoundTrip() {
        for colour in ColourKind.allCases { XCTAssertEqual(ColourKind(name: colour.name), colour) }
        for shape in ShapeKind.allCases { XCTAssertEqual(ShapeKind(name: shape.name), shape) }
        XCTAssertEqual(ColourKind(name: "Orange"), .orange)
        XCTAssertNil(ColourKind(name: "pink"))
        XCTAssertNil(ShapeKind(name: "star"))
    }

    func testReferenceColoursAndHues() {
        XCTAssertEqual(ColourKind.red.rgb.red, 0.9)
        XCTAssertEqual(ColourKind.orange.rgb.green, 0.55)
        XCTAssertEqual(ColourKind.red.hue, 0, accuracy: 1e-9)
        XCTAssertEqual(ColourKind.orange.hue, 30, accuracy: 1e-9)
        XCTAssertEqual(ColourKind.yellow.hue, 52.94, accuracy: 0.01)
        XCTAssertEqual(ColourKind.blue.hue, 228, accuracy: 1e-9)
        XCTAssertEqual(BackgroundKind.gray.level, 0.5)
    }

    func testDrawerIsDeterministicAndSized() {
        var first = ShapesWorldDrawer(seed: 42)
        var second = ShapesWorldDrawer(seed: 42)
        var other = ShapesWorldDrawer(seed: 43)
        for _ in 0..<5 {
            let a = first.draw()
            let b = second.draw()
            XCTAssertEqual(a.image, b.image)
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertEqual(a.colour, b.colour)
            XCTAssertNotEqual(a.image, other.draw().image)
            XCTAssertEqual(a.image.width, 32)
            XCTAssertEqual(a.image.height, 32)
            XCTAssertEqual(a.image.channels, 3)
        }
        var wide = ShapesWorldDrawer(seed: 1, options: .init(width: 48, height: 40))
        let drawing = wide.draw(shape: .cross, colour: .green, texture: .striped, background: .black)
        XCTAssertEqual(drawing.image.width, 48)
        XCTAssertEqual(drawing.image.height, 40)
        XCTAssertEqual(drawing.image.pixels.count, 48 * 40 * 3)
        XCTAssertEqual(drawing.shape, .cross)
        XCTAssertEqual(drawing.colour, .green)
        XCTAssertEqual(drawing.texture, .striped)
        XCTAssertEqual(drawing.background, .black)
    }

    func testDrawerCoversTheWorld() {
        var drawer = ShapesWorldDrawer(seed: 7)
        var shapes = Set<ShapeKind>(), colours = Set<ColourKind>()
        var textures = Set<TextureKind>(), backgrounds = Set<BackgroundKind>()
        for _ in 0..<120 {
            let drawing = drawer.draw()
            shapes.insert(drawing.shape)
            colours.insert(drawing.colour)
            textures.insert(drawing.texture)
            backgrounds.insert(drawing.background)
            XCTAssertGreaterThan(drawing.radius, 4)
            XCTAssertLessThan(drawing.radius, 12)
        }
        XCTAssertEqual(shapes.count, 5)
        XCTAssertEqual(colours.count, 6)
        XCTAssertEqual(textures.count, 3)
        XCTAssertEqual(backgrounds.count, 3)
    }

    func testBackgroundLevels() {
        var drawer = ShapesWorldDrawer(seed: 3)
        for background in BackgroundKind.allCases {
            let image = drawer.drawEmpty(background: background)
            let mean = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count) / 255
            XCTAssertEqual(mean, background.level, accuracy: 0.04)
        }
    }
}
