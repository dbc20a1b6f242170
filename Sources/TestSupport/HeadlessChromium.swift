import Foundation
import XCTest

/// Debian's chromium run headless on a file: a screenshot or the DOM after the page has loaded.
public struct HeadlessChromium {
    /// The browser program (a shell wrapper on Debian).
    public let program: String
    /// Longest time one run may take before it is killed and the test fails.
    public let timeoutSeconds: Int
    /// A scratch folder for profiles and output.
    public let scratch: URL

    /// The chromium on PATH (or `MEMBRANE_CHROMIUM`), or a skip naming what to install.
    public static func find(scratch: URL, timeoutSeconds: Int = 120) throws -> HeadlessChromium {
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
    public struct Run {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var seconds: Double
    }

    /// `chromium --version`, e.g. `Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)`.
    public func version() throws -> String {
        let run = try self.run(["--version"])
        return String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Renders `page` in a `width` x `height` window and writes a PNG screenshot to `output`.
    public func screenshot(of page: URL, to output: URL, width: Int = 1200, height: Int = 2000) throws -> Run {
        try run(headlessFlags + ["--hide-scrollbars", "--window-size=\(width),\(height)",
                                 "--screenshot=\(output.path)", page.absoluteString])
    }

    /// Loads `page` and returns the serialized DOM after the load event.
    public func dumpDOM(of page: URL) throws -> (dom: String, run: Run) {
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

    /// What the checker script found after the load event: every image's `src`, those that did
    /// not load (a missing file or one that is not a picture), and the number of scripts.
    public struct PageCheck: Decodable, Sendable {
        public var images: [String]
        public var broken: [String]
        public var scripts: Int

        public init(images: [String], broken: [String], scripts: Int) {
            self.images = images
            self.broken = broken
            self.scripts = scripts
        }
    }

    /// Loads a copy of `page` made next to it (same relative links) with a script that, after
    /// the load event, writes a ``PageCheck`` into `<pre id="browser-check">`; returns the DOM
    /// and the check (`nil` when the checker never ran).
    public func checkedDOM(of page: URL) throws -> (dom: String, check: PageCheck?, run: Run) {
        var html = try String(contentsOf: page, encoding: .utf8)
        let script = """
        <script>window.addEventListener('load', function () {
          var images = Array.prototype.slice.call(document.images);
          var marker = document.createElement('pre');
          marker.id = 'browser-check';
          marker.textContent = JSON.stringify({
            images: images.map(function (i) { return i.getAttribute('src'); }),
            broken: images.filter(function (i) { return !i.complete || i.naturalWidth === 0; })
                          .map(function (i) { return i.getAttribute('src'); }),
            scripts: document.scripts.length });
          document.body.appendChild(marker);
        });</script>
        """
        guard let end = html.range(of: "</body>", options: .backwards) else { return ("", nil, Run(status: -1, stdout: Data(), stderr: "no </body>", seconds: 0)) }
        html.replaceSubrange(end, with: script + "\n</body>")
        let checked = page.deletingLastPathComponent().appendingPathComponent("browser-check-\(UUID().uuidString).html")
        try Data(html.utf8).write(to: checked)
        defer { try? FileManager.default.removeItem(at: checked) }
        let (dom, run) = try dumpDOM(of: checked)
        let open = "<pre id=\"browser-check\">"
        guard let start = dom.range(of: open), let stop = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            return (dom, nil, run)
        }
        let json = dom[start.upperBound..<stop.lowerBound]
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        return (dom, try JSONDecoder().decode(PageCheck.self, from: Data(json.utf8)), run)
    }
}
