import Foundation
import StableDiffusion
import TensorEngine
import XCTest

/// Scheduler timesteps and steps against values worked out from diffusers' formulas.
final class SchedulerTests: XCTestCase {
    func sd() -> SchedulerConfig {
        var c = SchedulerConfig()
        c.stepsOffset = 1
        return c
    }

    func testLeadingSpacingWithOffset() {
        var s = DDIMScheduler(config: sd())
        s.setTimesteps(10)
        XCTAssertEqual(s.timesteps, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])
    }

    /// The DDIM and Euler ancestral schedulers after `setTimesteps(steps)` with `spacing`.
    func schedulers(_ spacing: TimestepSpacing, steps: Int) -> (ddim: DDIMScheduler, euler: EulerAncestralScheduler) {
        var c = sd()
        c.timestepSpacing = spacing
        var ddim = DDIMScheduler(config: c), euler = EulerAncestralScheduler(config: c)
        ddim.setTimesteps(steps)
        euler.setTimesteps(steps)
        return (ddim, euler)
    }

    func testTrailingAndLinspaceSpacing() {
        let trailing = schedulers(.trailing, steps: 4)
        XCTAssertEqual(trailing.ddim.timesteps, [999, 749, 499, 249])
        XCTAssertEqual(trailing.euler.timesteps, [999, 749, 499, 249])
        let linspace = schedulers(.linspace, steps: 4)
        XCTAssertEqual(linspace.ddim.timesteps, [999, 666, 333, 0])
        XCTAssertEqual(linspace.euler.timesteps, [999, 666, 333, 0])
        XCTAssertEqual(linspace.euler.initNoiseSigma, linspace.euler.sigmas[0], accuracy: 1e-12)
        // Linspace timesteps with a fraction: DDIM rounds them, Euler keeps them.
        let fractional = schedulers(.linspace, steps: 7)
        XCTAssertEqual(fractional.euler.timesteps[1], 832.5)
        XCTAssertEqual(fractional.ddim.timesteps[1], 832)
    }

    func testScaledLinearBetas() {
        let b = sd().betas
        XCTAssertEqual(b.count, 1000)
        XCTAssertEqual(b[0], 0.00085, accuracy: 1e-12)
        XCTAssertEqual(b[999], 0.012, accuracy: 1e-12)
        let mid = (0.00085.squareRoot() + (0.012.squareRoot() - 0.00085.squareRoot()) * 500 / 999)
        XCTAssertEqual(b[500], mid * mid, accuracy: 1e-12)
    }

    func testDDIMStepRecoversCleanSampleFromExactNoise() {
        // With the true noise as model output, one step lands exactly on the noised sample of
        // the previous timestep.
        var s = DDIMScheduler(config: sd())
        s.setTimesteps(10)
        var rng = RandomSource(seed: 1)
        let x0 = Tensor.randn([1, 4, 4, 4], using: &rng), noise = Tensor.randn([1, 4, 4, 4], using: &rng)
        let xt = s.addNoise(x0, noise: noise, timestep: 901)
        let prev = s.step(noise, timestep: 901, sample: xt)
        let expected = s.addNoise(x0, noise: noise, timestep: 801)
        for (a, b) in zip(prev.scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testVPredictionStep() {
        var c = sd()
        c.predictionType = .vPrediction
        var s = DDIMScheduler(config: c)
        s.setTimesteps(10)
        var rng = RandomSource(seed: 2)
        let x0 = Tensor.randn([8], using: &rng), noise = Tensor.randn([8], using: &rng)
        let a = s.alphaBar(901)
        let xt = s.addNoise(x0, noise: noise, timestep: 901)
        // v = sqrt(a) eps - sqrt(1-a) x0
        let v = Tensor(shape: [8], values: (0..<8).map { i in Float(a.squareRoot()) * noise.scalars[i] - Float((1 - a).squareRoot()) * x0.scalars[i] })
        let prev = s.step(v, timestep: 901, sample: xt)
        let expected = s.addNoise(x0, noise: noise, timestep: 801)
        for (p, e) in zip(prev.scalars, expected.scalars) { XCTAssertEqual(p, e, accuracy: 1e-4) }
    }

    func testEulerAncestralSigmas() {
        var s = EulerAncestralScheduler(config: sd())
        s.setTimesteps(10)
        XCTAssertEqual(s.timesteps.map { Int($0) }, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])
        XCTAssertEqual(s.sigmas.count, 11)
        XCTAssertEqual(s.sigmas.last, 0)
        let ac = sd().alphasCumprod[901]
        XCTAssertEqual(s.sigmas[0], ((1 - ac) / ac).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.initNoiseSigma, (s.sigmas[0] * s.sigmas[0] + 1).squareRoot(), accuracy: 1e-12)
    }

    func testTimestepSpacingReadsAndWritesDiffusersNames() throws {
        for spacing in TimestepSpacing.allCases {
            let json = try JSONEncoder().encode([spacing])
            XCTAssertEqual(String(decoding: json, as: UTF8.self), "[\"\(spacing.rawValue)\"]")
            XCTAssertEqual(try JSONDecoder().decode([TimestepSpacing].self, from: json), [spacing])
        }
        XCTAssertEqual(TimestepSpacing.allCases.map(\.rawValue), ["leading", "trailing", "linspace"])
    }

    func testUnknownTimestepSpacingIsRefusedNamingTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spacing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("scheduler_config.json")
        try Data(#"{"timestep_spacing": "karras", "steps_offset": 1}"#.utf8).write(to: file)
        XCTAssertThrowsError(try SchedulerConfig.load(file)) { error in
            XCTAssertEqual(error as? ModelError, .unsupported(file: file.path, option: "timestep_spacing: karras",
                                                              reason: "known: leading, trailing, linspace"))
        }
        try Data(#"{"timestep_spacing": "trailing"}"#.utf8).write(to: file)
        XCTAssertEqual(try SchedulerConfig.load(file).timestepSpacing, .trailing)
        try Data(#"{"steps_offset": 1}"#.utf8).write(to: file)
        XCTAssertEqual(try SchedulerConfig.load(file).timestepSpacing, .leading)
    }

    func testSamplersPickTheirSchedulers() {
        XCTAssertTrue(GenerationRequest.Sampler.ddim.schedulerType == DDIMScheduler.self)
        XCTAssertTrue(GenerationRequest.Sampler.eulerAncestral.schedulerType == EulerAncestralScheduler.self)
    }

    func testDDIMThroughTheSchedulerProtocolStepsItsTimesteps() {
        var s = DDIMScheduler(config: sd())
        s.setTimesteps(10)
        XCTAssertEqual(s.modelTimesteps, s.timesteps.map { Float($0) })
        XCTAssertEqual(s.initNoiseSigma, 1)
        var rng = RandomSource(seed: 3)
        let x = Tensor.randn([1, 4, 4, 4], using: &rng), eps = Tensor.randn([1, 4, 4, 4], using: &rng)
        XCTAssertEqual(s.scaleModelInput(x, step: 2).scalars, x.scalars)
        let before = rng
        XCTAssertEqual(s.step(eps, step: 2, sample: x, rng: &rng).scalars, s.step(eps, timestep: 701, sample: x).scalars)
        XCTAssertEqual(rng, before)
    }
}
