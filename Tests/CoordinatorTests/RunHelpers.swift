import Coordinator
import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// Running `membrane catalog run` under mpirun from the tests, and single-process references.
enum Runs {
    /// The built `membrane` executable (next to the test binary, or in .build/debug).
    static func membrane() throws -> URL {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["MEMBRANE_BINARY"] { candidates.append(URL(fileURLWithPath: env)) }
        for path in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            candidates.append(URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("membrane"))
        }
        candidates.append(Fixtures.repoRoot.appendingPathComponent(".build/debug/membrane"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingTool(description: "membrane executable not built (looked next to the test bundle and in .build/debug)")
        }
        return found
    }

    static func mpirun() throws -> URL {
        for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/mpirun") {
            return URL(fileURLWithPath: dir + "/mpirun")
        }
        throw MissingTool(description: "mpirun not installed (make deps installs openmpi-bin)")
    }

    /// Environment without the MPI variables of this process, allowed to run as root.
    static var environment: [String: String] {
        let prefixes = ["OMPI_", "PMIX_", "ORTE_", "OPAL_", "PRTE_"]
        var env = ProcessInfo.processInfo.environment.filter { key, _ in !prefixes.contains(where: { key.hasPrefix($0) }) }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return env
    }

    /// A started child process whose output goes to files.
    final class Child {
        let process = Process()
        let out: URL
        let err: URL

        init(_ executable: URL, _ arguments: [String], folder: URL) throws {
            out = folder.appendingPathComponent("out-\(UUID().uuidString).txt")
            err = folder.appendingPathComponent("err-\(UUID().uuidString).txt")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = executable
            process.arguments = arguments
            process.environment = Runs.environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        /// Waits for the end (killing the process after `timeout`); returns status, stdout, stderr.
        func wait(timeout: TimeInterval = 240) -> (status: Int32, out: String, err: String) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let o = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let e = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            return (process.terminationStatus, o, e)
        }
    }

    /// `mpirun -np N membrane catalog run CATALOG --library LIB extra...`, started.
    static func start(np: Int, catalog: URL, library: URL, extra: [String] = []) throws -> Child {
        let args = ["-np", "\(np)", "--oversubscribe", try membrane().path, "catalog", "run", catalog.path, "--library", library.path] + extra
        return try Child(try mpirun(), args, folder: catalog.deletingLastPathComponent())
    }

    /// Runs a catalog to the end.
    static func run(np: Int, catalog: URL, library: URL, extra: [String] = []) throws -> (status: Int32, out: String, err: String) {
        try start(np: np, catalog: catalog, library: library, extra: extra).wait()
    }

    /// A fresh temporary folder.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-coord-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small, fast catalog on the embedded model.
    static func writeCatalog(in folder: URL, concepts: String, iterations: Int = 4, every: Int = 1) throws -> URL {
        let text = """
        model: \(Fixtures.embeddedModel.path)
        batch_size: 2
        sampling_batch_size: 1
        max_denoising_steps: 4
        iterations: \(iterations)
        lr: 0.001
        lr_scheduler: constant
        seed: 3
        checkpoint_every: \(every)
        concepts:
        \(concepts)
        """
        let url = folder.appendingPathComponent("catalog.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    nonisolated(unsafe) static let model: StableDiffusionModel = {
        do { return try StableDiffusionModel(directory: Fixtures.embeddedModel) } catch { fatalError("\(error)") }
    }()

    nonisolated(unsafe) static var references: [String: [Float]] = [:]

    /// The membrane weights of a single-process run reproducing a group of `groupSize` ranks.
    static func reference(_ config: TrainingConfig, groupSize: Int) throws -> [Float] {
        let key = MembraneMetadata.configHash(config) + "/\(groupSize)"
        if let cached = references[key] { return cached }
        var trainer = try MembraneTrainer(model: model, config: config)
        while trainer.iteration < config.iterations { try GroupStep.simulate(&trainer, groupSize: groupSize) }
        let values = trainer.checkpoint().parameters.values
        references[key] = values
        return values
    }

    /// The weights of a library membrane, in parameter order.
    static func weights(_ library: Library, _ concept: String) throws -> [Float] {
        try Membrane.read(from: library.membraneURL(concept), sites: model.unet.adapterSites).parameters.flatMap(\.scalars)
    }

    /// Waits until `condition` holds (checking every 100 ms), at most `timeout` seconds.
    static func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// The world ranks' process ids: the children of mpirun.
    static func children(of pid: Int32) -> [Int32] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return [] }
        return text.split(separator: " ").compactMap { Int32($0) }
    }
}

/// A tool the multi-process tests need is missing: the tests fail (never skip), so CI notices.
struct MissingTool: Error, CustomStringConvertible {
    let description: String
}
