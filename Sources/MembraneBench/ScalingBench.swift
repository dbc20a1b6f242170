import Coordinator
import Foundation

/// Scaling of catalog runs on the embedded model, through `mpirun` on the `membrane` binary
/// built next to this benchmark: iterations/s of one concept on 1 and 2 workers (one group),
/// and catalog throughput (concepts/hour) on 1 and 2 single-rank groups. Efficiency is
/// speed-up / workers. Every worker runs on one thread (`--threads 1`), so N workers use N cores;
/// rank 0 (the coordinator) sleeps in polls and is not counted.
func scalingBenchmarks(modelDirectory: URL, iterations: Int = 6, concepts: Int = 4) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-scaling-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let binary = try membraneBinary()

    // One concept, batch 4, one group of 1 or 2 ranks: iterations per second of training.
    var rates: [Double] = []
    for workers in [1, 2] {
        let catalog = try scalingCatalog(in: folder, model: modelDirectory, names: ["red"], iterations: iterations, batch: 4)
        let library = folder.appendingPathComponent("lib-one-\(workers)")
        _ = try runCatalog(binary: binary, np: workers + 1, catalog: catalog, library: library, extra: ["--group-size", "\(workers)", "--threads", "1"])
        let entry = try Library(directory: library).readIndex().entries["red"]
        rates.append(Double(iterations) / max(entry?.seconds ?? 1, 1e-9))
    }
    // A catalog of small jobs on single-rank groups: wall-clock concepts per hour.
    var throughput: [Double] = []
    let names = ["red", "blue", "green", "yellow", "circle", "square", "triangle", "star"].prefix(concepts).map { $0 }
    for workers in [1, 2] {
        let catalog = try scalingCatalog(in: folder, model: modelDirectory, names: names, iterations: iterations * 2, batch: 2)
        let library = folder.appendingPathComponent("lib-catalog-\(workers)")
        let wall = try runCatalog(binary: binary, np: workers + 1, catalog: catalog, library: library, extra: ["--group-size", "1", "--threads", "1"])
        throughput.append(Double(names.count) * 3600 / wall)
    }
    print("\n## Scaling (embedded model, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
    print(String(format: "one concept, batch 4:   1 worker %.3f it/s   2 workers %.3f it/s   speed-up %.2f   efficiency %.2f",
                 rates[0], rates[1], rates[1] / rates[0], rates[1] / rates[0] / 2))
    print(String(format: "catalog of %d concepts:  1 worker %.0f concepts/h   2 workers %.0f concepts/h   speed-up %.2f   efficiency %.2f",
                 names.count, throughput[0], throughput[1], throughput[1] / throughput[0], throughput[1] / throughput[0] / 2))
}

/// Writes a small catalog for the scaling runs.
private func scalingCatalog(in folder: URL, model: URL, names: [String], iterations: Int, batch: Int) throws -> URL {
    var text = "model: \(model.path)\nbatch_size: \(batch)\nsampling_batch_size: 1\nmax_denoising_steps: 4\n"
    text += "iterations: \(iterations)\nlr: 0.001\nlr_scheduler: constant\nseed: 1\ncheckpoint_every: 1000\nconcepts:\n"
    for name in names { text += "  - name: \(name)\n" }
    let url = folder.appendingPathComponent("catalog-\(names.count)-\(batch).yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// Runs `mpirun -np N membrane catalog run` and returns its wall-clock seconds.
private func runCatalog(binary: URL, np: Int, catalog: URL, library: URL, extra: [String]) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
    process.arguments = ["-np", "\(np)", "--oversubscribe", binary.path, "catalog", "run", catalog.path, "--library", library.path] + extra
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    process.environment = env
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "scaling", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "catalog run failed with \(process.terminationStatus)"])
    }
    return Date().timeIntervalSince(start)
}

/// The `membrane` executable beside this benchmark (same build configuration).
private func membraneBinary() throws -> URL {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let url = here.appendingPathComponent("membrane")
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw NSError(domain: "scaling", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path) not built (make bench builds it)"])
    }
    return url
}
