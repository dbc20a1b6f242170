// swift-tools-version:6.0
// libFuzzer targets for Membrane's readers of untrusted bytes, one executable each. Not part of the
// normal build: `make fuzz-build` builds them with -sanitize=fuzzer,address (see fuzz/README.md).
import PackageDescription

let names = ["safetensors", "config", "catalog", "tokenizer", "tokenizer-files", "membrane", "ckpt"]

let package = Package(
    name: "MembraneFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Membrane", path: "..")],
    targets: [
        // What the targets share: the repository's paths and a private scratch folder.
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Sources/FuzzSupport"),
    ] + names.map { name in
        .executableTarget(name: "fuzz-\(name)",
                          dependencies: ["FuzzSupport", .product(name: "MembraneReaders", package: "Membrane")],
                          path: "Sources/fuzz-\(name)")
    }
)
