import ArgumentParser

/// The `membrane` root command. Later subcommands (generate, train, catalog, status) are added
/// to `subcommands` here.
struct MembraneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "membrane",
        abstract: "Membrane: a distributed trainer for Concept Semi-Permeable Membranes (SD v1.x).",
        subcommands: [Doctor.self, Generate.self, Train.self, Evaluate.self, CatalogCommand.self, Status.self, Cancel.self,
                      Tokenize.self, Inspect.self, Convert.self, Merge.self, SelfTest.self]
    )
}
