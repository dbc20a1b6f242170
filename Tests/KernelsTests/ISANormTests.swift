import Foundation
@testable import Kernels
import XCTest

/// The norm sums and the layer and group norms built on them, on each instruction set this
/// processor runs, against double-precision references. Sums: within 1e-6 of the sum of the
/// terms' magnitudes (blocks of 64 are added in float). Norms: mean within 1e-6 (|mean| + std),
/// rstd within 1e-5 relative, outputs within 2e-5 (1 + |y|).
final class ISANormTests: XCTestCase {
    let lengths = [0, 1, 15, 63, 64, 65, 130, 1000, 4097]

    func testSumsMatchDoubleReference() throws {
        try forEachISA { isa in
            for n in lengths {
                var values = TestValues(seed: UInt64(n + 1))
                let x = values.array(n, scale: 3).map { $0 + 5 }, dy = values.array(n, scale: 2), w = values.array(n, scale: 1)
                let center: Float = 4.5
                let xs = x.map(Double.init), ds = dy.map(Double.init), ws = w.map(Double.init)
                func close(_ got: Double, _ want: Double, _ magnitude: Double, _ what: String) {
                    XCTAssertEqual(got, want, accuracy: 1e-6 * magnitude + 1e-12, "\(isa) \(what) of \(n)")
                }
                close(sumBlocked(x, n), xs.reduce(0, +), xs.reduce(0) { $0 + abs($1) }, "sum")
                let d = xs.map { $0 - Double(center) }
                let (s1, s2) = centeredMoments(x, n, center: center)
                close(s1, d.reduce(0, +), d.reduce(0) { $0 + abs($1) }, "centered sum")
                close(s2, d.reduce(0) { $0 + $1 * $1 }, d.reduce(0) { $0 + $1 * $1 }, "centered squares")
                for weighted in [false, true] {
                    let g = weighted ? zip(ds, ws).map { $0 * $1 } : ds
                    let (t1, t2) = weighted ? centeredDot(dy, x, n, center: center, weight: w) : centeredDot(dy, x, n, center: center)
                    close(t1, g.reduce(0, +), g.reduce(0) { $0 + abs($1) }, "dot sum weighted \(weighted)")
                    let products = zip(g, d).map { $0 * $1 }
                    close(t2, products.reduce(0, +), products.reduce(0) { $0 + abs($1) }, "dot weighted \(weighted)")
                }
            }
        }
    }

    /// Mean, rstd and normalized values of `rows` spans of `span` floats, in double.
    func reference(_ x: [Float], rows: Int, span: Int, eps: Float) -> (mean: [Double], rstd: [Double]) {
        var mean: [Double] = [], rstd: [Double] = []
        for r in 0..<rows {
            let v = x[(r * span)..<((r + 1) * span)].map(Double.init)
            let m = v.reduce(0, +) / Double(span)
            let variance = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(span)
            mean.append(m)
            rstd.append(1 / (variance + Double(eps)).squareRoot())
        }
        return (mean, rstd)
    }

    func testLayerNormMatchesDoubleReference() throws {
        try forEachISA { isa in
            for dim in [1, 7, 64, 65, 200, 1000] {
                let rows = 4
                var values = TestValues(seed: UInt64(dim))
                let x = values.array(rows * dim, scale: 2).map { $0 + 3 }
                let weight = values.array(dim, scale: 1), bias = values.array(dim, scale: 1)
                var y = [Float](repeating: .nan, count: rows * dim)
                var mean = [Float](repeating: 0, count: rows), rstd = mean
                y.withUnsafeMutableBufferPointer { out in
                    layerNormForward(x, rows: rows, dim: dim, eps: 1e-5, weight: weight, bias: bias, out.baseAddress!,
                                     mean: &mean, rstd: &rstd)
                }
                let want = reference(x, rows: rows, span: dim, eps: 1e-5)
                var wantY = [Double](repeating: 0, count: rows * dim)
                for r in 0..<rows {
                    for i in 0..<dim {
                        wantY[r * dim + i] = (Double(x[r * dim + i]) - want.mean[r]) * want.rstd[r] * Double(weight[i]) + Double(bias[i])
                    }
                }
                assertClose(mean, want.mean, tolerance: { 1e-6 * (abs(want.mean[$0]) + 1 / want.rstd[$0]) }, "\(isa) layer mean \(dim)")
                assertClose(rstd, want.rstd, tolerance: { 1e-5 * want.rstd[$0] }, "\(isa) layer rstd \(dim)")
                assertClose(y, wantY, tolerance: { 2e-5 * (1 + abs(wantY[$0])) }, "\(isa) layer norm \(dim)")
            }
        }
    }

    func testGroupNormMatchesDoubleReference() throws {
        try forEachISA { isa in
            for spatial in [1, 37, 64, 100] {
                let batch = 2, channels = 8, groups = 4, span = channels / groups * spatial
                var values = TestValues(seed: UInt64(spatial))
                let x = values.array(batch * channels * spatial, scale: 2).map { $0 - 1 }
                var y = [Float](repeating: .nan, count: x.count)
                var mean = [Float](repeating: 0, count: batch * groups), rstd = mean
                y.withUnsafeMutableBufferPointer { out in
                    groupNormForward(x, batch: batch, channels: channels, spatial: spatial, groups: groups, eps: 1e-5,
                                     weight: nil, bias: nil, out.baseAddress!, mean: &mean, rstd: &rstd)
                }
                let want = reference(x, rows: batch * groups, span: span, eps: 1e-5)
                let wantY = x.indices.map { (Double(x[$0]) - want.mean[$0 / span]) * want.rstd[$0 / span] }
                assertClose(mean, want.mean, tolerance: { 1e-6 * (abs(want.mean[$0]) + 1 / want.rstd[$0]) }, "\(isa) group mean \(spatial)")
                assertClose(rstd, want.rstd, tolerance: { 1e-5 * want.rstd[$0] }, "\(isa) group rstd \(spatial)")
                assertClose(y, wantY, tolerance: { 2e-5 * (1 + abs(wantY[$0])) }, "\(isa) group norm \(spatial)")
            }
        }
    }
}
