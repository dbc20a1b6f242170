import ArgumentParser
import Coordinator
import Foundation

/// `membrane catalog`: catalog runs.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Train every concept of a catalog into a library (under mpirun).",
        subcommands: [Run.self]
    )

    /// `membrane catalog run CATALOG --library DIR`.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a catalog: mpirun -np N membrane catalog run CATALOG.yaml --library DIR (N >= 2).",
            discussion: """
            Rank 0 coordinates; the other ranks train in groups. Jobs already in the library with the same \
            content hash are skipped; unfinished ones resume from their checkpoints. Exit codes: 0 all done, \
            1 failure, 2 bad catalog/options (nothing written), 3 library in use by another run, \
            4 a training rank was lost (silent for --heartbeat-timeout s; checkpoints written), 5 some jobs cancelled, 143 stopped by SIGTERM/SIGINT/SIGUSR1 after checkpointing.
            """
        )

        @Argument(help: "Catalog file (YAML).")
        var catalog: String
        @Option(help: "Library folder (created if needed).")
        var library: String
        @Option(help: "Ranks per worker group (default: automatic, see the README).")
        var groupSize: Int?
        @Option(help: "Control socket: ipc (default, inside the library), tcp:PORT (127.0.0.1) or tcp:HOST:PORT.")
        var control: String?
        @Option(help: "Seconds of silence after which a rank is reported; a silent rank of a training group is lost: checkpoint, exit 4. Must exceed the time of one trajectory.")
        var heartbeatTimeout: Double = 600
        @Option(help: "Threads per worker rank (default: all cores). Ranks sharing a node: cores / worker ranks on it. Bit-identical results need the same value.")
        var threads: Int?
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            logging.bootstrap()
            var options = CatalogRun.Options(catalog: URL(fileURLWithPath: catalog), library: URL(fileURLWithPath: library))
            options.groupSize = groupSize
            options.control = control
            options.heartbeatTimeout = heartbeatTimeout
            options.threads = threads
            let code = CatalogRun.main(options)
            if code != 0 { throw ExitCode(code) }
        }
    }
}

/// `membrane status --library DIR`.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the jobs of the catalog run on a library (or its last status).")

    @Option(help: "Library folder.")
    var library: String
    @Option(help: "Control endpoint (default: the one the run recorded).")
    var control: String?
    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let lib = Library(directory: URL(fileURLWithPath: library))
        let endpoint = try ControlClient.endpoint(library: lib, option: control)
        if let live = try ControlClient.liveStatus(endpoint: endpoint) {
            print(json ? String(decoding: try jsonData(live), as: UTF8.self) : live.formatted(live: true))
        } else if let last = RunStatus.read(library: lib) {
            print(json ? String(decoding: try jsonData(last), as: UTF8.self) : last.formatted(live: false))
            if !json, let note = last.unansweredRunNote { print("NOTE: " + note) }
        } else {
            throw CLIError("no catalog run answers on \(endpoint) and \(lib.statusURL.path) does not exist")
        }
    }

    func jsonData(_ status: RunStatus) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(status)
    }
}

/// `membrane cancel --library DIR CONCEPT`.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop one job of the running catalog (after a checkpoint).")

    @Option(help: "Library folder.")
    var library: String
    @Option(help: "Control endpoint (default: the one the run recorded).")
    var control: String?
    @Argument(help: "Concept (library entry) to stop.")
    var concept: String

    func run() throws {
        let lib = Library(directory: URL(fileURLWithPath: library))
        let endpoint = try ControlClient.endpoint(library: lib, option: control)
        switch try ControlClient.send(.cancel(concept: concept), endpoint: endpoint) {
        case nil: throw CLIError("no catalog run answers on \(endpoint)")
        case .accepted(let done)?: print("ok: " + done.text)
        case .refused(.unknownJob(let jobs))?:
            throw CLIError("error: no job '\(concept)' in this run (jobs: \(jobs.joined(separator: ", ")))")
        case .refused(let reason)?: throw CLIError("error: " + reason.text)
        case .status?: throw CLIError("error: \(endpoint) answered a cancel with a status")
        }
    }
}
