import Foundation
import Kernels
import TensorEngine

/// The GEMM shapes a ShapesWorld training iteration calls most (by multiply-adds; Winograd
/// products, linear layers, attention and their gradients), on one core: OpenBLAS against the
/// unpacked small-matrix kernel, measured in the same run, and which one `sgemm` picks (run with
/// `MEMBRANE_THREADS=1`: larger GEMMs are split over the cores either way).
func smallGemmRows(runs: Int) -> [Row] {
    guard smallGemmAvailable else { return [] }
    typealias Shape = (ta: Transpose, tb: Transpose, m: Int, n: Int, k: Int, beta: Float)
    let shapes: [Shape] = [
        (.none, .none, 64, 16, 64, 0), (.none, .none, 32, 64, 32, 0), (.none, .transposed, 64, 512, 64, 1),
        (.none, .transposed, 256, 256, 32, 1), (.none, .none, 64, 16, 576, 1), (.none, .none, 64, 64, 64, 0),
        (.none, .transposed, 256, 32, 32, 0), (.none, .transposed, 77, 64, 64, 0), (.transposed, .none, 256, 8, 256, 1),
        (.none, .none, 64, 16, 1152, 1), (.none, .transposed, 768, 256, 32, 1), (.transposed, .none, 576, 16, 64, 0),
        (.none, .none, 768, 32, 256, 0), (.none, .transposed, 256, 256, 8, 0), (.none, .none, 256, 8, 256, 0),
        (.none, .transposed, 256, 32, 128, 1), (.none, .transposed, 64, 128, 64, 0), (.none, .transposed, 256, 77, 8, 0),
    ]
    var rng = RandomSource(seed: 5)
    var rows: [Row] = []
    for s in shapes {
        let a = Tensor.randn([s.m * s.k], using: &rng), b = Tensor.randn([s.k * s.n], using: &rng)
        let c = Tensor(uninitialized: [s.m * s.n])
        let lda = s.ta == .none ? s.k : s.m, ldb = s.tb == .none ? s.n : s.k
        let repeats = max(1, (1 << 22) / (s.m * s.n * s.k))
        func time(_ f: () -> Void) -> Double {
            medianSeconds(runs: runs * 4) { for _ in 0..<repeats { f() } } / Double(repeats)
        }
        let blas = time {
            sgemm(transA: s.ta, transB: s.tb, m: s.m, n: s.n, k: s.k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                  beta: s.beta, c: c.pointer, ldc: s.n, kernel: .openBLAS)
        }
        let small = time {
            sgemm(transA: s.ta, transB: s.tb, m: s.m, n: s.n, k: s.k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                  beta: s.beta, c: c.pointer, ldc: s.n, kernel: .small)
        }
        let flops = 2 * Double(s.m * s.n * s.k)
        let name = "\(s.ta == .none ? "N" : "T")\(s.tb == .none ? "N" : "T") \(s.m)x\(s.n)x\(s.k)\(s.beta == 0 ? "" : " +C")"
        let picked = usesSmallGemm(n: s.n, k: s.k) ? "small" : "OpenBLAS"
        rows.append(Row(name: "  \(name) OpenBLAS", seconds: blas, flops: flops))
        rows.append(Row(name: "  \(name) small kernel", seconds: small, flops: flops,
                        note: String(format: "%.2fx OpenBLAS's time; sgemm picks %@", small / blas, picked)))
    }
    return rows
}
