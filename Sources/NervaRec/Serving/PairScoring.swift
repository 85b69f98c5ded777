import Foundation

/// How a pair the model cannot score was scored instead.
public enum ColdStartFallback: String, Sendable, CaseIterable {
    /// A user without training interactions, a ranking model: the item's share of the training
    /// interactions (its popularity).
    case popularity
    /// A user without training interactions, a rating model: the baseline rating `μ + b_i`,
    /// clipped to the rating range.
    case baselineRating = "baseline-rating"
    /// An item the model was not trained on: one below the lowest score of the user's known
    /// items, so it ranks below every known item for that user, whatever the score scale.
    case belowKnownItems = "below-known-items"

    /// What the fallback did, for messages.
    public var explanation: String {
        switch self {
        case .popularity: return "scored by the item's popularity (its share of the training interactions)"
        case .baselineRating: return "scored by the baseline rating μ + b_i (global mean plus item bias, clipped)"
        case .belowKnownItems:
            return "scored 1 below the user's lowest known-item score, so they rank below every known item"
        }
    }
}

/// One scored pair, in the data's own ids.
public struct ScoredPair: Sendable, Equatable {
    public var user: String
    public var item: String
    public var score: Float
    /// How the score was made when the model could not score the pair itself.
    public var fallback: ColdStartFallback?
}

/// A file of user–item pairs to score: one pair a line, fields separated by tabs, commas,
/// semicolons or spaces (whichever the first line uses), extra fields (a rating, a time)
/// ignored; a header line `user,item` is optional and a UTF-8 byte-order mark skipped.
public enum PairsFile {
    /// The (user, item) pairs of `url`, in file order.
    ///
    /// - Throws: `RecDataError.unreadable`, `.empty`, or `.malformedLine` naming a line with fewer than two fields.
    public static func read(_ url: URL) throws -> [(user: String, item: String)] {
        try read(TextLines(url: url, encoding: .utf8OrLatin1))
    }

    /// The pairs of a file's bytes, as `read(_:)`; `source` names it in errors.
    public static func read(bytes: [UInt8], source: String = "<memory>") throws -> [(user: String, item: String)] {
        try read(TextLines(bytes: bytes, file: source, encoding: .utf8OrLatin1))
    }

    private static func read(_ lines: TextLines) throws -> [(user: String, item: String)] {
        var pairs: [(user: String, item: String)] = []
        var splitter: FieldSplitter?
        try lines.forEach { line, number in
            let split = splitter ?? FieldSplitter.detect(line)
            splitter = split
            let fields = split.split(line).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw RecDataError.malformedLine(
                    file: lines.file, line: number, problem: "expected a user and an item, found '\(line)'")
            }
            if pairs.isEmpty && fields[0].lowercased() == "user" && fields[1].lowercased() == "item" { return }
            pairs.append((fields[0], fields[1]))
        }
        if pairs.isEmpty { throw RecDataError.empty(file: lines.file) }
        return pairs
    }
}

extension SavedRecommender {
    /// Scores `pairs` of external ids with the model. A rating model's score is a rating
    /// (`μ + b_u + b_i + p_uᵀq_i`, clipped to the training ratings' range); other models give their
    /// ranking score. Pairs the model cannot score get a `ColdStartFallback`: an unknown item ranks
    /// below every known item of the same user, an unknown user gets popularity (ranking models)
    /// or the baseline rating (rating models).
    public func score(pairs: [(user: String, item: String)]) -> [ScoredPair] {
        var cachedUser = -1
        var cachedScores: [Float] = []
        var cachedFloor: Float = 0
        let coldScores: [Float] = {
            if let ratings = model as? BiasedMF {
                return (0..<model.itemCount).map { ratings.predict(user: -1, item: $0) }
            }
            let total = Float(max(history.entryCount, 1))
            return popularity.counts.map { $0 / total }
        }()
        let coldFloor = (coldScores.min() ?? 0) - 1
        let coldFallback: ColdStartFallback = model is BiasedMF ? .baselineRating : .popularity
        return pairs.map { pair in
            let user = userIndex(pair.user).flatMap { isKnown(user: $0) ? $0 : nil }
            let scores: [Float]
            let floor: Float
            if let user {
                if user != cachedUser {
                    cachedUser = user
                    cachedScores = model.scores(user: user)
                    cachedFloor = (cachedScores.filter(\.isFinite).min() ?? 0) - 1
                }
                (scores, floor) = (cachedScores, cachedFloor)
            } else {
                (scores, floor) = (coldScores, coldFloor)
            }
            guard let item = itemIndex(pair.item) else {
                return ScoredPair(user: pair.user, item: pair.item, score: floor, fallback: .belowKnownItems)
            }
            return ScoredPair(
                user: pair.user, item: pair.item, score: scores[item], fallback: user == nil ? coldFallback : nil)
        }
    }
}
