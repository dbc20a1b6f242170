import Foundation
import FuzzSupport
import Membranes
import SafeTensors
import StableDiffusion

/// The adapter sites of the embedded model's UNet, loaded once per process.
let sites: [AdapterSite] = FuzzFiles.setUp("load the UNet of \(FuzzFiles.model.path)") {
    let unetFolder = FuzzFiles.model.appendingPathComponent("unet")
    let config = try UNetConfig.load(unetFolder.appendingPathComponent("config.json"))
    let weights = try CheckpointSource(directory: unetFolder, weightsName: "diffusion_pytorch_model")
    return try UNet(config: config, weights: Weights(weights)).adapterSites
}

/// Reads the input as a membrane file for the embedded model, with every check
/// `membrane generate --membrane` runs. Errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMembrane(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let file = try? SafeTensorsFile(contents: fuzzInput(start, count), path: "fuzz.safetensors") else { return 0 }
    _ = try? Membrane.read(from: file, sites: sites)
    return 0
}

runFuzzer(fuzzMembrane)
