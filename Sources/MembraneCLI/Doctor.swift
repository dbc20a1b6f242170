import ArgumentParser
import ControlSocket
import Distributed
import Foundation
import Images
import Kernels

/// `membrane doctor`: reports the system libraries and machine, and exercises each library once.
/// Exits with status 1 and a message naming the failed checks if anything cannot be used.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the system libraries (OpenBLAS, Open MPI, ZeroMQ, libpng) and the machine."
    )

    /// Lets tests exercise the failure path: names of checks to report as failed.
    @Option(name: .customLong("simulate-failure"), help: .hidden)
    var simulatedFailures: [String] = []

    func run() throws {
        var failures: [String] = []
        print("Membrane doctor")
        report("cores", Result { "\(ProcessInfo.processInfo.activeProcessorCount) available" }, &failures)
        report("memory", Result { try memorySummary() }, &failures)
        report("BLAS", Result { try blasSummary() }, &failures)
        report("cpu", Result { "\(CPUFeatures.current)" }, &failures)
        report("kernels", Result { blasKernelSummary() }, &failures)
        report("ISA", Result { "Membrane's kernels run \(try KernelISA.validateEnvironment().explanation)" }, &failures)
        report("MPI", Result { try mpiSummary() }, &failures)
        report("ZeroMQ", Result { try zmqSummary() }, &failures)
        report("libpng", Result { try pngSummary() }, &failures)
        if failures.isEmpty {
            print("doctor: all checks passed")
            return
        }
        let message = "doctor: FAILED: \(failures.joined(separator: "; "))\n"
        FileHandle.standardError.write(Data(message.utf8))
        throw ExitCode(1)
    }

    private func report(_ name: String, _ result: Result<String, any Error>, _ failures: inout [String]) {
        var outcome = result
        if simulatedFailures.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
            outcome = .failure(DoctorError("simulated failure"))
        }
        switch outcome {
        case .success(let text):
            print("  \(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(text)")
        case .failure(let error):
            print("  \(name.padding(toLength: 8, withPad: " ", startingAt: 0)) FAILED: \(error)")
            failures.append("\(name): \(error)")
        }
    }

    private func memorySummary() throws -> String {
        let info = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        var kilobytes: [String: Double] = [:]
        for line in info.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if fields.count >= 2, let value = Double(fields[1]) { kilobytes[String(fields[0])] = value }
        }
        guard let total = kilobytes["MemTotal"] else { throw DoctorError("/proc/meminfo has no MemTotal") }
        let gib = { (kb: Double) in String(format: "%.1f GiB", kb / 1_048_576) }
        let available = kilobytes["MemAvailable"].map { ", \(gib($0)) available" } ?? ""
        return "\(gib(total)) total\(available)"
    }

    private func blasSummary() throws -> String {
        // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        c.withUnsafeMutableBufferPointer { out in
            sgemm(m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: out.baseAddress!, ldc: 2)
        }
        guard c == [19, 22, 43, 50] else { throw DoctorError("sgemm check gave \(c)") }
        return "\(BLAS.configuration); threads \(BLAS.threads); sgemm ok"
    }

    /// The kernels OpenBLAS runs, why, and the better ones to ask for if the processor has them.
    private func blasKernelSummary() -> String {
        let source = BLASCoreSource(environment: ProcessInfo.processInfo.environment)
        let summary = "OpenBLAS runs \(BLAS.coreName) (\(source.explanation))"
        let best = BLASCoreFamily.best(for: .current)
        guard let running = BLASCoreFamily(coreName: BLAS.coreName), running < best else { return summary }
        return summary + "; this CPU can run \(best.coreType): \(BLASCoreSelection.coreTypeVariable)=\(best.coreType)"
    }

    private func mpiSummary() throws -> String {
        let version = MPI.libraryVersion.split(separator: ",").first.map(String.init) ?? "unknown"
        let level = try MPI.initialize()
        let world = Communicator.world
        let sum = try world.allreduceSum([Float(1)])[0]
        guard sum == Float(world.size) else { throw DoctorError("all-reduce gave \(sum), expected \(world.size)") }
        let summary = "\(version); MPI \(MPI.standardVersion.major).\(MPI.standardVersion.minor); "
            + "rank \(world.rank) of \(world.size), thread level \(level); all-reduce ok"
        try MPI.finalize()
        return summary
    }

    private func zmqSummary() throws -> String {
        let context = try ZMQContext()
        let server = try context.socket(.rep)
        let client = try context.socket(.req)
        try server.bind("inproc://membrane-doctor")
        try client.connect("inproc://membrane-doctor")
        try client.send("ping")
        guard let request = try server.receive(timeout: .seconds(5)) else { throw DoctorError("no request within 5 s") }
        try server.send(request)
        guard try client.receive(timeout: .seconds(5)) == Data("ping".utf8) else { throw DoctorError("bad reply") }
        client.close()
        server.close()
        return "\(ZMQ.version); ipc \(ZMQ.has("ipc") ? "yes" : "no"); REQ/REP ok"
    }

    private func pngSummary() throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("membrane-doctor-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("check.png").path
        let pixels = (0..<(3 * 2 * 3)).map { UInt8(($0 * 37) % 256) }
        let image = try Image(width: 3, height: 2, channels: 3, pixels: pixels)
        try image.write(to: path)
        guard try Image.read(path: path) == image else { throw DoctorError("PNG round trip changed pixels") }
        return "\(libpngVersion); write/read ok"
    }
}

/// A doctor check's own failure message.
struct DoctorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
