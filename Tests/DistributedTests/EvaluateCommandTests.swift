import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// Runs `membrane evaluate` end to end on shapesworld-a with tiny settings.
final class EvaluateCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A fresh membrane (`up` all zero) changes nothing: after == before for every transport and
    /// every picture is identical to the base model's (PSNR at the cap).
    func testZeroMembraneChangesNothing() throws {
        let membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 1)
        let file = directory.appendingPathComponent("red.safetensors")
        try membrane.write(to: file)
        let out = directory.appendingPathComponent("eval")
        let arguments = ["evaluate", "--model", Fixtures.modelA.path, "--membrane", file.path, "--seeds", "1",
                         "--steps", "2", "--transports", "fixed:1.0,facilitated", "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments, timeout: 900)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("capped: every picture identical"), output.stdout)

        let png = try Data(contentsOf: out.appendingPathComponent("before_after.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        let settings = try XCTUnwrap(report["settings"] as? [String: Any])
        XCTAssertEqual(settings["targets"] as? [String], ["red"])
        XCTAssertEqual(settings["transports"] as? [String], ["fixed:1.0", "facilitated"])
        XCTAssertEqual(settings["seeds"] as? Int, 1)
        XCTAssertEqual(settings["steps"] as? Int, 2)
        XCTAssertEqual((settings["prompts"] as? [String])?.count, 30)
        let base = try XCTUnwrap(report["base"] as? [String: Any])
        XCTAssertEqual(base["pictures"] as? Int, 30)

        let runs = try XCTUnwrap(report["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        for run in runs {
            let targets = try XCTUnwrap(run["targets"] as? [[String: Any]])
            XCTAssertEqual(targets.count, 1)
            XCTAssertEqual(targets.first?["concept"] as? String, "red")
            XCTAssertEqual(targets.first?["pictures"] as? Int, 5)
            XCTAssertEqual(targets.first?["before"] as? Double, targets.first?["after"] as? Double)
            let others = try XCTUnwrap(run["others"] as? [String: Any])
            XCTAssertEqual(others["prompts"] as? Int, 25)
            XCTAssertEqual(others["pictures"] as? Int, 25)
            XCTAssertEqual(others["colourDropPoints"] as? Double, 0)
            XCTAssertEqual(others["shapeDropPoints"] as? Double, 0)
            let psnr = try XCTUnwrap(others["psnr"] as? [String: Any])
            XCTAssertEqual(psnr["identicalPictures"] as? Int, 25)
            XCTAssertEqual(psnr["meanDB"] as? Double, psnr["capDB"] as? Double)
            let all = try XCTUnwrap(run["all"] as? [String: Any])
            XCTAssertEqual(all["colour"] as? Double, base["colour"] as? Double)
            XCTAssertEqual(all["shape"] as? Double, base["shape"] as? Double)
        }

        let prompts = try XCTUnwrap(report["prompts"] as? [[String: Any]])
        XCTAssertEqual(prompts.count, 30)
        let first = try XCTUnwrap(prompts.first?["readings"] as? [String: [String]])
        XCTAssertEqual(first["base"], first["facilitated"])
        XCTAssertEqual(first["base"]?.count, 1)
    }

    func testRefusesTargetsThatAreNoConcept() throws {
        let out = directory.appendingPathComponent("eval")
        let arguments = ["evaluate", "--membrane", "unused.safetensors", "--targets", "red,snoopy", "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments)
        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("'snoopy' is not a ShapesWorld colour or shape"), output.stderr)
    }
}
