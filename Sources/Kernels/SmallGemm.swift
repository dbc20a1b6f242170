import CKernels
import Foundation

// The small-matrix kernel (`membrane_small_sgemm_avx2`, or `_avx512` on AVX-512) behind `sgemm`: no packing of A or B and
// no separate pass clearing C, which for the GEMMs of a small UNet (tens of rows and columns, k
// in the tens to hundreds) cost more than the products. When B is given transposed, each
// 16-column (32 on AVX-512) panel of it is copied into an L1-sized scratch before its products.
// Each element of C is one FMA chain over `k` in order, so results do not depend on `m`, on how a
// caller splits the rows or columns, or on the instruction set (AVX2 and AVX-512 give the same
// bits).

/// The small-matrix kernel over C cut into `parts` blocks (``splitGemm(m:n:parts:_:)``).
func smallGemm(transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parts: Int) {
    let (ars, acs) = transA == .none ? (lda, 1) : (1, lda)
    let (brs, bcs) = transB == .none ? (ldb, 1) : (1, ldb)
    let kernel = KernelISA.active == .avx512 ? membrane_small_sgemm_avx512 : membrane_small_sgemm_avx2
    splitGemm(m: m, n: n, parts: parts) { rows, cols in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: bcs == 1 ? 1 : k * 32) { panel in
            kernel(rows.count, cols.count, k, alpha, a + rows.lowerBound * ars, ars, acs,
                   b + cols.lowerBound * bcs, brs, bcs, beta, c + rows.lowerBound * ldc + cols.lowerBound,
                   ldc, panel.baseAddress!)
        }
    }
}

/// Whether the small-matrix kernel runs: on AVX2 or AVX-512 (see ``KernelISA/active``).
public var smallGemmAvailable: Bool { KernelISA.active >= .avx2 }

/// Whether ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:kernel:)`` gives a GEMM to the
/// unpacked kernel: on AVX2 or AVX-512, when `k` is at most ``smallGemmMaxK`` and `n` at most
/// ``smallGemmMaxN`` (measured against OpenBLAS in `MembraneBench --only gemm`: beyond those,
/// OpenBLAS's cache blocking wins; the bounds were measured with the AVX2 kernel). The rule does not look at `m`, so a batch split over cores,
/// which changes only `m`, never changes the kernel or the rounding.
public func usesSmallGemm(n: Int, k: Int) -> Bool {
    smallGemmAvailable && k <= smallGemmMaxK && n <= smallGemmMaxN && smallGemmSwitchedOn
}

/// Whether `sgemm` may pick the small-matrix kernel: yes unless `MEMBRANE_SMALL_GEMM=0` is in the
/// environment (to time OpenBLAS alone; benchmarks force a kernel per call instead).
let smallGemmSwitchedOn = ProcessInfo.processInfo.environment["MEMBRANE_SMALL_GEMM"] != "0"

/// Largest `k` given to the small-matrix kernel.
public let smallGemmMaxK = 1152
/// Largest `n` given to the small-matrix kernel.
public let smallGemmMaxN = 128
