// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Membrane",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "membrane", targets: ["MembraneCLI"]),
        // The readers of untrusted files, for the fuzz targets in fuzz/ (a package of its own).
        .library(name: "MembraneReaders",
                 targets: ["SafeTensors", "Tokenizer", "TorchCheckpoint", "StableDiffusion", "Membranes", "Coordinator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.12.0"),
    ],
    targets: [
        // C libraries from Debian, wrapped as system libraries.
        .systemLibrary(name: "CBLAS", path: "Sources/System/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/System/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CZMQ", path: "Sources/System/CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/System/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        // Small C shims for what Swift cannot import (macros, setjmp).
        .target(name: "CMPIShim", dependencies: ["CMPI"], path: "Sources/System/CMPIShim"),
        .target(name: "CPNGShim", dependencies: ["CPNG"], path: "Sources/System/CPNGShim"),

        // The few kernels written with AVX2/FMA intrinsics, chosen at run time by Kernels.
        // Optimized in debug builds too (as Kernels is): at -O0 the intrinsics stay calls.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Raw float kernels over pointers: BLAS calls, im2col, norms, softmax, attention.
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Tensors with reverse-mode autodiff, built on Kernels. No model code.
        .target(name: "TensorEngine", dependencies: ["Kernels"]),
        // Files that readers and crashes see whole or not at all (temporary file, fsync, rename).
        .target(name: "AtomicFiles"),
        // Thin Swift wrappers over the C libraries.
        .target(name: "Distributed", dependencies: ["CMPI", "CMPIShim"]),
        .target(name: "ControlSocket", dependencies: ["CZMQ"]),
        .target(name: "Images", dependencies: ["CPNGShim", "AtomicFiles"]),
        // Model files: safetensors reading/writing and the CLIP BPE tokenizer.
        .target(name: "SafeTensors", dependencies: ["AtomicFiles"]),
        .target(name: "Tokenizer"),
        // PyTorch `.ckpt` zip archives read by a restricted unpickler that rebuilds only tensors.
        .target(name: "TorchCheckpoint", dependencies: ["SafeTensors"]),
        // Stable Diffusion v1.x from diffusers folders: CLIP, UNet, VAE, schedulers, pipeline.
        .target(name: "StableDiffusion", dependencies: ["TensorEngine", "SafeTensors", "Tokenizer", "TorchCheckpoint", "AtomicFiles", "Yams"]),
        // Membranes: the adapter, its file format, Facilitated Transport and training.
        .target(name: "Membranes", dependencies: ["StableDiffusion", "TensorEngine", "SafeTensors", "Yams"]),
        // ShapesWorld vocabulary, a procedural drawer, an independent picture reader, and the
        // membrane evaluation run over the ShapesWorld prompts.
        .target(name: "Evaluation", dependencies: ["Images", "StableDiffusion", "Membranes", "TensorEngine", "CLIP"]),
        // CLIP (transformers CLIPModel folders): image and text towers, tokenizer, PIL-exact
        // image preprocessing; what evaluations score pictures with.
        .target(name: "CLIP", dependencies: ["StableDiffusion", "TensorEngine", "Tokenizer", "Images", "SafeTensors"]),
        // Catalog runs: library, checkpoints, MPI worker groups, control socket, signals.
        .target(name: "Coordinator", dependencies: ["AtomicFiles", "Reporting", "Evaluation", "Images", "LibraryReport", .product(name: "Logging", package: "swift-log"), "Membranes", "StableDiffusion", "Distributed", "ControlSocket", "SafeTensors", "TensorEngine", "Kernels"]),

        // LIBRARY/report/index.html (a static page per catalog run) and its history.json.
        .target(name: "LibraryReport", dependencies: ["AtomicFiles"]),

        // Log lines (text or JSON lines) and progress lines on standard error.
        .target(name: "Reporting", dependencies: [.product(name: "Logging", package: "swift-log")]),

        .executableTarget(name: "MembraneCLI", dependencies: [
            "TensorEngine", "Kernels", "Distributed", "ControlSocket", "Images", "StableDiffusion", "Membranes", "Tokenizer", "Evaluation", "Coordinator", "Reporting",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Benchmarks: run by `make bench`, never by `make test`.
        .executableTarget(name: "MembraneBench", dependencies: ["TensorEngine", "Kernels", "StableDiffusion", "SafeTensors", "Membranes", "Coordinator"]),

        // Shared fixtures for test targets (paths of ../shared, models loaded once).
        .target(name: "TestSupport", dependencies: ["StableDiffusion", "SafeTensors", "TensorEngine"]),

        .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine", "Kernels"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Membranes", "StableDiffusion", "TestSupport"]),
        .testTarget(name: "ControlSocketTests", dependencies: ["ControlSocket"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ImagesTests", dependencies: ["Images"]),
        .testTarget(name: "LibraryReportTests", dependencies: ["LibraryReport", "AtomicFiles", "Images", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Images", "Membranes", "StableDiffusion", "TensorEngine", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint", "SafeTensors"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "SafeTensors"]),
        .testTarget(name: "StableDiffusionTests", dependencies: ["StableDiffusion", "SafeTensors", "TestSupport"]),
        .testTarget(name: "CLIPTests", dependencies: ["CLIP", "StableDiffusion", "SafeTensors", "Images", "Tokenizer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MembranesTests", dependencies: ["Membranes", "StableDiffusion", "SafeTensors", "TestSupport"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "ControlSocket", "AtomicFiles", "Membranes", "StableDiffusion", "SafeTensors", "TestSupport"]),
    ]
)
