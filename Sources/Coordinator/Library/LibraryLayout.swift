/// The names a library folder uses for its own files: the one definition of its layout.
///
/// ```
/// LIBRARY/
///   index.json                      finished membranes (LibraryIndex)
///   status.json                     the current or last run (RunStatus)
///   .membrane.lock                  the run lock, naming its owner (RunOwner)
///   .control/control.sock           the control socket of a running run (folder 0700, socket 0600)
///   CONCEPT/CONCEPT.safetensors     a finished membrane
///   CONCEPT/checkpoint.safetensors  an unfinished job's checkpoint
///   CONCEPT/evaluation/             the published membrane's evaluation (report.json, pictures)
///   CONCEPT/candidate/              a membrane that missed its gate, with its evaluation/
///   report/index.html               the library report (report/history.json: past runs)
///   .NAME.tmp-PID-RANDOM            (anywhere) a file being written by process PID
/// ```
///
/// Concept names may not collide with any of these (see ``LibraryName``).
public enum LibraryLayout {
    public static let index = "index.json"
    public static let status = "status.json"
    public static let lock = ".membrane.lock"
    /// The folder of the default control socket (mode 0700).
    public static let controlFolder = ".control"
    /// The default control socket inside ``controlFolder`` (mode 0600).
    public static let controlSocket = "control.sock"
    /// The extension of a membrane file, after the concept name.
    public static let membraneExtension = ".safetensors"
    public static let checkpoint = "checkpoint.safetensors"
    /// A concept's folder of the membrane evaluated but not (yet) published.
    public static let candidate = "candidate"
    /// The folder of an evaluation's report.json, before/after grid and pictures.
    public static let evaluation = "evaluation"
    /// The library report's folder (index.html, history.json).
    public static let report = "report"

    /// Every name the library uses at its top level (next to the concept folders).
    public static let topLevelNames = [index, status, lock, controlFolder, report]
    /// Every name the library uses inside a concept folder besides the membrane.
    public static let conceptFolderNames = [checkpoint, candidate, evaluation]

    /// The names a concept occupies: its folder at the top level, its membrane file inside.
    public static func names(of concept: String) -> (folder: String, membrane: String) {
        (concept, concept + membraneExtension)
    }
}
