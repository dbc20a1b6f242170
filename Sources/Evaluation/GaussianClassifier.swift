import Foundation
import TensorEngine

/// A Gaussian discriminant classifier on standardised features: quadratic (one covariance per
/// class, QDA) or linear (one pooled covariance, LDA), with a ridge on the diagonal. Equal class
/// priors. Training is one pass over the data plus a Cholesky factorisation per covariance.
struct GaussianClassifier: Sendable {
    let dimension: Int
    let classCount: Int
    let featureMean: [Double]
    let featureScale: [Double]
    /// Class means in standardised units, `classCount` x `dimension`.
    let classMeans: [[Double]]
    /// Cholesky factors of the covariances, one per class, or one shared by all classes.
    let factors: [CholeskyFactor]
    let logDeterminants: [Double]

    /// Fits the classifier. `labels` are in 0..<classCount and every class must occur.
    init(features: [[Double]], labels: [Int], classCount: Int, pooled: Bool, ridge: Double) {
        let dimension = features.first?.count ?? 0
        self.dimension = dimension
        self.classCount = classCount
        var mean = [Double](repeating: 0, count: dimension)
        var scale = [Double](repeating: 0, count: dimension)
        let n = Double(max(features.count, 1))
        for sample in features {
            for j in 0..<dimension { mean[j] += sample[j] / n }
        }
        for sample in features {
            for j in 0..<dimension { scale[j] += (sample[j] - mean[j]) * (sample[j] - mean[j]) / n }
        }
        scale = scale.map { max($0.squareRoot(), 1e-6) }
        featureMean = mean
        featureScale = scale
        let standardised = features.map { sample in
            (0..<dimension).map { (sample[$0] - mean[$0]) / scale[$0] }
        }

        var means = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: classCount)
        var counts = [Double](repeating: 0, count: classCount)
        for (sample, label) in zip(standardised, labels) {
            counts[label] += 1
            for j in 0..<dimension { means[label][j] += sample[j] }
        }
        for c in 0..<classCount {
            for j in 0..<dimension { means[c][j] /= max(counts[c], 1) }
        }
        classMeans = means

        let groups = pooled ? 1 : classCount
        var covariances = [[Double]](repeating: [Double](repeating: 0, count: dimension * dimension), count: groups)
        var groupCounts = [Double](repeating: 0, count: groups)
        for (sample, label) in zip(standardised, labels) {
            let group = pooled ? 0 : label
            groupCounts[group] += 1
            for i in 0..<dimension {
                let di = sample[i] - means[label][i]
                for j in 0...i {
                    covariances[group][i * dimension + j] += di * (sample[j] - means[label][j])
                }
            }
        }
        var factors: [CholeskyFactor] = []
        var logDeterminants: [Double] = []
        for group in 0..<groups {
            var covariance = covariances[group]
            for i in 0..<dimension {
                for j in 0...i {
                    covariance[i * dimension + j] /= max(groupCounts[group] - 1, 1)
                    covariance[j * dimension + i] = covariance[i * dimension + j]
                }
                covariance[i * dimension + i] += ridge
            }
            let factor = CholeskyFactor(covariance, dimension: dimension)
            factors.append(factor)
            logDeterminants.append(factor.logDeterminant)
        }
        self.factors = factors
        self.logDeterminants = logDeterminants
    }

    /// Posterior probabilities of the classes for one feature vector.
    func probabilities(_ features: [Double]) -> [Double] {
        var x = [Double](repeating: 0, count: dimension)
        for j in 0..<dimension { x[j] = (features[j] - featureMean[j]) / featureScale[j] }
        var scores = [Double](repeating: 0, count: classCount)
        for c in 0..<classCount {
            let group = factors.count == 1 ? 0 : c
            var difference = [Double](repeating: 0, count: dimension)
            for j in 0..<dimension { difference[j] = x[j] - classMeans[c][j] }
            let distance = factors[group].solveLower(difference).reduce(0) { $0 + $1 * $1 }
            scores[c] = -0.5 * distance - 0.5 * logDeterminants[group]
        }
        let top = scores.max() ?? 0
        let exponentials = scores.map { exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }
}
