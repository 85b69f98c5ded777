import ArgumentParser
import Foundation
import NervaData
import NervaRec

/// Options naming a saved model.
struct RecCheckpointOptions: ParsableArguments {
    @Option(help: "A model saved by 'nerva rec train' (the .safetensors file; its .json sits beside it).")
    var checkpoint: String

    func load() throws -> SavedRecommender { try SavedRecommender.load(from: URL(fileURLWithPath: checkpoint)) }
}

/// `nerva rec evaluate`: the metrics of a saved model on data divided by the same rule.
struct RecEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Evaluate a saved recommender.")

    @OptionGroup var model: RecCheckpointOptions
    @OptionGroup var source: RecDataOptions

    @Option(parsing: .unconditional, help: "The K of HR@K, NDCG@K, Recall@K.")
    var cutoff = 10

    @Option(parsing: .unconditional, help: "Random seed (of the split and the sampled negatives).")
    var seed: UInt64 = 0

    func validate() throws {
        try rejectingInvalid { try RankingMetrics.checkCutoff(cutoff) }
        if source.threshold != nil { throw ValidationError("--threshold applies to rec train; a saved model is evaluated on every test interaction.") }
    }

    func run() throws {
        let saved = try model.load()
        let (split, origin) = try source.load(seed: seed)
        let aligned = saved.align(split.test)
        let evaluationSplit = InteractionSplit(train: saved.trainingData(), test: aligned)
        let (hr, ndcg) = SampledRankingEvaluation(split: evaluationSplit, seed: seed).evaluate(saved.model, cutoff: cutoff)
        let full = FullRankingEvaluation(split: evaluationSplit).evaluate(saved.model, cutoff: cutoff)
        print("\(saved.description.model) on \(origin) (\(aligned.count) test interactions of known users and items):")
        print("  HR@\(cutoff) \(fmt(hr))  NDCG@\(cutoff) \(fmt(ndcg))  (1 + 99 sampled)")
        print("  Recall@\(cutoff) \(fmt(full.recall))  NDCG@\(cutoff) \(fmt(full.ndcg))  MAP@\(cutoff) \(fmt(full.map))  coverage \(fmt(full.coverage))  (full ranking)")
        if let mf = saved.model as? BiasedMF, aligned.hasRatings, aligned.count > 0 {
            let errors = try mf.errors(on: aligned)
            print("  RMSE \(fmt(errors.rmse))  MAE \(fmt(errors.mae))")
        }
    }
}

/// `nerva rec recommend`: the best unseen items for a user, with explanations.
struct RecRecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend", abstract: "Recommend items to a user (seen items excluded).")

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "The user's id as in the data.")
    var user: String

    @Option(parsing: .unconditional, help: "How many items.")
    var count = 10

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count).") }
    }

    func run() throws {
        let saved = try model.load()
        for line in saved.recommendations(forUser: user, count: count) { print(line) }
    }
}

/// `nerva rec similar`: the items nearest to an item, named by id or by (part of) its title.
struct RecSimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "similar", abstract: "List the items most similar to an item.")

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "The item's id as in the data.")
    var item: String?

    @Option(help: "Or words of the item's title (case and accents ignored), e.g. 'star wars'.")
    var title: String?

    @Option(parsing: .unconditional, help: "How many items.")
    var count = 10

    func validate() throws {
        if (item == nil) == (title == nil) { throw ValidationError("Give the item with --item ID or --title WORDS (one of them).") }
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count).") }
    }

    func run() throws {
        let saved = try model.load()
        let index: Int
        if let item {
            guard let found = saved.itemIndex(item) else { throw ValidationError("Unknown item '\(item)': not in the model's training data.") }
            index = found
        } else {
            let matches = saved.itemIndices(matchingTitle: title!)
            guard let best = matches.first else { throw ValidationError("No item title contains '\(title!)'.") }
            if matches.count > 1 {
                print("\(matches.count) titles contain '\(title!)'; using the closest. Others: "
                      + matches.dropFirst().prefix(5).map { saved.label($0) }.joined(separator: "; ") + (matches.count > 6 ? "; …" : ""))
            }
            index = best
        }
        print("items similar to \(saved.label(index)) (\(saved.description.model)):")
        for (rank, neighbor) in try saved.similarItems(to: index, count: count).enumerated() {
            print(String(format: "%3d. %@  (similarity %.3f)", rank + 1, saved.label(neighbor.item), neighbor.similarity))
        }
    }
}

/// `nerva rec score`: scores listed pairs, for evaluation by other tools.
struct RecScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score user,item pairs from a CSV file; write user,item,score (original ids).",
        discussion: """
            For svd the score is a predicted rating (global mean + biases + dot product, clipped to the \
            training data's rating range). For the other models it is the model's ranking score: \
            a logit for gmf/mlp/neumf, a dot product for bpr/als, a similarity sum for the neighbourhood \
            and content models, a count for popularity; only its order is meaningful.
            """)

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "A CSV file of user,item pairs (a header line 'user,item' is optional).")
    var pairs: String

    @Option(help: "Output CSV file (default: standard output).")
    var output: String?

    func run() throws {
        let saved = try model.load()
        let (text, cold) = try saved.scorePairs(file: URL(fileURLWithPath: pairs))
        if let output {
            try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: "")
        }
        if cold > 0 {
            FileHandle.standardError.write(Data("\(cold) pair(s) with a user or item unknown to the model were scored with the popularity fallback.\n".utf8))
        }
    }
}
