import Kernels
import TensorEngine

/// Kernel benchmarks of the foundation issue: sgemm, conv2d (forward and input gradient) and
/// attention, each reported as a fraction of the sgemm rate measured in the same run.
func kernelBenchmarks(runs: Int) -> Double {
    var rng = RandomSource(seed: 0)
    var rows: [Row] = []

    let n = 2048
    let a = Tensor.randn([n, n], using: &rng), b = Tensor.randn([n, n], using: &rng)
    let c = Tensor(uninitialized: [n, n])
    let tg = medianSeconds(runs: runs) {
        sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
    }
    let gemmFlops = 2 * pow3(Double(n))
    let gemmRate = gemmFlops / tg / 1e9
    rows.append(Row(name: "sgemm 2048^3", seconds: tg, flops: gemmFlops, note: "target >= 160 GFLOP/s"))

    let x = Tensor.randn([1, 320, 64, 64], using: &rng)
    let w = Tensor.randn([320, 320, 3, 3], using: &rng) * 0.02
    let bias = Tensor.randn([320], using: &rng)
    let convFlops = 2.0 * 320 * 320 * 9 * 64 * 64
    let tc = medianSeconds(runs: runs) { _ = x.conv2d(weight: w, bias: bias, stride: 1, padding: 1) }
    rows.append(Row(name: "conv2d 320->320 3x3 64x64", seconds: tc, flops: convFlops, note: "target >= 0.70"))
    let xp = x.parameter()
    let seed = Tensor.randn([1, 320, 64, 64], using: &rng)
    let tcb = medianSeconds(runs: runs) {
        let y = xp.conv2d(weight: w, bias: bias, stride: 1, padding: 1)
        xp.zeroGrad()
        y.backward(seed)
    }
    rows.append(Row(name: "conv2d same, forward + input gradient", seconds: tcb, flops: 2 * convFlops))

    let heads = 8, d = 40, t = 4096
    let q = Tensor.randn([1, t, heads * d], using: &rng)
    let k = Tensor.randn([1, t, heads * d], using: &rng)
    let v = Tensor.randn([1, t, heads * d], using: &rng)
    let ta = medianSeconds(runs: runs) { _ = Tensor.attention(query: q, key: k, value: v, heads: heads) }
    rows.append(Row(name: "self-attention 8 x 4096 x 40", seconds: ta,
                    flops: 4 * Double(t) * Double(t) * Double(d * heads), note: "target >= 0.50"))
    let kc = Tensor.randn([1, 77, heads * d], using: &rng), vc = Tensor.randn([1, 77, heads * d], using: &rng)
    let tx = medianSeconds(runs: runs) { _ = Tensor.attention(query: q, key: kc, value: vc, heads: heads) }
    rows.append(Row(name: "cross-attention 8 x 4096 x 77 x 40", seconds: tx,
                    flops: 4 * Double(t) * 77 * Double(d * heads)))
    let qp = q.parameter()
    let go = Tensor.randn([1, t, heads * d], using: &rng)
    let tab = medianSeconds(runs: max(1, runs / 2)) {
        let o = Tensor.attention(query: qp, key: k, value: v, heads: heads)
        qp.zeroGrad()
        o.backward(go)
    }
    rows.append(Row(name: "self-attention forward + query gradient", seconds: tab,
                    flops: 4 * Double(t) * Double(t) * Double(d * heads) * 2.5))
    // As in a UNet's backward: the query, key and value gradients (five products of the scores' size).
    let kp = k.parameter(), vp = v.parameter()
    let tall = medianSeconds(runs: max(1, runs / 2)) {
        let o = Tensor.attention(query: qp, key: kp, value: vp, heads: heads)
        for x in [qp, kp, vp] { x.zeroGrad() }
        o.backward(go)
    }
    rows.append(Row(name: "self-attention forward + all gradients", seconds: tall,
                    flops: 4 * Double(t) * Double(t) * Double(d * heads) * 3.5))

    rows += smallHeadAttentionRows(runs: runs, using: &rng)

    printTable("Kernels (BLAS threads: \(BLAS.threads), cores: \(coreCount), medians of \(runs))", rows, reference: gemmRate)
    return gemmRate
}

func pow3(_ x: Double) -> Double { x * x * x }

/// Attention at the small head widths of ShapesWorld-sized UNets (batch 1, 4 heads): self- and
/// cross-attention at a 16x16 latent (head width 8) and self-attention at 8x8 (head width 16).
func smallHeadAttentionRows(runs: Int, using rng: inout RandomSource) -> [Row] {
    var rows: [Row] = []
    let heads = 4
    for (t, keys, d) in [(256, 256, 8), (256, 77, 8), (64, 64, 16)] {
        let q = Tensor.randn([1, t, heads * d], using: &rng)
        let k = Tensor.randn([1, keys, heads * d], using: &rng)
        let v = Tensor.randn([1, keys, heads * d], using: &rng)
        let seconds = medianSeconds(runs: runs * 20) { _ = Tensor.attention(query: q, key: k, value: v, heads: heads) }
        rows.append(Row(name: "attention \(heads) x \(t) x \(keys) x \(d)", seconds: seconds,
                        flops: 4 * Double(t * keys * d * heads), note: "ShapesWorld-sized heads"))
        let qp = q.parameter(), kp = k.parameter(), vp = v.parameter()
        let g = Tensor.randn([1, t, heads * d], using: &rng)
        let both = medianSeconds(runs: runs * 10) {
            let o = Tensor.attention(query: qp, key: kp, value: vp, heads: heads)
            o.backward(g)
        }
        rows.append(Row(name: "  same, forward + all gradients", seconds: both, flops: 14 * Double(t * keys * d * heads)))
    }
    return rows
}
