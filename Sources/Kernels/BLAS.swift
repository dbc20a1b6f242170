import CBLAS
import CKernels

/// Matrix layout flag for ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:kernel:)``.
public enum Transpose: Sendable {
    case none, transposed
    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`, on the kernel `kernel`
/// picks (benchmarks and tests force one).
///
/// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`; leading dimensions are row strides.
///
/// OpenBLAS runs single-threaded (set once per process): its own threads spin and yield between
/// calls, which costs more than the small GEMMs of a small UNet take. Instead a GEMM of at least
/// ``gemmSplitWork`` multiply-adds is split here into one block of rows (or columns, whichever
/// is longer) per core; one started inside another parallel region runs on its thread. Every
/// element of C is computed by the same single-threaded kernel either way.
public func sgemm(transA: Transpose = .none, transB: Transpose = .none,
                  m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0,
                  c: UnsafeMutablePointer<Float>, ldc: Int,
                  kernel: GemmKernel = .automatic) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        // BLAS leaves C scaled by beta when k == 0; make that explicit (beta 0 must clear NaNs).
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
        return
    }
    _ = blasSingleThreaded
    let parts = m * n * k < gemmSplitWork || insideParallelRegion ? 1 : coreCount
    precondition(kernel != .small || smallGemmAvailable, "the small-matrix GEMM needs KernelISA.active avx2 or avx512")
    if kernel == .small || (kernel == .automatic && usesSmallGemm(n: n, k: k)) {
        return smallGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, parts: parts)
    }
    splitGemm(m: m, n: n, parts: parts) { rows, cols in
        let aBlock = transA == .none ? a + rows.lowerBound * lda : a + rows.lowerBound
        let bBlock = transB == .none ? b + cols.lowerBound : b + cols.lowerBound * ldb
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(rows.count), Int32(cols.count), Int32(k), alpha,
                    aBlock, Int32(lda), bBlock, Int32(ldb), beta, c + rows.lowerBound * ldc + cols.lowerBound, Int32(ldc))
    }
}

/// Runs `block(rows, cols)` over C (`m x n`) cut into `parts` blocks of whole 16-row or
/// 16-column tiles along its longer side, one per core (the whole of C when `parts` is 1).
func splitGemm(m: Int, n: Int, parts: Int, _ block: (Range<Int>, Range<Int>) -> Void) {
    if parts == 1 { return block(0..<m, 0..<n) }
    let splitRows = m >= n
    let extent = splitRows ? m : n
    let tiles = (extent + 15) / 16
    parallelFor(parts, grain: 1) { range in
        for p in range {
            let lo = min(extent, tiles * p / parts * 16), hi = min(extent, tiles * (p + 1) / parts * 16)
            if hi <= lo { continue }
            if splitRows { block(lo..<hi, 0..<n) } else { block(0..<m, lo..<hi) }
        }
    }
}

/// Which kernel ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:kernel:)`` runs.
public enum GemmKernel: Sendable {
    /// The small-matrix kernel where ``usesSmallGemm(n:k:)`` says so, OpenBLAS otherwise.
    case automatic
    /// The unpacked small-matrix kernel (AVX2 or AVX-512 only; see ``smallGemmAvailable``).
    case small
    /// OpenBLAS's `cblas_sgemm`.
    case openBLAS
}

/// Multiply-adds (`m * n * k`) from which ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:kernel:)``
/// splits a GEMM over cores (about 30 microseconds of one core).
public let gemmSplitWork = 1 << 20

/// Puts OpenBLAS on one thread, once per process (Kernels split GEMMs over cores themselves).
let blasSingleThreaded: Void = { openblas_set_num_threads(1) }()

/// BLAS library facts for `membrane doctor` and benchmarks.
public enum BLAS {
    /// Threads OpenBLAS uses for one GEMM call (1: ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:kernel:)``
    /// splits large GEMMs over the cores itself).
    public static var threads: Int { _ = blasSingleThreaded; return Int(openblas_get_num_threads()) }
    /// Sets the OpenBLAS thread count per call (1 by default; more only adds to the split here).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    /// The OpenBLAS build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public static var configuration: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }
    /// Whether this OpenBLAS carries kernels for many processors (DYNAMIC_ARCH), among which
    /// `OPENBLAS_CORETYPE` chooses.
    public static var isDynamicArch: Bool { configuration.contains("DYNAMIC_ARCH") }
    /// The kernels OpenBLAS runs, as `openblas_get_corename()` names them (e.g. "Haswell").
    public static var coreName: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }
}
