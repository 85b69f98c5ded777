import Foundation
import NervaTensor

/// How a labelled data set is split among participants, following NIID-Bench (Li et al. 2022,
/// https://arxiv.org/abs/2102.02079) and McMahan et al. (2017).
public enum PartitionScheme: Sendable, Equatable, CustomStringConvertible {
    /// Uniformly random, equal sizes (±1).
    case iid
    /// Label skew: for each class, the shares of the participants are drawn from `Dir(β)`
    /// (NIID-Bench's `noniid-labeldir`, with its balancing and its minimum of 10 examples).
    case dirichlet(beta: Double)
    /// Each participant holds `labels` distinct classes; each class is split evenly among the
    /// participants that hold it (NIID-Bench's `noniid-#label`).
    case labelsPerClient(Int)
    /// McMahan's pathological split: sort by label, cut into `shardsPerClient · clients`
    /// equal shards, give each participant `shardsPerClient` random shards (200 shards of 300
    /// images, 2 per client, for 100 clients on MNIST).
    case shards(perClient: Int)
    /// Quantity skew: IID contents, sizes proportional to `Dir(β)` draws (NIID-Bench's `iid-diff-quantity`).
    case quantitySkew(beta: Double)

    public var description: String {
        switch self {
        case .iid: "IID"
        case let .dirichlet(beta): "Dirichlet label skew (β = \(beta))"
        case let .labelsPerClient(c): "\(c) labels per client"
        case let .shards(perClient): "McMahan shards (\(perClient) per client)"
        case let .quantitySkew(beta): "quantity skew (β = \(beta))"
        }
    }
}

/// Splits example indices among participants.
public enum Partition {
    /// The example indices of each of `clientCount` participants; every example goes to at
    /// most one participant (all of them, except the remainder of uneven shards), each list sorted.
    ///
    /// - Parameters:
    ///   - labels: the class of each example, in `0..<classCount`.
    ///   - classCount: the number of classes.
    ///   - clientCount: the number of participants.
    ///   - scheme: how the examples are spread (IID, Dirichlet, labels per client, shards, skew).
    ///   - generator: all randomness; the same seed gives the same split.
    public static func split(
        labels: [Int], classCount: Int, clientCount: Int, scheme: PartitionScheme,
        generator: RandomGenerator
    ) -> [[Int]] {
        precondition(clientCount > 0, "Partition: needs at least one client.")
        precondition(
            labels.allSatisfy { $0 >= 0 && $0 < classCount }, "Partition: labels must be in 0..<\(classCount).")
        let parts: [[Int]]
        switch scheme {
        case .iid:
            parts = chunks(generator.permutation(labels.count), proportions: Array(repeating: 1, count: clientCount))
        case let .quantitySkew(beta):
            precondition(beta > 0, "Partition: β must be positive, got \(beta).")
            let minimum = min(10, labels.count / clientCount)
            var proportions: [Double]
            var attempts = 0
            repeat {
                proportions = dirichlet(count: clientCount, beta: beta, generator: generator)
                attempts += 1
            } while proportions.min()! * Double(labels.count) < Double(minimum) && attempts < 1000
            parts = chunks(generator.permutation(labels.count), proportions: proportions)
        case let .dirichlet(beta):
            parts = dirichletLabelSkew(
                labels: labels, classCount: classCount, clientCount: clientCount, beta: beta, generator: generator)
        case let .labelsPerClient(count):
            parts = labelsPerClient(
                labels: labels, classCount: classCount, clientCount: clientCount, count: count, generator: generator)
        case let .shards(perClient):
            precondition(perClient > 0, "Partition: needs at least one shard per client.")
            let sorted = (0..<labels.count).sorted { (labels[$0], $0) < (labels[$1], $1) }
            let shardCount = perClient * clientCount, shardSize = labels.count / shardCount
            precondition(shardSize > 0, "Partition: \(labels.count) examples cannot fill \(shardCount) shards.")
            let order = generator.permutation(shardCount)
            parts = (0..<clientCount).map { client in
                order[(client * perClient)..<((client + 1) * perClient)].flatMap { shard in
                    sorted[(shard * shardSize)..<((shard + 1) * shardSize)]
                }
            }
        }
        return parts.map { $0.sorted() }
    }

