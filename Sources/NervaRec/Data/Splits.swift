/// A train/test division of an `InteractionDataset`; both halves share the id maps.
public struct InteractionSplit: Sendable {
    public var train: InteractionDataset
    public var test: InteractionDataset

    public init(train: InteractionDataset, test: InteractionDataset) {
        self.train = train
        self.test = test
    }

    /// Throws unless both parts hold interactions, so a model can be trained and measured.
    ///
    /// - Throws: `RecDataError.tooLittleData` naming what is missing.
    public func checkEvaluable() throws {
        guard train.count > 0 else {
            throw RecDataError.tooLittleData(problem: "no training interactions (\(test.count) test)")
        }
        guard test.count > 0 else {
            throw RecDataError.tooLittleData(
                problem: "no user has a held-out test interaction among \(train.count) interaction(s); "
                    + "with leave-one-out a user needs at least 2 interactions")
        }
    }
}

/// How to divide interactions into training and test rows.
public enum SplitRule: Sendable, Equatable {
    /// Each user's latest interaction is the test row (ties in time broken by the larger item
    /// id, as in the NCF paper's ml-1m files); users with a single interaction keep it for training.
    case leaveOneOut
    /// A random `fraction` of all rows is the test set.
    case randomHoldout(fraction: Double)
    /// The latest `fraction` of each user's rows (by time) is the test set.
    case temporal(fraction: Double)

    /// Divides `dataset`; `seed` drives `randomHoldout`.
    public func split(_ dataset: InteractionDataset, seed: UInt64 = 0) -> InteractionSplit {
        switch self {
        case .leaveOneOut: return Self.perUser(dataset) { rows in rows.count < 2 ? 0 : 1 }
        case .temporal(let fraction):
            precondition(fraction > 0 && fraction < 1, "temporal split: fraction must be in (0, 1), got \(fraction).")
            return Self.perUser(dataset) { rows in
                rows.count < 2 ? 0 : max(1, Int((Double(rows.count) * fraction).rounded()))
            }
        case .randomHoldout(let fraction):
            precondition(fraction > 0 && fraction < 1, "random holdout: fraction must be in (0, 1), got \(fraction).")
            let order = RandomGenerator(seed: seed).permutation(dataset.count)
            let testCount = Int((Double(dataset.count) * fraction).rounded())
            return InteractionSplit(
                train: dataset.subset(Array(order[testCount...]).sorted()),
                test: dataset.subset(Array(order[..<testCount]).sorted()))
        }
    }

    /// Sorts each user's rows by (time, item id) and sends the last `testCount(rows)` to the test set.
    private static func perUser(_ dataset: InteractionDataset, testCount: ([Int]) -> Int) -> InteractionSplit {
        var rowsByUser = Array(repeating: [Int](), count: dataset.userCount)
        for row in 0..<dataset.count { rowsByUser[Int(dataset.userIndices[row])].append(row) }
        var train: [Int] = [], test: [Int] = []
        for rows in rowsByUser where !rows.isEmpty {
            let ordered = rows.sorted { a, b in
                let (ta, tb) = (dataset.timestamps[a], dataset.timestamps[b])
                if ta != tb { return ta < tb }
                let (ia, ib) = (dataset.items[Int(dataset.itemIndices[a])], dataset.items[Int(dataset.itemIndices[b])])
                if ia != ib { return externalIDPrecedes(ia, ib) }
                return a < b
            }
            let cut = ordered.count - testCount(ordered)
            train += ordered[..<cut]
            test += ordered[cut...]
        }
        return InteractionSplit(train: dataset.subset(train.sorted()), test: dataset.subset(test.sorted()))
    }
}

extension InteractionSplit {
    /// `k` folds for cross-validation: rows shuffled once with `seed`, fold `f` is the test set of
    /// split `f` and the other folds its training set (as Surprise's `KFold`).
    public static func folds(_ dataset: InteractionDataset, count k: Int, seed: UInt64 = 0) -> [InteractionSplit] {
        precondition(k >= 2 && k <= dataset.count, "folds: need 2 ≤ k ≤ \(dataset.count), got \(k).")
        let order = RandomGenerator(seed: seed).permutation(dataset.count)
        return (0..<k).map { fold in
            let start = fold * dataset.count / k, end = (fold + 1) * dataset.count / k
            let test = Array(order[start..<end]).sorted()
            let train = (Array(order[..<start]) + Array(order[end...])).sorted()
            return InteractionSplit(train: dataset.subset(train), test: dataset.subset(test))
        }
    }
}
