import Foundation
import NervaNN
import NervaTensor

/// How a set of generated images looks to a trained classifier: FID against a reference set,
/// an Inception-Score-style score and mode coverage.
public struct GANEvaluationResult: Sendable {
    /// The Fréchet distance between the classifier features of the samples and of the reference.
    public var frechetDistance: Double
    /// `exp(E_x KL(p(y|x) ‖ p(y)))` on the classifier's class probabilities (1 … classCount;
    /// higher when samples are confidently classified and spread over the classes).
    public var inceptionScore: Double
    /// How many samples the classifier puts in each class.
    public var classHistogram: [Int]
    /// Classes that receive at least a tenth of their uniform share of the samples.
    public var coveredClasses: Int
    /// `KL(p̂ ‖ uniform) = Σ p̂ₖ log(K p̂ₖ)` of the class histogram (0 when perfectly balanced,
    /// `log K` when every sample falls in one class).
    public var klFromUniform: Double
}

/// Measures generated images with a trained `FeatureClassifier` (for Fashion-MNIST, the LeNet CNN
/// of `nerva classify --model cnn`, loaded with NervaVision's `ImageClassification.loadClassifier`):
/// features are its penultimate activations.
public struct GANEvaluator {
    public let classifier: any FeatureClassifier
    /// Images per forward pass.
    public let batchSize: Int

    public init(classifier: any FeatureClassifier, batchSize: Int = 500) {
        self.classifier = classifier
        self.batchSize = batchSize
    }

    /// Features `[N, f]` and class probabilities `[N, classCount]` of images `[N, 1, 28, 28]` in `[0, 1]`.
    public func featuresAndProbabilities(_ images: Tensor) -> (features: Tensor, probabilities: Tensor) {
        classifier.eval()
        var features: [Tensor] = [], probabilities: [Tensor] = []
        withoutGradients {
            var start = 0
            while start < images.shape[0] {
                let end = Swift.min(start + batchSize, images.shape[0])
                let f = classifier.features(images[start..<end])
                features.append(f)
                probabilities.append(classifier.logits(fromFeatures: f).softmax(alongAxis: 1))
                start = end
            }
        }
        return (Tensor.concatenated(features), Tensor.concatenated(probabilities))
    }

    /// The Gaussian fit of the features of `images` (`[N, 1, 28, 28]` in `[0, 1]`).
    public func statistics(_ images: Tensor) -> GaussianStatistics {
        GaussianStatistics(features: featuresAndProbabilities(images).features)
    }

    /// FID against `reference`, Inception-Score-style score and mode coverage of `samples`
    /// (`[N, 1, 28, 28]` in `[0, 1]`).
    public func evaluate(_ samples: Tensor, reference: GaussianStatistics) -> GANEvaluationResult {
        let (features, probabilities) = featuresAndProbabilities(samples)
        let fid = frechetDistance(GaussianStatistics(features: features), reference)
        let classes = classifier.classCount
        let histogram = Self.histogram(probabilities, classCount: classes)
        return GANEvaluationResult(
            frechetDistance: fid, inceptionScore: Self.inceptionScore(probabilities),
            classHistogram: histogram, coveredClasses: Self.coveredClasses(histogram),
            klFromUniform: Self.klFromUniform(histogram))
    }

    /// `exp(E_x KL(p(y|x) ‖ p(y)))` for class probabilities `[N, K]`, `p(y)` their mean.
    public static func inceptionScore(_ probabilities: Tensor) -> Double {
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        return probabilities.withUnsafeBufferPointer { p in
            var marginal = [Double](repeating: 0, count: k)
            for i in 0..<n { for j in 0..<k { marginal[j] += Double(p[i * k + j]) / Double(n) } }
            var total = 0.0
            for i in 0..<n {
                for j in 0..<k where p[i * k + j] > 0 {
                    let pij = Double(p[i * k + j])
                    total += pij * (Foundation.log(pij) - Foundation.log(Swift.max(marginal[j], 1e-300)))
                }
            }
            return Foundation.exp(total / Double(n))
        }
    }

    /// The number of samples whose most probable class is each class.
    public static func histogram(_ probabilities: Tensor, classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in probabilities.argmax(alongAxis: 1).scalars { counts[Int(label)] += 1 }
        return counts
    }

    /// Classes with at least a tenth of the uniform share `N / K`.
    public static func coveredClasses(_ histogram: [Int]) -> Int {
        let total = histogram.reduce(0, +)
        return histogram.filter { Double($0) >= 0.1 * Double(total) / Double(histogram.count) && $0 > 0 }.count
    }

    /// `Σ p̂ₖ log(K p̂ₖ)` of the histogram's proportions `p̂`.
    public static func klFromUniform(_ histogram: [Int]) -> Double {
        let total = Double(histogram.reduce(0, +)), k = Double(histogram.count)
        guard total > 0 else { return .nan }
        return histogram.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / total
            return sum + p * Foundation.log(k * p)
        }
    }
}
