import Foundation
import NervaRec

/// `nerva bench rec`: NeuMF training throughput and epoch time on MovieLens-100k-sized data
/// (943 users, 1682 items, 100,000 positives with 4 negatives each, the paper's settings), and
/// the time to score all 943 × 1682 pairs; exact cosine k-NN over 100,000 item vectors.
public struct RecBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter

    /// A suite that reports to `reporter`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    public init(quick: Bool, reporter: BenchmarkReporter) {
        self.quick = quick
        self.reporter = reporter
    }

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() throws {
        let data = SyntheticInteractions(users: 943, items: 1682, meanInteractions: 106, seed: 1).dataset.implicit()
        var settings = NCFSettings.paper
        settings.seed = 1
        let trainer = try NCFTrainer(settings: settings, train: data)
        let network = settings.makeNetwork(users: data.userCount, items: data.itemCount)
        let params = ["users": data.userCount, "items": data.itemCount, "positives": data.count]
        if reporter.wants("neumf_train") {
            let samples = trainer.epochSamples()
            let optimizer = Adam(network.parameters(), learningRate: settings.learningRate)
            let batch = settings.batchSize
            var offset = 0
            let rate = Stopwatch.rate(seconds: quick ? 2 : 6, work: Double(batch)) {
                if offset + batch > samples.users.count { offset = 0 }
                let range = offset..<(offset + batch)
                trainer.step(
                    network, optimizer: optimizer, users: Array(samples.users[range]),
                    items: Array(samples.items[range]), labels: Array(samples.labels[range]))
                offset += batch
            }
            reporter.report(
                "neumf_train", params: ["batch": batch, "factors": settings.factors], value: rate, unit: "samples/s")
        }
        if reporter.wants("neumf_epoch") {
            var seconds = 0.0
            try trainer.fit(network, epochs: 1, onEpoch: { seconds = $0.seconds })
            reporter.report(
                "neumf_epoch", params: ["samples": data.count * 5, "batch": settings.batchSize], value: seconds,
                unit: "s")
        }
        if reporter.wants("score_all") {
            var scores = [Float](repeating: 0, count: data.userCount * data.itemCount)
            let perSecond = Stopwatch.rate(seconds: quick ? 1 : 3, work: 1) {
                scores.withUnsafeMutableBufferPointer {
                    network.scoreAll(users: 0..<data.userCount, into: $0.baseAddress!)
                }
            }
            reporter.report(
                "score_all", params: ["users": params["users"]!, "items": params["items"]!], value: 1000 / perSecond,
                unit: "ms")
        }
        if reporter.wants("knn_query") { knnQuery() }
    }

    /// Exact top-10 cosine neighbours among 100,000 vectors of 84 dimensions (LeNet's penultimate
    /// layer, as `nerva rec similar-images` uses), for batches of 100 queries and single queries.
    func knnQuery() {
        let items = 100_000, dimension = 84, k = 10
        let generator = RandomGenerator(seed: 3)
        let index = NearestNeighborIndex(Tensor.normal([items, dimension], generator: generator))
        let batch = Tensor.normal([100, dimension], generator: generator)
        let single = Tensor.normal([1, dimension], generator: generator)
        let batchRate = Stopwatch.rate(seconds: quick ? 1 : 3, work: 100) { _ = index.search(batch, k: k) }
        reporter.report(
            "knn_query", params: ["items": items, "dimension": dimension, "k": k, "queries_per_call": 100],
            value: 1000 / batchRate, unit: "ms")
        let singleRate = Stopwatch.rate(seconds: quick ? 1 : 3, work: 1) { _ = index.search(single, k: k) }
        reporter.report(
            "knn_query_single", params: ["items": items, "dimension": dimension, "k": k, "queries_per_call": 1],
            value: 1000 / singleRate, unit: "ms")
    }
}
