import Foundation

// `make bench`: long-running benchmarks, never part of `make test`.
// Usage: MembraneBench [--runs N] [--only kernels|...]
let args = CommandLine.arguments
let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 5
let only = args.firstIndex(of: "--only").map { args[$0 + 1] }

print("# Membrane benchmarks")
if only == nil || only == "kernels" {
    _ = kernelBenchmarks(runs: runs)
}