    /// How many examples of each class each participant holds: `[client][class]`.
    public static func classCounts(_ parts: [[Int]], labels: [Int], classCount: Int) -> [[Int]] {
        parts.map { part in
            var counts = [Int](repeating: 0, count: classCount)
            for index in part { counts[labels[index]] += 1 }
            return counts
        }
    }

    // MARK: - Schemes

    private static func dirichletLabelSkew(
        labels: [Int], classCount: Int, clientCount: Int, beta: Double,
        generator: RandomGenerator
    ) -> [[Int]] {
        precondition(beta > 0, "Partition: β must be positive, got \(beta).")
        let byClass = indicesByClass(labels, classCount: classCount)
        let minimum = min(10, labels.count / (clientCount * 2))
        var parts: [[Int]] = []
        for _ in 0..<1000 {
            parts = Array(repeating: [], count: clientCount)
            for members in byClass {
                let shuffled = generator.permutation(members.count).map { members[$0] }
                var proportions = dirichlet(count: clientCount, beta: beta, generator: generator)
                // Balancing: a client that already holds its share gets no more of this class.
                let cap = Double(labels.count) / Double(clientCount)
                for j in 0..<clientCount where Double(parts[j].count) >= cap { proportions[j] = 0 }
                let total = proportions.reduce(0, +)
                if total == 0 { proportions = Array(repeating: 1, count: clientCount) }
                for (j, chunk) in chunks(shuffled, proportions: proportions).enumerated() { parts[j] += chunk }
            }
            if parts.map(\.count).min()! >= minimum { break }
        }
        return parts
    }

    private static func labelsPerClient(
        labels: [Int], classCount: Int, clientCount: Int, count: Int,
        generator: RandomGenerator
    ) -> [[Int]] {
        precondition(
            count >= 1 && count <= classCount,
            "Partition: labels per client must be in 1...\(classCount), got \(count).")
        // Client i holds class i mod K, then `count − 1` other distinct random classes.
        let held: [[Int]] = (0..<clientCount).map { client in
            var classes = [client % classCount]
            while classes.count < count {
                let candidate = generator.integer(below: classCount)
                if !classes.contains(candidate) { classes.append(candidate) }
            }
            return classes
        }
        var parts = Array(repeating: [Int](), count: clientCount)
        for (label, members) in indicesByClass(labels, classCount: classCount).enumerated() {
            let holders = (0..<clientCount).filter { held[$0].contains(label) }
            guard !holders.isEmpty else { continue }
            let shuffled = generator.permutation(members.count).map { members[$0] }
            for (k, chunk) in chunks(shuffled, proportions: Array(repeating: 1, count: holders.count)).enumerated() {
                parts[holders[k]] += chunk
            }
        }
        return parts
    }

    // MARK: - Helpers

    static func indicesByClass(_ labels: [Int], classCount: Int) -> [[Int]] {
        var byClass = Array(repeating: [Int](), count: classCount)
        for (index, label) in labels.enumerated() { byClass[label].append(index) }
        return byClass
    }

    /// Cuts `items` into consecutive pieces proportional to `proportions` (cumulative rounding,
    /// so sizes add up exactly).
    static func chunks(_ items: [Int], proportions: [Double]) -> [[Int]] {
        let total = proportions.reduce(0, +)
        var pieces: [[Int]] = [], cumulative = 0.0, start = 0
        for (j, p) in proportions.enumerated() {
            cumulative += p
            let end =
                j == proportions.count - 1 ? items.count : Int((cumulative / total * Double(items.count)).rounded())
            pieces.append(Array(items[start..<max(start, end)]))
            start = max(start, end)
        }
        return pieces
    }

    /// A draw from the symmetric Dirichlet distribution `Dir(β, …, β)` of dimension `count`.
    public static func dirichlet(count: Int, beta: Double, generator: RandomGenerator) -> [Double] {
        let draws = (0..<count).map { _ in gamma(shape: beta, generator: generator) }
        let total = draws.reduce(0, +)
        return total > 0 ? draws.map { $0 / total } : Array(repeating: 1 / Double(count), count: count)
    }

    /// A Gamma(`shape`, 1) sample (Marsaglia & Tsang 2000; for `shape < 1`, boosted by `U^(1/shape)`).
    public static func gamma(shape: Double, generator: RandomGenerator) -> Double {
        if shape < 1 {
            let u = max(Double(generator.uniform()), 1e-12)
            return gamma(shape: shape + 1, generator: generator) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = Double(generator.normal())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double(generator.uniform())
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
