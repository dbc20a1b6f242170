import Foundation
import XCTest

/// Debian's chromium run headless on a file: a screenshot or the DOM after the page has loaded.
struct HeadlessChromium {
    /// The browser program (a shell wrapper on Debian).
    let program: String
    /// Longest time one run may take before it is killed and the test fails.
    let timeoutSeconds: Int
    /// A scratch folder for profiles and output.
    let scratch: URL

    /// The chromium on PATH (or `MEMBRANE_CHROMIUM`), or a skip naming what to install.
    static func find(scratch: URL, timeoutSeconds: Int = 120) throws -> HeadlessChromium {
        if let given = ProcessInfo.processInfo.environment["MEMBRANE_CHROMIUM"], !given.isEmpty {
            return HeadlessChromium(program: given, timeoutSeconds: timeoutSeconds, scratch: scratch)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/chromium"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return HeadlessChromium(program: candidate, timeoutSeconds: timeoutSeconds, scratch: scratch)
            }
        }
        throw XCTSkip("chromium is not installed: `make deps` (run by `make test`) installs Debian's chromium package")
    }

    /// What one run produced.
    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        var seconds: Double
    }

    /// `chromium --version`, e.g. `Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)`.
    func version() throws -> String {
        let run = try self.run(["--version"])
        return String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Renders `page` in a `width` x `height` window and writes a PNG screenshot to `output`.
    func screenshot(of page: URL, to output: URL, width: Int = 1200, height: Int = 2000) throws -> Run {
        try run(headlessFlags + ["--hide-scrollbars", "--window-size=\(width),\(height)",
                                 "--screenshot=\(output.path)", page.absoluteString])
    }

    /// Loads `page` and returns the serialized DOM after the load event.
    func dumpDOM(of page: URL) throws -> (dom: String, run: Run) {
        let run = try run(headlessFlags + ["--dump-dom", page.absoluteString])
        return (String(decoding: run.stdout, as: UTF8.self), run)
    }

    private var headlessFlags: [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--force-device-scale-factor=1",
         "--user-data-dir=\(scratch.appendingPathComponent("profile-\(UUID().uuidString)").path)"]
    }

    /// Runs the browser under coreutils `timeout`, which kills its whole process group (the
    /// browser's helper processes included) after ``timeoutSeconds`` and exits with 124.
    private func run(_ arguments: [String]) throws -> Run {
        let stdoutURL = scratch.appendingPathComponent("stdout-\(UUID().uuidString)")
        let stderrURL = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "5", "\(timeoutSeconds)", program] + arguments
        let out = try FileHandle(forWritingTo: stdoutURL)
        let err = try FileHandle(forWritingTo: stderrURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        let stderr = String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
        if process.terminationStatus == 124 || process.terminationStatus == 137 {
            XCTFail("chromium did not finish within \(timeoutSeconds) s and was killed: \(arguments.joined(separator: " "))\n\(stderr)")
        }
        return Run(status: process.terminationStatus, stdout: try Data(contentsOf: stdoutURL), stderr: stderr, seconds: seconds)
    }
}
