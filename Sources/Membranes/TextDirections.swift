import Foundation
import TensorEngine

/// The few directions of a text encoder's state space that tell a target's prompts from the
/// prompts a membrane must leave alone, and the restriction of a membrane's text-reading layers
/// to them.
///
/// A membrane term on a layer that reads the text (a cross-attention key or value projection)
/// changes that layer's output for a token state `e` by `up (down · e)`. Unrestricted, `down`
/// also reads what every prompt shares (the start token's state, padding, words like "a"), so
/// the membrane moves every prompt a little. Restricted to these directions, it reads a state
/// only as far as it looks like the target's and unlike the protected prompts'.
///
/// The directions maximise `d'S_t d / d'(S_p + r I) d` (generalised eigenvectors), with `S_t`
/// and `S_p` the second moments of the token states (every position, padding included) of the
/// target's prompts and of the protected prompts, and `r` a ridge of ``ridgeShare`` of `S_p`'s
/// mean eigenvalue that keeps directions the protected prompts happen not to cover from
/// counting as separating.
public struct TextDirections: Sendable, Equatable, Codable {
    /// Width of a text-encoder state.
    public let width: Int
    /// Orthonormal rows spanning the directions.
    public let basis: [[Double]]
    /// For each direction found, the ratio of the target's second moment along it to the
    /// protected prompts' (with the ridge): how well it separates.
    public let separations: [Double]

    /// Share of the protected states' mean eigenvalue added as ridge.
    public static let ridgeShare = 0.03
    /// Vocabulary words each prompt is also seen next to (before and after it).
    public static let contextWordCount = 4

    /// The `count` best-separating directions between the token states of `target` and of the
    /// protected prompt groups `protected` (each [prompts, tokens, width]; a group is one
    /// protected text in its contexts).
    ///
    /// Groups count alike at first; then, for ``reweightingRounds`` rounds, each group's weight
    /// grows with how much the current directions read it, so the directions end up keeping
    /// every group low (nearly the best worst case), not the average of many unrelated ones.
    public init(target: Tensor, protected: [Tensor], count: Int) {
        let w = target.shape[target.rank - 1]
        width = w
        let groups = protected.map(TextDirections.secondMoment)
        let st = TextDirections.secondMoment(target)
        var weights = [Double](repeating: 1, count: groups.count)
        var found: (basis: [[Double]], values: [Double]) = ([], [])
        for round in 0...TextDirections.reweightingRounds {
            found = TextDirections.separating(st, groups: groups, weights: weights, count: count, width: w)
            guard round < TextDirections.reweightingRounds else { break }
            let reads = groups.map { g in found.basis.reduce(0) { $0 + TextDirections.quadratic(g, $1, width: w) }.squareRoot() }
            let most = reads.max() ?? 0
            guard most > 0 else { break }
            for i in weights.indices { weights[i] *= exp(TextDirections.reweightingStep * reads[i] / most) }
        }
        basis = found.basis
        separations = found.values
    }

    /// Rounds of reweighting the protected groups.
    public static let reweightingRounds = 10
    /// Exponent of a round's weight factor for the group read most.
    static let reweightingStep = 2.0

    /// The top generalised eigenvectors of (S_t, weighted mean of `groups` + ridge), orthonormalised,
    /// with their eigenvalues.
    static func separating(_ st: [Double], groups: [[Double]], weights: [Double], count: Int, width w: Int) -> (basis: [[Double]], values: [Double]) {
        let total = weights.reduce(0, +)
        var sp = [Double](repeating: 0, count: w * w)
        for (g, weight) in zip(groups, weights) {
            for i in sp.indices { sp[i] += g[i] * weight / total }
        }
        let ridge = ridgeShare * (0..<w).reduce(0) { $0 + sp[$1 * w + $1] } / Double(w)
        for i in 0..<w { sp[i * w + i] += ridge }
        let l = CholeskyFactor(sp, dimension: w)
        // Top eigenvectors of L^-1 S_t L^-T by orthogonal iteration, then mapped back by L^-T.
        var rng = RandomSource(seed: 0x5445_5854)
        var v = (0..<count).map { _ in (0..<w).map { _ in Double(rng.uniform()) - 0.5 } }
        var values = [Double](repeating: 0, count: count)
        for _ in 0..<500 {
            v = v.map { l.solveLower(multiply(st, l.solveUpper($0), width: w)) }
            let previous = values
            values = v.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            v = orthonormalised(v)
            if zip(values, previous).allSatisfy({ abs($0 - $1) <= 1e-12 * $0 }) { break }
        }
        return (orthonormalised(v.map { l.solveUpper($0) }), values)
    }

    /// `v' A v`.
    static func quadratic(_ a: [Double], _ v: [Double], width w: Int) -> Double {
        zip(v, multiply(a, v, width: w)).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Keeps only the part of each of the `rows` rows of `width` scalars at `weights` (a
    /// text-reading layer's `down`) that lies along the directions, in place.
    public func restrict(_ weights: UnsafeMutablePointer<Float>, rows: Int) {
        for row in 0..<rows {
            let w = weights + row * width
            var kept = [Double](repeating: 0, count: width)
            for (b, dot) in zip(basis, coordinates(of: w)) {
                for i in 0..<width { kept[i] += dot * b[i] }
            }
            for i in 0..<width { w[i] = Float(kept[i]) }
        }
    }

    /// The dot products of the `width` scalars at `v` with each direction.
    func coordinates(of v: UnsafePointer<Float>) -> [Double] {
        basis.map { b in
            var dot = 0.0
            for i in 0..<width { dot += b[i] * Double(v[i]) }
            return dot
        }
    }

    /// How much of `states` ([prompts, tokens, width]) the directions read: for each prompt,
    /// the root of the summed squared projections of its token states.
    public func reads(_ states: Tensor) -> [Double] {
        let p = states.pointer, tokens = states.count / max(states.shape[0], 1)
        return (0..<states.shape[0]).map { prompt in
            var sum = 0.0
            for start in stride(from: prompt * tokens, to: (prompt + 1) * tokens, by: width) {
                sum += coordinates(of: p + start).reduce(0) { $0 + $1 * $1 }
            }
            return sum.squareRoot()
        }
    }

    /// `X'X / n` of the token states X ([..., width]), row-major [width * width].
    static func secondMoment(_ states: Tensor) -> [Double] {
        let w = states.shape[states.rank - 1], n = states.count / w
        let x = states.reshaped([n, w])
        let m = withoutGradient { x.transposed().matmul(x) }
        return (0..<(w * w)).map { Double(m.pointer[$0]) / Double(max(n, 1)) }
    }

    static func multiply(_ a: [Double], _ v: [Double], width w: Int) -> [Double] {
        (0..<w).map { i in (0..<w).reduce(0) { $0 + a[i * w + $1] * v[$1] } }
    }

    /// Gram-Schmidt (twice) of `rows`, in order.
    static func orthonormalised(_ rows: [[Double]]) -> [[Double]] {
        var out: [[Double]] = []
        for r in rows {
            var v = r
            for _ in 0..<2 {
                for b in out {
                    let dot = zip(b, v).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in v.indices { v[i] -= dot * b[i] }
                }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            out.append(norm > 0 ? v.map { $0 / norm } : v)
        }
        return out
    }
}
