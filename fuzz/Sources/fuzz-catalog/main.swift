import Coordinator
import Foundation
import FuzzSupport
import Membranes

/// A folder holding what a catalog may name: a model folder `model/` and a training config
/// `base.yaml` (the shipped `configs/shapesworld/red.yaml`).
let catalogFolder: URL = FuzzFiles.setUp("prepare the catalog folder") {
    let folder = FuzzFiles.scratch
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("model"), withIntermediateDirectories: true)
    let config = FuzzFiles.repository.appendingPathComponent("configs/shapesworld/red.yaml")
    try FileManager.default.copyItem(at: config, to: folder.appendingPathComponent("base.yaml"))
    return folder
}

/// Reads the input as a catalog's YAML text, with every check `membrane catalog` runs before
/// training (names, keys, the concepts' configs). Errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzCatalog(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let source = catalogFolder.appendingPathComponent("catalog.yaml")
    guard let values = try? loadYAMLMapping(fuzzInput(start, count), source: source.path) else { return 0 }
    _ = try? Catalog(values: values, source: source)
    return 0
}

runFuzzer(fuzzCatalog)
