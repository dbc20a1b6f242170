import Foundation
import Kernels
import TensorEngine

// Minimal attention timing (placeholder until the real benchmark suite replaces this file).

/// Best wall time in seconds of `runs` calls of `body`.
func best(_ runs: Int, _ body: () -> Void) -> Double {
    var t = Double.infinity
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        t = min(t, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return t
}

var rng = RandomSource(seed: 1)
let n = 2048
let a = Tensor.randn([n, n], using: &rng), b = Tensor.randn([n, n], using: &rng), c = Tensor(uninitialized: [n, n])
let gemmRate = 2 * Double(n * n * n) * 1e-9
    / best(5) { sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n) }
print(String(format: "sgemm %d^3, %d BLAS threads: %.1f GFLOP/s", n, BLAS.threads, gemmRate))

let heads = 8, dim = 40
for (tq, tk) in [(4096, 4096), (4096, 77)] {
    let q = Tensor.randn([1, tq, heads * dim], using: &rng)
    let k = Tensor.randn([1, tk, heads * dim], using: &rng), v = Tensor.randn([1, tk, heads * dim], using: &rng)
    let g = Tensor.randn([1, tq, heads * dim], using: &rng)
    let forward = best(5) { _ = Tensor.attention(query: q, key: k, value: v, heads: heads) }
    let training = best(3) {
        let qp = q.parameter(), kp = k.parameter(), vp = v.parameter()
        Tensor.attention(query: qp, key: kp, value: vp, heads: heads).backward(g)
    }
    let rate = 4 * Double(tq * tk * dim * heads) * 1e-9 / forward
    print(String(format: "attention %d heads, %d queries x %d keys x %d: forward %.1f ms (%.1f GFLOP/s, %.0f%% of sgemm), forward+backward %.1f ms",
                 heads, tq, tk, dim, forward * 1e3, rate, rate / gemmRate * 100, training * 1e3))
}
