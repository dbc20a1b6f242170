import Foundation
import XCTest

/// Finds and runs the built `membrane` executable from tests.
enum MembraneBinary {
    /// Where the `membrane` executable was looked for, in order.
    ///
    /// 1. `$MEMBRANE_BINARY`, if set.
    /// 2. Next to the running test binary: on Linux the `.xctest` file is an executable in
    ///    `.build/<triple>/<config>/`, beside the `membrane` product (found through
    ///    `Bundle.main.executablePath` and `CommandLine.arguments[0]`); on macOS the `.xctest`
    ///    bundle directory sits there (`Bundle(for:)`).
    /// 3. `<package root>/.build/{debug,release}/membrane`, the root found from `#filePath`.
    static func candidates(filePath: String = #filePath) -> [URL] {
        var urls: [URL] = []
        if let override = ProcessInfo.processInfo.environment["MEMBRANE_BINARY"], !override.isEmpty {
            urls.append(URL(fileURLWithPath: override))
        }
        let testBinaries = [Bundle.main.executablePath, CommandLine.arguments.first].compactMap { $0 }
        for path in testBinaries {
            let directory = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent()
            urls.append(directory.appendingPathComponent("membrane"))
        }
        let bundle = Bundle(for: Marker.self).bundleURL.resolvingSymlinksInPath()
        urls.append(bundle.deletingLastPathComponent().appendingPathComponent("membrane"))
        let root = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent() // DistributedTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent() // package root
        for configuration in ["debug", "release"] {
            urls.append(root.appendingPathComponent(".build/\(configuration)/membrane"))
        }
        return urls
    }

    /// The first candidate that is an executable file.
    static func locate() throws -> URL {
        let urls = candidates()
        if let found = urls.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        let list = urls.map(\.path).joined(separator: ", ")
        throw TestFailure("membrane executable not found (build it with `swift build`); looked at: \(list)")
    }

    /// Finds an executable on `PATH`.
    static func which(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// The environment for a child process: this one without the variables an in-process MPI
    /// singleton adds (a child seeing them would try to join this process's MPI job), plus
    /// permission for Open MPI to run as root.
    static func childEnvironment() -> [String: String] {
        let prefixes = ["OMPI_", "PMIX_", "ORTE_", "OPAL_", "PRTE_"]
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            key.hasPrefix("OMPI_MCA_btl") || !prefixes.contains(where: { key.hasPrefix($0) })
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return environment
    }

    /// What a finished child process produced.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 120) throws -> Output {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("membrane-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = childEnvironment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let stdout = try String(contentsOf: outURL, encoding: .utf8)
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    private final class Marker {}
}

/// A test precondition that did not hold, with an explanation.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
