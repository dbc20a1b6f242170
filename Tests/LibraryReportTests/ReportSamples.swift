import Foundation
import LibraryReport

/// Runs, concepts and folders shared by the report tests.
enum ReportSamples {
    /// A user-chosen name with markup, both quotes, an ampersand and non-ASCII letters.
    static let hostileName = "<script>alert(\"x\")</script> & 'q' café 東京"

    static func run(date: String = "2026-12-01T06:00:00Z", exitCode: Int32 = 0) -> ReportRun {
        ReportRun(date: date, ranks: 3, membranesTrained: 2, iterations: 1200, seconds: 754.2,
                  throughput: 1.591, exitCode: exitCode, catalog: "catalogs/nightly.yaml")
    }

    static func passed(grid: String? = "red/grid.png") -> ConceptReport {
        ConceptReport(
            name: "red", targets: ["red", "crimson"], verdict: .passed, published: true,
            membraneFile: "red/red.safetensors", grid: grid,
            metrics: [
                ReportMetric(name: "target rate", before: 87.5, after: 12.5, unit: "%",
                             gate: MetricGate(kind: .maximum, limit: 20, held: true)),
                ReportMetric(name: "preservation", before: 93.75, after: 90.5, unit: "%",
                             gate: MetricGate(kind: .maximumDrop, limit: 5, held: true)),
                ReportMetric(name: "PSNR", after: 27.31, unit: "dB"),
            ],
            multipliers: [ReportMultiplier(prompt: "a red circle", transport: "facilitated", values: [0.982]),
                          ReportMultiplier(prompt: "a blue triangle", transport: "facilitated", values: [0.013])],
            reportJSON: "red/evaluation/report.json")
    }

    static func failed(grid: String? = "triangle/candidate/grid.png") -> ConceptReport {
        ConceptReport(
            name: "triangle", targets: ["triangle"],
            verdict: .failed(reasons: ["target rate 45.0 % is above max_target_rate 0.0 %"]), published: false,
            membraneFile: "triangle/candidate/triangle.safetensors", grid: grid,
            metrics: [ReportMetric(name: "target rate", before: 75, after: 45, unit: "%",
                                   gate: MetricGate(kind: .maximum, limit: 0, held: false)),
                      ReportMetric(name: "CLIP score", before: 31.4, after: 24.25)],
            multipliers: [ReportMultiplier(prompt: "a green triangle", transport: "facilitated", values: [0.9, 0.25])],
            reportJSON: "triangle/candidate/evaluation/report.json")
    }

    /// A new empty folder under the temporary directory.
    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Names in `folder` that are temporary files of an atomic write.
    static func leftovers(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
    }
}
