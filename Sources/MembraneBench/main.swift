import Foundation
import Kernels
import TensorEngine

// `make bench`: long-running benchmarks, never part of `make test`.
// Usage: MembraneBench [--runs N] [--only GROUP] [--model DIR] [--rows TEXT]
//   GROUP: kernels, attention, gemm, unet (shapesworld-a and SD v1.5 UNet rows), unet-small
//   (shapesworld-a only), training (red.yaml), scaling, sd15 (the three SD v1.5 rows), or one
//   SD v1.5 row alone in this process (its own peak RSS): sd15-forward, sd15-forward-backward,
//   sd15-spm. MEMBRANE_BENCH_SD15_TINY=1 shrinks the SD v1.5 rows to a smoke-test size.
BLASCoreSelection.ensureBestCore()
do { _ = try KernelISA.validateEnvironment() } catch {
    FileHandle.standardError.write(Data("MembraneBench: \(error)\n".utf8))
    exit(2)
}
let args = CommandLine.arguments
let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 5
let only = args.firstIndex(of: "--only").map { args[$0 + 1] }
let groups = ["kernels", "attention", "gemm", "unet", "unet-small", "training", "scaling", "sd15"] + SD15Row.allCases.map(\.rawValue)
if let only, !groups.contains(only) {
    FileHandle.standardError.write(Data("MembraneBench: unknown --only '\(only)'; one of: \(groups.joined(separator: ", "))\n".utf8))
    exit(2)
}
/// `--rows TEXT`: only the UNet rows whose name contains TEXT (e.g. "batch 2").
let rowFilter = args.firstIndex(of: "--rows").map { args[$0 + 1] }

print("# Membrane benchmarks")
print("OpenBLAS kernels: \(BLAS.coreName) (\(BLASCoreSource(environment: ProcessInfo.processInfo.environment).explanation)); "
      + "CPU: \(CPUFeatures.current); Membrane's kernels: \(KernelISA.active)")
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let model = args.firstIndex(of: "--model").map { URL(fileURLWithPath: args[$0 + 1]) } ?? root.appendingPathComponent("models/shapesworld-a")
if only == nil || only == "kernels" {
    _ = kernelBenchmarks(runs: runs)
}
if only == "attention" {
    var rng = RandomSource(seed: 0)
    printTable("Small-head attention (cores: \(coreCount), medians of \(runs * 20) forward, \(runs * 10) with gradients)",
               smallHeadAttentionRows(runs: runs, using: &rng), reference: nil)
}
if only == nil || only == "gemm" {
    printTable("Small GEMMs, one core (medians of \(runs * 4))", smallGemmRows(runs: runs), reference: nil)
}
if only == nil || only == "unet" || only == "unet-small" {
    do { try unetBenchmarks(runs: runs, modelDirectory: model, includeSD15: only != "unet-small") } catch { print("unet benchmark failed: \(error)") }
}
if only == nil || only == "training" {
    do { try trainingBenchmarks(runs: runs, modelDirectory: model) } catch { print("training benchmark failed: \(error)") }
}
let sd15Rows = only == "sd15" ? SD15Row.allCases : only.flatMap(SD15Row.init(rawValue:)).map { [$0] } ?? (only == nil ? [.spm] : [])
if !sd15Rows.isEmpty {
    do {
        printTable("SD v1.5 scale, random weights (medians of \(max(1, runs / 2)))", try sd15Rows.map { try $0.run(runs: runs) }, reference: nil)
    } catch { print("SD v1.5 benchmark failed: \(error)") }
}
if only == nil || only == "scaling" {
    do { try scalingBenchmarks(modelDirectory: model) } catch { print("scaling benchmark failed: \(error)") }
}
