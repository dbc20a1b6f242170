import Evaluation
import Images
import XCTest

final class MembraneEvaluationTests: XCTestCase {
    func testConceptsFromWords() {
        XCTAssertEqual(ShapesWorldConcept(word: "Triangle"), .shape(.triangle))
        XCTAssertEqual(ShapesWorldConcept(word: "red"), .colour(.red))
        XCTAssertNil(ShapesWorldConcept(word: "snoopy"))
        XCTAssertEqual(ShapesWorldConcept.concepts(in: "a Red circle, red!"), [.colour(.red), .shape(.circle)])
        XCTAssertEqual(ShapesWorldConcept.concepts(in: "snoopy"), [])
        XCTAssertEqual(ShapesWorldConcept.shape(.cross).kind, "shape")
        XCTAssertEqual(ShapesWorldConcept.colour(.blue).kind, "colour")
        let prompt = ShapesWorld.Prompt(colour: .red, shape: .square)
        XCTAssertTrue(ShapesWorldConcept.colour(.red).isNamed(by: prompt))
        XCTAssertFalse(ShapesWorldConcept.shape(.circle).isNamed(by: prompt))
        XCTAssertTrue(ShapesWorldConcept.shape(.circle).isSeen(colour: nil, shape: .circle))
        XCTAssertFalse(ShapesWorldConcept.colour(.red).isSeen(colour: .orange, shape: .circle))
    }

    func testPSNR() throws {
        let black = try Image(width: 2, height: 2, channels: 3, fill: 0)
        let white = try Image(width: 2, height: 2, channels: 3, fill: 255)
        XCTAssertEqual(MembraneEvaluation.psnr(black, black), MembraneEvaluation.psnrCapDB)
        XCTAssertEqual(MembraneEvaluation.psnr(black, white), 0, accuracy: 1e-12)
        let a = try Image(width: 1, height: 1, channels: 1, pixels: [100])
        let b = try Image(width: 1, height: 1, channels: 1, pixels: [151])
        // Difference 51 / 255 = 0.2: MSE 0.04, PSNR 10 log10(25).
        XCTAssertEqual(MembraneEvaluation.psnr(a, b), 10 * log10(25.0), accuracy: 1e-9)
        XCTAssertEqual(MembraneEvaluation.psnr(a, b, capDB: 5), 5)
    }

    func testAccuracyAndEmptyInputs() {
        let prompt = ShapesWorld.Prompt(colour: .blue, shape: .cross)
        let readings = [
            PictureReading(prompt: prompt, colour: .blue, shape: .cross),
            PictureReading(prompt: prompt, colour: .blue, shape: .square),
            PictureReading(prompt: prompt, colour: nil, shape: .cross),
            PictureReading(prompt: prompt, colour: .green, shape: nil),
        ]
        let accuracy = MembraneEvaluation.accuracy(readings)
        XCTAssertEqual(accuracy, .init(pictures: 4, colour: 0.5, shape: 0.5, both: 0.25))
        XCTAssertEqual(readings[2].summary, "none cross")
        XCTAssertEqual(MembraneEvaluation.accuracy([]), .init(pictures: 0, colour: 0, shape: 0, both: 0))
        let none = MembraneEvaluation.rate(of: .colour(.red), in: readings)
        XCTAssertEqual(none.pictures, 0)
        XCTAssertEqual(none.rate, 0)
        let empty = MembraneEvaluation.psnrSummary([])
        XCTAssertEqual(empty.pictures, 0)
        XCTAssertEqual(empty.meanDB, 0)
    }

    /// Erase red and triangle: red survives only in "a red circle", triangles read as squares,
    /// and one other picture ("a green circle") loses its colour to blue.
    func testSummaryOfAnErasure() {
        var before: [PictureReading] = []
        var after: [PictureReading] = []
        var psnr: [Double] = []
        for prompt in ShapesWorld.prompts {
            before.append(PictureReading(prompt: prompt, colour: prompt.colour, shape: prompt.shape))
            var colour: ColourKind? = prompt.colour
            var shape: ShapeKind? = prompt.shape
            if prompt.colour == .red && prompt.shape != .circle { colour = nil }
            if prompt.shape == .triangle { shape = .square }
            if prompt.colour == .green && prompt.shape == .circle { colour = .blue }
            after.append(PictureReading(prompt: prompt, colour: colour, shape: shape))
            let unchanged = prompt.colour == .blue && prompt.shape == .cross
            psnr.append(unchanged ? MembraneEvaluation.psnrCapDB : 40)
        }
        let summary = MembraneEvaluation.summarise(targets: [.colour(.red), .shape(.triangle)],
                                                   before: before, after: after, psnr: psnr)
        XCTAssertEqual(summary.targets.count, 2)
        XCTAssertEqual(summary.targets[0].concept, "red")
        XCTAssertEqual(summary.targets[0].kind, "colour")
        XCTAssertEqual(summary.targets[0].pictures, 5)
        XCTAssertEqual(summary.targets[0].before, 1)
        XCTAssertEqual(summary.targets[0].after, 0.2, accuracy: 1e-12)
        XCTAssertEqual(summary.targets[1].concept, "triangle")
        XCTAssertEqual(summary.targets[1].pictures, 6)
        XCTAssertEqual(summary.targets[1].after, 0)

        let others = summary.others
        XCTAssertEqual(others.prompts, 20)
        XCTAssertEqual(others.pictures, 20)
        XCTAssertEqual(others.before, .init(pictures: 20, colour: 1, shape: 1, both: 1))
        XCTAssertEqual(others.after.colour, 0.95, accuracy: 1e-12)
        XCTAssertEqual(others.after.shape, 1)
        XCTAssertEqual(others.colourDropPoints, 5, accuracy: 1e-9)
        XCTAssertEqual(others.shapeDropPoints, 0)
        XCTAssertEqual(others.psnr.pictures, 20)
        XCTAssertEqual(others.psnr.meanDB, 43, accuracy: 1e-9)
        XCTAssertEqual(others.psnr.minimumDB, 40)
        XCTAssertEqual(others.psnr.identicalPictures, 1)

        XCTAssertEqual(summary.all.pictures, 30)
        XCTAssertEqual(summary.all.colour, 25.0 / 30, accuracy: 1e-12)
        XCTAssertEqual(summary.all.shape, 24.0 / 30, accuracy: 1e-12)
        XCTAssertEqual(summary.all.both, 20.0 / 30, accuracy: 1e-12)
    }
}
